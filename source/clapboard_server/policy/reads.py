"""Row predicates for queries: which rows of a table one user may read.

The query compiler asks :meth:`ReadRules.predicate` for every alias it adds to a statement (the
root, each join, each ``EXISTS`` and sub-query) and adds the answer to the alias's condition.
``None`` means no restriction: superusers and shared definitions cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..schema import EntityType
from . import sql
from .anchors import GLOBAL, OPEN, OWNER, PROJECT, Anchor, anchor
from .grants import Grant, Grants

if TYPE_CHECKING:
    from ..query.scope import Catalog

CUSTOM_ATTRIBUTE_TABLES = ("custom_attribute_value",)
READ_ROLES_TABLE = "custom_attribute_read_security_role"
WRITE_ROLES_TABLE = "custom_attribute_write_security_role"


class ReadRules:
    """What one user may read, as SQL conditions."""

    def __init__(self, catalog: Catalog, grants: Grants) -> None:
        self.catalog = catalog
        self.grants = grants
        self._configurations: dict[str, set[str]] = {}

    @property
    def unrestricted(self) -> bool:
        return self.grants.superuser

    def predicate(self, entity_type: EntityType, alias: sa.FromClause) -> sa.ColumnElement | None:
        """The condition on ``alias`` (rows of ``entity_type``) for readable rows; None: all are."""
        if self.grants.superuser:
            return None
        spec = anchor(entity_type.table)
        if spec.kind == GLOBAL and spec.read_project:
            return self._reach(Anchor(PROJECT, "projects", column=spec.read_project), alias, "projects", None)
        if spec.kind in (GLOBAL, OPEN):
            return None
        if spec.kind == OWNER:
            return alias.c[spec.column] == self.grants.user_id
        role_condition = self._configuration_condition(alias) if entity_type.table in CUSTOM_ATTRIBUTE_TABLES else None
        condition = self._by_group(spec, entity_type, alias, role_condition)
        if spec.also is not None:
            other = self._reach(spec.also, alias, spec.also.group, None)
            condition = _both(condition, other)
        return condition

    def _by_group(self, spec: Anchor, entity_type: EntityType, alias: sa.FromClause,
                  role_condition: Callable[[Grant], sa.ColumnElement] | None) -> sa.ColumnElement | None:
        if spec.split is None:
            return self._reach(spec, alias, spec.group, role_condition)
        column, value, other_group = spec.split
        kinds = {t.where.get(column) for t in self._types(entity_type)}
        if kinds == {value}:
            return self._reach(spec, alias, other_group, role_condition)
        if value not in kinds and None not in kinds:
            return self._reach(spec, alias, spec.group, role_condition)
        if self._signature(spec.group) == self._signature(other_group):
            return self._reach(spec, alias, spec.group, role_condition)
        split = alias.c[column] == value
        return sa.or_(
            sa.and_(split, _condition(self._reach(spec, alias, other_group, role_condition))),
            sa.and_(sa.not_(split), _condition(self._reach(spec, alias, spec.group, role_condition))),
        )

    def _types(self, entity_type: EntityType) -> list[EntityType]:
        registry = self.catalog.registry
        found = [t for t in registry.concrete_types(entity_type.table) if t.is_a(entity_type)]
        return found or [entity_type]

    def _signature(self, group: str) -> frozenset:
        return frozenset((g.all_projects, g.projects, g.assigned, g.role_id)
                         for g in self.grants.holding(f"{group}.read"))

    def _reach(self, spec: Anchor, alias: sa.FromClause, group: str,
               role_condition: Callable[[Grant], sa.ColumnElement] | None) -> sa.ColumnElement | None:
        """Rows placed by ``spec`` that some grant holding ``<group>.read`` covers."""
        holding = self.grants.holding(f"{group}.read")
        project = sql.row_project(self.catalog, spec, alias)
        projects: set[str] = set()
        everywhere = False
        terms: list[sa.ColumnElement] = []
        for grant in holding:
            extra = role_condition(grant) if role_condition is not None else None
            if grant.assigned:
                context = sql.row_context(self.catalog, spec, alias)
                if context is None:
                    continue
                parts = [context.in_(self._assigned_tasks())]
                if not grant.all_projects:
                    parts.append(project.in_(sorted(grant.projects)))
                terms.append(sa.and_(*parts, *([extra] if extra is not None else [])))
            elif extra is not None:
                terms.append(extra if grant.all_projects else sa.and_(project.in_(sorted(grant.projects)), extra))
            elif grant.all_projects:
                everywhere = True
            else:
                projects |= grant.projects
        if everywhere:
            return None
        if projects:
            terms.append(project.in_(sorted(projects)))
        if spec.unscoped_readable:
            unscoped = project.is_(None)
            if role_condition is not None:
                unscoped = sa.and_(unscoped, sa.or_(sa.false(), *(role_condition(g) for g in holding)))
            terms.append(unscoped)
        return sa.or_(*terms) if terms else sa.false()

    def _assigned_tasks(self) -> sa.Select:
        appointment = self.catalog.tables["appointment"]
        return sa.select(appointment.c.context_id).where(
            appointment.c.resource_id == self.grants.user_id, appointment.c.type == "assignment"
        )

    def _configuration_condition(self, alias: sa.FromClause) -> Callable[[Grant], sa.ColumnElement]:
        readers = self.catalog.tables[READ_ROLES_TABLE]

        def condition(grant: Grant) -> sa.ColumnElement:
            return alias.c.configuration_id.in_(
                sa.select(readers.c.configuration_id).where(readers.c.security_role_id == grant.role_id)
            )
        return condition

    # -- custom attribute configurations (for the dense ``custom_attributes`` collection) ----------

    def readable_configurations(self, connection: sa.Connection, project_id: str | None) -> set[str] | None:
        """Ids of the configurations whose values the user may read on ``project_id``; None: all."""
        if self.grants.superuser:
            return None
        roles = {g.role_id for g in self.grants.holding("custom_attributes.read")
                 if g.all_projects or project_id is None or project_id in g.projects}
        return self._configurations_of(connection, READ_ROLES_TABLE, roles)

    def _configurations_of(self, connection: sa.Connection, table_name: str, roles: set[str]) -> set[str]:
        key = f"{table_name}:{','.join(sorted(roles))}"
        if key not in self._configurations:
            table = self.catalog.tables[table_name]
            statement = sa.select(table.c.configuration_id).where(table.c.security_role_id.in_(sorted(roles)))
            self._configurations[key] = {row[0] for row in connection.execute(statement)} if roles else set()
        return self._configurations[key]


def _condition(value: sa.ColumnElement | None) -> sa.ColumnElement:
    return sa.true() if value is None else value


def _both(first: sa.ColumnElement | None, second: sa.ColumnElement | None) -> sa.ColumnElement | None:
    if first is None:
        return second
    if second is None:
        return first
    return sa.and_(first, second)
