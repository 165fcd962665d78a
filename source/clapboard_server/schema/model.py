"""The resolved data model: entity types and their properties, as the server uses them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

SCALAR = "scalar"
REFERENCE = "reference"
COLLECTION = "collection"


@dataclass
class Property:
    """One attribute of an entity type and how it is stored."""

    name: str
    kind: str  # SCALAR, REFERENCE or COLLECTION
    data_type: str = "string"  # string, integer, number, boolean, datetime, json, variable
    target: Optional[str] = None  # referenced / item type name
    column: Optional[str] = None  # scalar column or reference foreign key
    type_column: Optional[str] = None  # polymorphic reference: column holding the type name
    inverse: Optional[str] = None  # collection: foreign-key column on the target
    through: Optional[Tuple[str, str, str]] = None  # collection: (table, from column, to column)
    where: Dict[str, Any] = field(default_factory=dict)  # collection: filter on target rows
    on_delete: str = "null"  # collection: cascade, null or restrict when the owner is deleted
    computed: Optional[str] = None  # name of a server computation
    fill: Any = None  # value filled on create when missing ("now", "current_user" or literal)
    default: Any = None  # schema default (served; also applied by the server)
    has_default: bool = False
    restricted: bool = False
    mapped: bool = False  # mapped_array (key/value collection)

    @property
    def stored(self) -> bool:
        """Whether the value lives in a column of the entity's own table."""
        return self.kind == SCALAR and self.computed is None and not self.restricted


@dataclass
class EntityType:
    """One schema: a type name, its storage and its properties."""

    name: str
    table: str
    where: Dict[str, Any]
    abstract: bool
    primary_key: List[str]
    properties: Dict[str, Property]
    required: List[str]
    immutable: List[str]
    default_projections: List[str]
    system_projections: List[str]
    document: Dict[str, Any]  # the served schema document
    unique: List[List[str]] = field(default_factory=list)
    index: List[List[str]] = field(default_factory=list)
    bases: List[str] = field(default_factory=list)  # extends chain, nearest first

    def __repr__(self) -> str:
        return f"<EntityType {self.name} table={self.table} where={self.where}>"

    def is_a(self, other: "EntityType") -> bool:
        """Whether this type is ``other`` or a subtype stored in its rows."""
        return self.table == other.table and all(
            self.where.get(key) == value for key, value in other.where.items()
        )

    def get(self, name: str) -> Optional[Property]:
        return self.properties.get(name)
