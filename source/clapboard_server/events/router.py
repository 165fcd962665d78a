"""Delivery of published events to this process's connections (wire protocol 8.7 and 8.9)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from clapboard.event import expression

from . import envelope, packets
from .connection import Connection

log = logging.getLogger(__name__)


class Router:
    """Matches each event against every connection's subscribers; thread-safe."""

    def __init__(self, remembered_events: int = 10_000) -> None:
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        #: Recent client events: id -> (publishing connection's id, source id), to route replies.
        self._origins: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        self._remembered = remembered_events

    def attach(self, connection: Connection) -> None:
        with self._lock:
            self._connections[connection.id] = connection

    def detach(self, connection: Connection) -> None:
        """Forget ``connection`` and, with it, all its subscribers."""
        with self._lock:
            self._connections.pop(connection.id, None)

    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections.values())

    def deliver(self, event: dict[str, Any]) -> int:
        """Send ``event`` once to each connection with a subscriber it reaches; return how many.

        A reply (``inReplyToEvent``) reaches only the connection that published the original
        event, whatever subscriber ids others claim; a reply to an event this process does not
        know of (not published by a client, or long ago) reaches nobody.
        """
        target = _target(event)
        connections = self.connections()
        reply_to = None
        if event.get("inReplyToEvent"):
            publisher, source_id = self._origin(event["inReplyToEvent"])
            connections = [c for c in connections if c.id == publisher]
            reply_to = source_id if target is None else None
        self._remember(event)
        candidate = envelope.candidate(event)
        frame: str | None = None
        delivered = 0
        for connection in connections:
            if any(s.wants(candidate, target, reply_to) for s in connection.subscribers.values()):
                frame = frame or packets.encode_event(envelope.wire(event))
                connection.send(frame)
                delivered += 1
        return delivered

    def _origin(self, event_id: str) -> tuple[str | None, str | None]:
        with self._lock:
            return self._origins.get(event_id, (None, None))

    def _remember(self, event: dict[str, Any]) -> None:
        publisher = event.get(envelope.PUBLISHER_KEY)
        if not isinstance(publisher, str):
            return
        source = event.get("source")
        source_id = source.get("id") if isinstance(source, dict) else None
        with self._lock:
            self._origins[event["id"]] = (publisher, source_id if isinstance(source_id, str) else None)
            while len(self._origins) > self._remembered:
                self._origins.popitem(last=False)


def _target(event: dict[str, Any]) -> expression.Expression | None:
    text = event.get("target") or ""
    if not text.strip():
        return None
    try:
        return expression.parse(text)
    except expression.ParseError:  # checked on publish; only a foreign process could send one
        log.warning("Dropping event %s: invalid target %r", event.get("id"), text)
        return expression.Any()
