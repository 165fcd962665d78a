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


#: How many answered rows are followed to place a reply without a parent (a reply to a reply).
THREAD_DEPTH = 2


def row_project(catalog: Catalog, spec: Anchor, alias: sa.FromClause,
                thread_depth: int = THREAD_DEPTH) -> sa.ColumnElement | None:
    """The project id of the rows of ``alias`` (placed by ``spec``); None for unplaced tables.

    A row without a parent that answers another (a reply) is placed where the row it answers is,
    following at most ``thread_depth`` answers.
    """
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
        if spec.thread is not None and thread_depth > 0:
            whens.append((alias.c[spec.column].is_(None), _thread_project(catalog, spec, alias, thread_depth)))
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


def _another(alias: sa.FromClause) -> sa.FromClause:
    """A new alias of the table behind ``alias``."""
    return (alias.element if isinstance(alias, sa.Alias) else alias).alias()


def _thread_project(catalog: Catalog, spec: Anchor, alias: sa.FromClause, depth: int) -> sa.ColumnElement:
    """The project of the row ``alias`` answers."""
    answered = _another(alias)
    value = row_project(catalog, spec, answered, depth - 1)
    return sa.select(value).where(answered.c.id == alias.c[spec.thread]).limit(1).scalar_subquery()


def _thread_context(spec: Anchor, alias: sa.FromClause, depth: int) -> sa.ColumnElement:
    """The assigned context of ``alias``'s rows, or of the rows they answer (up to ``depth`` deep)."""
    if depth == 0:
        return alias.c[spec.assigned]
    answered = _another(alias)
    of_answered = sa.select(_thread_context(spec, answered, depth - 1)).where(answered.c.id == alias.c[spec.thread])
    return sa.func.coalesce(alias.c[spec.assigned], of_answered.limit(1).scalar_subquery())


def row_context(catalog: Catalog, spec: Anchor, alias: sa.FromClause) -> sa.ColumnElement | None:
    """The context an ASSIGNED grant is checked against; None when such grants do not apply."""
    if spec.assigned is None:
        return None
    if spec.assigned_table is None and spec.thread is not None:
        return _thread_context(spec, alias, THREAD_DEPTH)
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
