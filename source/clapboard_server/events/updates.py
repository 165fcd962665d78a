"""``ftrack.update``: the event published after every write batch (wire protocol 8.12).

``data`` holds ``entities`` (one per changed entity), ``parents`` (the ids of every entity in
their ``parents`` lists) and ``user`` (``userid``, ``name``). Each entity carries ``entityId``
(its id; the key values joined by ``,`` for composite keys), ``entityKey`` (the key as an
object), ``entity_type`` (the schema name), ``entityType`` (the legacy lower-case name: ``show``
for projects, ``task`` for typed contexts, else the lower-cased schema name), ``objectTypeId``,
``action`` (``add``, ``update`` or ``remove``), ``keys`` (changed attribute names), ``changes``
(``{attribute: {"old": ..., "new": ...}}`` for stored attributes; datetimes as ISO strings),
``parentId`` and ``parents``: the entity itself then its ancestors, nearest first, each as
``{entityId, entityType, entity_type, parentId}``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..database import Database
from ..policy import Locator
from ..schema import COLLECTION, EntityType, Property
from ..values import from_column
from .lineage import Lineage, Node

TOPIC = "ftrack.update"
#: Key of the event holding, per entity, where it belongs (for per-subscriber filtering). It
#: travels with the event between server processes; clients get only the wire keys.
PLACES = "__clapboard_places__"


def legacy_type(entity_type: EntityType, row: Mapping[str, Any]) -> str:
    """The lower-case entity type name of ftrack's legacy API (``show``, ``task``, ...)."""
    context_type = row.get("context_type")
    return context_type if isinstance(context_type, str) else entity_type.name.lower()


def merge(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per entity: later records of the same entity fold into the first."""
    merged: dict[tuple, dict[str, Any]] = {}
    for change in changes:
        identity = (change["entity_type"], tuple(sorted(change["key"].items())))
        earlier = merged.get(identity)
        if earlier is None:
            merged[identity] = dict(change)
        elif change["action"] == "remove":
            if earlier["action"] == "add":
                del merged[identity]  # created and deleted by the same batch: nothing to tell
            else:
                merged[identity] = {**change, "previous": earlier.get("previous") or change["row"]}
        else:
            keys = earlier["keys"] + [k for k in change["keys"] if k not in earlier["keys"]]
            merged[identity] = {**earlier, "keys": keys, "row": change["row"]}
    return list(merged.values())


class UpdateBuilder:
    """Turns the change records of :meth:`Writer.record` into ``ftrack.update`` event data."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.registry = database.registry
        self._usernames: dict[str, str | None] = {}

    def username(self, user_id: str) -> str | None:
        if user_id not in self._usernames:
            users = self.database.catalog.table(self.registry.get("User"))
            with self.database.engine.connect() as connection:
                self._usernames[user_id] = connection.execute(
                    sa.select(users.c.username).where(users.c.id == user_id)
                ).scalar()
        return self._usernames[user_id]

    def data(self, changes: list[dict[str, Any]], user_id: str | None) -> dict[str, Any] | None:
        """The event data for ``changes``; None when nothing observable changed."""
        records = [(self.registry.get(c["entity_type"]), c) for c in merge(changes)]
        lineage = Lineage(self.database)
        lineage.load((entity_type, change["row"]) for entity_type, change in records)
        entities, places = [], []
        with self.database.engine.connect() as connection:
            locator = Locator(self.database.catalog, connection)
            for entity_type, change in records:
                entity = self._entity(entity_type, change, lineage)
                if entity is not None:
                    entities.append(entity)
                    place = change.get("place") or locator.place(entity_type.table, change["row"])
                    places.append(place.to_json())
        if not entities:
            return None
        parents = list(dict.fromkeys(p["entityId"] for e in entities for p in e["parents"]))
        user = {"userid": user_id, "name": self.username(user_id) if user_id else None}
        return {"entities": entities, "parents": parents, "user": user, PLACES: places}

    def _entity(self, entity_type: EntityType, change: dict[str, Any], lineage: Lineage) -> dict[str, Any] | None:
        row, previous, action = change["row"], change.get("previous") or {}, change["action"]
        keys, values = [], {}
        for name in change["keys"]:
            prop = entity_type.properties.get(name)
            if prop is None:
                continue
            if prop.kind == COLLECTION or not prop.column:
                keys.append(name)
                continue
            old = previous.get(prop.column) if action == "update" else None
            new = row.get(prop.column)
            if action == "update" and old == new:
                continue
            keys.append(name)
            values[name] = {"old": _plain(prop, old), "new": _plain(prop, new)}
        if action == "update" and not keys:
            return None
        key = {name: _plain(entity_type.properties[name], value) for name, value in change["key"].items()}
        chain = lineage.chain(entity_type, row)
        return {
            "entityId": ",".join(str(value) for value in key.values()),
            "entityKey": key,
            "entityType": legacy_type(entity_type, row),
            "entity_type": entity_type.name,
            "objectTypeId": row.get("object_type_id"),
            "action": action,
            "keys": keys,
            "changes": values,
            "parentId": chain[0].parent[1] if chain and chain[0].parent else None,
            "parents": [_parent(n) for n in chain],
        }


def _parent(node: Node) -> dict[str, Any]:
    return {
        "entityId": node.id,
        "entityType": legacy_type(node.entity_type, node.row),
        "entity_type": node.entity_type.name,
        "parentId": node.parent[1] if node.parent else None,
    }


def _plain(prop: Property, value: Any) -> Any:
    """A column value as plain JSON (datetimes as ISO 8601 strings)."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if prop.data_type in ("json", "variable"):
        return from_column(prop.data_type, value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
