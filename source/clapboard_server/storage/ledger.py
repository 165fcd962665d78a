"""Upload URLs are single-use: the ledger of the tokens in use or used, in the database.

A token is claimed when its upload starts (so two concurrent uploads with one URL cannot both
run) and released only if the upload fails, so a failed upload can be retried. The ledger lives in
the database so every server process sharing it refuses a URL another process has used. Rows are
removed once their token has expired (the token is refused for its expiry anyway).
"""

from __future__ import annotations

import datetime as _dt

import sqlalchemy as sa

from ..database import Database
from ..schema.tables import TOKEN_USE_TABLE


def _utc(timestamp: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc).replace(tzinfo=None)


class TokenLedger:
    """Records which single-use tokens have been claimed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.tables[TOKEN_USE_TABLE]

    def claim(self, signature: str, expires: float, now: float) -> bool:
        """Mark ``signature`` used; False when it already was."""
        try:
            with self.database.transaction() as connection:
                connection.execute(self.table.delete().where(self.table.c.expires_at < _utc(now)))
                connection.execute(self.table.insert().values(signature=signature, expires_at=_utc(expires)))
        except sa.exc.IntegrityError:
            return False
        return True

    def release(self, signature: str) -> None:
        """Make ``signature`` usable again (its upload failed and stored nothing)."""
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(self.table.c.signature == signature))
