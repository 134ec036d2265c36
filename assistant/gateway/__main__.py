"""Run the gateway: ``python -m assistant.gateway`` (host/port from the environment)."""

from __future__ import annotations

import logging
import sys

from assistant.base.config import LISTEN_BACKLOG, ConfigError, Settings
from assistant.base.log_masking import install as mask_logs


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gateway %(levelname)s %(message)s")
    mask_logs()  # no card number, phone number or code in the log (assistant/base/log_masking.py)
    try:
        settings = Settings.from_env()
        from assistant.gateway.app import create_app

        app = create_app(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1, backlog=LISTEN_BACKLOG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
