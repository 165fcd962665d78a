"""A server instance: registry, database, authentication and the handling of API calls."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from clapboard import collector

from . import actions, invites, limits, private, seed, settings, wire
from .auth import Authenticator
from .database import Database, data_folder_url
from .errors import ApiError
from .events import EventHub
from .folder_lock import FolderLock
from .idempotency import IdempotencyStore
from .limits import Limits
from .mail import Mailer
from .media.ffmpeg import Ffmpeg
from .media.jobs import EncodeJobs
from .media.thumbnails import CACHE_FOLDER, Thumbnails
from .policy import Policy
from .query import parser
from .query.plans import Plans
from .schema import Registry, default_registry
from .signing import Signer
from .storage import Storage, links
from .storage.store import open_backend
from .web import tables as web_tables
from .widgets import Widgets

log = logging.getLogger(__name__)
ADMIN_KEY_FILE = "admin-api-key"
#: Name of the server-wide secret (in the database) that signs upload and download URLs.
STORAGE_SECRET = "storage"
#: Name of the server-wide secret that signs widget URLs.
LINK_SECRET = "links"
#: Most API calls one server process runs at once (more wait for a thread).
API_WORKERS = 32


class Server:
    """Everything a running server holds, independent of the HTTP layer."""

    def __init__(self, data_dir: Path, database_url: str | None = None, registry: Registry | None = None,
                 admin_user: str = "admin", *, ffmpeg: str | None = None, encode_workers: int | None = None,
                 smtp: str | None = None, storage: str | None = None,
                 storage_options: Mapping[str, Any] | None = None, limits: Limits | None = None) -> None:
        #: What one request may cost (see :mod:`clapboard_server.limits`).
        self.limits = limits if limits is not None else Limits.resolve()
        self.data_dir = private.make_folder(Path(data_dir))
        #: Where component data lives: None for the data folder, or ``s3://BUCKET[/PREFIX]``.
        self.storage_url = storage
        self.storage_options = dict(storage_options or {})
        self.registry = registry or default_registry()
        self.database = Database(database_url or data_folder_url(self.data_dir), self.registry)
        #: SQLite serves one server process: hold the data folder while running.
        self._folder_lock = FolderLock(self.data_dir) if self.database.is_sqlite else None
        self.authenticator = Authenticator(self.database)
        #: Authorization: what each user may read and do.
        self.policy = Policy(self.database)
        self.idempotency = IdempotencyStore(self.database.tables)
        #: Compiled queries by shape and reader.
        self.plans = Plans(self.database.catalog, self.database.engine.dialect,
                           self.limits.parse_cache_bytes)
        self.admin_user = admin_user
        #: The admin's API key when this process knows it (created now, or read from the data folder).
        self.admin_key: str | None = None
        self.new_admin_key = False
        #: The event hub; started by :meth:`prepare`.
        self.events = EventHub(self.database, self.authenticator, policy=self.policy, limits=self.limits)
        #: Component data of the ``ftrack.server`` location; set up by :meth:`prepare`.
        self.storage: Storage | None = None
        #: Threads running API calls (the database work) off the event loop.
        self.workers = ThreadPoolExecutor(max_workers=API_WORKERS, thread_name_prefix="clapboard-api")
        #: Media encoding in background workers, with ``ffmpeg`` (default: imageio-ffmpeg's).
        self.encoding = EncodeJobs(self, Ffmpeg(ffmpeg), encode_workers)
        #: Scaled thumbnails, widget pages and their signer; set up by :meth:`prepare`.
        self.thumbnails: Thumbnails | None = None
        self.signer: Signer | None = None
        self.widgets: Widgets | None = None
        #: Sends invitations when an SMTP server is configured (``smtp`` or CLAPBOARD_SMTP_URL).
        self.mailer = Mailer.configured(smtp)
        invites.define_table(self.database)
        web_tables.define(self.database)

    def prepare(self) -> None:
        """Create tables, seed a new database and make sure the admin's key is known."""
        parser.CACHE.resize(min(parser.CACHE.max_bytes, self.limits.parse_cache_bytes))  # process-wide
        self.database.create_schema()
        if not seed.is_seeded(self.database):
            seed.seed(self.database)
        elif self.database.is_sqlite:
            self.database.analyze()  # statistics for the data an earlier run left
        backend = open_backend(self.data_dir, self.storage_url, self.storage_options)
        self.storage = Storage(self.data_dir, self.database, settings.secret(self.database, STORAGE_SECRET), backend)
        self.thumbnails = Thumbnails(self.storage.files, self.data_dir / CACHE_FOLDER)
        self.signer = Signer(settings.secret(self.database, LINK_SECRET))
        self.widgets = Widgets(self, self.signer)
        if self.database.is_sqlite:  # this process alone serves the data folder
            self.encoding.finish_or_fail_abandoned()
        self.admin_key = self._admin_key()
        self.events.start()
        # What is alive now (schema, tables, prepared statements) lives as long as the server:
        # keep it out of the collector's full passes, which otherwise walk it during big batches.
        gc.freeze()

    def _admin_key(self) -> str | None:
        """The admin's key: new on a new database, else the one this data folder remembers."""
        key_file = self.data_dir / ADMIN_KEY_FILE
        key = seed.ensure_admin(self.database, self.authenticator, self.admin_user)
        if key is not None:
            private.write_text(key_file, key + "\n")
            self.new_admin_key = True
            return key
        if key_file.exists():
            stored = key_file.read_text(encoding="utf-8").strip()
            try:
                self.authenticator.authenticate(self.admin_user, stored)
                return stored
            except ApiError:
                pass
        log.warning("The API key of %s is not in %s (another server created it, or it was reset); "
                    "issue a new one with: clapboard key reset %s", self.admin_user, key_file, self.admin_user)
        return None

    def answer(
        self, operations: Any, user_id: str, server_url: str | None = None, idempotency_key: str | None = None
    ) -> bytes:
        """:meth:`call`, answered with the JSON of the wire (see :func:`.wire.dumps`).

        The answer of a batch with an idempotency key is encoded once, for the client and for
        the stored response a retry gets.
        """
        encoded: list[bytes] = []
        results = self.call(operations, user_id, server_url, idempotency_key, encoded=encoded)
        return encoded[0] if encoded else wire.dumps(results, self.limits)

    def call(
        self, operations: Any, user_id: str, server_url: str | None = None, idempotency_key: str | None = None,
        *, encoded: list[bytes] | None = None,
    ) -> list[Any]:
        """Run a batch of operations in one transaction: all results, or an ApiError.

        ``server_url`` is the server's URL as the client reached it (for upload URLs). A write
        batch sent with an ``idempotency_key`` already committed by this user is not run again:
        the first run's results are returned. When ``encoded`` is a list, the JSON of a first
        run's stored response is appended to it (when the answer may be sent as it is).
        """
        if not isinstance(operations, list):
            raise actions.ValidationError("The request body must be a JSON array of operations.")
        limits.check(len(operations), "max_operations", self.limits,
                     f"The batch has {len(operations):,} operations", status_code=413)
        writes = any(isinstance(o, dict) and isinstance(o.get("action"), str) and o["action"] in actions.WRITE_ACTIONS
                     for o in operations)
        key = self.idempotency.check(idempotency_key) if writes and idempotency_key is not None else None
        # Collection resumes once the batch's own objects are gone (only its results remain).
        with collector.paused(len(operations)) if writes else _NO_PAUSE:
            return self._call(operations, user_id, server_url, writes, key, encoded)

    def _call(self, operations: list[Any], user_id: str, server_url: str | None, writes: bool, key: str | None,
              encoded: list[bytes] | None) -> list[Any]:
        try:
            with limits.applied(self.limits), self.database.transaction(write=writes) as connection, \
                    links.signing(self.storage.tokens, user_id):
                if key is not None:
                    replayed = self.idempotency.claim(connection, key, user_id)
                    if replayed is not None:
                        return replayed
                context = actions.CallContext(self, connection, user_id, server_url)
                if writes:
                    context.writer.read_ahead(operations)
                results = [actions.run(context, operation) for operation in operations]
                if context._writer is not None:
                    context._writer.finish()
                    removed = _user_ids(context._writer.changes, ("remove",))
                    if removed:
                        self.authenticator.forget(connection, removed)
                        web_tables.forget_users(connection, self.database, removed)
                for step in context.before_commit:  # every operation succeeded: side effects last
                    step()
                if key is not None:
                    answer = _encoded_answer(results, self.limits) if encoded is not None else None
                    self.idempotency.complete(connection, key, user_id, results, answer)
                    if answer is not None:
                        encoded.append(answer)
        except sa.exc.DataError as error:  # a value the database cannot hold or compute (overflow...)
            raise actions.ValidationError(f"The database refused a value: {_database_reason(error)}.") from None
        except sa.exc.OperationalError as error:
            reason = _database_reason(error)
            if not any(words in reason for words in _TOO_COMPLEX):
                raise
            # A safety net behind the query limits: never a 500 for a query SQLite finds too complex.
            raise limits.LimitExceededError(f"The query is too complex for the database ({reason})",
                                            "max_query_depth", self.limits.max_query_depth) from None
        if context._writer is not None and context._writer.changes:
            self.after_commit(context._writer.changes, user_id)
        if writes and any(isinstance(o, dict) and o.get("action") == "reset_remote" for o in operations):
            self.events.accounts_changed(None)  # a key was replaced: re-check every open socket
        for callback in context.on_commit:
            try:
                callback()
            except Exception:
                log.exception("A post-commit step of an API call failed")
        return results

    def after_commit(self, changes: list[dict], user_id: str) -> None:
        """Called with what a successful batch changed: publish ``ftrack.update``."""
        self.database.note_writes(len(changes))
        self.events.publish_changes(changes, user_id)
        users = _user_ids(changes, ("update", "remove"))
        if users:
            self.events.accounts_changed(users)

    def close(self) -> None:
        gc.unfreeze()  # this server's objects may be collected once released
        self.encoding.close()
        self.workers.shutdown(wait=True)
        self.events.close()
        self.database.dispose()
        if self._folder_lock is not None:
            self._folder_lock.release()


#: Reads run with the collector as it is (a generator context manager costs more than it).
_NO_PAUSE = contextlib.nullcontext()

#: SQLite's words for a statement beyond its compile-time limits.
_TOO_COMPLEX = ("parser stack overflow", "Expression tree is too large", "too many terms",
                "at most 64 tables in a join", "too many SQL variables")


def _encoded_answer(results: list[Any], server_limits: Limits) -> bytes | None:
    """The wire JSON of ``results``; None when the answer cannot be sent (it is refused later,
    after the commit, as any answer that cannot be sent)."""
    try:
        return wire.dumps(results, server_limits)
    except ApiError:
        return None


def _database_reason(error: sa.exc.DBAPIError) -> str:
    """The database's own short reason for ``error``, without the SQL statement."""
    diagnostic = getattr(error.orig, "diag", None)
    reason = getattr(diagnostic, "message_primary", None) or str(error.orig).split("\n")[0]
    return reason.rstrip(".")


def _user_ids(changes: list[dict], kinds: tuple[str, ...]) -> set[str]:
    """Ids of the users a batch changed in one of these ways (``update``, ``remove``)."""
    return {str(c["key"].get("id")) for c in changes if c["action"] in kinds and c["entity_type"] == "User"}
