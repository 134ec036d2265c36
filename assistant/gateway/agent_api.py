"""The agents' API (role ``agent``): the queue, claiming, transcript, replies, close or return to the bot.
An agent sees only conversations waiting in the queue or claimed by themselves."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.base.db.engine import session_scope
from assistant.desk.handoffs import (
    agent_queue,
    agent_reply,
    claim,
    end_handoff,
    handoff_view,
    line_view,
    visible_handoff,
)
from assistant.gateway.security import require_role
from assistant.gateway.validation import clean_text, json_object, path_id

bp = Blueprint("agent_api")
MAX_REPLY_CHARS = 1000


def _db(request: Request) -> str:
    return request.app.ctx.settings.database_url


def _agent(request: Request) -> str:
    return request.ctx.principal.sub


@bp.get("/api/agent/handoffs")
@require_role("agent")
async def queue(request: Request) -> HTTPResponse:
    with session_scope(_db(request)) as session:
        return json({"handoffs": agent_queue(session, _agent(request))})


@bp.get("/api/agent/handoffs/<handoff_id:int>")
@require_role("agent")
async def transcript(request: Request, handoff_id: int) -> HTTPResponse:
    with session_scope(_db(request)) as session:
        handoff = visible_handoff(session, path_id(handoff_id), _agent(request))
        return json(
            {"handoff": handoff_view(session, handoff), "transcript": [line_view(line) for line in handoff.messages]}
        )


@bp.post("/api/agent/handoffs/<handoff_id:int>/claim")
@require_role("agent")
async def claim_handoff(request: Request, handoff_id: int) -> HTTPResponse:
    with session_scope(_db(request), write=True) as session:
        return json({"handoff": handoff_view(session, claim(session, path_id(handoff_id), _agent(request)))})


@bp.post("/api/agent/handoffs/<handoff_id:int>/messages")
@require_role("agent")
async def reply(request: Request, handoff_id: int) -> HTTPResponse:
    handoff_id = path_id(handoff_id)
    text = clean_text(json_object(request).get("text"), field="text", max_chars=MAX_REPLY_CHARS)
    with session_scope(_db(request), write=True) as session:
        return json({"message": line_view(agent_reply(session, handoff_id, _agent(request), text))}, status=201)


async def _end(request: Request, handoff_id: int, outcome: str) -> HTTPResponse:
    with session_scope(_db(request), write=True) as session:
        return json(
            {"handoff": handoff_view(session, end_handoff(session, path_id(handoff_id), _agent(request), outcome))}
        )


@bp.post("/api/agent/handoffs/<handoff_id:int>/close")
@require_role("agent")
async def close(request: Request, handoff_id: int) -> HTTPResponse:
    return await _end(request, handoff_id, "closed")


@bp.post("/api/agent/handoffs/<handoff_id:int>/return")
@require_role("agent")
async def return_to_bot(request: Request, handoff_id: int) -> HTTPResponse:
    return await _end(request, handoff_id, "returned")
