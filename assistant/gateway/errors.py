"""One JSON error shape for every failure: ``{"error": {"code", "message"}}``, never a trace."""

from __future__ import annotations

import logging
import re
import time
from typing import Dict, Mapping, Optional, Tuple

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.desk.errors import DeskError

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
}
_MESSAGES_BY_STATUS = {
    400: "请求格式不正确",
    401: "请先登录",
    403: "没有权限执行此操作",
    404: "请求的资源不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    429: "操作太频繁，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}


class ApiError(Exception):
    """An error the client should see, with its HTTP status, a Chinese message and extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def error_response(status: int, code: str, message: str, headers: Optional[Mapping[str, str]] = None) -> HTTPResponse:
    return json({"error": {"code": code, "message": message}}, status=status, headers=dict(headers or {}))


class LogThrottle:
    """At most one log record per key and interval, so a client repeating a bad request cannot flood the
    log; the next record that gets through says how many were left out."""

    def __init__(self, interval_s: float = 60.0, max_keys: int = 1000) -> None:
        self.interval_s = interval_s
        self.max_keys = max_keys
        self._last: Dict[str, Tuple[float, int]] = {}  # key → (time logged, records left out since)

    def allow(self, key: str) -> Tuple[bool, int]:
        """Whether to log now, and how many records of ``key`` were left out before this one."""
        now = time.monotonic()
        logged_at, skipped = self._last.get(key, (float("-inf"), 0))
        if now - logged_at < self.interval_s:
            self._last[key] = (logged_at, skipped + 1)
            return False, skipped
        if len(self._last) >= self.max_keys:
            self._last.clear()
        self._last[key] = (now, 0)
        return True, skipped


_throttle = LogThrottle()


def log_throttled(key: str, message: str, exc: Optional[BaseException] = None) -> None:
    """Log ``message`` (with the traceback of ``exc``) unless the same key was logged within the minute."""
    allowed, skipped = _throttle.allow(key)
    if allowed:
        suffix = f" ({skipped} more like it not logged)" if skipped else ""
        logger.error("%s%s", message, suffix, exc_info=exc)


# What Sanic's own error lines quote of a request: its method and raw path, or its URL.
_REQUEST_QUOTE_RE = re.compile(r"<Request: [^>]*>|uri: '[^']*'")


class SanicErrorLogFilter(logging.Filter):
    """Sanic logs a line per request for some client mistakes ("<Request: GET /x> body not consumed." for
    every GET with a body), quoting the raw path: keep the path out, and let each kind through once a minute."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = _REQUEST_QUOTE_RE.sub("<request>", record.getMessage())
        allowed, skipped = _throttle.allow(f"sanic.error:{message[:120]}")
        if allowed:
            record.msg, record.args = message + (f" ({skipped} more like it not logged)" if skipped else ""), ()
        return allowed


def quiet_sanic_errors() -> None:
    """Install SanicErrorLogFilter on Sanic's error logger (once per process)."""
    sanic_errors = logging.getLogger("sanic.error")
    if not any(isinstance(f, SanicErrorLogFilter) for f in sanic_errors.filters):
        sanic_errors.addFilter(SanicErrorLogFilter())


def register_error_handlers(app: Sanic) -> None:
    @app.exception(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> HTTPResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception(DeskError)
    async def _desk_error(_: Request, exc: DeskError) -> HTTPResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception(SanicException)
    async def _sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        if status >= 500:
            log_throttled(f"sanic:{type(exc).__name__}:{request.method}:{_route(request)}", "server error", exc)
            return error_response(500, "internal_error", "服务器开小差了，请稍后再试")
        return error_response(
            status, _CODES_BY_STATUS.get(status, "error"), _MESSAGES_BY_STATUS.get(status, "请求无法处理")
        )

    @app.exception(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTTPResponse:
        log_throttled(f"unhandled:{type(exc).__name__}:{request.method}:{_route(request)}", "unhandled error", exc)
        return error_response(500, "internal_error", "服务器开小差了，请稍后再试")


def _route(request: Request) -> str:
    """The matched route's name, never the raw path: log keys stay few and carry no client input."""
    route = getattr(request, "route", None)
    return getattr(route, "name", None) or "unrouted"
