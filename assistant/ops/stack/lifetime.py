"""Tie a process's life to its parent's (Linux PR_SET_PDEATHSIG), so no part of the stack outlives
the command that started it — even when that command is killed outright."""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Get SIGTERM when the parent process dies (use as preexec_fn for children, or call in-process)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux/glibc: the explicit stop on signals still applies
        pass
