"""Where changed entities sit in the hierarchy: the ``parents`` of ``ftrack.update`` entities.

A parent is followed through the first reference of ``PARENT_REFERENCES`` an entity type has
(contexts, assets and notes: ``parent``; versions: ``asset``; components: ``version``). Context
ancestors come from the ancestry table in one query, other parents one query per table and hop;
rows changed by the batch (deleted ones included) are used as they were last written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..database import Database
from ..schema import REFERENCE, EntityType
from ..schema.tables import ANCESTRY_TABLE

PARENT_REFERENCES = ("parent", "asset", "version")
MAX_HOPS = 4
_CHUNK = 500

Key = tuple[str, str]  # (table, id)


@dataclass(frozen=True)
class Node:
    """An entity in the hierarchy and the link to its parent."""

    entity_type: EntityType
    row: Mapping[str, Any]
    id: str
    parent: tuple[EntityType, str] | None

    @property
    def key(self) -> Key:
        return (self.entity_type.table, self.id)


def node(entity_type: EntityType, row: Mapping[str, Any], registry: Any) -> Node | None:
    """The node of a stored row; None for types without a single-column key."""
    if len(entity_type.primary_key) != 1:
        return None
    column = entity_type.properties[entity_type.primary_key[0]].column
    if row.get(column) is None:
        return None
    return Node(entity_type, row, str(row[column]), _parent_link(entity_type, row, registry))


def _parent_link(entity_type: EntityType, row: Mapping[str, Any], registry: Any) -> tuple[EntityType, str] | None:
    for name in PARENT_REFERENCES:
        prop = entity_type.properties.get(name)
        if prop is None or prop.kind != REFERENCE or not prop.column or not row.get(prop.column):
            continue
        target = registry.types.get(row.get(prop.type_column)) if prop.type_column else None
        target = target or registry.types.get(prop.target)
        return (target, str(row[prop.column])) if target is not None else None
    return None


class Lineage:
    """Parents of the entities of one batch, loaded with a few queries."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.registry = database.registry
        self.nodes: dict[Key, Node] = {}
        self._absent: set[Key] = set()  # parents that no longer exist

    def load(self, changed: Iterable[tuple[EntityType, Mapping[str, Any]]]) -> None:
        """Know ``changed`` (type, row) pairs and fetch their ancestors."""
        for entity_type, row in changed:
            found = node(entity_type, row, self.registry)
            if found is not None:
                self.nodes[found.key] = found
        with self.database.engine.connect() as connection:
            for _ in range(MAX_HOPS):
                missing: dict[str, tuple[EntityType, set[str]]] = {}
                for known in list(self.nodes.values()):
                    if known.parent is None:
                        continue
                    target, parent_id = known.parent
                    if (target.table, parent_id) not in self.nodes and (target.table, parent_id) not in self._absent:
                        missing.setdefault(target.table, (target, set()))[1].add(parent_id)
                if not missing:
                    break
                for target, ids in missing.values():
                    self._fetch(connection, target, sorted(ids))

    def chain(self, entity_type: EntityType, row: Mapping[str, Any]) -> list[Node]:
        """The entity's node followed by its known ancestors, nearest first."""
        current = node(entity_type, row, self.registry)
        chain: list[Node] = []
        seen: set[Key] = set()
        while current is not None and current.key not in seen:
            chain.append(current)
            seen.add(current.key)
            if current.parent is None:
                break
            target, parent_id = current.parent
            current = self.nodes.get((target.table, parent_id))
        return chain

    def _fetch(self, connection: sa.Connection, target: EntityType, ids: list[str]) -> None:
        table = self.database.catalog.table(target)
        key_column = table.c[target.properties[target.primary_key[0]].column]
        ancestry = self.database.tables[ANCESTRY_TABLE] if target.table == self._context_table else None
        rows = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            condition = key_column.in_(chunk)
            if ancestry is not None:  # the whole way up in the same query
                above = sa.select(ancestry.c.ancestor_id).where(ancestry.c.context_id.in_(chunk))
                condition = sa.or_(condition, key_column.in_(above))
            rows += connection.execute(sa.select(table).where(condition)).mappings().all()
        base = self._base_type(target)
        for row in rows:
            concrete = self.registry.resolve_row_type(base, row)
            found = node(concrete, dict(row), self.registry)
            if found is not None:
                self.nodes.setdefault(found.key, found)
        self._absent.update((target.table, parent_id) for parent_id in ids if (target.table, parent_id) not in self.nodes)

    @property
    def _context_table(self) -> str:
        return self.registry.get("Context").table

    def _base_type(self, target: EntityType) -> EntityType:
        """The most general type stored in ``target``'s table, to resolve any row of it."""
        for entity_type in self.registry.types.values():
            if entity_type.table == target.table and not entity_type.where:
                return entity_type
        return target
