"""Collections of entities held by collection attributes.

A :class:`Collection` is the value of a collection attribute. Mutating it
records the change on its owner entity; when the attribute is one side of a
relationship (``children`` of ``parent``), mutating it sets the members'
reference instead, which is the side recorded and sent to the server.

Mutating a collection loaded from the server first moves it into the owner's
local value, leaving a copy as the remote value (copy on write), so the object
the user holds stays current and the server state is kept for rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping, MutableSequence
from typing import TYPE_CHECKING, Any

from . import display, exception
from .attribute import (
    CollectionAttribute,
    CustomAttributeCollectionAttribute,
    KeyValueMappedCollectionAttribute,
    check_open,
    local_store,
)
from .cache import PerSessionDefaultKeyMaker, memoise_session
from .symbol import CREATED, NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    from .attribute import AbstractCollectionAttribute
    from .entity.base import Entity

__all__ = [
    "Collection",
    "CustomAttributeCollectionProxy",
    "KeyValueMappedCollectionProxy",
    "MappedCollectionProxy",
    "PerSessionDefaultKeyMaker",
    "memoise_session",
]


class Collection(MutableSequence):
    """A collection of entities."""

    __slots__ = ("_data", "_keys", "_proxy", "attribute", "entity", "mutable")

    def __init__(
        self,
        entity: Entity,
        attribute: AbstractCollectionAttribute,
        mutable: bool = True,
        data: Iterable[Entity] | None = None,
    ):
        """Initialise collection of *attribute* on *entity*, holding *data*."""
        self.entity = entity
        self.attribute = attribute
        self.mutable = mutable
        self._data: list[Entity] = list(data) if data is not None else []
        self._keys: set | None = None
        self._proxy: Any = None

    # Reading ---------------------------------------------------------------------------------

    def __getitem__(self, index: Any) -> Any:
        return self._data[index]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._data)

    def __contains__(self, item: Any) -> bool:
        return getattr(item, "_identity", None) in self._identities()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MappedCollectionProxy):
            other = other.collection
        if not isinstance(other, (Collection, list, tuple)):
            return NotImplemented
        others = [getattr(item, "_identity", item) for item in other]
        return len(others) == len(self._data) and set(others) == self._identities()

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Collection:
        return Collection(self.entity, self.attribute, self.mutable, self._data)

    def __repr__(self) -> str:
        """Return e.g. ``<Collection Shot.children (2) [<Task "comp" …>, <Task "fx" …>]>``."""
        return display.members_summary(type(self).__name__, self._data, _owner_label(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show one member per line in IPython."""
        _pretty_members(printer, cycle, self, self._data)

    def _repr_html_(self) -> str:
        """Return an HTML table of the members (Jupyter)."""
        return display.entities_html(self._data, f"{_owner_label(self)} ({len(self._data)})")

    def _identities(self) -> set:
        keys = self._keys
        if keys is None or len(keys) != len(self._data):
            keys = self._keys = {item._identity for item in self._data}
        return keys

    def _snapshot(self) -> list[Entity]:
        """Return the members as a list (how operations record a collection)."""
        return list(self._data)

    @property
    def _value(self) -> Any:
        """Return the attribute value this collection represents (itself or its proxy)."""
        return self._proxy if self._proxy is not None else self

    # Mutating --------------------------------------------------------------------------------

    def _validate_mutable(self) -> None:
        check_open(self.entity)
        if not self.mutable:
            raise exception.ImmutableCollectionError(self)

    def _inverse(self) -> str | None:
        attribute = self.attribute
        if isinstance(attribute, CollectionAttribute):
            return attribute.inverse
        return None

    def _attach(self, item: Any) -> Any:
        if getattr(item, "_identity", None) is None:
            raise TypeError(f"Collections hold entities, not {item!r}.")
        return self.entity.session._attach(item)

    def _make_local(self) -> None:
        """Make this collection its owner's local value, keeping a copy as remote value."""
        entity = self.entity
        name = self.attribute.name
        value = self._value
        if entity._local.get(name) is value:
            return
        remote = entity._remote
        if remote.get(name) is value:
            remote[name] = self._copy_value()
        local_store(entity)[name] = value
        entity.session._mark_local(entity)

    def _copy_value(self) -> Any:
        collection = Collection(self.entity, self.attribute, self.mutable, self._data)
        if self._proxy is not None:
            return self._proxy._rebind(collection)
        return collection

    def _record(self, old_items: list[Entity]) -> None:
        self.attribute._changed(self, old_items)

    def insert(self, index: int, item: Entity) -> None:
        """Insert *item* before *index*."""
        self._validate_mutable()
        item = self._attach(item)
        if item in self:
            raise exception.DuplicateItemInCollectionError(item, self)
        inverse = self._inverse()
        reference = type(item).attributes.get(inverse) if inverse else None
        if reference is not None:
            reference.set_local_value(item, self.entity)
            self._make_local()
            if item in self:
                self._data.remove(item)
            self._data.insert(index, item)
            self._keys = None
            return
        old_items = list(self._data)
        self._make_local()
        self._data.insert(index, item)
        self._keys = None
        self._record(old_items)

    def append(self, item: Entity) -> None:
        """Append *item* to the end of the collection."""
        self.insert(len(self._data), item)

    def __setitem__(self, index: Any, value: Any) -> None:
        items = list(self._data)
        if isinstance(index, slice):
            items[index] = list(value)
        else:
            items[index] = value
        self._replace(items)

    def __delitem__(self, index: Any) -> None:
        items = list(self._data)
        del items[index]
        self._replace(items)

    def clear(self) -> None:
        """Remove all items."""
        self._replace([])

    def extend(self, values: Iterable[Entity]) -> None:
        """Append every item of *values*."""
        self._replace(self._data + list(values))

    def reverse(self) -> None:
        """Reverse the order of the items."""
        self._replace(self._data[::-1])

    def _replace(self, items: list[Entity]) -> None:
        """Set the members to *items*, recording or relinking as needed."""
        self._validate_mutable()
        items = [self._attach(item) for item in items]
        seen: set = set()
        for item in items:
            if item._identity in seen:
                raise exception.DuplicateItemInCollectionError(item, self)
            seen.add(item._identity)
        inverse = self._inverse()
        if inverse and all(type(item).attributes.get(inverse) for item in items + self._data):
            old = self._identities()
            owner = self.entity
            for item in list(self._data):
                if item._identity not in seen:
                    type(item)._attribute_map[inverse].set_local_value(item, None)
            for item in items:
                if item._identity not in old:
                    type(item)._attribute_map[inverse].set_local_value(item, owner)
            self._make_local()
            self._data[:] = items
            self._keys = None
            return
        old_items = list(self._data)
        self._make_local()
        self._data[:] = items
        self._keys = None
        self._record(old_items)

    # Relationship sync (never recorded) ------------------------------------------------------

    def _add_silently(self, item: Entity, local: bool) -> None:
        if item in self:
            return
        if local:
            self._make_local()
        self._data.append(item)
        if self._keys is not None:
            self._keys.add(item._identity)

    def _discard_silently(self, item: Entity, local: bool) -> None:
        if item not in self:
            return
        if local:
            self._make_local()
        identity = item._identity
        self._data = [member for member in self._data if member._identity != identity]
        self._keys = None


def _owner_label(collection: Collection) -> str:
    return f"{collection.entity.entity_type}.{collection.attribute.name}"


def _pretty_members(printer: Any, cycle: bool, value: Any, members: list[Any]) -> None:
    if cycle or display.nested(printer) or not members:
        printer.text(repr(value))
        return
    header = f"<{type(value).__name__} {_owner_label(value.collection if hasattr(value, 'collection') else value)}"
    lines = [f"{header} ({len(members)})>"]
    lines += [f"  {display.value_summary(member)}" for member in members[: display.MAX_SHOWN]]
    if len(members) > display.MAX_SHOWN:
        lines.append(f"  … {len(members) - display.MAX_SHOWN} more")
    display.pretty_lines(printer, lines)


class MappedCollectionProxy(MutableMapping):
    """Common base class for mapped collection of entities."""

    def __init__(self, collection: Collection):
        """Initialise proxy for *collection*."""
        self.collection = collection
        collection._proxy = self

    @property
    def mutable(self) -> bool:
        """Return whether collection is mutable."""
        return self.collection.mutable

    @mutable.setter
    def mutable(self, value: bool) -> None:
        self.collection.mutable = value

    @property
    def attribute(self) -> Any:
        """Return attribute bound to."""
        return self.collection.attribute

    def _snapshot(self) -> list[Entity]:
        return list(self.collection._data)

    def __repr__(self) -> str:
        """Return the members as ``<Kind Owner.attribute (n) [...]>`` (no request is sent)."""
        return display.members_summary(type(self).__name__, self.collection._data, _owner_label(self.collection))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show one member per line in IPython."""
        _pretty_members(printer, cycle, self, self.collection._data)

    def _ipython_key_completions_(self) -> list[Any]:
        """Return the keys, completed by IPython after ``mapping['``."""
        return list(self)

    def _rebind(self, collection: Collection) -> MappedCollectionProxy:
        """Return a proxy of the same kind over *collection*."""
        raise NotImplementedError()

    def __copy__(self) -> MappedCollectionProxy:
        return self._rebind(self.collection.__copy__())

    __hash__ = None  # type: ignore[assignment]


class KeyValueMappedCollectionProxy(MappedCollectionProxy):
    """A mapped collection of key, value entities.

    Proxy a :class:`Collection` as a mapping from each member's
    *key_attribute* to its *value_attribute*. Setting a new key creates a
    member through *creator*; deleting a key removes and deletes its member.
    """

    def __init__(
        self,
        collection: Collection,
        creator: Callable[[KeyValueMappedCollectionProxy, dict[str, Any]], Entity],
        key_attribute: str,
        value_attribute: str,
    ):
        """Initialise proxy over *collection*."""
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute
        super().__init__(collection)

    def _rebind(self, collection: Collection) -> KeyValueMappedCollectionProxy:
        return KeyValueMappedCollectionProxy(
            collection, self.creator, self.key_attribute, self.value_attribute
        )

    def _get_entity_by_key(self, key: Any) -> Entity | None:
        for entity in self.collection:
            if entity[self.key_attribute] == key:
                return entity
        return None

    def __getitem__(self, key: Any) -> Any:
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        return entity[self.value_attribute]

    def __setitem__(self, key: Any, value: Any) -> None:
        entity = self._get_entity_by_key(key)
        if entity is not None:
            entity[self.value_attribute] = value
            return
        self.collection._validate_mutable()
        entity = self.creator(self, {self.key_attribute: key, self.value_attribute: value})
        session = self.collection.entity.session
        if session.recorded_operations.state(entity._identity) is not CREATED:
            # Created and persisted by the creator itself: do not record the membership.
            with session.operation_recording(False):
                self.collection.append(entity)
        else:
            self.collection.append(entity)

    def __delitem__(self, key: Any) -> None:
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        self.collection.remove(entity)
        entity.session.delete(entity)

    def __iter__(self) -> Iterator[Any]:
        return iter([entity[self.key_attribute] for entity in self.collection])

    def __len__(self) -> int:
        return len(self.collection)

    def __repr__(self) -> str:
        """Return the loaded ``{key: value}`` pairs, e.g. ``<Metadata of Task (2) {'a': '1', ...}>``."""
        pairs = []
        for member in self.collection._data[: display.MAX_SHOWN]:
            key, value = display.loaded(member, self.key_attribute), display.loaded(member, self.value_attribute)
            pairs.append(f"{'?' if key is NOT_SET else repr(key)}: {'?' if value is NOT_SET else repr(value)}")
        if len(self.collection._data) > display.MAX_SHOWN:
            pairs.append(f"… {len(self.collection._data) - display.MAX_SHOWN} more")
        owner = _owner_label(self.collection)
        return f"<{type(self).__name__} {owner} ({len(self.collection._data)}) {{{', '.join(pairs)}}}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the loaded pairs (IPython)."""
        printer.text(repr(self))


_LEGACY_ENTITY_TYPES = {
    "Project": "show",
    "AssetVersion": "assetversion",
    "User": "user",
    "Asset": "asset",
    "TypedContextList": "list",
    "AssetVersionList": "list",
}


@memoise_session
def get_custom_attribute_configurations(session: Any) -> list[Entity]:
    """Return the session's custom attribute configurations (queried once per session)."""
    return session.query(
        "select key, project_id, id, object_type_id, entity_type, is_hierarchical, default "
        "from CustomAttributeConfiguration"
    ).all()


def entity_configurations(entity: Entity) -> list[Entity]:
    """Return the custom attribute configurations applying to *entity*.

    Project specific configurations come first so they shadow global ones
    with the same key.
    """
    keys = entity.keys()
    project_id = None
    object_type_id = None
    legacy_type = _LEGACY_ENTITY_TYPES.get(entity.entity_type)
    if legacy_type is None and "object_type_id" in keys:
        legacy_type = "task"
        project_id = entity["project_id"]
        object_type_id = entity["object_type_id"]
    elif legacy_type == "show":
        project_id = entity["id"]
    elif legacy_type == "assetversion":
        project_id = entity["asset"]["parent"]["project_id"]
    if legacy_type is None:
        raise ValueError(f"Entity {entity!r} not supported.")
    configurations = [
        configuration
        for configuration in get_custom_attribute_configurations(entity.session)
        if configuration["entity_type"] == legacy_type
        and configuration["project_id"] in (project_id, None)
        and configuration["object_type_id"] == object_type_id
    ]
    return sorted(configurations, key=lambda item: item["project_id"] is None)


class CustomAttributeCollectionProxy(MappedCollectionProxy):
    """A mapped collection of custom attribute value entities."""

    def _rebind(self, collection: Collection) -> CustomAttributeCollectionProxy:
        return CustomAttributeCollectionProxy(collection)

    def _configurations(self) -> list[Entity]:
        return entity_configurations(self.collection.entity)

    def _ipython_key_completions_(self) -> list[str]:
        """Return the keys of every configuration applying to the entity (set or not)."""
        return list(dict.fromkeys(configuration["key"] for configuration in self._configurations()))

    def get_configuration_id_from_key(self, key: str) -> str:
        """Return id of configuration with matching *key*.

        Raise :exc:`KeyError` if no configuration with matching *key* found.
        """
        for configuration in self._configurations():
            if configuration["key"] == key:
                return configuration["id"]
        raise KeyError(key)

    def _get_entity_by_key(self, key: str) -> Entity | None:
        configuration_id = self.get_configuration_id_from_key(key)
        for entity in self.collection:
            if entity["configuration_id"] == configuration_id:
                return entity
        return None

    def __getitem__(self, key: str) -> Any:
        entity = self._get_entity_by_key(key)
        if entity is None:
            return None
        return entity["value"]

    def __setitem__(self, key: str, value: Any) -> None:
        entity = self._get_entity_by_key(key)
        if entity is not None:
            entity["value"] = value
            return
        owner = self.collection.entity
        entity = owner.session.create(
            "CustomAttributeValue",
            {
                "configuration_id": self.get_configuration_id_from_key(key),
                "entity_id": owner["id"],
                "value": value,
            },
        )
        self.collection.append(entity)

    def __delitem__(self, key: str) -> None:
        entity = self._get_entity_by_key(key)
        if entity is None:
            raise KeyError(key)
        self.collection.remove(entity)
        entity.session.delete(entity)

    def __iter__(self) -> Iterator[str]:
        keys = {configuration["id"]: configuration["key"] for configuration in self._configurations()}
        return iter(
            [keys[entity["configuration_id"]] for entity in self.collection if entity["configuration_id"] in keys]
        )

    def __len__(self) -> int:
        return len(list(iter(self)))


# Attribute classes name the collection class of their values; attribute cannot import this module.
CollectionAttribute.collection_class = Collection
KeyValueMappedCollectionAttribute.collection_class = KeyValueMappedCollectionProxy
CustomAttributeCollectionAttribute.collection_class = CustomAttributeCollectionProxy
