"""Input checks shared by the endpoints: bad input gets a clear 400 and changes nothing."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from sanic.exceptions import InvalidUsage
from sanic.request import Request

from assistant.bank.types import EARLIEST_DATE, LATEST_DATE
from assistant.base.config import MAX_MESSAGE_CHARS
from assistant.gateway.errors import ApiError

# Database ids are signed 64-bit: a larger one is refused before it reaches SQL (OverflowError there).
MAX_ID = 2**62
MAX_DATE_CHARS = 40
MAX_JSON_INT = 2**63 - 1
MAX_JSON_DEPTH = 32  # no endpoint takes more than a few levels
# Invisible and control characters and lone UTF-16 surrogates (JSON may carry "\ud800", which no
# database or log can encode); tab and line breaks are listed apart so messages can keep them as spaces.
_INVISIBLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff\ud800-\udfff"
_CONTROL_RE = re.compile(f"[{_INVISIBLE}]")
_CONTROL_OR_BREAK_RE = re.compile(f"[{_INVISIBLE}\t\n\r]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """Text without control characters, invisible marks, tabs or line breaks (search terms, ids)."""
    return _CONTROL_OR_BREAK_RE.sub("", text)


def query_int(request: Request, name: str, default: int, low: int, high: int, code: str = "invalid_parameter") -> int:
    """An integer query parameter within [low, high]; absent means ``default``, anything else is a 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, code, f"{name} 应为整数") from exc
    if not low <= value <= high:
        raise ApiError(400, code, f"{name} 应在 {low} 到 {high} 之间")
    return value


def path_id(value: int) -> int:
    """A database id from the URL path; one that cannot exist (0, negative, past 64 bits) is a 404."""
    if not 1 <= value <= MAX_ID:
        raise ApiError(404, "not_found", "请求的资源不存在")
    return value


def _raw_date_arg(request: Request, name: str) -> Optional[str]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_DATE_CHARS:
        raise ApiError(400, "invalid_date", f"{name} 应为 YYYY-MM-DD 格式的日期")
    return raw


def _check_date_range(name: str, day: date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ApiError(400, "invalid_date", f"{name} 应在 {EARLIEST_DATE} 到 {LATEST_DATE} 之间")


def query_date(request: Request, name: str) -> Optional[date]:
    """A ``YYYY-MM-DD`` query parameter between EARLIEST_DATE and LATEST_DATE; absent is None, else a 400."""
    raw = _raw_date_arg(request, name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_date", f"{name} 应为 YYYY-MM-DD 格式的日期") from exc
    _check_date_range(name, day)
    return day


def query_moment(request: Request, name: str, end_of_day: bool = False) -> Optional[datetime]:
    """A date or ISO time query parameter as a naive UTC datetime, bounded like ``query_date``.

    A bare date means its start, or with ``end_of_day`` the start of the next day (a whole-day "to")."""
    raw = _raw_date_arg(request, name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.removesuffix("Z"))
    except ValueError as exc:
        raise ApiError(400, "invalid_date", f"{name} 应为 YYYY-MM-DD 或 ISO 时间") from exc
    _check_date_range(name, moment.date())  # before any arithmetic: 9999-12-31 + 1 day overflows
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if end_of_day and len(raw) == 10:
        moment += timedelta(days=1)
    return moment


def _check_json(value: Any) -> Tuple[Optional[str], bool]:
    """(why the parsed JSON cannot be used or None, whether a string holds a lone surrogate).

    Unusable: a number no endpoint takes (inf/nan from 1e999999, an integer past 64 bits, which would
    overflow later) or nesting deeper than MAX_JSON_DEPTH. Iterative, so a deep body cannot exhaust the stack."""
    pending: List[Tuple[Any, int]] = [(value, 1)]
    surrogates = False
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            surrogates = surrogates or _SURROGATE_RE.search(item) is not None
        elif isinstance(item, float) and not math.isfinite(item) or isinstance(item, int) and abs(item) > MAX_JSON_INT:
            return "请求内容包含无效的数字", surrogates
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return "请求内容嵌套太深", surrogates
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return None, surrogates


def _without_surrogates(value: Any) -> Any:
    """A copy without lone surrogates in any string (depth is bounded by _check_json)."""
    if isinstance(value, str):
        return _SURROGATE_RE.sub("", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    return value


def json_object(request: Request) -> Dict[str, Any]:
    """The request body as a JSON object of plausible numbers, or a 400. Lone surrogates (JSON "\\ud800")
    are removed from every string, as clean_text removes control characters: no encoder or database
    takes them, and a handler must not fail on them after it acted."""
    try:
        body = request.json
    except InvalidUsage as exc:
        raise ApiError(400, "invalid_json", "请求内容不是有效的 JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "请求内容应为 JSON 对象")
    problem, surrogates = _check_json(body)
    if problem:
        raise ApiError(400, "invalid_json", problem)
    return _without_surrogates(body) if surrogates else body


def clean_text(value: Any, field: str = "message", max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """A user's text without control characters; empty or over-long text is refused."""
    if not isinstance(value, str):
        raise ApiError(400, "invalid_message", f"{field} 应为文字")
    text = _CONTROL_RE.sub("", unicodedata.normalize("NFC", value)).replace("\r", " ").replace("\n", " ").strip()
    if not text:
        raise ApiError(400, "empty_message", "消息内容不能为空")
    if len(text) > max_chars:
        raise ApiError(400, "message_too_long", f"消息太长了，请控制在 {max_chars} 字以内")
    return text
