"""Starts the Rasa server, the action server and the gateway together, and stops them together.

Each child runs in its own process group, with a parent-death signal, so that
Ctrl-C, SIGTERM or even a killed supervisor leave no process of the stack behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from assistant.base.config import LISTEN_BACKLOG, REPO_ROOT, Settings
from assistant.ops.stack.endpoints import runtime_endpoints
from assistant.ops.steps.console import say
from assistant.ops.steps.processes import die_with_parent, serving_env
from assistant.ops.training.live import LIVE_FILE, warm_up

STOP_GRACE_S = 15.0
# A Rasa server that dies is started again, unless it had been started again less than this long ago.
RESTART_AFTER_S = 60.0


@dataclass
class Service:
    name: str
    cmd: List[str]
    log_path: Path
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    restarted: bool = False


def rasa_command(settings: Settings, port: int, model: Path) -> List[str]:
    return [
        sys.executable,
        "-m",
        "assistant.ops.stack.rasa_server",
        "--enable-api",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        str(model),
        "--endpoints",
        str(runtime_endpoints(settings)),
        "--credentials",
        "credentials.yml",
    ]


def stack_services(settings: Settings, model: Path) -> List[Service]:
    """The processes: the action server, the Rasa servers (``RASA_SERVERS``, one per core by default)
    and the gateway; their secrets travel in the environment (Supervisor.start), never in argv."""
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rasa = [
        Service(f"rasa-{i}", rasa_command(settings, settings.rasa_port + i, model), logs / f"rasa-{i}.log")
        for i in range(settings.rasa_servers)
        if not settings.rasa_server_urls  # RASA_URLS: servers run elsewhere, not by this launcher
    ]
    return [
        Service(
            "actions",
            [sys.executable, "-m", "assistant.ops.stack.action_server", "--port", str(settings.actions_port)],
            logs / "actions.log",
        ),
        *rasa,
        Service("gateway", [sys.executable, "-m", "assistant.gateway"], logs / "gateway.log"),
    ]


class Supervisor:
    def __init__(self, settings: Settings, services: List[Service]) -> None:
        self.settings = settings.with_internal_secrets()
        self.services = services
        self._stopping = False
        self._env: Dict[str, str] = {}

    def start(self) -> None:
        self.settings.save_internal_secrets()
        self.settings.rasa_servers_file.write_text(json.dumps(self.settings.rasa_urls), encoding="utf-8")
        self.settings.draining_file.unlink(missing_ok=True)  # a publisher killed mid-swap left its mark
        # SANIC_BACKLOG: Rasa's listen queue (its default, 100, overflows under 100+ conversations).
        self._env = serving_env(
            self.settings,
            {"SANIC_HOST": "127.0.0.1", "SANIC_BACKLOG": str(LISTEN_BACKLOG), **self.settings.internal_secrets_env()},
        )
        for svc in self.services:
            self._spawn(svc)

    def _spawn(self, svc: Service) -> None:
        with open(svc.log_path, "ab", buffering=0) as log:  # the child keeps its own descriptor
            svc.process = subprocess.Popen(
                svc.cmd,
                cwd=REPO_ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        svc.started_at = time.monotonic()
        say(f"started {svc.name} (pid {svc.process.pid}, log {svc.log_path})")

    def restart_rasa(self, svc: Service) -> bool:
        """Start a Rasa server that died again, with the model live now (a publish may have happened
        since the stack started); its customers were meanwhile served by the other servers. False
        when it is not a Rasa server, or it died again soon after being started again (then the stack stops)."""
        if not svc.name.startswith("rasa-"):
            return False
        if svc.restarted and time.monotonic() - svc.started_at < RESTART_AFTER_S:
            return False  # it died again right after we started it again: a crash loop, not bad luck
        live = self.settings.models_dir / LIVE_FILE
        if live.exists() and (self.settings.models_dir / live.read_text().strip()).exists():
            svc.cmd[svc.cmd.index("-m", 3) + 1] = str(self.settings.models_dir / live.read_text().strip())
        self._spawn(svc)
        svc.restarted = True
        return True

    def dead(self) -> Optional[Service]:
        for svc in self.services:
            if svc.process is not None and svc.process.poll() is not None:
                return svc
        return None

    def wait_healthy(self, timeout_s: float = 300.0) -> bool:
        """Poll the gateway's /health until every component is up, showing progress."""
        url = f"http://127.0.0.1:{self.settings.port}/health"
        started = time.monotonic()
        last_line = ""
        while time.monotonic() - started < timeout_s:
            dead = self.dead()
            if dead is not None:
                say(f"{dead.name} exited with code {dead.process.returncode}; last lines of {dead.log_path}:")
                print(tail(dead.log_path), file=sys.stderr)
                return False
            status = probe_health(url)
            if status is not None and status.get("status") == "ok":
                return True
            waiting = (
                "gateway"
                if status is None
                else ", ".join(k for k, v in status.get("components", {}).items() if not v.get("ok"))
            )
            line = f"waiting for: {waiting} ({time.monotonic() - started:.0f}s)"
            if line.split(" (")[0] != last_line.split(" (")[0] or int(time.monotonic() - started) % 10 == 0:
                say(line)
                last_line = line
            time.sleep(1.0)
        say(f"stack not healthy after {timeout_s:.0f}s; see logs in {self.settings.data_dir / 'logs'}")
        return False

    def warm_up_rasa(self) -> None:
        """Every Rasa server this launcher runs parses a few messages before the stack says it is ready
        (servers named in RASA_URLS run elsewhere: their own launcher warms them up)."""
        if self.settings.rasa_server_urls:
            return
        for url in self.settings.rasa_urls:
            warm_up(self.settings, url)

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is still there after the grace period."""
        if self._stopping:
            return
        self._stopping = True
        for svc in reversed(self.services):
            _signal_group(svc.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for svc in self.services:
            if svc.process is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                svc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(svc.process, signal.SIGKILL)  # children of the child, if any lingered
            if svc.process.poll() is None:
                svc.process.wait(timeout=5)
        self.settings.secrets_file.unlink(missing_ok=True)
        self.settings.rasa_servers_file.unlink(missing_ok=True)


def _signal_group(process: Optional[subprocess.Popen], sig: int) -> None:
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def probe_health(url: str) -> Optional[Dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read().decode())
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read().decode())
        except ValueError:
            return None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
