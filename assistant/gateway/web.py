"""The web page (chat panel + search box) and, in dev only, a token for it."""

from __future__ import annotations

import re
from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file, json

from assistant.base.auth import AMR_VALUES, DEFAULT_AMR, ROLES, mint_token
from assistant.gateway.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent / "static"
# A static file's name: checked before the file system sees it (a 300-character name raised ENAMETOOLONG).
_STATIC_NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
bp = Blueprint("web")


async def _page(name: str) -> HTTPResponse:
    return await file(STATIC_DIR / name, mime_type="text/html; charset=utf-8")


@bp.get("/")
async def index(_: Request) -> HTTPResponse:
    """The customer's chat and search page."""
    return await _page("index.html")


@bp.get("/agent")
async def agent_page(_: Request) -> HTTPResponse:
    """The agents' desk: queue, transcript, replies (it calls the agent API with an agent token)."""
    return await _page("agent.html")


@bp.get("/trainer")
async def trainer_page(_: Request) -> HTTPResponse:
    """The trainers' inbox, retraining and statistics."""
    return await _page("trainer.html")


@bp.get("/risk")
async def risk_page(_: Request) -> HTTPResponse:
    """The back office's review queue of held transfers (it calls the risk API with a ``risk`` token)."""
    return await _page("risk.html")


@bp.get("/static/<name:str>")
async def static(_: Request, name: str) -> HTTPResponse:
    if not _STATIC_NAME_RE.fullmatch(name):
        raise ApiError(404, "not_found", "请求的资源不存在")
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        raise ApiError(404, "not_found", "请求的资源不存在")
    return await file(path)


@bp.get("/api/dev/token")
async def dev_token(request: Request) -> HTTPResponse:
    """A token for the page's demo login; does not exist outside ASSISTANT_ENV=dev. ``amr`` says how the
    demo customer "logged in" (password, sms, device_key), so the adaptive limits can be tried."""
    if not request.app.ctx.settings.is_dev:
        raise ApiError(404, "not_found", "请求的资源不存在")
    sub = request.args.get("sub", "demo")
    role = request.args.get("role", "customer")
    amr = request.args.get("amr", DEFAULT_AMR)
    if role not in ROLES:
        raise ApiError(400, "invalid_role", "未知的角色")
    if amr not in AMR_VALUES:
        raise ApiError(400, "invalid_amr", "未知的登录方式")
    try:
        token = mint_token(request.app.ctx.jwt_secret, sub, role, amr=amr)
    except ValueError as exc:
        raise ApiError(400, "invalid_subject", "用户名不合法") from exc
    return json({"token": token, "sub": sub, "role": role, "amr": amr})
