"""Brokers carry published events to the routers of every server process sharing a database.

:class:`LocalBroker` serves one process (SQLite); :class:`~.postgres.PostgresBroker` spreads
events over PostgreSQL LISTEN/NOTIFY. A broker's :meth:`~Broker.publish` is only ever called
from the hub's publishing thread, so it may block; ``deliver`` may be called from any thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Deliver = Callable[[dict[str, Any]], Any]


class Broker:
    """Interface of a broker."""

    #: Whether other processes may have subscribers (then events are built even when this
    #: process has no connection).
    shared = False

    def start(self, deliver: Deliver) -> None:
        """Begin passing every published event, from any process, to ``deliver``."""
        raise NotImplementedError

    def publish(self, event: dict[str, Any]) -> None:
        """Hand ``event`` to every process's ``deliver`` (this one's included)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop; events published afterwards are dropped."""


class LocalBroker(Broker):
    """Delivers within this process only."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    def publish(self, event: dict[str, Any]) -> None:
        if self._deliver is not None:
            self._deliver(event)

    def close(self) -> None:
        self._deliver = None
