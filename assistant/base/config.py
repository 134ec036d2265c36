"""Settings read from the environment, in one place.

Every process of the stack (gateway, action server, launcher, CLI) builds its
settings here so that the README's table of variables is the whole truth.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]

# Accepted only when ASSISTANT_ENV=dev; the gateway refuses to start with it otherwise.
DEV_JWT_SECRET = "dev-only-secret-do-not-use-in-production"
MIN_SECRET_CHARS = 32  # HS256 wants a key of at least 256 bits
# Every server's listen queue (gateway, Rasa, action server). Rasa opens a new connection for every
# action call; when the action server's queue of 100 overflowed under load, connections were reset,
# the action's events were lost and the customer got an empty reply. Linux caps it at somaxconn.
LISTEN_BACKLOG = 1024
# The longest customer message (the gateway refuses longer ones; Rasa's channel is the backstop).
MAX_MESSAGE_CHARS = 500
# The internal hops' secrets: environment variables, and the headers that carry them.
RASA_TOKEN_ENV = "RASA_AUTH_TOKEN"
CHANNEL_SECRET_ENV = "ASSISTANT_CHANNEL_SECRET"
ACTION_SECRET_ENV = "ACTION_SERVER_SECRET"
# The key SMS codes are hashed with (assistant.bank.verification): whoever sends or checks codes needs it.
CODE_SECRET_ENV = "ASSISTANT_CODE_SECRET"
CHANNEL_SECRET_HEADER = "X-Gateway-Secret"
ACTION_SECRET_HEADER = "X-Action-Secret"


class ConfigError(RuntimeError):
    """Raised when the environment describes a setup that must not start."""


MAX_RASA_SERVERS = 8


def _urls(env: Mapping[str, str], name: str) -> Tuple[str, ...]:
    """A comma-separated list of http(s) URLs, without trailing slashes."""
    urls = tuple(u.strip().rstrip("/") for u in env.get(name, "").split(",") if u.strip())
    bad = [u for u in urls if not re.fullmatch(r"https?://[\w.\-\[\]:]+(/[\w.\-/]*)?", u)]
    if bad:
        raise ConfigError(f"{name} must be http(s) URLs separated by commas, got {bad[0]!r}")
    return urls


def _rasa_servers(env: Mapping[str, str]) -> int:
    """RASA_SERVERS, else one per core (at most four: each server holds the model in memory)."""
    count = _int(env, "RASA_SERVERS", min(os.cpu_count() or 1, 4))
    if not 1 <= count <= MAX_RASA_SERVERS:
        raise ConfigError(f"RASA_SERVERS must be between 1 and {MAX_RASA_SERVERS}, got {count}")
    return count


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if not 0 < value < 65536 and name.endswith("_PORT"):
        raise ConfigError(f"{name} must be a TCP port (1-65535), got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "prod"
    jwt_secret: str = field(default="", repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    # Rasa servers behind the gateway (ports rasa_port, rasa_port + 1, …): one per core by default, as
    # one Rasa process keeps one core busy; each holds its own copy of the model (~1.4 GB).
    rasa_servers: int = 1
    # Rasa servers elsewhere (RASA_URLS, comma-separated), for deployments where the launcher does not
    # start them (docs/deployment.md); every gateway must list the same URLs in the same order.
    rasa_server_urls: Tuple[str, ...] = ()
    actions_port: int = 5055
    # Where Rasa and the gateway reach the action server (ACTIONS_URL); by default this machine's port.
    actions_url_configured: str = ""
    # Secrets of the internal hops (gateway → Rasa API / channel, Rasa → action server). The launcher
    # generates fresh ones at every start when they are not configured; they travel in the children's
    # environment only (never on a command line, never in a file or a log).
    rasa_auth_token: Optional[str] = field(default=None, repr=False)
    channel_secret: Optional[str] = field(default=None, repr=False)
    action_secret: Optional[str] = field(default=None, repr=False)
    # The SMS codes' hash key; generated at start like the hops' secrets when not configured (a restart
    # then invalidates codes in flight: the customer asks for a new one). Several action servers share it.
    code_secret: Optional[str] = field(default=None, repr=False)
    data_dir: Path = field(default_factory=lambda: REPO_ROOT / "data")
    database_url: str = ""
    search_index_dir: Path = field(default_factory=lambda: REPO_ROOT / "data" / "search_index")
    models_dir: Path = field(default_factory=lambda: REPO_ROOT / "models")
    redis_url: Optional[str] = None
    # Where config.yml, domain.yml and nlu_data/ live: trainers' labels are written here.
    training_dir: Path = REPO_ROOT

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def nlu_data_dir(self) -> Path:
        return self.training_dir / "nlu_data"

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (the one CLI tools ask what model is live)."""
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> List[str]:
        if self.rasa_server_urls:
            return list(self.rasa_server_urls)
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_servers)]

    @property
    def rasa_servers_file(self) -> Path:
        """The running stack's Rasa server URLs, left by the launcher for CLI tools (`make train`)."""
        return self.data_dir / "run" / "rasa-servers.json"

    @property
    def draining_file(self) -> Path:
        """Rasa servers being given a new model right now: the gateway sends them no new turn."""
        return self.data_dir / "run" / "rasa-draining.json"

    @property
    def actions_url(self) -> str:
        return self.actions_url_configured or f"http://127.0.0.1:{self.actions_port}"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("ASSISTANT_DATA_DIR") or REPO_ROOT / "data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'assistant.db'}"
        return cls(
            env=(env.get("ASSISTANT_ENV") or "prod").strip().lower(),
            jwt_secret=env.get("ASSISTANT_JWT_SECRET", ""),
            host=env.get("ASSISTANT_HOST") or "127.0.0.1",
            port=_int(env, "ASSISTANT_PORT", 8000),
            rasa_port=_int(env, "RASA_PORT", 5005),
            rasa_servers=_rasa_servers(env),
            rasa_server_urls=_urls(env, "RASA_URLS"),
            actions_url_configured=(_urls(env, "ACTIONS_URL") or ("",))[0],
            actions_port=_int(env, "ACTIONS_PORT", 5055),
            rasa_auth_token=env.get(RASA_TOKEN_ENV) or None,
            channel_secret=env.get(CHANNEL_SECRET_ENV) or None,
            action_secret=env.get(ACTION_SECRET_ENV) or None,
            code_secret=env.get(CODE_SECRET_ENV) or None,
            data_dir=data_dir,
            database_url=database_url,
            search_index_dir=Path(env.get("SEARCH_INDEX_DIR") or data_dir / "search_index").resolve(),
            models_dir=Path(env.get("RASA_MODELS_DIR") or REPO_ROOT / "models").resolve(),
            redis_url=env.get("REDIS_URL") or None,
            training_dir=Path(env.get("TRAINING_DIR") or REPO_ROOT).resolve(),
        )

    def with_internal_secrets(self) -> Settings:
        """These settings with a fresh random secret for every internal hop that has none configured."""
        return replace(
            self,
            rasa_auth_token=self.rasa_auth_token or secrets.token_urlsafe(32),
            channel_secret=self.channel_secret or secrets.token_urlsafe(32),
            action_secret=self.action_secret or secrets.token_urlsafe(32),
            code_secret=self.code_secret or secrets.token_urlsafe(32),
        )

    @property
    def secrets_file(self) -> Path:
        """Where a running stack leaves its generated secrets for the owner's CLI (`make train`)."""
        return self.data_dir / "run" / "internal-secrets.json"

    def save_internal_secrets(self) -> None:
        """Leave the API token readable by this user only (0600), for CLI tools that talk to Rasa
        (`make train`); the other secrets stay in the processes' environment."""
        self.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        self.secrets_file.unlink(missing_ok=True)
        fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({RASA_TOKEN_ENV: self.rasa_auth_token}, out)

    def with_stack_secrets(self) -> Settings:
        """These settings plus the running stack's generated API token, when none is configured."""
        try:
            saved = json.loads(self.secrets_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self
        return replace(self, rasa_auth_token=self.rasa_auth_token or saved.get(RASA_TOKEN_ENV))

    def internal_secrets_env(self) -> Dict[str, str]:
        """The environment variables that hand the internal secrets to the stack's processes."""
        pairs = {
            RASA_TOKEN_ENV: self.rasa_auth_token,
            CHANNEL_SECRET_ENV: self.channel_secret,
            ACTION_SECRET_ENV: self.action_secret,
            CODE_SECRET_ENV: self.code_secret,
        }
        return {k: v for k, v in pairs.items() if v}

    def check_bind(self) -> None:
        """Dev mode (a public JWT secret, tokens of any role from /api/dev/token) listens on loopback only."""
        import ipaddress  # local: this method is the only user

        if not self.is_dev:
            return
        host = self.host.strip().strip("[]").lower()
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ConfigError(
                f"ASSISTANT_ENV=dev must listen on a loopback address (127.0.0.1, ::1 or localhost), "
                f"not ASSISTANT_HOST={self.host!r}: dev mode hands out tokens of every role."
            )

    def effective_jwt_secret(self) -> str:
        """The secret tokens are signed with; refuses the dev secret outside dev."""
        if self.jwt_secret and self.jwt_secret != DEV_JWT_SECRET:
            if len(self.jwt_secret) < MIN_SECRET_CHARS and not self.is_dev:
                raise ConfigError(f"ASSISTANT_JWT_SECRET must be at least {MIN_SECRET_CHARS} characters long.")
            return self.jwt_secret
        if self.is_dev:
            return DEV_JWT_SECRET
        raise ConfigError(
            "ASSISTANT_JWT_SECRET must be set to a private value when ASSISTANT_ENV is not 'dev' "
            "(the built-in development secret is refused)."
        )
