"""Handshake session ids: issued to authenticated users, claimed once by their WebSocket.

Sessions are rows of the database, so the handshake and the WebSocket may reach different
server processes (several workers on one port, or several hosts behind a load balancer): any
process can claim a session another issued, and a session is claimed at most once.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ..database import Database
from ..schema.tables import EVENT_SESSION_TABLE
from ..values import utc_now


@dataclass(frozen=True)
class Session:
    """Who completed a handshake."""

    id: str
    user_id: str
    username: str
    #: Hash of the API key the user authenticated with (re-checked while the socket is open).
    key_hash: str


class Sessions:
    """Single-use session ids that expire ``lifetime`` seconds after the handshake."""

    def __init__(self, database: Database, lifetime: float = 60.0) -> None:
        self.database = database
        self.lifetime = datetime.timedelta(seconds=lifetime)
        self.table = database.tables[EVENT_SESSION_TABLE]

    def issue(self, user_id: str, username: str, key_hash: str) -> Session:
        session = Session(secrets.token_hex(16), user_id, username, key_hash)
        now = utc_now()
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(self.table.c.expires_at <= now))
            connection.execute(self.table.insert().values(
                id=session.id, user_id=user_id, username=username, key_hash=key_hash,
                expires_at=now + self.lifetime,
            ))
        return session

    def claim(self, session_id: str) -> Session | None:
        """The session for ``session_id`` (then forgotten); None if unknown, used or expired."""
        table = self.table
        with self.database.transaction() as connection:
            row = connection.execute(
                sa.select(table.c.user_id, table.c.username, table.c.key_hash, table.c.expires_at)
                .where(table.c.id == session_id)
            ).first()
            if row is None or connection.execute(table.delete().where(table.c.id == session_id)).rowcount != 1:
                return None  # unknown, or claimed by another process in the meantime
        if row.expires_at <= utc_now():
            return None
        return Session(session_id, row.user_id, row.username, row.key_hash)
