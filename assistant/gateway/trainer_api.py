"""The trainers' API (roles ``trainer`` and ``admin``): the NLU inbox (list, label, dismiss) and
retraining with publication to the running bot."""

from __future__ import annotations

import asyncio

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.base.db.engine import session_scope
from assistant.desk.inbox import STATUSES, item_view, list_items
from assistant.desk.intents import label_of
from assistant.gateway.errors import ApiError
from assistant.gateway.security import require_role
from assistant.gateway.validation import json_object, path_id, query_int
from assistant.ops.training.inbox_actions import dismiss_item, label_item
from assistant.ops.training.labels import domain_names, parse_entities

bp = Blueprint("trainer_api")
TRAINERS = ("trainer", "admin")


@bp.get("/api/trainer/inbox")
@require_role(*TRAINERS)
async def inbox(request: Request) -> HTTPResponse:
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise ApiError(400, "invalid_status", "status 应为 open、labelled 或 dismissed")
    limit = query_int(request, "limit", 100, 1, 500)
    settings = request.app.ctx.settings
    names = domain_names(settings)
    with session_scope(settings.database_url) as session:
        items = [item_view(i) for i in list_items(session, status, limit)]
    return json(
        {
            "items": items,
            "intents": [{"name": i, "label": label_of(i)} for i in sorted(names["intents"])],
            "entities": sorted(names["entities"]),
        }
    )


@bp.post("/api/trainer/inbox/<item_id:int>/label")
@require_role(*TRAINERS)
async def label(request: Request, item_id: int) -> HTTPResponse:
    item_id = path_id(item_id)
    body = json_object(request)
    intent = body.get("intent")
    if not isinstance(intent, str) or not intent.strip():
        raise ApiError(400, "invalid_intent", "请选择意图")
    spans = parse_entities(body.get("entities"))
    # Writing the file and `rasa data validate` take seconds: off the event loop.
    result = await asyncio.to_thread(
        label_item, request.app.ctx.settings, item_id, intent.strip(), spans, request.ctx.principal.sub
    )
    return json(result)


@bp.post("/api/trainer/inbox/<item_id:int>/dismiss")
@require_role(*TRAINERS)
async def dismiss(request: Request, item_id: int) -> HTTPResponse:
    return json(dismiss_item(request.app.ctx.settings, path_id(item_id), request.ctx.principal.sub))


@bp.post("/api/trainer/train")
@require_role(*TRAINERS)
async def train(request: Request) -> HTTPResponse:
    """Start train → check → publish; ``{"force": true}`` publishes a refused model after review."""
    force = json_object(request).get("force", False) if request.body else False
    if not isinstance(force, bool):
        raise ApiError(400, "invalid_force", "force 应为 true 或 false")
    return json({"job": await request.app.ctx.training.start(request.ctx.principal.sub, force)}, status=202)


@bp.get("/api/trainer/train")
@require_role(*TRAINERS)
async def training_state(request: Request) -> HTTPResponse:
    return json({"job": request.app.ctx.training.state()})
