"""Authorization: what a user may read and do, decided in this one place.

Roles are data: each :class:`SecurityRole` lists its ``permissions`` in the vocabulary of
:mod:`.vocabulary`; a user holds roles through ``UserSecurityRole`` rows, on all projects or on
some. From a user id the policy loads the grants (one indexed query, per request: no cache
outlives a request) and answers

- :meth:`Policy.rules`: row predicates the query compiler adds to every table it touches;
- :meth:`Policy.guard`: checks of creates, updates, deletes, key resets and component files;
- :meth:`Policy.visible_places`: which ``ftrack.update`` entities an event subscriber may see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from .anchors import Anchor, anchor, group_of
from .decide import Decider
from .grants import SYSTEM, Grant, Grants
from .grants import compiled as compiled_grants
from .grants import load as load_grants
from .guard import WriteGuard
from .locate import Locator, Place
from .reads import ReadRules
from .vocabulary import ACTIONS, GLOBAL_GROUPS, GROUPS, PROJECT_GROUPS, allows, invalid_permissions

if TYPE_CHECKING:
    from ..database import Database
    from ..query.scope import Catalog


class Policy:
    """The server's authorization decisions, for any user, on any connection."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.catalog: Catalog = database.catalog
        self._grants_statement = compiled_grants(self.catalog, database.engine.dialect)

    def grants(self, connection: sa.Connection, user_id: str | None) -> Grants:
        if user_id is None:
            return SYSTEM
        return load_grants(self.catalog, connection, user_id, self._grants_statement)

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


__all__ = [
    "ACTIONS", "GLOBAL_GROUPS", "GROUPS", "PROJECT_GROUPS", "SYSTEM", "Anchor", "Decider", "Grant", "Grants",
    "Locator", "Place", "Policy", "ReadRules", "WriteGuard", "allows", "anchor", "group_of",
    "invalid_permissions", "load_grants",
]
