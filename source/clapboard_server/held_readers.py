"""SQLite connections held by the server's API threads for their reads.

A small query costs SQLite a few microseconds; taking a connection from the pool, wrapping it
and giving it back costs more than that. Each thread of the server's API pool (the threads
named ``clapboard-api...``, a fixed number) therefore keeps one connection of its own for
reads, opened on first use and closed with the database. Other threads, and every write,
use the pool as before.

SQLite only: its connections are cheap file handles, and one server process alone serves a
data folder. PostgreSQL connections are a server resource that the pool bounds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import sqlalchemy as sa

#: Threads whose names start with this hold a connection.
HOLDING_THREADS = "clapboard-api"
#: Key of a held connection's ``info`` holding the grants read on it (see
#: :meth:`clapboard_server.policy.Policy.grants`).
GRANTS_MEMO = "clapboard_grants_memo"


class HeldReaders:
    """One read connection per API thread, on an engine of their own."""

    def __init__(self, url: str, configure: Callable[..., None], connect_args: dict) -> None:
        self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
        sa.event.listen(self._engine, "connect", configure)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._held: list[sa.Connection] = []
        self._closed = False

    def begin(self) -> sa.Connection | None:
        """This thread's connection with a transaction begun on it; None for a thread that
        holds none (or whose connection broke: it opens another next time)."""
        connection = self._connection()
        if connection is None:
            return None
        try:
            connection.connection.driver_connection.execute("BEGIN")
        except self._engine.dialect.loaded_dbapi.Error:
            self.discard(connection)
            return None
        return connection

    def _connection(self) -> sa.Connection | None:
        """This thread's connection, opened now if needed; None for a thread that holds none."""
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is not None and not connection.invalidated and not connection.closed:
            return connection
        holds = getattr(local, "holds", None)
        if holds is None:
            holds = local.holds = threading.current_thread().name.startswith(HOLDING_THREADS)
        if not holds:
            return None
        with self._lock:
            if self._closed:
                return None
            # Transactions are begun and ended on the driver (see clapboard_server.database._Read).
            connection = sa.Connection(self._engine, _allow_autobegin=False)
            connection.info[GRANTS_MEMO] = {}
            self._held.append(connection)
        local.connection = connection
        return connection

    def __len__(self) -> int:
        """How many connections are held now."""
        return len(self._held)

    def discard(self, connection: sa.Connection) -> None:
        """Close a connection left unusable (its thread opens another when it next reads)."""
        with self._lock:
            if connection in self._held:
                self._held.remove(connection)
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        connection.invalidate()

    def close(self) -> None:
        """Close every held connection; later reads use the pool."""
        with self._lock:
            self._closed = True
            held, self._held = self._held, []
        for connection in held:
            connection.invalidate()  # closes the driver's connection, from whichever thread
        self._engine.dispose()
