"""Schema files → entity types, served documents and SQL tables."""

from .loader import SchemaError, resource_path
from .model import COLLECTION, REFERENCE, SCALAR, EntityType, Property
from .registry import Registry, default_registry, load_registry


def load_schemas():
    """Load and validate the shipped schema files (raises SchemaError listing problems)."""
    return load_registry()


__all__ = [
    "COLLECTION", "REFERENCE", "SCALAR", "EntityType", "Property", "Registry", "SchemaError",
    "default_registry", "load_registry", "load_schemas", "resource_path",
]
