"""Idempotent write batches: a retried batch is answered from the first run's stored response.

A client sends an ``Idempotency-Key`` header with every write batch. The server records the
key, the user and the batch's response in the batch's own transaction, so the record exists
exactly when the batch was applied. A request that arrives again with the same key (the
client retrying after a lost response) gets the stored response and changes nothing. Keys
are scoped per user and forgotten after :data:`KEEP`.
"""

from __future__ import annotations

import datetime
import json
import zlib
from typing import Any

import sqlalchemy as sa

from .errors import ValidationError
from .schema.tables import IDEMPOTENCY_TABLE
from .values import utc_now

#: The request header carrying the key.
HEADER = "idempotency-key"
#: How long a response is kept for replays.
KEEP = datetime.timedelta(hours=24)
#: Longest key accepted.
MAX_KEY_LENGTH = 128
#: Write batches between two purges of expired keys.
PURGE_EVERY = 1000


class IdempotencyStore:
    """Reads and writes the stored responses of one database."""

    def __init__(self, tables: dict[str, sa.Table]) -> None:
        self.table = tables[IDEMPOTENCY_TABLE]
        self._batches_since_purge = 0

    @staticmethod
    def check(key: Any) -> str:
        """Return ``key`` if it is usable, else raise a ValidationError naming the problem."""
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ValidationError(
                f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable characters."
            )
        return key

    def claim(self, connection: sa.Connection, key: str, user_id: str) -> list[Any] | None:
        """Claim ``key`` for the batch about to run; return the stored response if it already ran.

        The claim is a row inserted at the start of the batch's transaction: a concurrent
        request with the same key waits on it (PostgreSQL) or on the write lock (SQLite), then
        finds the committed response. A batch that fails takes its claim with it.
        """
        self._batches_since_purge += 1
        if self._batches_since_purge >= PURGE_EVERY:
            self._batches_since_purge = 0
            self.purge(connection)
        table = self.table
        try:
            with connection.begin_nested():
                connection.execute(table.insert().values(key=key, user_id=user_id, response=b"", created_at=utc_now()))
        except sa.exc.IntegrityError:
            row = connection.execute(
                sa.select(table.c.response).where(table.c.key == key, table.c.user_id == user_id)
            ).first()
            if row is None:  # the key belongs to another user: refuse rather than reveal it
                raise ValidationError(f"The {HEADER} {key!r} is already in use; send a new one.") from None
            return json.loads(zlib.decompress(row[0]))
        return None

    def complete(self, connection: sa.Connection, key: str, user_id: str, results: list[Any],
                 encoded: bytes | None = None) -> None:
        """Store the batch's response with its claim, in the batch's transaction.

        ``encoded`` is the response's JSON when the caller has it already.
        """
        table = self.table
        response = zlib.compress(encoded if encoded is not None else json.dumps(results).encode("utf-8"), 1)
        connection.execute(
            table.update().where(table.c.key == key, table.c.user_id == user_id).values(response=response)
        )

    def purge(self, connection: sa.Connection) -> None:
        """Forget responses older than :data:`KEEP`."""
        cutoff = utc_now() - KEEP
        connection.execute(self.table.delete().where(self.table.c.created_at < cutoff))
