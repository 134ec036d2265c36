"""Smart search on the gateway: /api/search, /api/suggest (as you type) and /api/click."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.gateway.errors import ApiError
from assistant.gateway.rate_limit import rate_limited
from assistant.gateway.security import principal_of, require_role
from assistant.gateway.validation import json_object, query_int, strip_controls
from search_index.catalog import ENTRY_TYPES
from search_index.service import SearchUnavailable

bp = Blueprint("search_api")
MAX_QUERY_CHARS = 100
MAX_LIMIT = 50
SUGGESTIONS = 10
TYPE_LABELS = {"function": "功能", "product": "产品", "life": "生活", "faq": "问答"}


def _query(request: Request) -> str:
    raw = request.args.get("q", "")
    if len(raw) > MAX_QUERY_CHARS:
        raise ApiError(400, "query_too_long", f"搜索词太长了，请控制在 {MAX_QUERY_CHARS} 字以内")
    return strip_controls(raw).strip()


def _types(request: Request) -> Optional[List[str]]:
    raw = request.args.get("type")
    if not raw:
        return None
    types = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in ENTRY_TYPES]
    if unknown:
        raise ApiError(400, "invalid_type", f"type 只能是 {', '.join(ENTRY_TYPES)}")
    return types


def _boosts(request: Request) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Learned popularity for everyone; the caller's own preferences when a customer token is sent."""
    clicks = request.app.ctx.clicks
    principal = principal_of(request, optional=True)
    personal = clicks.preferences(principal.sub) if principal and principal.role == "customer" else {}
    return clicks.popularity(), personal


def _run(request: Request, q: str, limit: int, types: Optional[List[str]]) -> Tuple[List[Any], float]:
    popularity, personal = _boosts(request)
    started = time.perf_counter()
    try:
        hits = (
            request.app.ctx.search.search(
                q, limit=limit, types=types, popularity_boost=popularity, personal_boost=personal
            )
            if q
            else []
        )
    except SearchUnavailable as exc:
        raise ApiError(503, "search_unavailable", "搜索服务正在准备中，请稍后再试") from exc
    return hits, round((time.perf_counter() - started) * 1000, 2)


@bp.get("/api/search")
@rate_limited("search")
async def search(request: Request) -> HTTPResponse:
    q = _query(request)
    hits, took = _run(request, q, query_int(request, "limit", 10, 1, MAX_LIMIT, "invalid_limit"), _types(request))
    return json({"query": q, "results": [h.to_json() for h in hits], "took_ms": took})


@bp.get("/api/suggest")
@rate_limited("search")
async def suggest(request: Request) -> HTTPResponse:
    q = _query(request)
    hits, took = _run(request, q, SUGGESTIONS, _types(request))
    return json(
        {
            "query": q,
            "took_ms": took,
            "suggestions": [
                {
                    "id": h.id,
                    "title": h.title,
                    "type": h.type,
                    "type_label": TYPE_LABELS.get(h.type, h.type),
                    "deeplink": h.deeplink,
                    "match": h.match,
                }
                for h in hits
            ],
        }
    )


@bp.post("/api/click")
@require_role("customer")
@rate_limited("search")
async def click(request: Request) -> HTTPResponse:
    body = json_object(request)
    entry_id, query = body.get("id"), body.get("query", "")
    if not isinstance(entry_id, str) or not entry_id or len(entry_id) > 64:
        raise ApiError(400, "invalid_id", "id 应为搜索结果的编号")
    if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
        raise ApiError(400, "invalid_query", "query 不合法")
    if request.app.ctx.search.entry(entry_id) is None:
        raise ApiError(404, "unknown_entry", "没有这个搜索结果")
    request.app.ctx.clicks.record(request.ctx.principal.sub, entry_id, strip_controls(query))
    return json({"ok": True})
