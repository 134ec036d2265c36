"""``python -m assistant.ops.launcher run|setup|serve``: what `make run` calls after the venv exists."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import List, Optional

from assistant.base.clock import check_zones
from assistant.base.config import ConfigError, Settings
from assistant.ops.stack.setup import setup_all
from assistant.ops.stack.supervisor import Supervisor, stack_services
from assistant.ops.steps.console import say
from assistant.ops.steps.model import model_path
from assistant.ops.steps.processes import die_with_parent


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def serve(settings: Settings, model: Path) -> int:
    """Run the stack until a signal arrives or a service dies; always stops every process."""
    supervisor = Supervisor(settings, stack_services(settings, model))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    try:
        supervisor.start()
        if not supervisor.wait_healthy():
            return 1
        supervisor.warm_up_rasa()
        say(f"assistant ready: http://{settings.host}:{settings.port}/  (Ctrl-C stops everything)")
        while True:
            dead = supervisor.dead()
            if dead is not None:
                code = dead.process.returncode if dead.process is not None else None
                if supervisor.restart_rasa(dead):
                    say(f"{dead.name} exited unexpectedly (code {code}); started it again")
                    continue
                say(f"{dead.name} exited unexpectedly (code {code}); stopping the stack")
                return 1
            time.sleep(0.5)
    except _Stop as stop:
        say(f"{stop}: stopping the stack")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop()
        say("stopped")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant.ops.launcher")
    parser.add_argument("command", choices=("run", "setup", "serve"))
    parser.add_argument("--model", type=Path, default=None, help="serve this model instead of the current one")
    args = parser.parse_args(argv)
    die_with_parent()  # if whatever started us (make, a shell, a test) goes away, stop too
    try:
        settings = Settings.from_env()
        try:
            check_zones()
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if args.command != "setup":
            settings.effective_jwt_secret()  # fail early, before minutes of setup
        if args.command == "serve":
            model = args.model or model_path(settings)
            if args.model is None and not model.exists():  # the data's model was refused: serve the live one
                from assistant.ops.training.live import live_model

                model = live_model(settings) or model
            if not model.exists():
                say(f"no model at {model}; run setup first")
                return 1
            return serve(settings, model)
        model = setup_all(settings)
        return serve(settings, model) if args.command == "run" else 0
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
