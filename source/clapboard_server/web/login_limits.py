"""Rate limiting of failed logins, counted in the database so every server process agrees.

Each login attempt is recorded *before* its password is checked, once for the user name and once
for the client's address, in a transaction of its own; then the attempts within :data:`WINDOW`
are counted. When either count is over its allowance (:data:`MAX_PER_USER`,
:data:`MAX_PER_ADDRESS`) the login is refused without checking the password and its records are
removed. So parallel attempts, on one process or many, cannot get more guesses than the
allowance: each sees the others' records. A failed login leaves its records (they are the
failures counted); a successful one removes them and the user name's earlier failures.
"""

from __future__ import annotations

import datetime
import uuid
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
    """What attempts are counted against: a user name or a client address, and its allowance."""

    key: str
    allowed: int


def subjects(username: str, address: str) -> list[Subject]:
    """The user name's and the address's subjects (allowances read now, so they can be changed)."""
    return [Subject(f"user:{username.strip().lower()[:256]}", MAX_PER_USER),
            Subject(f"address:{address[:64]}", MAX_PER_ADDRESS)]


@dataclass(frozen=True)
class Attempt:
    """A login attempt allowed to check its password: its records, one per subject."""

    subjects: tuple[Subject, ...]
    record_ids: tuple[str, ...]


class LoginLimiter:
    """Records login attempts and refuses those over the allowance."""

    def __init__(self, database: Database) -> None:
        tables.define(database)
        self.database = database
        self.table = database.tables[tables.LOGIN_FAILURE_TABLE]

    def attempt(self, subjects: list[Subject]) -> Attempt | datetime.timedelta:
        """Record an attempt for ``subjects``: an :class:`Attempt` when it may check its password,
        else how long until one may (nothing stays recorded then)."""
        now = utc_now()
        table = self.table
        records = [{"id": str(uuid.uuid4()), "subject": s.key, "failed_at": now} for s in subjects]
        own = {record["id"] for record in records}
        with self.database.transaction() as connection:
            connection.execute(table.delete().where(table.c.failed_at <= now - WINDOW))
            connection.execute(table.insert(), records)
        longest = None
        with self.database.engine.connect() as connection:
            for subject in subjects:
                rows = connection.execute(
                    sa.select(table.c.id, table.c.failed_at)
                    .where(table.c.subject == subject.key, table.c.failed_at > now - WINDOW)
                ).all()
                if len(rows) <= subject.allowed:
                    continue
                others = sorted((row.failed_at for row in rows if row.id not in own), reverse=True)
                remaining = others[subject.allowed - 1] + WINDOW - now
                longest = remaining if longest is None else max(longest, remaining)
        if longest is not None:
            self._forget(table.c.id.in_(sorted(own)))
            return max(longest, datetime.timedelta(seconds=1))
        return Attempt(tuple(subjects), tuple(record["id"] for record in records))

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt's password was right: forget its records and the user name's failures."""
        user = attempt.subjects[0]
        self._forget(sa.or_(self.table.c.id.in_(attempt.record_ids), self.table.c.subject == user.key))

    def _forget(self, condition: sa.ColumnElement[bool]) -> None:
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(condition))
