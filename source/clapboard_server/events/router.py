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
        #: Recent event ids and the source id that published them, to route untargeted replies.
        self._origins: OrderedDict[str, str] = OrderedDict()
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
        """Send ``event`` once to each connection with a subscriber it reaches; return how many."""
        target = _target(event)
        reply_to = self._reply_route(event) if target is None else None
        self._remember(event)
        candidate = envelope.candidate(event)
        frame: str | None = None
        delivered = 0
        for connection in self.connections():
            if any(s.wants(candidate, target, reply_to) for s in connection.subscribers.values()):
                frame = frame or packets.encode_event(event)
                connection.send(frame)
                delivered += 1
        return delivered

    def _reply_route(self, event: dict[str, Any]) -> str | None:
        original = event.get("inReplyToEvent")
        if not original:
            return None
        with self._lock:
            return self._origins.get(original)

    def _remember(self, event: dict[str, Any]) -> None:
        source = event.get("source")
        source_id = source.get("id") if isinstance(source, dict) else None
        if not isinstance(source_id, str):
            return
        with self._lock:
            self._origins[event["id"]] = source_id
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
