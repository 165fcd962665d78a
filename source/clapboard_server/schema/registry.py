"""The registry: every entity type, the served schema documents and their hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from clapboard.suggestion import did_you_mean

from ..errors import ValidationError
from .loader import SchemaError, build_types, read_documents, validate
from .model import COLLECTION, REFERENCE, EntityType, Property


class Registry:
    """All entity types of a server, looked up by name."""

    def __init__(self, types: dict[str, EntityType]) -> None:
        self.types = types
        self._concrete_by_table: dict[str, list[EntityType]] = {}
        for entity_type in types.values():
            if not entity_type.abstract:
                self._concrete_by_table.setdefault(entity_type.table, []).append(entity_type)
        for candidates in self._concrete_by_table.values():
            # Most specific discriminator first; declaration order breaks ties.
            candidates.sort(key=lambda t: -len(t.where))
        _add_inverse_hints(types)
        self.documents: list[dict[str, Any]] = [types[name].document for name in sorted(types)]
        self.schema_hash = hashlib.md5(
            json.dumps(self.documents, sort_keys=True).encode("utf-8")
        ).hexdigest()

    def get(self, name: Any) -> EntityType:
        """The type called ``name``; a :class:`ValidationError` names unknown types."""
        entity_type = self.types.get(name) if isinstance(name, str) else None
        if entity_type is None:
            suggestion = did_you_mean(name, self.types) if isinstance(name, str) else ""
            raise ValidationError(
                f"Unknown entity type {name!r}.{suggestion or ' Query the schemas for the valid type names.'}"
            )
        return entity_type

    def prop(self, entity_type: EntityType, name: str) -> Property:
        """The property ``name`` of ``entity_type``; unknown names give a clear error."""
        prop = entity_type.properties.get(name)
        if prop is None:
            raise ValidationError(
                f"{entity_type.name} has no attribute {name!r}.{did_you_mean(name, entity_type.properties)}"
            )
        return prop

    def concrete_types(self, table: str) -> list[EntityType]:
        return self._concrete_by_table.get(table, [])

    def resolve_row_type(self, entity_type: EntityType, row: Mapping[str, Any]) -> EntityType:
        """The concrete type a stored row of ``entity_type``'s table belongs to.

        In order: the most specific subtype of ``entity_type`` whose discriminator matches;
        ``entity_type`` itself when concrete and matching (types sharing a table without a
        discriminator, such as NoteCategory and NoteLabel, read back as queried); otherwise
        the most specific matching type of the table (a reference declared as
        ContainerComponent that points at a SequenceComponent).
        """
        candidates = self._concrete_by_table.get(entity_type.table, ())
        for candidate in candidates:
            if len(candidate.where) <= len(entity_type.where):
                break
            if candidate.is_a(entity_type) and _matches(candidate, row):
                return candidate
        if not entity_type.abstract and _matches(entity_type, row):
            return entity_type
        for candidate in candidates:
            if _matches(candidate, row):
                return candidate
        return entity_type

    def discriminator_columns(self, table: str) -> list[str]:
        columns: list[str] = []
        for candidate in self._concrete_by_table.get(table, ()):
            columns.extend(c for c in candidate.where if c not in columns)
        return columns


def _matches(entity_type: EntityType, row: Mapping[str, Any]) -> bool:
    return all(row.get(column) == value for column, value in entity_type.where.items())


def _add_inverse_hints(types: dict[str, EntityType]) -> None:
    """Add ``inverse`` to served fragments of paired reference / collection attributes.

    A collection ``X.children`` stored as ``inverse: parent_id`` on ``T`` pairs with the
    reference of ``T`` whose foreign key is ``parent_id``. Clients use the hint to keep both
    sides of a relationship in sync locally.
    """
    for entity_type in types.values():
        for prop in entity_type.properties.values():
            if prop.kind != COLLECTION or not prop.inverse or prop.where:
                continue
            target = types.get(prop.target)
            if target is None:
                continue
            for other in target.properties.values():
                if other.kind == REFERENCE and other.column == prop.inverse and not other.computed:
                    entity_type.document["properties"][prop.name]["inverse"] = other.name
                    for holder in types.values():  # the target and its subtypes
                        if holder is target or target.name in holder.bases:
                            fragment = holder.document["properties"].get(other.name)
                            if fragment is not None:
                                fragment.setdefault("inverse", prop.name)
                    break


def load_registry(folder: Path | None = None) -> Registry:
    """Load and validate the schema files; raise :class:`SchemaError` listing every problem."""
    types = build_types(read_documents(folder))
    problems = validate(types)
    if problems:
        raise SchemaError("Invalid schema files:\n  " + "\n  ".join(problems))
    return Registry(types)


@cache
def default_registry() -> Registry:
    """The registry of the shipped schema files (loaded once per process)."""
    return load_registry()
