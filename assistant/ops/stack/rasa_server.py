"""``python -m assistant.ops.stack.rasa_server <rasa run arguments>``: ``rasa run`` with the API token
taken from the environment (RASA_AUTH_TOKEN), so that it never appears on a command line, where
every local user could read it in /proc/<pid>/cmdline."""

from __future__ import annotations

import os
import sys
from typing import List

from assistant.base.config import RASA_TOKEN_ENV as TOKEN_ENV


def rasa_argv(args: List[str], token: str) -> List[str]:
    """The argv for Rasa's own CLI: ``rasa run …`` plus the token (refused on our command line)."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("pass the API token in RASA_AUTH_TOKEN, not on the command line")
    if not token:
        raise SystemExit(f"{TOKEN_ENV} is not set: Rasa's HTTP API would be open to every local process")
    # One argument: a generated token may begin with "-" (token_urlsafe), which argparse would read as
    # an option after a separate "--auth-token" (1 start in 64 failed with "expected one argument").
    return ["rasa", "run", *args, f"--auth-token={token}"]


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:], os.environ.get(TOKEN_ENV, ""))
    from assistant.base.log_masking import install
    from assistant.ops.stack.free_memory import trim_periodically
    from assistant.ops.stack.long_lived import freeze_after_model_loads
    from assistant.ops.stack.rasa_speedups import speed_up_rasa

    install()  # no card or phone number, no code reaches rasa.log in clear
    speed_up_rasa()
    freeze_after_model_loads()  # no full garbage collection walks the model during a customer's turn
    trim_periodically()  # freed model-loading memory goes back to the system (each server ≤ 1.2 GB)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
