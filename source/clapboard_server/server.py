"""A server instance: registry, database, authentication and the handling of API calls."""

from __future__ import annotations

import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import actions, limits, seed
from .auth import Authenticator
from .database import Database
from .errors import ApiError
from .events import EventHub
from .folder_lock import FolderLock
from .idempotency import IdempotencyStore
from .limits import Limits
from .query import parser
from .schema import Registry, default_registry
from .storage import Storage

log = logging.getLogger(__name__)
ADMIN_KEY_FILE = "admin-api-key"
#: Most API calls one server process runs at once (more wait for a thread).
API_WORKERS = 32


class Server:
    """Everything a running server holds, independent of the HTTP layer."""

    def __init__(self, data_dir: Path, database_url: str | None = None, registry: Registry | None = None,
                 admin_user: str = "admin", limits: Limits | None = None) -> None:
        #: What one request may cost (see :mod:`clapboard_server.limits`).
        self.limits = limits if limits is not None else Limits.resolve()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = registry or default_registry()
        url = database_url or f"sqlite:///{self.data_dir / 'clapboard.db'}"
        self.database = Database(url, self.registry)
        #: SQLite serves one server process: hold the data folder while running.
        self._folder_lock = FolderLock(self.data_dir) if self.database.is_sqlite else None
        self.authenticator = Authenticator(self.database)
        self.idempotency = IdempotencyStore(self.database.tables)
        self.admin_user = admin_user
        self.admin_key: str | None = None
        self.new_admin_key = False
        #: The event hub; started by :meth:`prepare`.
        self.events = EventHub(self.database, self.authenticator, limits=self.limits)
        #: Component data of the ``ftrack.server`` location.
        self.storage = Storage(self.data_dir)
        #: Threads running API calls (the database work) off the event loop.
        self.workers = ThreadPoolExecutor(max_workers=API_WORKERS, thread_name_prefix="clapboard-api")

    def prepare(self) -> None:
        """Create tables, seed a new database and make sure the admin's key is known."""
        parser.CACHE.resize(min(parser.CACHE.max_bytes, self.limits.parse_cache_bytes))  # process-wide
        self.database.create_schema()
        if not seed.is_seeded(self.database):
            seed.seed(self.database)
        elif self.database.is_sqlite:
            self.database.analyze()  # statistics for the data an earlier run left
        key = seed.ensure_admin(self.database, self.authenticator, self.admin_user)
        key_file = self.data_dir / ADMIN_KEY_FILE
        if key is None and key_file.exists():
            key = key_file.read_text(encoding="utf-8").strip()
            try:
                self.authenticator.authenticate(self.admin_user, key)
            except ApiError:
                key = None
        if key is None:
            key = seed.reissue_key(self.database, self.authenticator, self.admin_user)
        if not key_file.exists() or key_file.read_text(encoding="utf-8").strip() != key:
            self.new_admin_key = True
            _write_private(key_file, key)
        self.admin_key = key
        self.events.start()

    def call(
        self, operations: Any, user_id: str, server_url: str | None = None, idempotency_key: str | None = None
    ) -> list[Any]:
        """Run a batch of operations in one transaction: all results, or an ApiError.

        ``server_url`` is the server's URL as the client reached it (for upload URLs). A write
        batch sent with an ``idempotency_key`` already committed by this user is not run again:
        the first run's results are returned.
        """
        if not isinstance(operations, list):
            raise actions.ValidationError("The request body must be a JSON array of operations.")
        limits.check(len(operations), "max_operations", self.limits,
                     f"The batch has {len(operations):,} operations", status_code=413)
        writes = any(isinstance(o, dict) and isinstance(o.get("action"), str) and o["action"] in actions.WRITE_ACTIONS
                     for o in operations)
        key = self.idempotency.check(idempotency_key) if writes and idempotency_key is not None else None
        try:
            with limits.applied(self.limits), self.database.transaction(write=writes) as connection:
                if key is not None:
                    replayed = self.idempotency.claim(connection, key, user_id)
                    if replayed is not None:
                        return replayed
                context = actions.CallContext(self, connection, user_id, server_url)
                results = [actions.run(context, operation) for operation in operations]
                if context._writer is not None:
                    context._writer.finish()
                if key is not None:
                    self.idempotency.complete(connection, key, user_id, results)
        except sa.exc.DataError as error:  # a value the database cannot hold or compute (overflow...)
            raise actions.ValidationError(f"The database refused a value: {_database_reason(error)}.") from None
        if context._writer is not None and context._writer.changes:
            self.after_commit(context._writer.changes, user_id)
        return results

    def after_commit(self, changes: list[dict], user_id: str) -> None:
        """Called with what a successful batch changed: publish ``ftrack.update``."""
        self.database.note_writes(len(changes))
        self.events.publish_changes(changes, user_id)

    def close(self) -> None:
        self.workers.shutdown(wait=True)
        self.events.close()
        self.database.dispose()
        if self._folder_lock is not None:
            self._folder_lock.release()


def _database_reason(error: sa.exc.DBAPIError) -> str:
    """The database's own short reason for ``error``, without the SQL statement."""
    diagnostic = getattr(error.orig, "diag", None)
    reason = getattr(diagnostic, "message_primary", None) or str(error.orig).split("\n")[0]
    return reason.rstrip(".")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
