"""Build entity classes from the server's schemas."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

from ..attribute import (
    AbstractCollectionAttribute,
    Attribute,
    Attributes,
    CollectionAttribute,
    CustomAttributeCollectionAttribute,
    KeyValueMappedCollectionAttribute,
    ReferenceAttribute,
    ScalarAttribute,
    is_created,
)
from ..cache import PerSessionDefaultKeyMaker, memoise_session
from ..symbol import NOT_SET
from .base import DynamicEntityTypeMetaclass, Entity

__all__ = [
    "Factory",
    "PerSessionDefaultKeyMaker",
    "StandardFactory",
    "finalise_types",
    "memoise_session",
]

_SCALAR_TYPES = ("string", "boolean", "integer", "number", "variable", "object")


def new_uid(entity: Any = None) -> str:
    """Return a new UUID4 string (the ``{uid}`` schema default)."""
    return str(uuid.uuid4())


def _data_type(fragment: Mapping[str, Any]) -> str:
    kind = fragment["type"]
    if kind == "number":
        return "float"
    if kind == "string" and fragment.get("format") == "date-time":
        return "datetime"
    return kind


class Factory:
    """Entity class factory."""

    def __init__(self) -> None:
        """Initialise factory."""
        self.logger = logging.getLogger(f"{__name__}.{type(self).__name__}")

    def create(self, schema: Mapping[str, Any], bases: list[type] | None = None) -> type[Entity]:
        """Create and return entity class from *schema*.

        *bases* is a list of bases for the new class; default to
        :class:`clapboard.entity.base.Entity`.
        """
        schema_id = str(schema["id"])
        if not bases:
            bases = [Entity]
        immutable = set(schema.get("immutable", ()))
        computed = set(schema.get("computed", ()))
        attributes = Attributes()
        for name, fragment in (schema.get("properties") or {}).items():
            attribute = self._create_attribute(schema_id, name, fragment, name not in immutable, name in computed)
            if attribute is not None:
                attributes.add(attribute)
        namespace = {
            "__slots__": (),
            "__module__": "clapboard.entity.dynamic",
            "entity_type": schema_id,
            "attributes": attributes,
            "primary_key_attributes": list(schema["primary_key"]),
            "default_projections": list(schema.get("default_projections", ())),
        }
        cls = cast("type[Entity]", DynamicEntityTypeMetaclass(schema_id, tuple(bases), namespace))
        prepare_class(cls)
        return cls

    def _create_attribute(
        self, class_name: str, name: str, fragment: Mapping[str, Any], mutable: bool, computed: bool
    ) -> Attribute | None:
        if fragment.get("restricted_projection"):
            return None
        kind = fragment.get("type")
        attribute: Attribute | None = None
        if kind in _SCALAR_TYPES:
            default = fragment.get("default", NOT_SET)
            if default == "{uid}":
                default = new_uid
            attribute = self.create_scalar_attribute(
                class_name, name, mutable, computed, default, _data_type(fragment)
            )
        elif kind == "array":
            attribute = self.create_collection_attribute(class_name, name, mutable)
        elif kind == "mapped_array":
            reference = (fragment.get("items") or {}).get("$ref")
            if reference:
                attribute = self.create_mapped_collection_attribute(class_name, name, mutable, reference)
        elif kind is None and "$ref" in fragment:
            attribute = self.create_reference_attribute(class_name, name, mutable, fragment["$ref"])
        if attribute is None:
            self.logger.debug("Skipped attribute %s.%s (%r).", class_name, name, fragment)
            return None
        inverse = fragment.get("inverse")
        if inverse and isinstance(attribute, (ReferenceAttribute, CollectionAttribute)):
            attribute.inverse = inverse
        if isinstance(attribute, AbstractCollectionAttribute):
            attribute.items_type = (fragment.get("items") or {}).get("$ref")
        return attribute

    def create_scalar_attribute(
        self, class_name: str, name: str, mutable: bool, computed: bool, default: Any, data_type: str
    ) -> Attribute | None:
        """Return appropriate scalar attribute instance."""
        return ScalarAttribute(name, data_type=data_type, default_value=default, mutable=mutable, computed=computed)

    def create_reference_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> Attribute | None:
        """Return appropriate reference attribute instance."""
        return ReferenceAttribute(name, reference, mutable=mutable)

    def create_collection_attribute(self, class_name: str, name: str, mutable: bool) -> Attribute | None:
        """Return appropriate collection attribute instance."""
        return CollectionAttribute(name, mutable=mutable)

    def create_mapped_collection_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> Attribute | None:
        """Return appropriate mapped collection attribute instance (none by default)."""
        return None


def _create_metadata(proxy: Any, data: dict[str, Any], reference: str) -> Entity:
    owner = proxy.collection.entity
    data = dict(data, parent_id=owner["id"], parent_type=owner.entity_type)
    return owner.session.create(reference, data)


def _create_custom_attribute_value(proxy: Any, data: dict[str, Any], reference: str) -> Entity:
    """Set a dense custom attribute value the server has not listed yet.

    Only new entities may do this: the server lists a value for every
    configuration of an existing entity. The value entity is reconstructed
    (it cannot be created) and its value set, which records an update the
    server applies as an upsert.
    """
    from ..collection import entity_configurations

    owner = proxy.collection.entity
    if not is_created(owner):
        raise KeyError(
            "Custom attributes must be created explicitly for the given entity type before being set."
        )
    key = data[proxy.key_attribute]
    for configuration in entity_configurations(owner):
        if configuration["key"] == key:
            break
    else:
        raise ValueError(f"No valid custom attribute for data {data!r} was found.")
    session = owner.session
    item = session.create(
        reference,
        {"configuration_id": configuration["id"], "entity_id": owner["id"], "key": key},
        reconstructing=True,
    )
    item[proxy.value_attribute] = data[proxy.value_attribute]
    return item


class StandardFactory(Factory):
    """Standard entity class factory."""

    def create(self, schema: Mapping[str, Any], bases: list[type] | None = None) -> type[Entity]:
        """Create and return entity class from *schema*, with the helper bases of its type."""
        from . import asset_version, component, job, location, note, project_schema, user

        if not bases:
            bases = []
        schema_id = schema["id"]
        extra: list[type] = []
        if schema_id == "ProjectSchema":
            extra = [project_schema.ProjectSchema]
        elif schema_id == "Location":
            extra = [location.Location]
        elif schema_id == "AssetVersion":
            extra = [asset_version.AssetVersion]
        elif schema_id.endswith("Component"):
            extra = [component.Component]
        elif schema_id == "Note":
            extra = [note.Note]
        elif schema_id == "Job":
            extra = [job.Job]
        elif schema_id == "User":
            extra = [user.User]
        # The caller's own classes come first so their methods override the helpers'; the
        # plain Entity base, when given, goes last to keep the method resolution order valid.
        bases = [base for base in bases if base is not Entity] + extra + [base for base in bases if base is Entity]
        properties = schema.get("properties") or {}
        if "notes" in properties:
            bases.append(note.CreateNoteMixin)
        if "thumbnail_id" in properties:
            bases.append(component.CreateThumbnailMixin)
        if not any(issubclass(base, Entity) for base in bases):
            bases.append(Entity)
        return super().create(schema, bases=bases)

    def create_mapped_collection_attribute(
        self, class_name: str, name: str, mutable: bool, reference: str
    ) -> Attribute | None:
        """Return appropriate mapped collection attribute instance."""
        if reference == "Metadata":
            creator: Callable = functools.partial(_create_metadata, reference=reference)
            return KeyValueMappedCollectionAttribute(name, creator, "key", "value", mutable=mutable)
        if reference == "CustomAttributeValue":
            return CustomAttributeCollectionAttribute(name, mutable=mutable)
        if reference.endswith("CustomAttributeValue"):
            creator = functools.partial(_create_custom_attribute_value, reference=reference)
            return KeyValueMappedCollectionAttribute(name, creator, "key", "value", mutable=mutable)
        self.logger.debug("Skipped mapped collection %s.%s of %s.", class_name, name, reference)
        return None


def prepare_class(cls: type[Entity]) -> None:
    """Compute the lookup tables entity code reads from *cls*'s attributes.

    Call again after changing ``cls.attributes``.
    """
    attributes = list(cls.attributes or ())
    primary_key = tuple(cls.primary_key_attributes or ())
    cls._attribute_map = {attribute.name: attribute for attribute in attributes}
    cls._defaults = tuple(
        (attribute.name, attribute.default_value)
        for attribute in attributes
        if attribute.default_value is not NOT_SET
    )
    cls._deferred = frozenset(
        attribute.name
        for attribute in attributes
        if isinstance(attribute, AbstractCollectionAttribute)
        and (getattr(attribute, "inverse", None) or not isinstance(attribute, CollectionAttribute))
    )
    cls._pk_names = primary_key
    collections = tuple(
        (attribute.name, attribute) for attribute in attributes if isinstance(attribute, AbstractCollectionAttribute)
    )
    cls._collection_attributes = collections
    cls._collection_names = frozenset(name for name, _ in collections)
    cls._inverse_references = tuple(
        (attribute.name, attribute.inverse)
        for attribute in attributes
        if isinstance(attribute, ReferenceAttribute) and attribute.inverse
    )
    cls._inverse_collections = tuple(
        (attribute.name, attribute.inverse)
        for attribute in attributes
        if isinstance(attribute, CollectionAttribute) and attribute.inverse
    )
    for attribute in attributes:
        attribute.primary_key = attribute.name in primary_key


def _attribute_names(cls: type[Entity]) -> set[str]:
    return set(cls._attribute_map or cls.attributes.keys())


def complete_inverses(name: str, cls: type[Entity], lookup: Callable[[str], type[Entity] | None]) -> None:
    """Give the references of *cls* (type *name*) the inverse hints their targets imply.

    A reference without an ``inverse`` hint gets one when its target type has
    a collection naming it as inverse whose items are of the reference's own
    type, or of a type whose attributes it has (a base type). *lookup*
    returns the class of a type name, or None for an unknown type; only
    collection attributes of the classes it returns are read.
    """
    names: set[str] | None = None
    for attribute in cls.attributes or ():
        if not isinstance(attribute, ReferenceAttribute) or attribute.inverse:
            continue
        target = lookup(attribute.entity_type)
        if target is None:
            continue
        for candidate in target.attributes or ():
            if not isinstance(candidate, CollectionAttribute) or candidate.inverse != attribute.name:
                continue
            items_type = getattr(candidate, "items_type", None)
            if items_type is not None and items_type != name:
                items_class = lookup(items_type)
                if items_class is None:
                    continue
                if names is None:
                    names = _attribute_names(cls)
                if not _attribute_names(items_class) <= names:
                    continue
            attribute.inverse = candidate.name
            break


def finalise_types(types: dict[str, type]) -> None:
    """Complete relationship pairs across *types* (see :func:`complete_inverses`), then prepare every class."""
    for name, cls in types.items():
        complete_inverses(name, cls, types.get)
    for cls in types.values():
        prepare_class(cls)

