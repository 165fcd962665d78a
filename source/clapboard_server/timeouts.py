"""Read timeouts for HTTP connections: a half-sent request does not hold a connection forever.

uvicorn closes a kept-alive connection that stays idle between requests, but waits without
end for a request whose headers or body never finish arriving. :func:`protocol_class` returns
an h11 protocol that also gives

* the request line and headers ``header_timeout`` seconds from the connection (or the first
  byte of a following request) to arrive in full, and
* the body ``body_timeout`` seconds between two received chunks (not counted while the
  server itself is not reading, for example because it is still busy with the request).

When a timer expires the client gets ``408`` in the wire protocol's error shape, if no answer
has started, and the connection is closed; the server logs one line.
"""

from __future__ import annotations

import asyncio
import json
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


def _timeout_response(message: str) -> bytes:
    body = json.dumps({"exception": "RequestTimeoutError", "content": message, "error_code": None}).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body read timeouts (set on a subclass)."""

    header_timeout = 30.0
    body_timeout = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if self.transport.get_protocol() is not self:
            self._disarm()  # upgraded to a WebSocket: that protocol has its own keep-alive
        elif state is h11.IDLE:
            if self._read_timer is None and not self.transport.is_closing():
                self._arm(self.header_timeout, self._headers_expired)  # a new request has begun
        elif state is h11.SEND_BODY:
            self._arm(self.body_timeout, self._body_expired)
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self._disarm()  # answered without reading the whole body: nothing more to read
            self.transport.close()

    def _arm(self, delay: float, callback) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _headers_expired(self) -> None:
        self._read_timer = None
        if self.conn.their_state is h11.IDLE:
            self._expire(f"The request headers did not arrive within {self.header_timeout:g} s.")

    def _body_expired(self) -> None:
        self._read_timer = None
        if self.conn.their_state is not h11.SEND_BODY:
            return
        if self.flow.read_paused:  # the server is not reading: not the client's delay
            self._arm(self.body_timeout, self._body_expired)
            return
        self._expire(f"The request body stalled for {self.body_timeout:g} s.")

    def _expire(self, message: str) -> None:
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning("Closing the connection of %s: %s", client, message)
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_timeout_response(message))
        self.transport.close()


def protocol_class(header_timeout: float, body_timeout: float) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` subclass with these timeouts, for ``uvicorn.Config(http=...)``."""
    return type("ClapboardH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": header_timeout, "body_timeout": body_timeout})
