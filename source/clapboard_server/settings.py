"""Server-wide settings and secrets, kept in the database so every server process shares them.

A setting is a named text value in the ``server_setting`` table. :func:`secret` returns a named
random secret, creating it on first use; when two processes create it at once, both end up with
the value that was stored first.
"""

from __future__ import annotations

import secrets as _secrets

import sqlalchemy as sa

from .database import Database
from .schema.tables import SETTING_TABLE


def get(database: Database, name: str) -> str | None:
    """The value of setting ``name``, or None when it is not set."""
    table = database.tables[SETTING_TABLE]
    with database.engine.connect() as connection:
        return connection.execute(sa.select(table.c.value).where(table.c.name == name)).scalar()


def set_default(database: Database, name: str, value: str) -> str:
    """Store ``value`` for ``name`` unless a value is already stored; return the stored value."""
    stored = get(database, name)
    if stored is not None:
        return stored
    table = database.tables[SETTING_TABLE]
    try:
        with database.transaction() as connection:
            connection.execute(table.insert().values(name=name, value=value))
    except sa.exc.IntegrityError:  # another process stored it first
        pass
    stored = get(database, name)
    assert stored is not None
    return stored


def put(database: Database, name: str, value: str | None) -> None:
    """Store ``value`` for ``name``, replacing any stored value (None removes the setting)."""
    table = database.tables[SETTING_TABLE]
    with database.transaction() as connection:
        connection.execute(table.delete().where(table.c.name == name))
        if value is not None:
            connection.execute(table.insert().values(name=name, value=value))


def secret(database: Database, name: str, size: int = 32) -> bytes:
    """The random secret ``name`` (``size`` bytes), shared by every process on ``database``."""
    return bytes.fromhex(set_default(database, f"secret.{name}", _secrets.token_hex(size)))
