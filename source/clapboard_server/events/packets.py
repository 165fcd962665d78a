"""socket.io 0.9 packets: ``type:id:endpoint:data`` text frames.

Only what the ftrack clients use: connect ``1::``, heartbeat ``2::``, event ``5:::{json}``,
ack ``6:::<id>+[{json}]``, error ``7:::<reason>`` and disconnect ``0::``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import limits, wire
from ..errors import ApiError
from .errors import EventError

DISCONNECT, CONNECT, HEARTBEAT, MESSAGE, JSON, EVENT, ACK, ERROR, NOOP = range(9)
EVENT_NAME = "ftrack.event"

CONNECT_FRAME = "1::"
HEARTBEAT_FRAME = "2::"
DISCONNECT_FRAME = "0::"


class PacketError(EventError):
    """A frame that is not a socket.io 0.9 packet we understand."""


@dataclass(frozen=True)
class Packet:
    """One decoded frame."""

    type: int
    id: str = ""
    endpoint: str = ""
    data: str = ""

    @property
    def wants_ack(self) -> bool:
        """Whether the sender asked for an acknowledgement (any message id)."""
        return bool(self.id)

    @property
    def wants_ack_data(self) -> bool:
        """``N+`` ids ask for an acknowledgement carrying data."""
        return self.id.endswith("+")

    @property
    def message_id(self) -> str:
        return self.id.rstrip("+")


def decode(frame: str) -> Packet:
    """Split a frame into its fields (the data may itself contain colons)."""
    parts = frame.split(":", 3)
    code = parts[0]
    if len(code) != 1 or not code.isdigit() or int(code) > NOOP:
        raise PacketError(f"Unknown socket.io packet type {code!r} in frame {frame[:40]!r}.")
    parts += [""] * (4 - len(parts))
    return Packet(int(code), parts[1], parts[2], parts[3])


def encode_event(event: dict[str, Any]) -> str:
    """The frame delivering ``event`` to a client."""
    return "5:::" + json.dumps(
        {"name": EVENT_NAME, "args": [event]}, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def decode_event(packet: Packet) -> Any:
    """The event object carried by an event packet."""
    try:
        body = wire.loads(packet.data, limits.current(), "The event packet")
    except ApiError as error:
        raise PacketError(error.message) from None
    if not isinstance(body, dict) or body.get("name") != EVENT_NAME:
        name = body.get("name") if isinstance(body, dict) else None
        raise PacketError(f"Expected an event named {EVENT_NAME!r}, got {name!r}.")
    args = body.get("args")
    if not isinstance(args, list) or len(args) != 1:
        raise PacketError("An event packet's args must hold exactly one event object.")
    return args[0]


def encode_ack(packet: Packet, success: bool, message: str = "") -> str:
    """The acknowledgement of ``packet``: with a one-object array when data was requested."""
    if not packet.wants_ack_data:
        return f"6:::{packet.message_id}"
    payload: dict[str, Any] = {"success": success}
    if message:
        payload["message"] = message
    return f"6:::{packet.message_id}+" + json.dumps([payload], ensure_ascii=False)


def encode_error(reason: str) -> str:
    return "7:::" + reason.replace("\n", " ")
