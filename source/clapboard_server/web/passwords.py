"""Web-view passwords: scrypt hashes in the database, never API keys.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` (base64 salt and digest), so the cost
can be raised later without invalidating stored passwords. Each password gets its own random
16-byte salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import NotFoundError, ValidationError
from ..values import utc_now
from . import tables

if TYPE_CHECKING:
    from ..database import Database

#: scrypt cost: 2**15 iterations of 8-block mixing (32 MiB of memory per hash, ~0.1 s).
COST = 2 ** 15
BLOCK_SIZE = 8
PARALLELISM = 1
MIN_LENGTH = 8
MAX_LENGTH = 1024


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + 2 ** 20, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """The storable hash of ``password`` with a new random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, COST, BLOCK_SIZE, PARALLELISM)
    return f"scrypt${COST}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


#: Verified against when the user has no password, so a missing user takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_strength(password: str) -> None:
    """Raise :class:`ValidationError` unless ``password`` is acceptable as a web-view password."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationError(f"A password needs {MIN_LENGTH} to {MAX_LENGTH} characters.")
    if not password.strip():
        raise ValidationError("A password cannot be only spaces.")
    if "\x00" in password:
        raise ValidationError("A password cannot contain NUL characters.")


def _users(database: Database) -> sa.Table:
    return database.catalog.table(database.registry.get("User"))


def _user_select(database: Database, *columns: str) -> sa.Select:
    entity_type = database.registry.get("User")
    users = _users(database)
    return sa.select(*(users.c[name] for name in columns)).where(
        *(users.c[column] == value for column, value in entity_type.where.items()))


def set_password(database: Database, username: str, password: str) -> None:
    """Set the web-view password of ``username`` (replacing any, and ending the user's sessions)."""
    check_strength(password)
    tables.define(database)
    passwords = database.tables[tables.PASSWORD_TABLE]
    sessions = database.tables[tables.SESSION_TABLE]
    stored = hash_password(password)
    with database.transaction() as connection:
        statement = _user_select(database, "id", "username")
        user_id = connection.execute(statement.where(statement.selected_columns.username == username)).scalar()
        if user_id is None:
            raise NotFoundError(f"No User has the username {username!r}.")
        connection.execute(passwords.delete().where(passwords.c.user_id == user_id))
        connection.execute(passwords.insert().values(user_id=user_id, password_hash=stored, changed_at=utc_now()))
        connection.execute(sessions.delete().where(sessions.c.user_id == user_id))


def authenticate(database: Database, username: str, password: str) -> tuple[str, str] | None:
    """``(user id, username)`` of the active user ``username`` if ``password`` is theirs, else None."""
    passwords = database.tables[tables.PASSWORD_TABLE]
    statement = _user_select(database, "id", "username", "is_active")
    statement = statement.add_columns(passwords.c.password_hash).join(
        passwords, passwords.c.user_id == statement.selected_columns.id)
    found = None
    if "\x00" not in username and len(username) <= MAX_LENGTH:
        with database.engine.connect() as connection:
            found = connection.execute(statement.where(statement.selected_columns.username == username)).first()
    if found is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, found.password_hash) or found.is_active is not True:
        return None
    return found.id, found.username
