"""A server instance: registry, database, authentication and the handling of API calls."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

from . import actions, invites, seed
from .auth import Authenticator
from .database import Database
from .errors import ApiError
from .events import EventHub
from .mail import Mailer
from .media import links
from .media.ffmpeg import Ffmpeg
from .media.jobs import EncodeJobs
from .media.thumbnails import CACHE_FOLDER, Thumbnails
from .schema import Registry, default_registry
from .signing import Signer
from .storage import Storage
from .widgets import Widgets

log = logging.getLogger(__name__)
ADMIN_KEY_FILE = "admin-api-key"


class Server:
    """Everything a running server holds, independent of the HTTP layer."""

    def __init__(self, data_dir: Path, database_url: str | None = None, registry: Registry | None = None,
                 admin_user: str = "admin", *, ffmpeg: str | None = None, encode_workers: int | None = None,
                 smtp: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.registry = registry or default_registry()
        url = database_url or f"sqlite:///{self.data_dir / 'clapboard.db'}"
        self.database = Database(url, self.registry)
        self.authenticator = Authenticator(self.database)
        self.admin_user = admin_user
        self.admin_key: str | None = None
        self.new_admin_key = False
        #: The event hub; started by :meth:`prepare`.
        self.events = EventHub(self.database, self.authenticator)
        #: Component data of the ``ftrack.server`` location.
        self.storage = Storage(self.data_dir)
        #: Signs self-authenticating links (widgets, thumbnails).
        self.signer = Signer.in_folder(self.data_dir)
        #: Media encoding in background workers, with ``ffmpeg`` (default: imageio-ffmpeg's).
        self.encoding = EncodeJobs(self, Ffmpeg(ffmpeg), encode_workers)
        self.thumbnails = Thumbnails(self.storage.files, self.data_dir / CACHE_FOLDER)
        self.widgets = Widgets(self, self.signer)
        #: Sends invitations when an SMTP server is configured (``smtp`` or CLAPBOARD_SMTP_URL).
        self.mailer = Mailer.configured(smtp)
        invites.define_table(self.database)

    def prepare(self) -> None:
        """Create tables, seed a new database and make sure the admin's key is known."""
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

    def call(self, operations: Any, user_id: str, server_url: str | None = None) -> list[Any]:
        """Run a batch of operations in one transaction: all results, or an ApiError.

        ``server_url`` is the server's URL as the client reached it (for upload URLs).
        """
        if not isinstance(operations, list):
            raise actions.ValidationError("The request body must be a JSON array of operations.")
        writes = any(isinstance(o, dict) and o.get("action") in actions.WRITE_ACTIONS for o in operations)
        with links.component_links(self.signer, server_url, user_id), \
                self.database.transaction(write=writes) as connection:
            context = actions.CallContext(self, connection, user_id, server_url)
            results = [actions.run(context, operation) for operation in operations]
            if context._writer is not None:
                context._writer.finish()
        if context._writer is not None and context._writer.changes:
            self.after_commit(context._writer.changes, user_id)
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

    def close(self) -> None:
        self.encoding.close()
        self.events.close()
        self.database.dispose()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(path, flags, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
