"""The gateway's HTTP/1 protocol: a malformed request head gets a 400 JSON reply (not a dropped
connection and a traceback), and an error reply is not destroyed by a reset when the client was
still sending."""

from __future__ import annotations

from typing import Any, Optional

from sanic import Sanic
from sanic.exceptions import InvalidUsage, SanicException
from sanic.http import Http
from sanic.server.protocols.http_protocol import HttpProtocol

from assistant.gateway.errors import log_throttled


class GatewayHttp(Http):
    """Sanic 21.12's HTTP/1 reader, answering a request head it cannot take apart with a 400 JSON error.

    Sanic builds the request from the URL outside its own parse error handling, and builds it again for the
    error response: raw (not percent-encoded) UTF-8 in the request line, or a garbage Content-Length, used
    to drop the connection without a reply and log a long traceback holding the raw bytes."""

    async def http1_request_header(self) -> None:
        try:
            await super().http1_request_header()
        except SanicException:  # Sanic's own 400/413/417: already answerable
            self._forget_url()
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the head held, the client gets a 400
            self._forget_url()
            peer = (self.protocol.conn_info.client if self.protocol.conn_info else "") or "unknown"
            log_throttled("malformed_request_head", f"malformed request head from {peer}: {type(exc).__name__}")
            raise InvalidUsage("Bad Request") from None  # no chained traceback carrying the raw input

    def _forget_url(self) -> None:
        """Drop the unusable URL so the error response is built for "*" rather than failing again."""
        if self.request is None:
            self.url = None


class GatewayProtocol(HttpProtocol):
    """The HTTP protocol with GatewayHttp as each connection's reader, and a lingering close.

    A request refused before it was read to the end (a head over the size limit, a body too large) leaves
    bytes unread; closing the socket then makes the kernel answer with RST, which destroys the error
    reply before the client reads it — a "dropped connection". So every close first sends FIN after the
    reply, discards what still arrives, and closes when the client does or after LINGER_S."""

    LINGER_S = 2.0
    __slots__ = ("_lingering",)  # Sanic's protocol classes have no instance __dict__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lingering = False

    def _setup_connection(self) -> None:
        super()._setup_connection()
        self._http = GatewayHttp(self)

    def close(self, timeout: Optional[float] = None) -> None:
        transport = self.transport
        if self._lingering or transport is None or transport.is_closing() or not transport.can_write_eof():
            super().close(timeout)
            return
        self._lingering = True
        transport.write_eof()  # after the buffered reply
        transport.resume_reading()
        self.loop.call_later(self.LINGER_S, super().close, timeout)

    def data_received(self, data: bytes) -> None:
        if not self._lingering:
            super().data_received(data)


class GatewayApp(Sanic):
    """The gateway's Sanic app: serves with GatewayProtocol unless told otherwise."""

    def run(self, *args: Any, **kwargs: Any) -> None:
        kwargs["protocol"] = kwargs.get("protocol") or GatewayProtocol
        super().run(*args, **kwargs)

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["protocol"] = kwargs.get("protocol") or GatewayProtocol
        return await super().create_server(*args, **kwargs)
