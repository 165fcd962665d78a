"""Administration of a server's database: users, their role grants and their API keys.

Used by the ``clapboard user`` and ``clapboard key`` commands. Every function works directly on
the database, in one transaction, and is safe while servers run on it: they check keys against
the database on every request, so a disabled user or a replaced key is refused at once. Open event
sockets are re-checked at once on PostgreSQL (through the servers' LISTEN/NOTIFY channel) and at
the next heartbeat on SQLite.

Role grants are ``UserSecurityRole`` rows naming a ``SecurityRole`` by name, for all projects or
for the projects named, as the ftrack documentation's "Working with user security roles" creates
them; what a role allows is the policy's business.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import seed
from .auth import Authenticator
from .database import Database, data_folder_url
from .errors import NotFoundError, ValidationError
from .events.hub import accounts_changed_event
from .schema import default_registry
from .writes import Writer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleGrant:
    """A security role for all projects (no ``projects``) or for the projects named."""

    role: str
    projects: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserSummary:
    """One user as ``clapboard user list`` shows it."""

    username: str
    is_active: bool
    roles: list[str] = field(default_factory=list)


def open_database(data_dir: str | Path, database_url: str | None = None) -> Database:
    """The database a server with these options uses, with its tables and built-in records."""
    database = Database(database_url or data_folder_url(Path(data_dir)), default_registry())
    database.create_schema()
    if not seed.is_seeded(database):
        seed.seed(database)
    return database


def _select(database: Database, type_name: str, *columns: str) -> sa.Select:
    """``select columns from <type_name's table>`` restricted to rows of that type."""
    entity_type = database.registry.get(type_name)
    table = database.catalog.table(entity_type)
    conditions = [table.c[column] == value for column, value in entity_type.where.items()]
    return sa.select(*(table.c[c] for c in columns)).where(*conditions)


def _one_id(connection: sa.Connection, database: Database, type_name: str, column: str, value: str) -> str:
    statement = _select(database, type_name, "id", column)
    found = connection.execute(statement.where(statement.selected_columns[column] == value)).scalar()
    if found is None:
        raise NotFoundError(f"No {type_name} has the {column} {value!r}.")
    return found


def add_user(database: Database, username: str, grants: list[RoleGrant] = (), first_name: str = "",
             last_name: str = "") -> str:
    """Create an active user with ``grants``; return its API key (shown only this once)."""
    if not username or username != username.strip():
        raise ValidationError(f"Not a usable user name: {username!r}.")
    with database.transaction() as connection:
        if seed.find_user(database, username) is not None:
            raise ValidationError(f"A user named {username!r} already exists.")
        writer = Writer(database.catalog, connection, user_id=None)
        user = writer.create("User", {"username": username, "first_name": first_name,
                                      "last_name": last_name, "is_active": True})
        for grant in grants:
            _grant(connection, database, writer, user["id"], grant)
        return Authenticator(database).issue(connection, user["id"])


def _grant(connection: sa.Connection, database: Database, writer: Writer, user_id: str, grant: RoleGrant) -> None:
    role_id = _one_id(connection, database, "SecurityRole", "name", grant.role)
    project_ids = [_one_id(connection, database, "Project", "name", name) for name in grant.projects]
    user_role = writer.create("UserSecurityRole", {
        "user_id": user_id, "security_role_id": role_id, "is_all_projects": not project_ids,
    })
    for project_id in project_ids:
        writer.create("UserSecurityRoleProject", {"user_security_role_id": user_role["id"], "project_id": project_id})


def list_users(database: Database) -> list[UserSummary]:
    """Every user with its role grants, by user name."""
    users = _select(database, "User", "id", "username", "is_active")
    grants = _select(database, "UserSecurityRole", "id", "user_id", "security_role_id", "is_all_open_projects")
    roles = _select(database, "SecurityRole", "id", "name")
    links = _select(database, "UserSecurityRoleProject", "user_security_role_id", "project_id")
    projects = _select(database, "Project", "id", "name")
    with database.engine.connect() as connection:
        role_names = dict(connection.execute(roles).all())
        project_names = dict(connection.execute(projects).all())
        granted: dict[str, list[str]] = {}
        for link in connection.execute(links):
            granted.setdefault(link.user_security_role_id, []).append(project_names.get(link.project_id, "?"))
        by_user: dict[str, list[str]] = {}
        for grant in connection.execute(grants):
            scope = "all projects" if grant.is_all_open_projects else ", ".join(sorted(granted.get(grant.id, [])))
            by_user.setdefault(grant.user_id, []).append(f"{role_names.get(grant.security_role_id, '?')} ({scope})")
        rows = connection.execute(users.order_by(users.selected_columns.username)).all()
    return [UserSummary(row.username, row.is_active is True, sorted(by_user.get(row.id, []))) for row in rows]


def set_active(database: Database, username: str, active: bool) -> None:
    """Enable or disable ``username``; a disabled user is refused on every request and socket."""
    with database.transaction() as connection:
        user_id = _one_id(connection, database, "User", "username", username)
        Writer(database.catalog, connection, user_id=None).update("User", [user_id], {"is_active": active})
    _announce(database, user_id)


def reset_key(database: Database, username: str) -> str:
    """Replace the API key of ``username``; return the new key (shown only this once)."""
    with database.transaction() as connection:
        user_id = _one_id(connection, database, "User", "username", username)
        api_key = Authenticator(database).issue(connection, user_id)
    _announce(database, user_id)
    return api_key


def _announce(database: Database, user_id: str) -> None:
    """Ask the servers sharing a PostgreSQL database to re-check the user's open sockets now."""
    if database.is_sqlite:
        return  # servers on SQLite re-check open sockets at every heartbeat
    import psycopg

    from .events.postgres import announce

    event: dict[str, Any] = accounts_changed_event({user_id})
    try:
        announce(database.url, event)
    except (psycopg.Error, OSError) as error:  # the change is committed; sockets are re-checked at the next heartbeat
        log.warning("Could not notify running servers of the change: %s", error)
