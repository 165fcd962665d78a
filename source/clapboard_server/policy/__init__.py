"""Authorization: what a user may read and do, decided in this one place.

Roles are data: each :class:`SecurityRole` lists its ``permissions`` in the vocabulary of
:mod:`.vocabulary`; a user holds roles through ``UserSecurityRole`` rows, on all projects or on
some. From a user id the policy loads the grants (one indexed query, per request: no cache
outlives a request) and answers

- :meth:`Policy.rules`: row predicates the query compiler adds to every table it touches;
- :meth:`Policy.guard`: checks of creates, updates, deletes, key resets and component files;
- :meth:`Policy.visible_places`: which ``ftrack.update`` entities an event subscriber may see;
- :meth:`Policy.permits`: whether :meth:`Policy.guard` would allow a write (a dry run, for pages
  that show edit controls only to users who may use them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import PermissionDeniedError
from ..held_readers import GRANTS_MEMO
from .anchors import Anchor, anchor, group_of
from .decide import Decider
from .grants import SYSTEM, Grant, Grants
from .grants import compiled as compiled_grants
from .grants import decode_rows as decode_grant_rows
from .grants import load as load_grants
from .guard import WriteGuard
from .locate import Locator, Place
from .reads import ReadRules
from .vocabulary import ACTIONS, GLOBAL_GROUPS, GROUPS, PROJECT_GROUPS, allows, invalid_permissions

if TYPE_CHECKING:
    from ..database import Database
    from ..query.scope import Catalog


#: How many users' last read grants are remembered.
REMEMBERED_USERS = 4096
#: How many users' grants a held SQLite read connection keeps.
MEMO_USERS = 256


class Policy:
    """The server's authorization decisions, for any user, on any connection."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.catalog: Catalog = database.catalog
        #: The statement reading a user's grants (bound to the user's id).
        self.grants_statement = compiled_grants(self.catalog, database.engine.dialect)
        #: Each recent user's grants as last read: a guess, for reading the grants and running a
        #: query built for them in one round trip on PostgreSQL (see :mod:`..actions.pipelined`;
        #: None on SQLite). Never used as the grants themselves.
        self._last_read: OrderedDict[str, Grants] | None = None if database.is_sqlite else OrderedDict()
        self._last_read_lock = threading.Lock()

    def grants(self, connection: sa.Connection, user_id: str | None) -> Grants:
        """The grants of ``user_id`` as stored in the state ``connection`` reads.

        On a held SQLite read connection (:mod:`..held_readers`) the grants read last for the
        user are kept with SQLite's ``data_version`` of the transaction that read them: while it
        is unchanged, no connection of any process has committed anything since, so they are
        still what is stored (a write anywhere reads them again).
        """
        if user_id is None:
            return SYSTEM
        memo = connection.info.get(GRANTS_MEMO) if type(connection) is sa.Connection else None
        if memo is not None:
            version = connection.connection.driver_connection.execute("PRAGMA data_version").fetchone()[0]
            kept = memo.get(user_id)
            if kept is not None and kept[0] == version:
                return kept[1]
        grants = self.note_grants(load_grants(self.catalog, connection, user_id, self.grants_statement))
        if memo is not None:
            if len(memo) >= MEMO_USERS:
                memo.clear()
            memo[user_id] = (version, grants)
        return grants

    def decode_grants(self, user_id: str, rows: list[Any]) -> Grants:
        """The grants of ``user_id`` from the rows of :attr:`grants_statement`."""
        return self.note_grants(decode_grant_rows(user_id, rows))

    def note_grants(self, grants: Grants) -> Grants:
        """``grants``, remembered as the user's last read (PostgreSQL)."""
        last_read = self._last_read
        if last_read is None:
            return grants
        with self._last_read_lock:
            last_read[grants.user_id] = grants
            last_read.move_to_end(grants.user_id)
            if len(last_read) > REMEMBERED_USERS:
                last_read.popitem(last=False)
        return grants

    def last_read_grants(self, user_id: str) -> Grants | None:
        """The grants of ``user_id`` when last read by this process (they may have changed since;
        always None on SQLite)."""
        return None if self._last_read is None else self._last_read.get(user_id)

    def rules(self, connection: sa.Connection, user_id: str | None) -> ReadRules:
        return ReadRules(self.catalog, self.grants(connection, user_id))

    def guard(self, connection: sa.Connection, user_id: str | None) -> WriteGuard:
        return WriteGuard(self.catalog, connection, self.grants(connection, user_id))

    def authorize_file(self, user_id: str, component_id: str, action: str) -> None:
        """Raise :class:`~clapboard_server.errors.PermissionDeniedError` unless ``user_id`` may
        ``action`` (``read``, ``update`` or ``delete``) the data of component ``component_id``."""
        with self.database.engine.connect() as connection:
            self.guard(connection, user_id).check_component(action, component_id)

    def visible_places(self, user_id: str, places: list[Place | None]) -> list[bool]:
        """For each place (None: unknown, superusers only): whether ``user_id`` may read it."""
        with self.database.engine.connect() as connection:
            decider = Decider(self.catalog, connection, self.grants(connection, user_id))
            if decider.grants.superuser:
                return [True] * len(places)
            return [place is not None and decider.may("read", place) is None for place in places]

    def permits(self, user_id: str, action: str, type_name: str, row: dict[str, Any],
                changed: Iterable[str] = ()) -> bool:
        """Whether ``user_id`` may ``action`` (``create``, ``update`` or ``delete``) an entity.

        The same check as a write batch makes, without writing: for ``create`` ``row`` is the
        row about to be stored; for ``update`` and ``delete`` it holds the primary key and the
        stored row is read (an entity that does not exist, or that the user cannot find, is not
        permitted). ``changed`` names the attributes an update would change.
        """
        entity_type = self.catalog.registry.get(type_name)
        with self.database.engine.connect() as connection:
            if action != "create":
                table = self.catalog.table(entity_type)
                key = [table.c[name] == row.get(name) for name in entity_type.primary_key]
                stored = connection.execute(sa.select(table).where(*key)).mappings().first()
                if stored is None:
                    return False
                row = dict(stored)
            try:
                self.guard(connection, user_id).check(action, entity_type, row, changed)
            except PermissionDeniedError:
                return False
        return True


__all__ = [
    "ACTIONS", "GLOBAL_GROUPS", "GROUPS", "PROJECT_GROUPS", "SYSTEM", "Anchor", "Decider", "Grant", "Grants",
    "Locator", "Place", "Policy", "ReadRules", "WriteGuard", "allows", "anchor", "group_of",
    "invalid_permissions", "load_grants",
]
