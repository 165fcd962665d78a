"""What the hub does with each frame a client sends (wire protocol 8.3 - 8.6)."""

from __future__ import annotations

import logging

from .. import limits
from . import packets
from .connection import Connection
from .errors import EventError
from .hub import EventHub

log = logging.getLogger(__name__)


def handle_frame(hub: EventHub, connection: Connection, frame: str) -> bool:
    """Act on one frame; False when the client asked to disconnect."""
    connection.touch()
    try:
        packet = packets.decode(frame)
    except packets.PacketError as error:
        connection.send(packets.encode_error(str(error)))
        return True
    if packet.type == packets.DISCONNECT:
        return False
    if packet.type == packets.EVENT:
        _handle_event(hub, connection, packet)
    elif packet.type in (packets.MESSAGE, packets.JSON):
        log.debug("Ignoring socket.io message packet from %s: %.200s", connection.username, packet.data)
        if packet.wants_ack:
            connection.send(packets.encode_ack(packet, True))
    elif packet.type == packets.ERROR:
        log.info("Event hub client %s reported an error: %s", connection.username, packet.data)
    return True  # heartbeats, acks and noops only prove the client is alive


def _handle_event(hub: EventHub, connection: Connection, packet: packets.Packet) -> None:
    try:
        with limits.applied(hub.limits):
            hub.receive(connection, packets.decode_event(packet))
    except EventError as error:
        if packet.wants_ack:
            connection.send(packets.encode_ack(packet, False, str(error)))
        else:
            connection.send(packets.encode_error(str(error)))
        return
    if packet.wants_ack:
        connection.send(packets.encode_ack(packet, True))
