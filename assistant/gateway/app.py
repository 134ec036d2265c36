"""Builds the gateway Sanic app from settings; ``python -m assistant.gateway`` runs it."""

from __future__ import annotations

import contextlib
import os

from sanic import Sanic
from sanic.http import Http

from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.base.config import CHANNEL_SECRET_ENV, ConfigError, Settings
from assistant.base.db.engine import session_scope
from assistant.gateway import agent_api, bank_api, chat, health, risk_api, search_api, stats_api, trainer_api, web
from assistant.gateway.errors import quiet_sanic_errors, register_error_handlers
from assistant.gateway.protocol import GatewayApp
from assistant.gateway.rasa_pool import RasaPool
from assistant.gateway.rate_limit import limits_from_env
from assistant.ops.stack.long_lived import freeze_long_lived
from assistant.ops.training.jobs import TrainingJobs
from search_index.clicks import ClickStats
from search_index.service import SearchService, SearchUnavailable

MAX_BODY_BYTES = 64 * 1024
MAX_HEADER_BYTES = 60 * 1024
# Every blueprint the gateway serves (the security fuzz test walks the routes of exactly these).
BLUEPRINT_MODULES = (chat, health, web, bank_api, search_api, agent_api, trainer_api, stats_api, risk_api)


def create_app(settings: Settings, name: str = "assistant_gateway") -> Sanic:
    settings.check_bind()  # dev mode (tokens of any role for anyone) only on loopback
    jwt_secret = settings.effective_jwt_secret()  # refuses the dev secret outside dev: fail before serving
    if not settings.channel_secret:
        raise ConfigError(
            f"{CHANNEL_SECRET_ENV} is not set: the gateway cannot reach Rasa's channel "
            "(the launcher generates it; set it when starting the gateway by hand)"
        )
    rate_limits = limits_from_env(os.environ)  # a bad ASSISTANT_RATE_* fails here too
    app = GatewayApp(name)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Long (hostile) search URLs — 10 KB of Chinese is ~30 KB percent-encoded — must reach the handler
    # and get its 400 rather than a protocol-level 413; Sanic caps header size at HEADER_CEILING.
    Http.HEADER_CEILING = max(Http.HEADER_CEILING, MAX_HEADER_BYTES)
    app.config.REQUEST_MAX_HEADER_SIZE = MAX_HEADER_BYTES
    app.ctx.settings = settings
    app.ctx.jwt_secret = jwt_secret
    app.ctx.rate_limits = rate_limits
    app.ctx.rasa = RasaPool(
        settings.rasa_urls, settings.rasa_auth_token, settings.channel_secret, settings.draining_file
    )
    app.ctx.search = SearchService(settings.search_index_dir)
    app.ctx.bank = BankService(settings.database_url)
    app.ctx.clicks = ClickStats(settings.database_url)
    app.ctx.training = TrainingJobs(settings)

    for module in BLUEPRINT_MODULES:
        app.blueprint(module.bp)
    register_error_handlers(app)
    quiet_sanic_errors()

    @app.before_server_start
    async def _start(app_: Sanic, _loop) -> None:
        if settings.is_dev:  # demo customers only in dev: a bank's database gets none
            with session_scope(settings.database_url, write=True) as session:
                seed_demo_data(session)
        await app_.ctx.rasa.start()
        # The index, jieba and pypinyin, loaded before customers (not built yet: /health says so).
        with contextlib.suppress(SearchUnavailable):
            app_.ctx.search.search("转账", limit=1)
        freeze_long_lived()  # and kept out of every later garbage collection (no pause mid-request)

    @app.after_server_stop
    async def _stop(app_: Sanic, _loop) -> None:
        await app_.ctx.training.stop()
        await app_.ctx.rasa.close()

    return app
