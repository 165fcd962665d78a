"""SQLite's WAL checkpoints, run by a thread of their own instead of by the committing request.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into
the database file. SQLite runs one inside the commit that takes the log past 1,000 pages, so a
big batch paid for it before its answer was sent: 50-120 ms of a 10,000-row batch, growing with
the database. The writer connection turns that off (``wal_autocheckpoint=0``) and tells this
thread after each commit; the thread checkpoints on a connection of its own, at most every
:data:`MIN_INTERVAL` seconds, while the request's answer is on its way.

The checkpoint is PASSIVE: it copies what no reader still needs, and never waits for or blocks
readers and writers. The GIL is released while SQLite copies. A crash between commit and
checkpoint loses nothing: the log is the database's until it is copied, and SQLite replays it
on the next open.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

_log = logging.getLogger(__name__)

#: Least time between two checkpoints, in seconds: a stream of small commits shares one.
MIN_INTERVAL = 0.2


class WalCheckpoints:
    """The thread checkpointing one SQLite database's WAL after write batches."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Checkpoints run so far (tests read it).
        self.runs = 0

    def note_commit(self) -> None:
        """A write batch committed: checkpoint soon (the thread starts on first use)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(target=self._run, name="clapboard-wal-checkpoint", daemon=True)
                    self._thread.start()
        self._due.set()

    def close(self) -> None:
        """Stop the thread after a last checkpoint of what is committed."""
        with self._lock:
            self._stopping.set()
            thread = self._thread
        self._due.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout=30000")
            while True:
                self._due.wait()
                self._due.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # the next commit tries again
                    _log.warning("WAL checkpoint of %s failed: %s", self._path, error)
                self.runs += 1
                if self._stopping.is_set():
                    return
                # Commits meanwhile set the event again: one checkpoint for them all. Close ends the wait.
                self._stopping.wait(MIN_INTERVAL)
        finally:
            connection.close()
