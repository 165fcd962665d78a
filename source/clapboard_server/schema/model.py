"""The resolved data model: entity types and their properties, as the server uses them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCALAR = "scalar"
REFERENCE = "reference"
COLLECTION = "collection"

#: Typed query columns of a ``"typed"`` property (a custom attribute value): its text form
#: and, for numbers, its numeric value, next to the JSON column holding the wire value.
TYPED_COLUMNS = {"string": "text", "number": "number"}


@dataclass
class Property:
    """One attribute of an entity type and how it is stored."""

    name: str
    kind: str  # SCALAR, REFERENCE or COLLECTION
    data_type: str = "string"  # string, integer, number, boolean, datetime, json, variable
    target: str | None = None  # referenced / item type name
    column: str | None = None  # scalar column or reference foreign key
    type_column: str | None = None  # polymorphic reference: column holding the type name
    inverse: str | None = None  # collection: foreign-key column on the target
    through: tuple[str, str, str] | None = None  # collection: (table, from column, to column)
    where: dict[str, Any] = field(default_factory=dict)  # collection: filter on target rows
    on_delete: str = "null"  # collection: cascade, null or restrict when the owner is deleted
    order: list[str] = field(default_factory=list)  # collection: member columns to sort by
    computed: str | None = None  # name of a server computation
    fill: Any = None  # value filled on create when missing ("now", "current_user" or literal)
    default: Any = None  # schema default (served; also applied by the server)
    has_default: bool = False
    restricted: bool = False
    mapped: bool = False  # mapped_array (key/value collection)
    typed: bool = False  # scalar: also stored in typed query columns (see TYPED_COLUMNS)

    @property
    def typed_columns(self) -> dict[str, str]:
        """Query columns of a typed property: data type -> column name (empty when untyped)."""
        return {data_type: f"{self.column}_{suffix}" for data_type, suffix in TYPED_COLUMNS.items()} if self.typed else {}

    @property
    def stored(self) -> bool:
        """Whether the value lives in a column of the entity's own table."""
        return self.kind == SCALAR and self.computed is None and not self.restricted


@dataclass
class EntityType:
    """One schema: a type name, its storage and its properties."""

    name: str
    table: str
    where: dict[str, Any]
    abstract: bool
    primary_key: list[str]
    properties: dict[str, Property]
    required: list[str]
    immutable: list[str]
    default_projections: list[str]
    system_projections: list[str]
    document: dict[str, Any]  # the served schema document
    unique: list[list[str]] = field(default_factory=list)
    index: list[list[str]] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)  # extends chain, nearest first
    #: Values derived from this type once and reused by the modules that need them (the
    #: writer's per-type plans), keyed by what they are. Not part of the type's identity.
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"<EntityType {self.name} table={self.table} where={self.where}>"

    def is_a(self, other: EntityType) -> bool:
        """Whether this type is ``other`` or a subtype stored in its rows."""
        if self is other:
            return True
        if self.table != other.table:
            return False
        where = self.where
        for key, value in other.where.items():
            if where.get(key) != value:
                return False
        return True

    def get(self, name: str) -> Property | None:
        return self.properties.get(name)
