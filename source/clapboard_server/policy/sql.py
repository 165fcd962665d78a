"""SQL for anchors: a row's project id (and assigned context) as an expression on its alias.

Hops become correlated scalar sub-queries joined along the chain, so each row costs a few
primary-key look-ups and nothing is materialised for the whole table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from .anchors import ANY_OF, HOP, POLYMORPHIC, PROJECT, Anchor, anchor

if TYPE_CHECKING:
    from ..query.scope import Catalog

#: Tables a polymorphic parent may live in.
PARENT_TABLES = ("context", "asset_version", "asset", "component", "note", "list", "review_session_object",
                 "review_session")


def row_project(catalog: Catalog, spec: Anchor, alias: sa.FromClause) -> sa.ColumnElement | None:
    """The project id of the rows of ``alias`` (placed by ``spec``); None for unplaced tables."""
    if spec.kind == PROJECT:
        return alias.c[spec.column]
    if spec.kind == HOP:
        return project_of(catalog, spec.table, alias.c[spec.column])
    if spec.kind == POLYMORPHIC:
        whens = []
        for table, names in parent_type_names(catalog).items():
            if anchor(table) is spec:
                continue  # notes do not annotate notes (replies use in_reply_to)
            whens.append((alias.c[spec.type_column].in_(names), project_of(catalog, table, alias.c[spec.column])))
        return sa.case(*whens, else_=sa.null())
    if spec.kind == ANY_OF:
        return sa.func.coalesce(*(project_of(catalog, table, alias.c[spec.column]) for table in spec.tables))
    return None


def project_of(catalog: Catalog, table: str, key: sa.ColumnElement) -> sa.ColumnElement:
    """The project id of the row of ``table`` whose id is ``key`` (a scalar sub-query)."""
    target = catalog.tables[table].alias()
    condition = target.c.id == key
    spec = anchor(table)
    while spec.kind == HOP:  # follow plain hops with joins in one sub-query
        following = catalog.tables[spec.table].alias()
        condition = sa.and_(condition, following.c.id == target.c[spec.column])
        target, spec = following, anchor(spec.table)
    value = row_project(catalog, spec, target)
    if value is None:
        return sa.null()
    return sa.select(value).where(condition).limit(1).scalar_subquery()


def row_context(catalog: Catalog, spec: Anchor, alias: sa.FromClause) -> sa.ColumnElement | None:
    """The context an ASSIGNED grant is checked against; None when such grants do not apply."""
    if spec.assigned is None:
        return None
    if spec.assigned_table is None:
        return alias.c[spec.assigned]
    target = catalog.tables[spec.assigned_table].alias()
    inner = row_context(catalog, anchor(spec.assigned_table), target)
    if inner is None:
        return None
    return sa.select(inner).where(target.c.id == alias.c[spec.assigned]).limit(1).scalar_subquery()


def parent_type_names(catalog: Catalog) -> dict[str, list[str]]:
    """For each table a polymorphic parent may be in: the type names stored for it."""
    names: dict[str, list[str]] = {}
    for entity_type in catalog.registry.types.values():
        if entity_type.table in PARENT_TABLES:
            names.setdefault(entity_type.table, []).append(entity_type.name)
    return names
