"""The web view's tables: password hashes, sessions and failed logins (server-side only, not entity types).

They live in the server's database, so every server process sharing it agrees on who is logged
in and how many logins failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from ..database import Database

PASSWORD_TABLE = "web_password"
SESSION_TABLE = "web_session"
LOGIN_FAILURE_TABLE = "web_login_failure"
NAMES = (PASSWORD_TABLE, SESSION_TABLE, LOGIN_FAILURE_TABLE)


def define(database: Database) -> None:
    """Add the web view's tables to ``database`` (created with the others by ``create_schema``)."""
    if PASSWORD_TABLE in database.tables:
        return
    metadata, tables = database.metadata, database.tables
    tables[PASSWORD_TABLE] = sa.Table(
        PASSWORD_TABLE, metadata,
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    tables[SESSION_TABLE] = sa.Table(
        SESSION_TABLE, metadata,
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False, index=True),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
    )
    tables[LOGIN_FAILURE_TABLE] = sa.Table(
        LOGIN_FAILURE_TABLE, metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        sa.Index("ix_web_login_failure_subject_failed_at", "subject", "failed_at"),
    )


def create(database: Database) -> None:
    """Define the web view's tables and create those missing (for tools working on a database directly)."""
    define(database)
    database.metadata.create_all(database.engine, tables=[database.tables[name] for name in NAMES])


def forget_users(connection: sa.Connection, database: Database, user_ids: set[str]) -> None:
    """Delete the passwords and sessions of ``user_ids`` (deleted users), in ``connection``'s transaction."""
    for name in (PASSWORD_TABLE, SESSION_TABLE):
        table = database.tables[name]
        connection.execute(table.delete().where(table.c.user_id.in_(sorted(user_ids))))
