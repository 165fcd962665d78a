"""API keys: generated once, stored hashed, checked against the database on every request.

Nothing is remembered between requests: each check is one indexed look-up of the key's hash
(the primary key of the ``api_key`` table) joined to its user. So renaming, deleting or
deactivating a user, or resetting a key, takes effect at once on every server process sharing the
database, and a key reset cannot race with a request that would cache the old key.

Only users whose ``is_active`` is true get in. As on ftrack, a user created without the attribute
is inactive until an administrator activates it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

import sqlalchemy as sa

from .database import Database
from .errors import InvalidCredentialsError
from .schema.tables import API_KEY_TABLE
from .values import utc_now
from .wire import is_storable_text


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A fresh API key: 128 random bits, formatted like a UUID as ftrack keys are."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


class Authenticator:
    """Maps (username, API key) to the id of an active user."""

    def __init__(self, database: Database) -> None:
        self.database = database
        users = database.catalog.table(database.registry.get("User"))
        keys = database.tables[API_KEY_TABLE]
        self._by_key = (
            sa.select(users.c.id, users.c.is_active)
            .join(keys, keys.c.user_id == users.c.id)
            .where(keys.c.key_hash == sa.bindparam("key_hash"), users.c.username == sa.bindparam("username"),
                   users.c.resource_type == "user")
        )
        self._by_id = sa.select(users.c.is_active).where(users.c.id == sa.bindparam("user_id"),
                                                         users.c.resource_type == "user")

    def authenticate(self, username: str | None, api_key: str | None) -> str:
        """The id of the user; :class:`InvalidCredentialsError` when the pair is wrong."""
        if not username or not api_key:
            raise InvalidCredentialsError(
                "Missing credentials: send the user name in the ftrack-user header and the API key "
                "in the ftrack-api-key header."
            )
        if not (is_storable_text(username) and is_storable_text(api_key)):
            raise InvalidCredentialsError("A user name or API key cannot contain NUL characters or lone surrogates.")
        return self.verify(username, hash_key(api_key))

    def verify(self, username: str, key_hash: str) -> str:
        """The id of the active user ``username`` whose key hashes to ``key_hash``."""
        found = None if "\x00" in username else self._lookup(username, key_hash)
        if found is None:
            raise InvalidCredentialsError(
                "The supplied API key is not valid for this user. Check the ftrack-user and "
                "ftrack-api-key headers (or CLAPBOARD_API_USER / CLAPBOARD_API_KEY)."
            )
        user_id, is_active = found
        if is_active is not True:
            raise InvalidCredentialsError(f"The user {username} is not active; ask an administrator to activate it.")
        return user_id

    def check_active(self, user_id: str) -> None:
        """Raise :class:`InvalidCredentialsError` unless ``user_id`` is an existing, active user."""
        with self.database.engine.connect() as connection:
            row = connection.execute(self._by_id, {"user_id": user_id}).first()
        if row is None or row.is_active is not True:
            raise InvalidCredentialsError("The user of this link no longer exists or is disabled.")

    def _lookup(self, username: str, key_hash: str) -> tuple[str, bool | None] | None:
        """(user id, is_active) of ``username`` if ``key_hash`` is its key's hash."""
        with self.database.engine.connect() as connection:
            row = connection.execute(self._by_key, {"key_hash": key_hash, "username": username}).first()
        return None if row is None else (row.id, row.is_active)

    def forget(self, connection: sa.Connection, user_ids: set[str]) -> None:
        """Delete the keys of ``user_ids`` (deleted users), in ``connection``'s transaction."""
        keys = self.database.tables[API_KEY_TABLE]
        connection.execute(keys.delete().where(keys.c.user_id.in_(sorted(user_ids))))

    def issue(self, connection: sa.Connection, user_id: str) -> str:
        """Replace the user's API keys by a new one and return it (shown only this once).

        The old key stops working when ``connection``'s transaction commits.
        """
        keys = self.database.tables[API_KEY_TABLE]
        api_key = new_key()
        connection.execute(keys.delete().where(keys.c.user_id == user_id))
        connection.execute(keys.insert().values(key_hash=hash_key(api_key), user_id=user_id, created_at=utc_now()))
        return api_key
