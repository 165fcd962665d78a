"""Yes/no answers for one place: may this user do this action on a row placed here?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from .anchors import GLOBAL, OPEN, OWNER, anchor
from .grants import Grants
from .locate import Place
from .reads import READ_ROLES_TABLE, WRITE_ROLES_TABLE

if TYPE_CHECKING:
    from ..query.scope import Catalog


class Decider:
    """Checks permissions of one user against places; look-ups are remembered."""

    def __init__(self, catalog: Catalog, connection: sa.Connection, grants: Grants) -> None:
        self.catalog = catalog
        self.connection = connection
        self.grants = grants
        self._assigned: set[str] | None = None
        self._configurations: dict[tuple[str, str], set[str]] = {}

    def may(self, action: str, place: Place, alternatives: tuple[str, ...] = ()) -> str | None:
        """None when allowed, else the permission that is missing."""
        if self.grants.superuser:
            return None
        spec = anchor(place.table)
        if spec.kind == GLOBAL and action == "read" and spec.read_project:
            covered = any(g.covers(place.project_id) for g in self.grants.holding("projects.read") if not g.assigned)
            return None if covered else "projects.read"
        if spec.kind == OPEN or (spec.kind == GLOBAL and action == "read"):
            return None
        if spec.kind == OWNER:
            return None if place.owner_id == self.grants.user_id else f"own {place.table} rows only"
        wanted = f"{place.group}.{action}"
        for candidate in (wanted, *alternatives):
            if self._holds(candidate, place, action):
                return None
        return wanted

    def _holds(self, wanted: str, place: Place, action: str) -> bool:
        spec = anchor(place.table)
        unscoped = place.project_id is None and spec.kind != GLOBAL and spec.unscoped_readable
        for grant in self.grants.holding(wanted):
            if grant.assigned:
                if place.context_id is None or place.context_id not in self.assigned_tasks():
                    continue
                if not (grant.all_projects or place.project_id in grant.projects):
                    continue
            elif not (grant.covers(place.project_id) or unscoped):
                continue
            if place.configuration_id is not None and not self._configuration_allows(grant.role_id, place, action):
                continue
            return True
        return False

    def _configuration_allows(self, role_id: str, place: Place, action: str) -> bool:
        table_name = READ_ROLES_TABLE if action == "read" else WRITE_ROLES_TABLE
        key = (table_name, role_id)
        if key not in self._configurations:
            table = self.catalog.tables[table_name]
            self._configurations[key] = {row[0] for row in self.connection.execute(
                sa.select(table.c.configuration_id).where(table.c.security_role_id == role_id))}
        return place.configuration_id in self._configurations[key]

    def assigned_tasks(self) -> set[str]:
        if self._assigned is None:
            appointment = self.catalog.tables["appointment"]
            self._assigned = {row[0] for row in self.connection.execute(
                sa.select(appointment.c.context_id).where(
                    appointment.c.resource_id == self.grants.user_id, appointment.c.type == "assignment"))}
        return self._assigned
