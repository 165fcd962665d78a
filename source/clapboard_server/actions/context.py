"""What an action handler gets: the server, the transaction and the acting user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..policy import Grants, ReadRules, WriteGuard
from ..writes import Writer

if TYPE_CHECKING:
    from ..server import Server


@dataclass
class CallContext:
    server: Server
    connection: sa.Connection
    user_id: str
    #: The server's public URL as the client reached it (no trailing slash), when known.
    server_url: str | None = None
    _writer: Writer | None = field(default=None, repr=False)
    #: Called once every operation has succeeded, before the commit; raising rolls the call back.
    before_commit: list[Callable[[], None]] = field(default_factory=list, repr=False)
    #: Called once the call's transaction has committed (background work, events).
    on_commit: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _grants: Grants | None = field(default=None, repr=False)
    _rules: ReadRules | None = field(default=None, repr=False)

    @property
    def grants(self) -> Grants:
        """The acting user's security roles, loaded once per call."""
        if self._grants is None:
            self._grants = self.server.policy.grants(self.connection, self.user_id)
        return self._grants

    @property
    def rules(self) -> ReadRules:
        """What the acting user may read (row predicates for queries)."""
        if self._rules is None:
            self._rules = ReadRules(self.server.database.catalog, self.grants)
        return self._rules

    @property
    def guard(self) -> WriteGuard:
        return self.writer.guard

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            catalog = self.server.database.catalog
            guard = WriteGuard(catalog, self.connection, self.grants)
            self._writer = Writer(catalog, self.connection, self.user_id, guard)
        return self._writer
