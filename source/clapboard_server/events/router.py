"""Delivery of published events to this process's connections (wire protocol 8.7 and 8.9)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from clapboard.event import expression

from ..policy import Place
from . import envelope, packets
from .connection import Connection
from .updates import PLACES

#: ``visible(user_id, places)``: for each place, whether the user may read what is there.
Visible = Callable[[str, list[Place | None]], list[bool]]

log = logging.getLogger(__name__)


class Router:
    """Matches each event against every connection's subscribers; thread-safe."""

    def __init__(self, remembered_events: int = 10_000, visible: Visible | None = None) -> None:
        self._visible = visible
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
        know of (not published by a client, or long ago) reaches nobody. An ``ftrack.update``
        carries where each of its entities belongs: each connection gets only the entities its
        user may read, and nothing when none is left.
        """
        # Read, never removed: a shared broker serialises this same dict for the other processes
        # after delivering it here, and they need the places to filter it for their users.
        places = event.get(PLACES)
        target = _target(event)
        connections = self.connections()
        reply_to = None
        if event.get("inReplyToEvent"):
            publisher, source_id = self._origin(event["inReplyToEvent"])
            connections = [c for c in connections if c.id == publisher]
            reply_to = source_id if target is None else None
        self._remember(event)
        candidate = envelope.candidate(event)
        frames: dict[tuple[int, ...] | None, str | None] = {}
        shown_to: dict[str, tuple[int, ...] | None] = {}
        delivered = 0
        for connection in connections:
            if not any(s.wants(candidate, target, reply_to) for s in connection.subscribers.values()):
                continue
            if connection.user_id not in shown_to:
                shown_to[connection.user_id] = self._shown(connection.user_id, places)
            shown = shown_to[connection.user_id]
            if shown == ():
                continue
            if shown not in frames:
                frames[shown] = packets.encode_event(envelope.wire(_only(event, shown)))
            connection.send(frames[shown])
            delivered += 1
        return delivered

    def _shown(self, user_id: str, places: list | None) -> tuple[int, ...] | None:
        """Indexes of the entities ``user_id`` may see (None: the whole event)."""
        if places is None or self._visible is None:
            return None
        decoded = [Place.from_json(p) if isinstance(p, list) else None for p in places]
        allowed = self._visible(user_id, decoded)
        if all(allowed):
            return None
        return tuple(index for index, yes in enumerate(allowed) if yes)

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


def _only(event: dict[str, Any], shown: tuple[int, ...] | None) -> dict[str, Any]:
    """``event`` with only the entities at ``shown`` (and their parents)."""
    if shown is None:
        return event
    data = dict(event["data"])
    data["entities"] = [data["entities"][index] for index in shown]
    data["parents"] = list(dict.fromkeys(p["entityId"] for e in data["entities"] for p in e.get("parents", [])))
    return {**event, "data": data}


def _target(event: dict[str, Any]) -> expression.Expression | None:
    text = event.get("target") or ""
    if not text.strip():
        return None
    try:
        return expression.parse(text)
    except expression.ParseError:  # checked on publish; only a foreign process could send one
        log.warning("Dropping event %s: invalid target %r", event.get("id"), text)
        return expression.Any()
