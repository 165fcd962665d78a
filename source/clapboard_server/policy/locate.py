"""Where one row belongs, found row by row (for writes, files and events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import sql
from .anchors import ANCHORS, ANY_OF, HOP, POLYMORPHIC, PROJECT, Anchor, anchor, group_of

if TYPE_CHECKING:
    from ..query.scope import Catalog


@dataclass(frozen=True)
class Place:
    """A row's permission group, project (None: not in a project) and assigned context."""

    table: str
    group: str | None
    project_id: str | None
    context_id: str | None = None
    owner_id: str | None = None
    #: The custom attribute configuration of a value, checked against its security roles.
    configuration_id: str | None = None

    def to_json(self) -> list:
        return [self.table, self.group, self.project_id, self.context_id, self.owner_id, self.configuration_id]

    @classmethod
    def from_json(cls, value: list) -> Place:
        return cls(*value)


class Locator:
    """Finds the place of rows, remembering look-ups for the length of one batch."""

    def __init__(self, catalog: Catalog, connection: sa.Connection) -> None:
        self.catalog = catalog
        self.connection = connection
        self._memo: dict[tuple, Any] = {}

    def place(self, table: str, row: dict[str, Any]) -> Place:
        spec = anchor(table)
        owner = row.get(spec.column) if spec.column and spec.kind not in (PROJECT, HOP, POLYMORPHIC, ANY_OF) else None
        return Place(
            table, group_of(table, row), self.project(spec, row), self.context(spec, row), owner,
            row.get("configuration_id") if table == "custom_attribute_value" else None,
        )

    def project(self, spec: Anchor, row: dict[str, Any]) -> str | None:
        if spec.kind == PROJECT:
            return row.get(spec.column)
        if spec.read_project:
            return row.get(spec.read_project)
        value = row.get(spec.column) if spec.column else None
        if value is None:
            answered = self._answered(spec, row)
            return None if answered is None else self.project(spec, answered)
        if spec.kind == HOP:
            return self._project_of(spec.table, value)
        if spec.kind == POLYMORPHIC:
            # The declared type's table first; then by id anywhere, so a wrong type cannot
            # move a row out of the project it really hangs from.
            tables = [t for t in sql.parent_type_names(self.catalog) if anchor(t) is not spec]
            declared = [t for t in tables if row.get(spec.type_column) in sql.parent_type_names(self.catalog)[t]]
            for table in declared + [t for t in tables if t not in declared]:
                if self._exists(table, value):
                    return self._project_of(table, value)
            return None
        if spec.kind == ANY_OF:
            for table in spec.tables:
                found = self._project_of(table, value)
                if found is not None:
                    return found
        return None

    def context(self, spec: Anchor, row: dict[str, Any]) -> str | None:
        if spec.assigned is not None and row.get(spec.assigned) is None:
            answered = self._answered(spec, row)
            return None if answered is None else self.context(spec, answered)
        if spec.assigned is None or row.get(spec.assigned) is None:
            return None
        value = row[spec.assigned]
        if spec.assigned_table is None:
            return value
        key = ("context", spec.assigned_table, value)
        if key not in self._memo:
            target = self.catalog.tables[spec.assigned_table].alias()
            expression = sql.row_context(self.catalog, anchor(spec.assigned_table), target)
            self._memo[key] = None if expression is None else self.connection.execute(
                sa.select(expression).where(target.c.id == value)
            ).scalar()
        return self._memo[key]

    def _answered(self, spec: Anchor, row: dict[str, Any]) -> dict[str, Any] | None:
        """The row ``row`` answers (a reply's note), when it has no parent of its own; at most
        :data:`~.sql.THREAD_DEPTH` answers deep, as queries see it."""
        if spec.thread is None or row.get(spec.thread) is None or row.get("__depth__", 0) >= sql.THREAD_DEPTH:
            return None
        key = ("answered", spec.thread, row[spec.thread])
        if key not in self._memo:
            table = next(name for name, candidate in ANCHORS.items() if candidate is spec)
            target = self.catalog.tables[table]
            found = self.connection.execute(sa.select(target).where(target.c.id == row[spec.thread])).mappings().first()
            self._memo[key] = None if found is None else {**found, "__depth__": row.get("__depth__", 0) + 1}
        return self._memo[key]

    def _exists(self, table: str, value: Any) -> bool:
        key = ("exists", table, value)
        if key not in self._memo:
            target = self.catalog.tables[table]
            self._memo[key] = self.connection.execute(
                sa.select(sa.literal(1)).where(target.c.id == value)).first() is not None
        return self._memo[key]

    def _project_of(self, table: str, value: Any) -> str | None:
        key = ("project", table, value)
        if key not in self._memo:
            expression = sql.project_of(self.catalog, table, sa.literal(value))
            self._memo[key] = self.connection.execute(sa.select(expression)).scalar()
        return self._memo[key]
