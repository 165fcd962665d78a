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


ADMINISTRATOR_ROLE = "Administrator"


def _records() -> list[dict]:
    return json.loads(resource_path("seed", "builtin.json").read_text(encoding="utf-8"))


def seed(database: Database) -> None:
    """Insert the built-in records of ``resource/seed/builtin.json`` through the normal writer."""
    records = _records()
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


def ensure_roles(database: Database) -> None:
    """Add built-in security roles a database seeded by an older version lacks, and their
    permissions where a role has none yet (roles an administrator edited are left alone)."""
    roles = database.catalog.table(database.registry.get("SecurityRole"))
    try:
        _add_roles(database, roles)
    except (sa.exc.IntegrityError, DuplicateEntryError):  # another process added them just now
        pass


def _add_roles(database: Database, roles: sa.Table) -> None:
    with database.transaction() as connection:
        stored = {row.id: row for row in connection.execute(sa.select(roles.c.id, roles.c.name, roles.c.permissions))}
        names = {row.name for row in stored.values()}
        writer = Writer(database.catalog, connection, user_id=None)
        for record in _records():
            if record["type"] != "SecurityRole":
                continue
            data = record["data"]
            row = stored.get(data["id"])
            if row is None and data["name"] not in names:
                writer.create("SecurityRole", dict(data))
            elif row is not None and row.permissions is None:
                writer.update("SecurityRole", [data["id"]], {"permissions": data["permissions"]})


def ensure_admin(database: Database, authenticator: Authenticator, username: str = "admin") -> str | None:
    """Create the admin user if missing (an Administrator on all projects); return its API key
    when it was created now.

    An existing admin keeps its key: a second server process on the same database must not
    invalidate the key the first one printed (``clapboard key reset`` issues a new one).
    """
    ensure_roles(database)
    key = None
    if find_user(database, username) is None:
        try:
            with database.transaction() as connection:
                writer = Writer(database.catalog, connection, user_id=None)
                user = writer.create("User", {
                    "username": username, "first_name": "Admin", "last_name": "", "is_active": True,
                })
                key = authenticator.issue(connection, user["id"])
        except (sa.exc.IntegrityError, DuplicateEntryError):  # another process created it just now
            key = None
    with database.transaction() as connection:
        grant_all_projects(Writer(database.catalog, connection, user_id=None), find_user(database, username),
                           ADMINISTRATOR_ROLE)
    return key


def grant_all_projects(writer: Writer, user_id: str, role_name: str) -> None:
    """Give ``user_id`` the role ``role_name`` on all projects, unless they hold it already."""
    roles = writer.catalog.table(writer.registry.get("SecurityRole"))
    grants = writer.catalog.table(writer.registry.get("UserSecurityRole"))
    role_id = writer.connection.execute(sa.select(roles.c.id).where(roles.c.name == role_name)).scalar()
    held = writer.connection.execute(sa.select(grants.c.id).where(
        grants.c.user_id == user_id, grants.c.security_role_id == role_id, grants.c.is_all_open_projects.is_(True),
    )).first()
    if role_id is not None and held is None:
        writer.create("UserSecurityRole", {
            "user_id": user_id, "security_role_id": role_id, "is_all_projects": True,
        })
