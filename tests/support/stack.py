"""Starts the real stack (launcher → Rasa, action server, gateway) for integration tests.

It runs on free ports with its own data folder, so a `make run` on the same
machine does not collide, and reuses the trained model in models/.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from assistant.base.rasa_client import call_rasa

REPO = Path(__file__).resolve().parents[2]


def _ephemeral_range() -> Tuple[int, int]:
    """The ports the kernel hands out to outgoing connections (Linux: 32768-60999 by default)."""
    try:
        low, high = (int(p) for p in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port(count: int = 1) -> int:
    """The first of ``count`` consecutive free ports, chosen below the kernel's ephemeral range: a port
    from that range can be taken by any outgoing connection (to PostgreSQL, Redis, another server)
    between the moment it is found free and the moment a server of the stack binds it."""
    low = _ephemeral_range()[0]
    rng = random.Random()
    for _ in range(500):
        first = rng.randrange(10_000, max(10_001, low - count))
        try:
            with contextlib.ExitStack() as held:
                for port in range(first, first + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


def rasa_servers_by_default() -> int:
    """As many Rasa servers as `make run` starts here (RASA_SERVERS, else one per core)."""
    from assistant.base.config import Settings

    return Settings.from_env().rasa_servers


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (the Rasa servers listen on RASA_PORT + i)."""
    return free_port(count)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def refuses_connections(url: str) -> bool:
    """Nothing listens at the server of ``url`` any more. A killed process's listening socket outlives
    it for a moment (the kernel frees a 1.3 GB address space before it closes the files), and a
    connection accepted then is reset, not refused: it is gone only once connecting is refused."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def isolated_training(root: Path) -> Dict[str, str]:
    """A copy of the training data and a models folder holding the current model, so that tests
    can label, retrain and publish without touching the repository's nlu_data/ or models/."""
    from assistant.base.config import Settings
    from assistant.ops.steps.model import model_path

    workspace, models = root / "training", root / "models"
    workspace.mkdir(parents=True, exist_ok=True)
    models.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy(REPO / name, workspace / name)
    shutil.copytree(REPO / "nlu_data", workspace / "nlu_data", dirs_exist_ok=True)
    trained = model_path(Settings.from_env({"TRAINING_DIR": str(workspace), "RASA_MODELS_DIR": str(REPO / "models")}))
    if trained.exists():  # same data, same fingerprint: reuse it rather than train again
        shutil.copy(trained, models / trained.name)
    return {"TRAINING_DIR": str(workspace), "RASA_MODELS_DIR": str(models)}


@dataclass
class Stack:
    data_dir: Path
    command: List[str] = field(default_factory=lambda: [sys.executable, "-m", "assistant.ops.launcher", "run"])
    extra_env: Dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    rasa_servers: int = field(default_factory=rasa_servers_by_default)
    rasa_port: int = 0  # the first Rasa server's; 0: consecutive free ports chosen at creation
    actions_port: int = field(default_factory=free_port)
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None
    # The internal secrets, fixed here so that tests can act as the gateway or as an intruder.
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    channel_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    action_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The last summary each client (token) was shown: sent with every message, as the web page does.
    summary_keys: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rasa_port:
            self.rasa_port = free_ports(self.rasa_servers)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "ASSISTANT_ENV": "dev",
                "ASSISTANT_PORT": str(self.port),
                "RASA_PORT": str(self.rasa_port),
                "RASA_SERVERS": str(self.rasa_servers),
                "ACTIONS_PORT": str(self.actions_port),
                "ASSISTANT_DATA_DIR": str(self.data_dir),
                "PYTHONPATH": str(REPO),
                "RASA_AUTH_TOKEN": self.rasa_token,
                "ASSISTANT_CHANNEL_SECRET": self.channel_secret,
                "ACTION_SERVER_SECRET": self.action_secret,
                # Scripted tests send hundreds of turns as one customer; the limit itself is tested apart.
                "ASSISTANT_RATE_CHAT": "300,10",
                "ASSISTANT_RATE_SEARCH": "1000,100",
            }
        )
        env.pop("DATABASE_URL", None)
        env.pop("SEARCH_INDEX_DIR", None)
        env.update(self.extra_env)
        return env

    @property
    def database_url(self) -> str:
        """The application database of this stack: DATABASE_URL when the test gave one, else its SQLite file."""
        return self.extra_env.get("DATABASE_URL") or f"sqlite:///{self.data_dir / 'assistant.db'}"

    def start(self, timeout_s: float = 400.0) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "launcher.log"
        with open(self.log_path, "wb") as log:  # the launcher keeps its own descriptor
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"stack exited early ({self.process.returncode}):\n{self.log_tail()}")
            status, _ = self.get("/health", timeout=5)
            if status == 200:
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"stack not healthy within {timeout_s}s:\n{self.log_tail()}")

    def child_pids(self) -> List[int]:
        """PIDs the launcher reported starting ("started rasa-0 (pid 123, ...)")."""
        return [pid for _, pid in self._started_lines()]

    def _started_lines(self) -> List[Tuple[str, int]]:
        text = self.log_path.read_text(errors="replace") if self.log_path else ""
        return [(name, int(pid)) for name, pid in re.findall(r"started ([\w-]+) \(pid (\d+)", text)]

    def service_pids(self) -> Dict[str, int]:
        """The current PID of each service by name (a restarted Rasa server: its latest)."""
        return dict(self._started_lines())

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 40.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # ------------------------------------------------------------ HTTP helpers
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: Optional[str] = None,
        raw: Optional[bytes] = None,
        timeout: float = 60,
        headers: Optional[Dict[str, str]] = None,
    ) -> Tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        path = urllib.parse.quote(path, safe="/?&=%:+,")
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            payload, status = exc.read(), exc.code
        except (urllib.error.URLError, OSError):
            return 0, None
        try:
            return status, json.loads(payload.decode() or "null")
        except ValueError:
            return status, payload.decode(errors="replace")

    def send_raw(self, data: bytes, timeout: float = 10.0) -> bytes:
        """Bytes as they are over a socket (no client library would send them) and the whole reply;
        b"" when the gateway closes without answering. Socket errors are the caller's to judge."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            reply = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return reply
                reply += chunk

    def get(self, path: str, token: Optional[str] = None, timeout: float = 60) -> Tuple[int, Any]:
        return self.request("GET", path, token=token, timeout=timeout)

    def post(
        self, path: str, body: Any = None, token: Optional[str] = None, raw: Optional[bytes] = None
    ) -> Tuple[int, Any]:
        return self.request("POST", path, body=body, token=token, raw=raw)

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (conversations live in the shared tracker store: any server shows them)."""
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_servers)]

    def parse(self, text: str) -> Dict[str, Any]:
        """Rasa's /model/parse on the stack's Rasa server (localhost only, with the API token)."""
        return call_rasa(self.rasa_url, self.rasa_token, lambda rasa: rasa.parse(text))

    def token(self, sub: str = "demo", role: str = "customer") -> str:
        status, body = self.get(f"/api/dev/token?sub={sub}&role={role}")
        assert status == 200, body
        return body["token"]

    def balance_text(self, token: str, last4: str) -> str:
        """The account's current balance as replies show it (¥52,380.50)."""
        status, body = self.get("/api/accounts", token=token)
        assert status == 200, body
        return next(a["balance"] for a in body["accounts"] if a["last4"] == last4)

    def say(self, token: str, message: str) -> Dict[str, Any]:
        """The whole /api/chat answer: messages, and the handoff while an agent has the conversation.
        Like the web page, it names the last summary this client was shown."""
        request: Dict[str, Any] = {"message": message}
        if token in self.summary_keys:
            request["summary_key"] = self.summary_keys[token]
        status, body = self.post("/api/chat", request, token=token)
        assert status == 200, (status, body)
        for reply in body.get("messages") or []:
            key = (reply.get("data") or {}).get("summary_key")
            if key:
                self.summary_keys[token] = key
        return body

    def open_summary(self, token: str, request: str) -> str:
        """Start a task afresh ("取消" first) and return the key of the summary it shows."""
        self.say(token, "取消")
        answer = self.say(token, request)
        keys = [m["data"]["summary_key"] for m in answer["messages"] if m["data"].get("summary_key")]
        assert keys, [m["text"] for m in answer["messages"]]
        return keys[-1]

    def chat(self, token: str, message: str) -> List[Dict[str, Any]]:
        return self.say(token, message)["messages"]
