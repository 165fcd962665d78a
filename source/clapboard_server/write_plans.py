"""What the writer needs to know about an entity type, worked out once per type.

A batch of 10,000 creates asks the same questions of the same few types 10,000 times: which
properties are stored scalars and how their values go on the wire, which are references,
which are required, which get a default. Each answer is derived from the type on first use
and kept in :attr:`EntityType.derived <clapboard_server.schema.model.EntityType.derived>`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .errors import ValidationError
from .schema import COLLECTION, REFERENCE, SCALAR, EntityType, Property
from .values import from_column, to_column

#: A stored scalar as the writer encodes it: name, column, and the conversion of a non-empty
#: column value to its wire form (None when the column value is the wire value).
EncodedScalar = tuple[str, str, "Callable[[Any], Any] | None"]

#: Data types whose column values are their wire values.
_PLAIN = frozenset({"string", "integer", "number", "boolean"})


def _derived(entity_type: EntityType, key: str, build: Callable[[EntityType], Any]) -> Any:
    value = entity_type.derived.get(key)
    if value is None:
        value = entity_type.derived[key] = build(entity_type)
    return value


def encoded_scalars(entity_type: EntityType) -> list[EncodedScalar]:
    """The stored scalars of ``entity_type``, in declaration order."""
    return _derived(entity_type, "encoded_scalars", _encoded_scalars)


def _encoded_scalars(entity_type: EntityType) -> list[EncodedScalar]:
    return [
        (prop.name, prop.column, None if prop.data_type in _PLAIN else functools.partial(from_column, prop.data_type))
        for prop in entity_type.properties.values() if prop.kind == SCALAR and prop.stored
    ]


def always_encoded(entity_type: EntityType) -> frozenset[str]:
    """Attributes every create or update result holds: the key and the system projections."""
    return _derived(entity_type, "always_encoded",
                    lambda t: frozenset(t.system_projections) | frozenset(t.primary_key))


def references(entity_type: EntityType) -> list[Property]:
    """The stored references of ``entity_type``, the first property of each column."""
    return _derived(entity_type, "references", _references)


def _references(entity_type: EntityType) -> list[Property]:
    found: dict[str, Property] = {}
    for prop in entity_type.properties.values():
        if prop.kind == REFERENCE and not prop.computed:
            found.setdefault(prop.column, prop)
    return list(found.values())


def member_collections(entity_type: EntityType) -> list[Property]:
    """The collections of ``entity_type`` whose members refer to it (what a delete settles)."""
    return _derived(entity_type, "member_collections", lambda t: [
        prop for prop in t.properties.values() if prop.kind == COLLECTION and prop.inverse and not prop.computed])


def required_columns(entity_type: EntityType) -> list[tuple[str, str]]:
    """``(attribute, column)`` of each required attribute stored in a column of the type's row."""
    return _derived(entity_type, "required_columns", _required_columns)


def _required_columns(entity_type: EntityType) -> list[tuple[str, str]]:
    found = []
    for name in entity_type.required:
        prop = entity_type.properties.get(name)
        if prop is None or prop.kind == COLLECTION or prop.computed or prop.restricted:
            continue
        found.append((name, prop.column))
    return found


#: How a defaulted column gets its value on create: a constant, a new id, the time, the user,
#: or a conversion that failed when planned (made again when used, to raise its error then).
CONSTANT, NEW_ID, NOW, CURRENT_USER, CONVERT = "constant", "new id", "now", "current user", "convert"


def defaults(entity_type: EntityType) -> list[tuple[Property, str, Any]]:
    """``(property, how, value)`` for each stored attribute a create fills when it is empty."""
    return _derived(entity_type, "defaults", _defaults)


def _defaults(entity_type: EntityType) -> list[tuple[Property, str, Any]]:
    found = []
    for prop in entity_type.properties.values():
        if prop.kind == COLLECTION or prop.computed:
            continue
        if prop.has_default and prop.default is not None:
            if prop.default == "{uid}":
                found.append((prop, NEW_ID, None))
            elif prop.kind == SCALAR:
                found.append(_converted(entity_type, prop, prop.default))
            else:
                found.append((prop, CONSTANT, prop.default))
        elif prop.fill == "now":
            found.append((prop, NOW, None))
        elif prop.fill == "current_user":
            found.append((prop, CURRENT_USER, None))
        elif prop.fill is not None:
            found.append(_converted(entity_type, prop, prop.fill))
    return found


def _converted(entity_type: EntityType, prop: Property, value: Any) -> tuple[Property, str, Any]:
    try:
        return prop, CONSTANT, to_column(prop.data_type, value, entity_type.name, prop.name)
    except ValidationError:
        return prop, CONVERT, value
