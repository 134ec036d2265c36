"""Read APIs for the app and tests: the calling customer's own accounts, transactions and book."""

from __future__ import annotations

from datetime import date
from typing import Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.bank.book import by_category
from assistant.bank.protocol import CoreBanking
from assistant.base.money import format_cny
from assistant.gateway.errors import ApiError
from assistant.gateway.security import require_role
from assistant.gateway.validation import query_date, query_int

bp = Blueprint("bank_api")
MAX_FILTER_CHARS = 32


def _bank(request: Request) -> CoreBanking:
    return request.app.ctx.bank


def _text(request: Request, name: str) -> Optional[str]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_FILTER_CHARS or any(ord(ch) < 32 for ch in raw):
        raise ApiError(400, "invalid_parameter", f"{name} 不合法")
    return raw


def _range(request: Request) -> Tuple[Optional[date], Optional[date]]:
    start, end = query_date(request, "start"), query_date(request, "end")
    if start and end and start > end:
        raise ApiError(400, "invalid_date", "start 不能晚于 end")
    return start, end


@bp.get("/api/accounts")
@require_role("customer")
async def accounts(request: Request) -> HTTPResponse:
    return json({"accounts": [a.to_json() for a in _bank(request).accounts(request.ctx.principal.sub)]})


@bp.get("/api/transactions")
@require_role("customer")
async def transactions(request: Request) -> HTTPResponse:
    customer = request.ctx.principal.sub
    start, end = _range(request)
    account_id = None
    wanted = _text(request, "account")
    if wanted:
        found = next((a for a in _bank(request).accounts(customer) if wanted in (a.last4, str(a.id))), None)
        if found is None:
            raise ApiError(404, "account_not_found", "没有找到该账户")
        account_id = found.id
    page = _bank(request).history(
        customer,
        account_id=account_id,
        start=start,
        end=end,
        counterparty=_text(request, "counterparty"),
        category=_text(request, "category"),
        page=query_int(request, "page", 1, 1, 10_000),
        size=query_int(request, "size", 20, 1, 100),
    )
    return json(
        {
            "items": page.items,
            "total": page.total,
            "page": page.page,
            "size": page.size,
            "spent_cents": page.spent_cents,
            "received_cents": page.received_cents,
        }
    )


@bp.get("/api/book")
@require_role("customer")
async def book(request: Request) -> HTTPResponse:
    start, end = _range(request)
    direction = _text(request, "direction")
    if direction not in (None, "expense", "income"):
        raise ApiError(400, "invalid_parameter", "direction 应为 expense 或 income")
    records = _bank(request).book_records(request.ctx.principal.sub, start, end, _text(request, "category"), direction)
    totals = by_category([r for r in records if r.direction == "expense"])
    return json(
        {
            "records": [r.to_json() for r in records],
            "expense_by_category": [
                {"category": c, "amount_cents": v, "amount": format_cny(v)} for c, v in totals.items()
            ],
        }
    )


@bp.get("/api/dev/outbox")
@require_role("customer")
async def outbox(request: Request) -> HTTPResponse:
    """The SMS codes "sent" to this customer, newest first; exists only with ASSISTANT_ENV=dev."""
    if not request.app.ctx.settings.is_dev:
        raise ApiError(404, "not_found", "请求的资源不存在")
    return json({"messages": _bank(request).outbox(request.ctx.principal.sub)})
