"""GET /api/admin/stats (roles ``admin`` and ``trainer``): intents, fallback and handoff rates,
top missed messages over a time range (``from``/``to`` as dates or ISO times, UTC; default the last 7 days)."""

from __future__ import annotations

from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.base import clock
from assistant.base.db.engine import session_scope
from assistant.desk.intents import label_of
from assistant.desk.stats import compute_stats
from assistant.gateway.errors import ApiError
from assistant.gateway.security import require_role
from assistant.gateway.validation import query_int, query_moment

bp = Blueprint("stats_api")
MAX_RANGE = timedelta(days=366)


@bp.get("/api/admin/stats")
@require_role("admin", "trainer")
async def stats(request: Request) -> HTTPResponse:
    end = query_moment(request, "to", end_of_day=True) or clock.utcnow() + timedelta(seconds=1)
    start = query_moment(request, "from") or end - timedelta(days=7)
    if start >= end:
        raise ApiError(400, "invalid_date", "from 应早于 to")
    if end - start > MAX_RANGE:
        raise ApiError(400, "invalid_date", "时间范围最长一年")
    top = query_int(request, "top", 10, 1, 100)
    with session_scope(request.app.ctx.settings.database_url) as session:
        stats = compute_stats(session, start, end, top)
    stats["intent_labels"] = {name: label_of(name) for name in stats["messages_per_intent"]}
    return json(stats)
