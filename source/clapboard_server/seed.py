"""First start of a database: built-in records and the admin user."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from .auth import Authenticator
from .database import Database
from .errors import DuplicateEntryError
from .schema import resource_path
from .writes import Writer

log = logging.getLogger(__name__)


def is_seeded(database: Database) -> bool:
    locations = database.catalog.table(database.registry.get("Location"))
    with database.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(locations)).scalar() > 0


def seed(database: Database) -> None:
    """Insert the built-in records of ``resource/seed/builtin.json`` through the normal writer."""
    records = json.loads(resource_path("seed", "builtin.json").read_text(encoding="utf-8"))
    with database.transaction() as connection:
        writer = Writer(database.catalog, connection, user_id=None)
        for record in records:
            writer.create(record["type"], dict(record["data"]))
    log.info("Seeded %d built-in records.", len(records))


def find_user(database: Database, username: str) -> str | None:
    users = database.catalog.table(database.registry.get("User"))
    with database.engine.connect() as connection:
        return connection.execute(
            sa.select(users.c.id).where(users.c.username == username, users.c.resource_type == "user")
        ).scalar()


def ensure_admin(database: Database, authenticator: Authenticator, username: str = "admin") -> str | None:
    """Create the admin user if missing; return its API key when it was created now.

    An existing admin keeps its key: a second server process on the same database must not
    invalidate the key the first one printed (``clapboard key reset`` issues a new one).
    """
    if find_user(database, username) is not None:
        return None
    try:
        with database.transaction() as connection:
            writer = Writer(database.catalog, connection, user_id=None)
            user = writer.create("User", {
                "username": username, "first_name": "Admin", "last_name": "", "is_active": True,
            })
            return authenticator.issue(connection, user["id"])
    except (sa.exc.IntegrityError, DuplicateEntryError):  # another process created it just now
        return None
