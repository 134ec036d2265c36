"""One JSON error shape for every failure: ``{"error": {"code", "message"}}``, never a trace."""
from __future__ import annotations

import logging

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
    503: "unavailable",
}
_MESSAGES_BY_STATUS = {
    400: "请求格式不正确",
    401: "请先登录",
    403: "没有权限执行此操作",
    404: "请求的资源不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    503: "服务暂时不可用，请稍后再试",
}


class ApiError(Exception):
    """An error the client should see, with its HTTP status and a Chinese message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> HTTPResponse:
    return json({"error": {"code": code, "message": message}}, status=status)


def register_error_handlers(app: Sanic) -> None:
    @app.exception(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> HTTPResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception(DeskError)
    async def _desk_error(_: Request, exc: DeskError) -> HTTPResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception(SanicException)
    async def _sanic_error(_: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        if status >= 500:
            logger.exception("server error", exc_info=exc)
            return error_response(500, "internal_error", "服务器开小差了，请稍后再试")
        return error_response(status, _CODES_BY_STATUS.get(status, "error"), _MESSAGES_BY_STATUS.get(status, "请求无法处理"))

    @app.exception(Exception)
    async def _unexpected(_: Request, exc: Exception) -> HTTPResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "服务器开小差了，请稍后再试")
