"""``GET /live``: ``ftrack.update`` events for an open page, as Server-Sent Events.

The page's ``EventSource`` is authenticated by the session cookie (no API key in the browser).
The endpoint attaches an in-process connection of the logged-in user to the server's event
hub, subscribed to ``topic=ftrack.update``, so the hub's router filters each event by what
that user may read exactly as it does for a WebSocket client. Each event is sent as an
``update`` message holding a summary of its entities (see :func:`summary`).

The stream ends when the session ends (checked every :data:`KEEP_ALIVE` seconds), when the hub
closes the connection, or when the browser goes away; the browser reconnects by itself after
``retry`` milliseconds, and the page re-reads what it shows then (a ``hello`` message).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from clapboard.event import expression
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..events import packets
from ..events.connection import Connection, Subscriber
from ..events.errors import EventError
from .sessions import COOKIE, in_worker, login_required, store_of

if TYPE_CHECKING:
    from ..server import Server

#: Seconds between keep-alive comments (and checks that the session is still live).
KEEP_ALIVE = 15.0
#: Milliseconds the browser waits before reconnecting a closed stream.
RETRY_MS = 1000
SUBSCRIPTION = "topic=ftrack.update"


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """What a page needs of an ``ftrack.update`` event: per entity its id, type, action, the new
    values of its changed attributes and its parents' ids (the entity itself first)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    entities = []
    for entity in data.get("entities") or []:
        if not isinstance(entity, dict):
            continue
        changes = entity.get("changes") if isinstance(entity.get("changes"), dict) else {}
        entities.append({
            "id": entity.get("entityId"),
            "type": entity.get("entity_type"),
            "action": entity.get("action"),
            "keys": entity.get("keys") or [],
            "changes": {key: value.get("new") for key, value in changes.items() if isinstance(value, dict)},
            "parents": [p.get("entityId") for p in entity.get("parents") or [] if isinstance(p, dict)],
        })
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    return {"user": user.get("name"), "entities": entities}


def _message(name: str, payload: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _decoded(frame: str) -> dict[str, Any] | None:
    """The event an event frame carries (None for other frames)."""
    if not frame.startswith("5:"):
        return None
    try:
        event = packets.decode_event(packets.decode(frame))
    except EventError:
        return None
    return event if isinstance(event, dict) else None


def routes(server: Server) -> list[BaseRoute]:
    hub = server.events

    @login_required
    async def live(request: Request) -> Response:
        user = request.state.user
        token = request.cookies.get(COOKIE)
        connection = Connection(asyncio.get_running_loop(), user.id, user.username,
                                max_queued_bytes=hub.max_queued_bytes)
        subscriber_id = f"web-{connection.id}"
        connection.subscribe(Subscriber(subscriber_id, {"id": subscriber_id, "applicationId": "clapboard.web"},
                                        expression.parse(SUBSCRIPTION), SUBSCRIPTION))

        async def stream() -> AsyncIterator[str]:
            hub.attach(connection)
            try:
                yield f"retry: {RETRY_MS}\n" + _message("hello", {"user": user.username})
                while True:
                    try:
                        frame = await asyncio.wait_for(connection.next_frame(), KEEP_ALIVE)
                    except TimeoutError:
                        if await in_worker(request, store_of(request).find, token) is None:
                            return  # logged out, or the session expired
                        yield ": keep-alive\n\n"
                        continue
                    if frame is None:
                        return
                    event = _decoded(frame)
                    if event is not None:
                        yield _message("update", summary(event))
            finally:
                hub.detach(connection)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return [Route("/live", live, methods=["GET"], name="web-live")]
