"""An exclusive lock on a server's data folder, held while the server runs.

SQLite lets one server process own a database: a second server started on the same data
folder would compete for SQLite's write lock and fail some writes. The lock makes it refuse to
start instead, with a message that says what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one server per folder is on the user
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "server.lock"


class FolderInUseError(RuntimeError):
    """Another server process holds the data folder."""


class FolderLock:
    """Holds ``<folder>/server.lock`` exclusively until :meth:`release`."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_FILE
        self._descriptor: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self._descriptor, 64, 0).decode("ascii", "replace").strip()
            self.release()
            raise FolderInUseError(
                f"Another clapboard server (process {holder or 'unknown'}) is using the data folder "
                f"{Path(folder).resolve()}. SQLite serves one server process: stop the other server, "
                "choose another --data-dir, or run several servers on PostgreSQL (--database)."
            ) from None
        os.ftruncate(self._descriptor, 0)
        os.pwrite(self._descriptor, str(os.getpid()).encode("ascii"), 0)

    def release(self) -> None:
        """Let another server use the folder."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
