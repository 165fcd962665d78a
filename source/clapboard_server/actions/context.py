"""What an action handler gets: the server, the transaction and the acting user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

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

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            self._writer = Writer(self.server.database.catalog, self.connection, self.user_id)
        return self._writer
