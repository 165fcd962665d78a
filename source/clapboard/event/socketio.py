"""The client side of the event server's socket.io 0.9 protocol: handshake, socket, packets.

A :class:`Connection` is one websocket: it sends text frames from any thread and
receives them in the one thread reading it. ``requests`` and ``websocket-client`` are
imported when a connection is opened, never when clapboard is imported.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .. import exception
from .base import Event

EVENT_NAME = "ftrack.event"
HEARTBEAT = "2::"
HEARTBEAT_ANSWER = "2:::"
_SUCCESS = '[{"success": true}]'

#: Seconds to wait for the handshake and the websocket upgrade.
CONNECT_TIMEOUT = 60.0
#: Seconds without any frame after which the connection counts as lost (the server
#: sends a heartbeat every 10 s); the handshake's heartbeat timeout is used when larger.
READ_TIMEOUT = 60.0


class SocketIoSession(NamedTuple):
    """A session granted by the handshake."""

    id: str
    heartbeatTimeout: int  # the ftrack name
    supportedTransports: list[str]  # the ftrack name


class ServerDetails(NamedTuple):
    """Scheme, host name and port of the event server (None: the scheme's default, unwritten)."""

    scheme: str
    hostname: str
    port: int | None


class Packet(NamedTuple):
    """One socket.io frame, ``type:id:endpoint:data``."""

    type: str
    id: str
    endpoint: str
    data: str


def server_details(server_url: str) -> ServerDetails:
    """Return the details of *server_url*; any path is dropped, as the protocol wants."""
    parts = urlsplit(server_url)
    if not parts.scheme:
        raise ValueError("Could not determine scheme from server url.")
    if not parts.hostname:
        raise ValueError("Could not determine hostname from server url.")
    return ServerDetails(parts.scheme, parts.hostname, parts.port)


def network_location(details: ServerDetails) -> str:
    """Return ``host:port`` of *details*, or ``host`` when the URL gave no port."""
    host = f"[{details.hostname}]" if ":" in details.hostname else details.hostname
    return host if details.port is None else f"{host}:{details.port}"


def decode_packet(frame: str) -> Packet:
    """Split *frame* at its first three colons (the data may hold more)."""
    parts = frame.split(":", 3)
    if len(parts) == 2 or not parts[0].isdigit() or int(parts[0]) > 8:
        raise exception.EventHubPacketError(f"Invalid packet: {frame[:80]!r}.")
    parts += [""] * (4 - len(parts))
    return Packet(*parts)


def encode_event(event: Mapping[str, Any]) -> str:
    """Return the data of an event packet publishing *event*."""
    return _ENCODER.encode({"name": EVENT_NAME, "args": [wire_event(event)]})


def event_frame(message_id: int, body: str) -> str:
    """Return the frame sending event packet data *body*, asking for acknowledgement *message_id*."""
    return f"5:{message_id}+::{body}"


def wire_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Return *event* as the server expects it (``inReplyToEvent`` in camel case)."""
    wire = dict(event.items())
    if "in_reply_to_event" in wire:
        wire["inReplyToEvent"] = wire.pop("in_reply_to_event")
    return wire


def _encode_hook(value: Any) -> Any:
    if isinstance(value, Event):
        return wire_event(value)
    raise TypeError(f"{value!r} is not JSON serializable.")


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_encode_hook)


def decode_event(packet: Packet) -> Event:
    """Return the event an event packet delivers."""
    try:
        body = json.loads(packet.data)
        (raw,) = body["args"]
        if body.get("name") != EVENT_NAME or not isinstance(raw, dict) or not raw.get("topic"):
            raise ValueError("not an event")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise exception.EventHubPacketError(f"Invalid event packet {packet.data[:200]!r}: {error}.") from None
    return Event(
        topic=raw["topic"],
        id=raw.get("id"),
        data=raw.get("data"),
        sent=raw.get("sent"),
        source=raw.get("source"),
        target=raw.get("target") or "",
        in_reply_to_event=raw.get("inReplyToEvent", raw.get("in_reply_to_event")),
    )


def decode_ack(packet: Packet) -> tuple[int, dict[str, Any]]:
    """Return the message id and the answer of an acknowledgement packet."""
    identifier, _, payload = packet.data.partition("+")
    try:
        if payload == _SUCCESS:
            return int(identifier), {"success": True}
        answer = json.loads(payload)[0] if payload else {}
        return int(identifier), answer if isinstance(answer, dict) else {}
    except (ValueError, IndexError, TypeError) as error:
        raise exception.EventHubPacketError(f"Invalid acknowledgement {packet.data[:200]!r}: {error}.") from None


class Connection:
    """One open websocket to the event server."""

    def __init__(self, socket: Any, session: SocketIoSession) -> None:
        self._socket = socket
        self.session = session
        self._send_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        details: ServerDetails,
        api_user: str,
        api_key: str,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float = CONNECT_TIMEOUT,
    ) -> Connection:
        """Shake hands with the server and open the websocket.

        Raise :exc:`~clapboard.exception.EventHubConnectionError` on failure.
        """
        import requests
        import websocket

        location = network_location(details)
        url = f"{details.scheme}://{location}/socket.io/1/"
        try:
            response = requests.get(
                url, headers={**(headers or {}), "ftrack-user": api_user, "ftrack-api-key": api_key},
                cookies=dict(cookies or {}), timeout=timeout,
            )
        except requests.RequestException as error:
            raise _connection_error(url, error) from None
        if response.status_code != 200:
            raise _connection_error(url, f"Received unexpected status code {response.status_code}: {response.text[:200]}")
        fields = response.text.split(":")
        if len(fields) < 4:
            raise _connection_error(url, f"Invalid handshake answer {response.text[:200]!r}")
        transports = fields[3].split(",")
        if "websocket" not in transports:
            raise _connection_error(url, "The server does not support websocket sessions")
        heartbeat = int(fields[1]) if fields[1].isdigit() else 0
        session = SocketIoSession(fields[0], heartbeat, transports)
        scheme = "wss" if details.scheme == "https" else "ws"
        socket_url = f"{scheme}://{location}/socket.io/1/websocket/{session.id}"
        cookie = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
        try:
            socket = websocket.create_connection(
                socket_url, timeout=timeout, header=dict(headers or {}), cookie=cookie or None,
                skip_utf8_validation=True, enable_multithread=True,
            )
            socket.settimeout(max(READ_TIMEOUT, heartbeat))
        except Exception as error:  # noqa: BLE001 - websocket, socket and SSL errors alike
            raise _connection_error(socket_url, error) from None
        return cls(socket, session)

    def send(self, frame: str) -> None:
        """Send one text frame; raise :exc:`~clapboard.exception.EventHubConnectionError` if lost."""
        try:
            with self._send_lock:
                self._socket.send(frame)
        except Exception as error:  # noqa: BLE001 - any failure means the socket is gone
            raise exception.EventHubConnectionError(f"Failed to send to the event server: {error}") from None

    def receive(self) -> str | None:
        """Return the next text frame, or None once the connection is lost or closed."""
        try:
            frame = self._socket.recv()
        except Exception:  # noqa: BLE001 - timeouts, resets and closes all end the connection
            return None
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8", "replace")
        return frame or None

    def close(self) -> None:
        """Close the socket, waking up the thread receiving on it."""
        try:
            self._socket.abort()
        except Exception:  # noqa: BLE001,S110 - closing a broken socket may fail; it is closed anyway
            pass
        try:
            self._socket.shutdown()
        except Exception:  # noqa: BLE001,S110
            pass


def _connection_error(url: str, error: object) -> exception.EventHubConnectionError:
    return exception.EventHubConnectionError(f"Failed to connect to event server at {url}: {error}.")
