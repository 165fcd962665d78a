"""Computed attributes assembled in Python after the rows are loaded (one statement per batch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ValidationError
from ..schema import EntityType, Property
from ..schema.tables import ANCESTRY_TABLE
from ..storage.links import component_link

if TYPE_CHECKING:
    from .scope import Catalog

Entry = tuple[Any, dict[str, Any], EntityType]
Filler = Callable[["Catalog", sa.Connection, Property, list[Entry]], None]
_FILLERS: dict[str, Filler] = {}
#: Fillers whose values depend on what the reading user may see (called with ``rules=``).
_USER_DEPENDENT: set[str] = set()
_CHUNK = 500


def register(name: str, user_dependent: bool = False) -> Callable[[Filler], Filler]:
    def decorator(function: Filler) -> Filler:
        _FILLERS[name] = function
        if user_dependent:
            _USER_DEPENDENT.add(name)
        return function
    return decorator


def names() -> list[str]:
    return sorted(_FILLERS)


def fill(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry], rules: Any) -> None:
    """Compute ``prop`` for ``entries`` as seen by the user ``rules`` (ReadRules) describe."""
    filler = _FILLERS.get(prop.computed)
    if filler is None:
        raise ValidationError(f"Attribute {prop.name!r} is computed by {prop.computed!r}, which this server lacks.")
    entries = [e for e in entries if prop.name in e[2].properties]
    if prop.computed in _USER_DEPENDENT:
        filler(catalog, connection, prop, entries, rules=rules)
    else:
        filler(catalog, connection, prop, entries)


def _chunks(values: list[Any]):
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def context_links(catalog: Catalog, connection: sa.Connection, ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    """For each context id: ``[{id, name, type}, ...]`` from the project down to the context."""
    context = catalog.table(catalog.registry.get("Context"))
    ancestry = catalog.tables[ANCESTRY_TABLE]
    links: dict[Any, list[tuple[int, dict[str, Any]]]] = {i: [] for i in ids}

    def item(row) -> dict[str, Any]:
        kind = "Project" if row.context_type == "show" else "TypedContext"
        return {"id": row.id, "name": row.name, "type": kind}

    for chunk in _chunks(list(links)):
        own = sa.select(context.c.id, context.c.name, context.c.context_type).where(context.c.id.in_(chunk))
        for row in connection.execute(own):
            links[row.id].append((0, item(row)))
        above = (
            sa.select(ancestry.c.context_id.label("owner"), ancestry.c.depth, context.c.id, context.c.name, context.c.context_type)
            .join(context, context.c.id == ancestry.c.ancestor_id)
            .where(ancestry.c.context_id.in_(chunk))
        )
        for row in connection.execute(above):
            links[row.owner].append((row.depth, item(row)))
    return {key: [entry for _, entry in sorted(value, key=lambda pair: -pair[0])] for key, value in links.items()}


@register("link")
def link(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
    contexts = [e for e in entries if e[2].table == catalog.registry.get("Context").table]
    versions = [e for e in entries if e[2].name == "AssetVersion"]
    if contexts:
        links = context_links(catalog, connection, [e[0] for e in contexts])
        for entity_id, entity, _ in contexts:
            entity[prop.name] = links.get(entity_id, [])
    if versions:
        _version_links(catalog, connection, prop, versions)


def _version_links(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
    version = catalog.table(catalog.registry.get("AssetVersion"))
    asset = catalog.table(catalog.registry.get("Asset"))
    details = {}
    for chunk in _chunks([e[0] for e in entries]):
        statement = (
            sa.select(version.c.id, version.c.version, asset.c.name, asset.c.context_id)
            .join(asset, asset.c.id == version.c.asset_id, isouter=True)
            .where(version.c.id.in_(chunk))
        )
        details.update({row.id: row for row in connection.execute(statement)})
    parents = context_links(catalog, connection, [r.context_id for r in details.values() if r.context_id])
    for entity_id, entity, _ in entries:
        row = details.get(entity_id)
        if row is None:
            continue
        label = f"{row.name} v{(row.version or 0):03d}"
        entity[prop.name] = parents.get(row.context_id, []) + [
            {"id": entity_id, "name": label, "type": "AssetVersion"}
        ]


@register("thumbnail_url")
def thumbnail_url(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
    """A URL of the server's thumbnail endpoint, or None without a thumbnail."""
    by_type: dict[str, list[Entry]] = {}
    for entry in entries:
        by_type.setdefault(entry[2].table, []).append(entry)
    for table_name, group in by_type.items():
        table = catalog.tables[table_name]
        if "thumbnail_id" not in table.c:
            for _, entity, _ in group:
                entity[prop.name] = None
            continue
        thumbnails = {}
        for chunk in _chunks([e[0] for e in group]):
            statement = sa.select(table.c.id, table.c.thumbnail_id).where(table.c.id.in_(chunk))
            thumbnails.update(dict(connection.execute(statement).all()))
        for entity_id, entity, _ in group:
            component_id = thumbnails.get(entity_id)
            entity[prop.name] = {"url": component_link("thumbnail", component_id)} if component_id else None


@register("group_link")
def group_link(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
    """A group's path in the group tree: ``[{id, name, type}, ...]`` from the root down."""
    group = catalog.table(catalog.registry.get("Group"))
    groups = {
        row.id: row for row in connection.execute(
            sa.select(group.c.id, group.c.name, group.c.parent_id).where(group.c.resource_type == "group")
        )
    }
    for entity_id, entity, _ in entries:
        path, current, seen = [], groups.get(entity_id), set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            path.append({"id": current.id, "name": current.name, "type": "Group"})
            current = groups.get(current.parent_id)
        entity[prop.name] = list(reversed(path))


def _url_filler(endpoint: str, column: str) -> Filler:
    def filler(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
        by_table: dict[str, list[Entry]] = {}
        for entry in entries:
            by_table.setdefault(entry[2].table, []).append(entry)
        for table_name, group in by_table.items():
            table = catalog.tables[table_name]
            key = table.c[group[0][2].primary_key[0]]
            found = {}
            for chunk in _chunks([e[0] for e in group]):
                found.update(dict(connection.execute(sa.select(key, table.c[column]).where(key.in_(chunk))).all()))
            for entity_id, entity, _ in group:
                target = found.get(entity_id)
                entity[prop.name] = {"url": component_link(endpoint, target)} if target else None
    return filler


register("component_url")(_url_filler("get", "component_id"))
register("component_location_url")(_url_filler("get", "component_id"))
register("component_thumbnail_url")(_url_filler("thumbnail", "component_id"))


@register("review_session_thumbnail_url")
def review_session_thumbnail_url(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry]) -> None:
    from . import computed_sql

    session = catalog.table(catalog.registry.get("ReviewSession")).alias()
    thumbnail = computed_sql.review_session_thumbnail_id(catalog, session, catalog.registry.get("ReviewSession"))
    found = {}
    for chunk in _chunks([e[0] for e in entries]):
        found.update(dict(connection.execute(sa.select(session.c.id, thumbnail).where(session.c.id.in_(chunk))).all()))
    for entity_id, entity, _ in entries:
        component_id = found.get(entity_id)
        entity[prop.name] = {"url": component_link("thumbnail", component_id)} if component_id else None
