"""Settings read from the environment, in one place.

Every process of the stack (gateway, action server, launcher, CLI) builds its
settings here so that the README's table of variables is the whole truth.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent

# Accepted only when ASSISTANT_ENV=dev; the gateway refuses to start with it otherwise.
DEV_JWT_SECRET = "dev-only-secret-do-not-use-in-production"
MIN_SECRET_CHARS = 32  # HS256 wants a key of at least 256 bits


class ConfigError(RuntimeError):
    """Raised when the environment describes a setup that must not start."""


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
    jwt_secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_auth_token: Optional[str] = None
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
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env
        data_dir = Path(env.get("ASSISTANT_DATA_DIR") or REPO_ROOT / "data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'assistant.db'}"
        return cls(
            env=(env.get("ASSISTANT_ENV") or "prod").strip().lower(),
            jwt_secret=env.get("ASSISTANT_JWT_SECRET", ""),
            host=env.get("ASSISTANT_HOST") or "127.0.0.1",
            port=_int(env, "ASSISTANT_PORT", 8000),
            rasa_port=_int(env, "RASA_PORT", 5005),
            actions_port=_int(env, "ACTIONS_PORT", 5055),
            rasa_auth_token=env.get("RASA_AUTH_TOKEN") or None,
            data_dir=data_dir,
            database_url=database_url,
            search_index_dir=Path(env.get("SEARCH_INDEX_DIR") or data_dir / "search_index").resolve(),
            models_dir=Path(env.get("RASA_MODELS_DIR") or REPO_ROOT / "models").resolve(),
            redis_url=env.get("REDIS_URL") or None,
            training_dir=Path(env.get("TRAINING_DIR") or REPO_ROOT).resolve(),
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
