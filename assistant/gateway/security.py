"""Route guards: who may call an endpoint, decided from the verified token only."""

from __future__ import annotations

from functools import wraps
from typing import Any, Awaitable, Callable, Optional

from sanic.request import Request

from assistant.base.auth import AuthError, Principal, bearer_token, verify_token
from assistant.gateway.errors import ApiError

Handler = Callable[..., Awaitable[Any]]


def principal_of(request: Request, optional: bool = False) -> Optional[Principal]:
    header = request.headers.get("authorization")
    if optional and not header:
        return None
    try:
        return verify_token(request.app.ctx.jwt_secret, bearer_token(header))
    except AuthError as exc:
        raise ApiError(401, "unauthorized", str(exc)) from exc


def require_role(*roles: str) -> Callable[[Handler], Handler]:
    """401 without a valid token, 403 when its role is not one of ``roles``."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> Any:
            principal = principal_of(request)
            assert principal is not None
            if principal.role not in roles:
                raise ApiError(403, "forbidden", "没有权限执行此操作")
            request.ctx.principal = principal
            return await handler(request, *args, **kwargs)

        return guarded

    return decorate
