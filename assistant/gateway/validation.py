"""Input checks shared by the endpoints: bad input gets a clear 400 and changes nothing."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict

from sanic.exceptions import InvalidUsage
from sanic.request import Request

from assistant.gateway.errors import ApiError

MAX_MESSAGE_CHARS = 500
# Invisible and control characters; tab and line breaks are listed apart so messages can keep them as spaces.
_INVISIBLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff"
_CONTROL_RE = re.compile(f"[{_INVISIBLE}]")
_CONTROL_OR_BREAK_RE = re.compile(f"[{_INVISIBLE}\t\n\r]")


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


def json_object(request: Request) -> Dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    try:
        body = request.json
    except InvalidUsage as exc:
        raise ApiError(400, "invalid_json", "请求内容不是有效的 JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "请求内容应为 JSON 对象")
    return body


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
