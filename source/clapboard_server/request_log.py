"""One log line per HTTP request: method, path, status, duration and user.

Query strings are never logged: download URLs carry API keys in them. A refused request's line
ends with the reason (the error the client got), so a refusal costs one line, not a traceback.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("clapboard_server.requests")
#: Scope key where a route leaves why it refused a request, appended to the request's line.
REFUSAL_KEY = "clapboard.refusal"


class RequestLog:
    """ASGI middleware logging each HTTP request at INFO level once answered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def recording_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "websocket.accept":
                status.append(101)
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            user = _header(scope, b"ftrack-user") or "-"
            client = scope.get("client") or ("-", 0)
            method = scope.get("method", "WEBSOCKET")
            elapsed = (time.perf_counter() - started) * 1000
            refusal = scope.get(REFUSAL_KEY)
            log.info('%s %s %s %s %d %.0f ms%s', client[0], user, method, scope.get("path", ""),
                     status[0] if status else 0, elapsed, f" refused: {refusal}" if refusal else "")


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None
