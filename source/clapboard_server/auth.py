"""API keys: generated once, stored hashed, checked on every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid

import sqlalchemy as sa

from .database import Database
from .errors import InvalidCredentialsError
from .schema.tables import API_KEY_TABLE
from .values import utc_now
from .wire import is_storable_text


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh API key: 128 random bits, formatted like a UUID as ftrack keys are."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


class Authenticator:
    """Maps (username, API key) to a user id, remembering successful checks."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._known: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def authenticate(self, username: str | None, api_key: str | None) -> str:
        """The id of the user; :class:`InvalidCredentialsError` when the pair is wrong."""
        if not username or not api_key:
            raise InvalidCredentialsError(
                "Missing credentials: send the user name in the ftrack-user header and the API key "
                "in the ftrack-api-key header."
            )
        if not (is_storable_text(username) and is_storable_text(api_key)):
            raise InvalidCredentialsError("A user name or API key cannot contain NUL characters or lone surrogates.")
        key_hash = hash_key(api_key)
        cached = self._known.get((username, key_hash))
        if cached is not None:
            return cached
        user_id = self._lookup(username, key_hash)
        if user_id is None:
            raise InvalidCredentialsError(
                "The supplied API key is not valid for this user. Check the ftrack-user and "
                "ftrack-api-key headers (or CLAPBOARD_API_USER / CLAPBOARD_API_KEY)."
            )
        with self._lock:
            self._known[(username, key_hash)] = user_id
        return user_id

    def _lookup(self, username: str, key_hash: str) -> str | None:
        users = self.database.catalog.table(self.database.registry.get("User"))
        keys = self.database.tables[API_KEY_TABLE]
        statement = (
            sa.select(users.c.id, keys.c.key_hash)
            .join(keys, keys.c.user_id == users.c.id)
            .where(users.c.username == username, users.c.resource_type == "user")
        )
        with self.database.engine.connect() as connection:
            for user_id, stored in connection.execute(statement):
                if hmac.compare_digest(stored, key_hash):
                    return user_id
        return None

    def issue(self, connection: sa.Connection, user_id: str) -> str:
        """Replace the user's API keys by a new one and return it (shown only this once)."""
        keys = self.database.tables[API_KEY_TABLE]
        api_key = new_key()
        connection.execute(keys.delete().where(keys.c.user_id == user_id))
        connection.execute(keys.insert().values(key_hash=hash_key(api_key), user_id=user_id, created_at=utc_now()))
        with self._lock:
            self._known = {k: v for k, v in self._known.items() if v != user_id}
        return api_key
