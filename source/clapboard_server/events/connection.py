"""One client's WebSocket connection: its subscribers and its outgoing frames."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from clapboard.event.expression import Expression

from . import packets
from .errors import EventError

log = logging.getLogger(__name__)


class SubscriptionError(EventError):
    """A subscribe or unsubscribe request the hub refuses."""


@dataclass(frozen=True)
class Subscriber:
    """A subscriber registered by a client: its information and its parsed subscription."""

    id: str
    metadata: Mapping[str, Any]
    subscription: Expression
    text: str

    def wants(self, candidate: Mapping[str, Any], target: Expression | None, reply_to: str | None) -> bool:
        """Whether an event (``candidate``) with ``target`` reaches this subscriber.

        ``reply_to`` routes an untargeted reply to the subscriber whose id published the
        original event.
        """
        if not self.subscription.match(candidate):
            return False
        if target is not None:
            return target.match(self.metadata)
        return reply_to is None or self.id == reply_to


class Connection:
    """State of one socket; :meth:`send` and :meth:`close` may be called from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, user_id: str, username: str,
                 max_pending: int = 10_000, key_hash: str = "", max_queued_bytes: int = 16 * 1024 * 1024) -> None:
        self.id = uuid.uuid4().hex
        self.user_id = user_id
        self.username = username
        #: Hash of the API key the connection authenticated with, to re-check it while open.
        self.key_hash = key_hash
        self._loop = loop
        self._outgoing: asyncio.Queue[str | None] = asyncio.Queue()
        self._max_pending = max_pending
        self._max_queued_bytes = max_queued_bytes
        #: Characters of the frames queued and not yet written to the socket.
        self.queued_bytes = 0
        #: Set when the client read too slowly: the socket is abandoned, not closed politely.
        self.dropped = asyncio.Event()
        self._closing = False
        self._subscribers: Mapping[str, Subscriber] = MappingProxyType({})
        self._lock = threading.Lock()
        self.last_seen = time.monotonic()

    # -- subscribers (copy on write: readers in other threads see a consistent snapshot) -----

    @property
    def subscribers(self) -> Mapping[str, Subscriber]:
        return self._subscribers

    def subscribe(self, subscriber: Subscriber) -> None:
        """Register ``subscriber``; an id already registered differently is refused."""
        with self._lock:
            existing = self._subscribers.get(subscriber.id)
            if existing == subscriber:
                return  # the same request again (the ftrack client may re-send on connect)
            if existing is not None:
                raise SubscriptionError(f"A subscriber with id {subscriber.id!r} is already registered.")
            self._subscribers = MappingProxyType({**self._subscribers, subscriber.id: subscriber})

    def unsubscribe(self, subscriber_id: str) -> None:
        with self._lock:
            if subscriber_id not in self._subscribers:
                raise SubscriptionError(f"No subscriber with id {subscriber_id!r} is registered.")
            self._subscribers = MappingProxyType(
                {key: value for key, value in self._subscribers.items() if key != subscriber_id}
            )

    # -- frames ------------------------------------------------------------------------------

    def touch(self) -> None:
        """Note that the client just sent something."""
        self.last_seen = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self.last_seen

    def send(self, frame: str) -> None:
        """Queue ``frame`` for the client."""
        self._call_in_loop(self._put, frame)

    def close(self) -> None:
        """Send the disconnect packet and close the socket once queued frames are out."""
        self._call_in_loop(self._close)

    async def next_frame(self) -> str | None:
        """The next frame to write; None once the connection is closing."""
        frame = await self._outgoing.get()
        if frame is not None:
            self.queued_bytes -= len(frame)
        return frame

    def _call_in_loop(self, function: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(function, *args)
        except RuntimeError:  # the loop has stopped: the socket is gone anyway
            pass

    def _put(self, frame: str) -> None:
        if self._closing:
            return
        if self._outgoing.qsize() >= self._max_pending:
            log.warning("Dropping event hub connection %s of %s: %d frames are waiting to be read.",
                        self.id, self.username, self._max_pending)
            self._close()
            return
        if self.queued_bytes + len(frame) > self._max_queued_bytes:
            log.warning("Dropping event hub connection %s of %s: it reads too slowly (more than %d bytes "
                        "waiting; limit max_queued_event_bytes).", self.id, self.username, self._max_queued_bytes)
            self._closing = True
            self.dropped.set()
            return
        self.queued_bytes += len(frame)
        self._outgoing.put_nowait(frame)

    def _close(self) -> None:
        if not self._closing:
            self._closing = True
            self._outgoing.put_nowait(packets.DISCONNECT_FRAME)
            self._outgoing.put_nowait(None)

    def __repr__(self) -> str:
        return f"<Connection {self.id} user={self.username!r} subscribers={len(self._subscribers)}>"
