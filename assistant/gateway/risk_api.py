"""The back office's API (role ``risk``): transfers the bank held for review, with their reasons and the
customer's conversation leading up to them, to release (the money moves, once) or cancel (the reservation
is freed). The bank decides atomically and audits who decided; this face only shows and relays.

Only the review queue's people see it: customers and agents get 403 like on every role-guarded route.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.protocol import CoreBanking
from assistant.bank.types import BankError, HeldView
from assistant.base.clock import iso_utc
from assistant.base.db.engine import session_scope
from assistant.base.db.models import ChatTurn
from assistant.base.masking import mask_sensitive
from assistant.gateway.errors import ApiError
from assistant.gateway.security import require_role
from assistant.gateway.validation import path_id

bp = Blueprint("risk_api")
STATUSES = ("held", "released", "cancelled")
CONVERSATION_LINES = 10
# The message that made the hold is logged just after the bank decided (the log follows the bot's answer).
CONVERSATION_SLACK = timedelta(minutes=2)


def _bank(request: Request) -> CoreBanking:
    return request.app.ctx.bank


def _reviewer(request: Request) -> str:
    return request.ctx.principal.sub


def masked_recipient(label: str) -> str:
    """张三（工商银行 尾号1234） → 张*（工商银行 尾号1234）: the reviewer recognises the payee without reading
    a full name; the customer's own accounts (本人…) are shown as they are."""
    if label.startswith("本人"):
        return label
    name, bracket, rest = label.partition("（")
    return (name[:1] + "*" * max(1, len(name) - 1) if name else "") + bracket + rest


def conversation(session: Session, customer_id: str, until: datetime) -> List[Dict[str, Any]]:
    """The customer's last messages up to the hold (masked as logged, masked again for safety), oldest first."""
    rows = session.scalars(
        select(ChatTurn)
        .where(ChatTurn.customer_id == customer_id, ChatTurn.at <= until + CONVERSATION_SLACK)
        .order_by(ChatTurn.id.desc())
        .limit(CONVERSATION_LINES)
    ).all()
    return [{"at": iso_utc(t.at), "text": mask_sensitive(t.text), "outcome": t.outcome} for t in reversed(rows)]


def held_json(held: HeldView, lines: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One held transfer as the page shows it."""
    out = held.to_json()
    out["recipient"] = masked_recipient(held.recipient_label)
    out["conversation"] = lines
    return out


def _refused(err: BankError) -> HTTPResponse:
    """A decision the bank refused: 404 for an unknown hold, 409 with what it is now for any other."""
    if err.code == "held_not_found":
        raise ApiError(404, "not_found", err.message)
    body: Dict[str, Any] = {"error": {"code": err.code, "message": err.message}}
    if err.code == "held_already_decided":
        body["status"] = err.detail.get("status")
        body["decided_by"] = err.detail.get("decided_by")
    return json(body, status=409)


@bp.get("/api/risk/held")
@require_role("risk")
async def held(request: Request) -> HTTPResponse:
    status = request.args.get("status", "held")
    if status not in STATUSES:
        raise ApiError(400, "invalid_status", "状态只能是 held、released 或 cancelled")
    items = _bank(request).held_transfers(status)
    with session_scope(request.app.ctx.settings.database_url) as session:
        found = [held_json(h, conversation(session, h.customer_id, h.created_at)) for h in items]
    return json({"held": found})


@bp.post("/api/risk/held/<held_id:int>/release")
@require_role("risk")
async def release(request: Request, held_id: int) -> HTTPResponse:
    try:
        receipt = _bank(request).release_held(path_id(held_id), _reviewer(request))
    except BankError as err:
        return _refused(err)
    return json({"status": "released", "receipt": receipt.to_json()})


@bp.post("/api/risk/held/<held_id:int>/cancel")
@require_role("risk")
async def cancel(request: Request, held_id: int) -> HTTPResponse:
    try:
        view = _bank(request).cancel_held(path_id(held_id), _reviewer(request))
    except BankError as err:
        return _refused(err)
    return json({"status": "cancelled", "held": held_json(view, [])})
