"""GET /health: 200 only when the gateway, Rasa, the action server, the database and the index are up."""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import aiohttp
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import text

from assistant.base.db.engine import engine_for

bp = Blueprint("health")


async def _rasa(app: Any) -> Dict[str, Any]:
    """Up when every Rasa server is (a lost server's customers are served by the others meanwhile, but
    the stack is degraded until it is back); ``model``: the model they serve, or all of them mid-publish."""
    servers = await app.ctx.rasa.statuses()
    models = sorted({s["model"] for s in servers.values() if s["ok"]})
    summary: Dict[str, Any] = {"ok": all(s["ok"] for s in servers.values()), "servers": servers}
    summary["model"] = models[0] if len(models) == 1 else models
    if not summary["ok"]:
        summary["detail"] = "; ".join(f"{url}: {s['detail']}" for url, s in servers.items() if not s["ok"])
    return summary


async def _actions(app: Any) -> Dict[str, Any]:
    url = f"{app.ctx.settings.actions_url}/health"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
            session.get(url) as resp,
        ):
            return {"ok": resp.status == 200}
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return {"ok": False, "detail": str(exc) or type(exc).__name__}


def _database(app: Any) -> Dict[str, Any]:
    try:
        with engine_for(app.ctx.settings.database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "detail": type(exc).__name__}


def _index(app: Any) -> Dict[str, Any]:
    return app.ctx.search.health()


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    app = request.app
    rasa, actions = await asyncio.gather(_rasa(app), _actions(app))
    components = {
        "gateway": {"ok": True},
        "rasa": rasa,
        "actions": actions,
        "database": _database(app),
        "index": _index(app),
    }
    ok = all(c["ok"] for c in components.values())
    return json({"status": "ok" if ok else "degraded", "components": components}, status=200 if ok else 503)
