"""The dense ``custom_attributes`` collection: one value per applicable configuration.

Which configurations apply follows the data-model reference (D.6): the legacy entity type
(``show``, ``task`` with its object type, ``assetversion``, ``asset``, ``user``, ``list``), the
project (a project-specific configuration shadows a global one with the same key), and every
hierarchical configuration for projects, typed contexts, assets and versions. Beyond ftrack,
a hierarchical attribute without a value of its own inherits the nearest ancestor's value.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..schema import EntityType, Property, Registry
from ..schema.tables import ANCESTRY_TABLE
from .computed_python import Entry, register

if TYPE_CHECKING:
    from ..policy import ReadRules
    from .scope import Catalog

HIERARCHICAL_KINDS = ("show", "task", "asset", "assetversion")


def _decode(text: Any) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def legacy_kind(registry: Registry, entity_type: EntityType) -> str | None:
    """The legacy configuration ``entity_type`` (show, task, ...) of ``entity_type``'s entities."""
    for kind, base in (("show", "Project"), ("task", "TypedContext"), ("assetversion", "AssetVersion"),
                       ("asset", "Asset"), ("user", "User"), ("list", "List")):
        other = registry.types.get(base)
        if other is not None and entity_type.is_a(other):
            return kind
    return None


def owner_details(catalog: Catalog, connection: sa.Connection, kind: str, ids: list[Any]) -> dict[Any, tuple]:
    """For each id: (object type id, project id, context id for inheritance)."""
    registry = catalog.registry
    if kind in ("show", "task"):
        context = catalog.table(registry.get("Context"))
        statement = sa.select(context.c.id, context.c.object_type_id, context.c.project_id).where(context.c.id.in_(ids))
        return {row.id: (row.object_type_id, row.project_id, row.id) for row in connection.execute(statement)}
    if kind in ("asset", "assetversion"):
        asset = catalog.table(registry.get("Asset"))
        context = catalog.table(registry.get("Context"))
        if kind == "asset":
            statement = sa.select(asset.c.id, context.c.project_id, asset.c.context_id)
            source = asset
        else:
            version = catalog.table(registry.get("AssetVersion"))
            statement = sa.select(version.c.id, context.c.project_id, asset.c.context_id).join(
                asset, asset.c.id == version.c.asset_id, isouter=True)
            source = version
        statement = statement.join(context, context.c.id == asset.c.context_id, isouter=True).where(source.c.id.in_(ids))
        return {row[0]: (None, row[1], row[2]) for row in connection.execute(statement)}
    return {i: (None, None, None) for i in ids}


@register("custom_attributes", user_dependent=True)
def custom_attributes(catalog: Catalog, connection: sa.Connection, prop: Property, entries: list[Entry],
                      rules: ReadRules) -> None:
    """Fill the values of the configurations the reader may read (their ``read_security_roles``)."""
    registry = catalog.registry
    configuration = catalog.table(registry.get("CustomAttributeConfiguration"))
    values = catalog.table(registry.get("CustomAttributeValue"))
    configurations = connection.execute(sa.select(
        configuration.c.id, configuration.c.key, configuration.c.entity_type, configuration.c.object_type_id,
        configuration.c.project_id, configuration.c.is_hierarchical, configuration.c.default,
    ).order_by(configuration.c.sort, configuration.c.key)).all()
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries:
        kind = legacy_kind(registry, entry[2])
        if kind is None:
            entry[1][prop.name] = []
        else:
            by_kind.setdefault(kind, []).append(entry)
    for kind, group in by_kind.items():
        ids = [entry[0] for entry in group]
        owners = owner_details(catalog, connection, kind, ids)
        inherit_from = _ancestors(catalog, connection, [o[2] for o in owners.values() if o[2]])
        lookup = set(ids) | {a for chain in inherit_from.values() for a in chain}
        stored = {}
        for start in range(0, len(lookup), 500):
            chunk = list(lookup)[start:start + 500]
            statement = sa.select(values.c.configuration_id, values.c.entity_id, values.c.value).where(values.c.entity_id.in_(chunk))
            stored.update({(r.configuration_id, r.entity_id): r.value for r in connection.execute(statement)})
        for entity_id, entity, _ in group:
            object_type_id, project_id, context_id = owners.get(entity_id, (None, None, None))
            readable = rules.readable_configurations(connection, project_id)
            chosen: dict[str, Any] = {}
            for config in configurations:
                applies = (config.entity_type == kind and (kind != "task" or config.object_type_id == object_type_id)) or (
                    config.is_hierarchical and kind in HIERARCHICAL_KINDS)
                if not applies or config.project_id not in (None, project_id):
                    continue
                if readable is not None and config.id not in readable:
                    continue
                if config.key in chosen and chosen[config.key].project_id is not None:
                    continue  # a project-specific configuration shadows the global one
                chosen[config.key] = config
            result = []
            for config in chosen.values():
                value = stored.get((config.id, entity_id))
                if value is None and config.is_hierarchical:
                    for ancestor in inherit_from.get(context_id, ()):
                        value = stored.get((config.id, ancestor))
                        if value is not None:
                            break
                result.append({
                    "__entity_type__": prop.target, "configuration_id": config.id, "entity_id": entity_id,
                    "key": config.key, "value": _decode(value if value is not None else config.default),
                })
            entity[prop.name] = result


def _ancestors(catalog: Catalog, connection: sa.Connection, context_ids: list[Any]) -> dict[Any, list[Any]]:
    """For each context id: itself (for assets: their context) then its ancestors, nearest first."""
    ancestry = catalog.tables[ANCESTRY_TABLE]
    chains: dict[Any, list[tuple]] = {i: [(0, i)] for i in context_ids}
    for start in range(0, len(context_ids), 500):
        chunk = context_ids[start:start + 500]
        statement = sa.select(ancestry.c.context_id, ancestry.c.ancestor_id, ancestry.c.depth).where(ancestry.c.context_id.in_(chunk))
        for row in connection.execute(statement):
            chains[row.context_id].append((row.depth, row.ancestor_id))
    return {key: [a for _, a in sorted(chain)] for key, chain in chains.items()}
