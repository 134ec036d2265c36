"""Child processes of the stack: their environment, their console scripts, and a life tied to the
parent's (Linux PR_SET_PDEATHSIG), so no part of the stack outlives the command that started it —
even when that command is killed outright."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path
from typing import Dict, Optional

from assistant.base.config import REPO_ROOT, Settings

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Get SIGTERM when the parent process dies (use as preexec_fn for children, or call in-process).
    Not Linux/glibc: the explicit stop on signals still applies."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def venv_bin(name: str) -> str:
    """A console script of the running interpreter's environment (the project's .venv)."""
    return str(Path(sys.executable).parent / name)


def child_env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for every process of the stack: repo importable, no telemetry, quiet TF."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["ASSISTANT_DATA_DIR"] = str(settings.data_dir)
    env["DATABASE_URL"] = settings.database_url
    env["SEARCH_INDEX_DIR"] = str(settings.search_index_dir)
    env["ACTION_ENDPOINT_URL"] = f"{settings.actions_url}/webhook"
    env["RASA_PORT"] = str(settings.rasa_port)
    env["RASA_SERVERS"] = str(settings.rasa_servers)
    env.update(extra or {})
    return env


# The serving processes' defaults (a variable already set in the environment wins).
SERVING_DEFAULTS = {
    # One compute thread per process: each server handles one request at a time on its event loop and
    # the stack runs one Rasa server and one action worker per core, so the math libraries' own thread
    # pools only spun (the FAQ answer's embedding cost 105 ms of CPU with them, 28 ms without).
    # Training keeps them: it has the cores to itself.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",  # read by Rasa (rasa.utils.tensorflow.environment)
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    # Two malloc arenas instead of eight per core: TensorFlow's threads otherwise keep memory in many.
    "MALLOC_ARENA_MAX": "2",
    # TensorFlow's oneDNN kernels are slower on DIET's small matrices (a parse took 6.6 ms of CPU with
    # them, 5.9 without; the same confidences to six places) and hold ~25 MB more per Rasa server.
    "TF_ENABLE_ONEDNN_OPTS": "0",
}


def serving_env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """``child_env`` for the processes that answer customers (gateway, Rasa servers, action server)."""
    env = child_env(settings, extra)
    for name, value in SERVING_DEFAULTS.items():
        env.setdefault(name, value)
    return env
