"""HTTP and WebSocket endpoints of the event hub (wire protocol 8.1 and 8.2).

``GET /socket.io/1/`` authenticates with the ``ftrack-user`` / ``ftrack-api-key`` headers (or
the ``api_user`` / ``api_key`` query parameters) and answers ``<sid>:<heartbeat>:<close>:websocket``.
The WebSocket ``/socket.io/1/websocket/<sid>`` is authenticated by that single-use session id,
or by the query parameters when the id is unknown (a JavaScript client on another process).
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..auth import hash_key
from ..errors import ApiError
from . import packets
from .connection import Connection
from .hub import EventHub
from .protocol import handle_frame
from .sessions import Session

log = logging.getLogger(__name__)
HANDSHAKE_PATH = "/socket.io/1/"
SOCKET_PATH = "/socket.io/1/websocket/{sid}"


def routes(hub: EventHub) -> list[BaseRoute]:
    """The Starlette routes serving ``hub``."""

    async def handshake(request: Request) -> Response:
        try:
            session = await run_in_threadpool(hub.handshake, *_credentials(request))
        except ApiError as error:
            return Response(json.dumps(error.to_payload()), status_code=error.status_code,
                            media_type="application/json; charset=utf-8")
        return PlainTextResponse(hub.handshake_text(session))

    async def socket(websocket: WebSocket) -> None:
        session = await run_in_threadpool(hub.sessions.claim, websocket.path_params["sid"])
        user = await _session_user(hub, session) if session else await _query_user(hub, websocket)
        if user is None:
            await websocket.close(code=1008)  # before accepting: the client sees HTTP 403
            return
        await websocket.accept()
        await _serve(hub, websocket, *user)

    return [
        Route(HANDSHAKE_PATH, handshake, methods=["GET"], name="socket.io-handshake"),
        WebSocketRoute(SOCKET_PATH, socket, name="socket.io-websocket"),
    ]


def _credentials(request: Request | WebSocket) -> tuple[str | None, str | None]:
    headers, query = request.headers, request.query_params
    return (headers.get("ftrack-user") or query.get("api_user"),
            headers.get("ftrack-api-key") or query.get("api_key"))


async def _session_user(hub: EventHub, session: Session) -> tuple[str, str, str] | None:
    """(user id, username, key hash) of a handshake session, if its credentials are still valid."""
    try:
        await run_in_threadpool(hub.authenticator.verify, session.username, session.key_hash)
    except ApiError:
        return None
    return session.user_id, session.username, session.key_hash


async def _query_user(hub: EventHub, websocket: WebSocket) -> tuple[str, str, str] | None:
    """(user id, username, key hash) from the socket's query parameters, if they are valid."""
    username, api_key = _credentials(websocket)
    if not username or not api_key:
        return None
    try:
        return await run_in_threadpool(hub.authenticate, username, api_key), username, hash_key(api_key)
    except ApiError:
        return None


async def _serve(hub: EventHub, websocket: WebSocket, user_id: str, username: str, key_hash: str) -> None:
    """Run one connection until either side closes it."""
    connection = Connection(asyncio.get_running_loop(), user_id, username, key_hash=key_hash,
                            max_queued_bytes=hub.max_queued_bytes)
    hub.attach(connection)
    connection.send(packets.CONNECT_FRAME)
    reader = asyncio.create_task(_read(hub, websocket, connection))
    writer = asyncio.create_task(_write(websocket, connection))
    heartbeat = asyncio.create_task(_heartbeat(hub, connection))
    dropped = asyncio.create_task(connection.dropped.wait())
    try:
        await asyncio.wait({reader, writer, dropped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.detach(connection)
        for task in (reader, writer, heartbeat, dropped):
            task.cancel()
        await asyncio.gather(reader, writer, heartbeat, dropped, return_exceptions=True)
        # A client too slow to read would not read a close frame either: just let the socket go.
        if not connection.dropped.is_set() and WebSocketState.DISCONNECTED not in (
            websocket.application_state, websocket.client_state
        ):
            try:
                await websocket.close()
            except (RuntimeError, OSError):
                pass


async def _read(hub: EventHub, websocket: WebSocket, connection: Connection) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        if not handle_frame(hub, connection, text):
            return


async def _write(websocket: WebSocket, connection: Connection) -> None:
    try:
        while (frame := await connection.next_frame()) is not None:
            await websocket.send_text(frame)
        await websocket.close()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away; the reader notices too


async def _heartbeat(hub: EventHub, connection: Connection) -> None:
    """Send ``2::`` every interval; drop the connection once it has been silent too long, or
    once its user is disabled, renamed or deleted or its key replaced (checked every interval,
    and at once when this server, or one sharing its PostgreSQL database, makes the change)."""
    while True:
        await asyncio.sleep(hub.heartbeat_interval)
        if connection.idle_for() > hub.heartbeat_timeout:
            log.info("Closing event hub connection of %s: silent for %.0f s.", connection.username,
                     connection.idle_for())
            connection.close()
            return
        if not await run_in_threadpool(hub.still_valid, connection):
            log.info("Closing event hub connection of %s: its credentials are no longer valid.", connection.username)
            connection.close()
            return
        connection.send(packets.HEARTBEAT_FRAME)
