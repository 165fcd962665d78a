"""Rate limiting of failed logins, counted in the database so every server process agrees.

A failed login is recorded once for the user name and once for the client's address. While
either has :data:`MAX_PER_USER` (resp. :data:`MAX_PER_ADDRESS`) failures within :data:`WINDOW`,
logins for it are refused without checking the password, until the oldest of those failures
leaves the window. A successful login forgets the user name's failures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..values import utc_now
from . import tables

if TYPE_CHECKING:
    from ..database import Database

WINDOW = datetime.timedelta(minutes=15)
MAX_PER_USER = 5
MAX_PER_ADDRESS = 30


@dataclass(frozen=True)
class Subject:
    """What failures are counted against: a user name or a client address, and its allowance."""

    key: str
    allowed: int


def subjects(username: str, address: str) -> list[Subject]:
    return [Subject(f"user:{username.strip().lower()[:256]}", MAX_PER_USER),
            Subject(f"address:{address[:64]}", MAX_PER_ADDRESS)]


class LoginLimiter:
    """Records failed logins and says how long a subject must wait."""

    def __init__(self, database: Database) -> None:
        tables.define(database)
        self.database = database
        self.table = database.tables[tables.LOGIN_FAILURE_TABLE]

    def wait(self, subjects: list[Subject]) -> datetime.timedelta | None:
        """How long until a login for ``subjects`` is allowed again; None when it is allowed now."""
        now = utc_now()
        table = self.table
        longest = None
        with self.database.engine.connect() as connection:
            for subject in subjects:
                times = connection.execute(
                    sa.select(table.c.failed_at)
                    .where(table.c.subject == subject.key, table.c.failed_at > now - WINDOW)
                    .order_by(table.c.failed_at.desc()).limit(subject.allowed)
                ).scalars().all()
                if len(times) >= subject.allowed:
                    remaining = times[-1] + WINDOW - now
                    longest = remaining if longest is None else max(longest, remaining)
        return longest

    def failed(self, subjects: list[Subject]) -> None:
        """Record a failed login against each of ``subjects`` (and forget failures out of the window)."""
        now = utc_now()
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(self.table.c.failed_at <= now - WINDOW))
            connection.execute(self.table.insert(), [{"subject": s.key, "failed_at": now} for s in subjects])

    def succeeded(self, subject: Subject) -> None:
        """Forget the failures of ``subject`` (the user name, after a successful login)."""
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(self.table.c.subject == subject.key))
