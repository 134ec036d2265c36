"""``python -m assistant.ops.stack.action_server --port N``: rasa_sdk's action server, built here so that
it answers only the Rasa server of this stack.

* Every request but ``/health`` must carry the shared secret Rasa sends (``X-Action-Secret``,
  from ACTION_SERVER_SECRET in the environment): a local process can no longer post a forged
  tracker and run ``action_submit_transfer`` for any customer.
* An action that fails answers a short JSON error — rasa_sdk's own handler echoes the whole
  request body (the tracker, with the customer's messages) into the response and the log.
* It binds to loopback unless ACTIONS_HOST says otherwise (Rasa on other hosts) and keeps a deep listen backlog, so bursts of turns queue instead of
  being refused.
"""

from __future__ import annotations

import argparse
import hmac
import importlib
import logging
import os
import sys
from typing import Callable, List, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.base.config import ACTION_SECRET_ENV, ACTION_SECRET_HEADER, LISTEN_BACKLOG
from assistant.base.log_masking import install
from assistant.ops.stack.long_lived import freeze_long_lived

OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def create_action_app(secret: str, package: str = "actions", warm_up: Optional[Callable[[], None]] = None) -> Sanic:
    """rasa_sdk's app for ``package`` behind the shared-secret check; ``warm_up`` runs in every worker
    before it listens (loading models there instead of in a customer's first turn)."""
    if not secret:
        raise ValueError(f"{ACTION_SECRET_ENV} is not set: the action server refuses to run without a secret")
    from rasa_sdk.endpoint import create_app

    app = create_app(package, cors_origins=None)
    expected = secret.encode("utf-8")

    @app.on_request
    async def require_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(ACTION_SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "action server secret missing or wrong"}, status=401)
        return None

    async def failed(_: Request, exc: Exception) -> HTTPResponse:
        logger.error("action failed: %s", type(exc).__name__, exc_info=exc)
        return response.json({"error": "action failed"}, status=500)

    app.error_handler.add(Exception, failed)
    if warm_up is not None:

        @app.before_server_start
        async def warm(*_: object) -> None:
            warm_up()
            freeze_long_lived()  # the models just loaded stay out of every later garbage collection

    return app


def _warm_up(package: str) -> Optional[Callable[[], None]]:
    """The package's ``services.warm_up``, when it has one."""
    try:
        return getattr(importlib.import_module(f"{package}.services"), "warm_up", None)
    except ImportError:
        return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant.ops.stack.action_server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    parser.add_argument(
        "--host",
        default=os.environ.get("ACTIONS_HOST") or "127.0.0.1",
        help="address to listen on (ACTIONS_HOST; loopback unless Rasa runs on another host)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ACTION_WORKERS") or os.cpu_count() or 1),
        help="worker processes sharing the port (ACTION_WORKERS; default one per core): actions keep no "
        "state between calls, so any worker may run any conversation's action",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s actions %(levelname)s %(name)s %(message)s")
    install()  # no card or phone number, no code reaches actions.log in clear
    try:
        app = create_action_app(os.environ.get(ACTION_SECRET_ENV, ""), args.actions, warm_up=_warm_up(args.actions))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        backlog=LISTEN_BACKLOG,
        access_log=False,
        motd=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
