"""Attributes: how each entity value is stored, loaded and changed.

Every entity keeps its values in two plain dicts: ``_local`` holds values set
in this session and not yet committed, ``_remote`` the last values known from
the server. A missing key means :data:`~clapboard.symbol.NOT_SET`. Attribute
objects belong to entity classes and are shared by all instances; they hold
no per-entity state.

Attributes reach the session only through this small contract:

- ``session.auto_populate`` and ``session.record_operations``;
- ``session.recorded_operations.state(identity)``;
- ``session.populate(entities, projections)``;
- ``session._local_changed(entity, name, old_value, new_value)``: the entity
  now holds a local value; record an update operation when recording;
- ``session._mark_local(entity)``: the entity holds local values that are not
  operations (mirrored relationship changes, empty collections of new
  entities);
- ``session._attach(entity)``: the session's instance for *entity*.

Relationships are kept in sync on both sides: a reference with an ``inverse``
collection (``Task.parent`` / ``Context.children``) updates the collection of
the old and the new target, locally when set by the user and remotely when
merged from the server. The reference is the side recorded and sent; the
collection side follows silently.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import exception
from .batching import group_values, lazy_batch
from .codec import is_datetime
from .symbol import CREATED, NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    from .collection import Collection
    from .entity.base import Entity

#: Shared, never written: the ``_local`` store of entities without local values.
EMPTY: dict[str, Any] = {}


def local_store(entity: Entity) -> dict[str, Any]:
    """Return *entity*'s writable local store, creating it on first write."""
    local = entity._local
    if local is EMPTY:
        local = entity._local = {}
    return local


def is_created(entity: Entity) -> bool:
    """Return whether *entity* was created in its session and not yet committed."""
    return entity.session.recorded_operations.state(entity._identity) is CREATED


def check_open(entity: Entity) -> None:
    """Raise :exc:`~clapboard.exception.ConnectionClosedError` if *entity*'s session is closed."""
    if entity.session._closed:
        raise exception.ConnectionClosedError(
            f"Connection closed. Cannot change {entity.entity_type} {', '.join(map(str, entity._identity[1:]))}: "
            "its session is closed. Open a new Session and get the entity from it."
        )


def merge_references(function: Callable) -> Callable:
    """Decorator attaching entity values to the session before *function* sets them."""

    @functools.wraps(function)
    def wrapper(self: Attribute, entity: Entity, value: Any) -> Any:
        if getattr(value, "_identity", None) is not None:
            value = entity.session._attach(value)
        return function(self, entity, value)

    return wrapper


class Attributes:
    """Collection of properties accessible by name."""

    def __init__(self, attributes: list[Attribute] | None = None):
        self._data: dict[str, Attribute] = {}
        for attribute in attributes or ():
            self.add(attribute)

    def add(self, attribute: Attribute) -> None:
        """Add *attribute*; raise :exc:`KeyError` if its name is taken."""
        if attribute.name in self._data:
            raise KeyError(f"Name {attribute.name!r} already present in collection.")
        self._data[attribute.name] = attribute

    def remove(self, attribute: Attribute) -> None:
        """Remove *attribute*."""
        del self._data[attribute.name]

    def get(self, name: str) -> Attribute | None:
        """Return the attribute called *name*, or None."""
        return self._data.get(name)

    def keys(self) -> list[str]:
        """Return the attribute names."""
        return list(self._data)

    def __contains__(self, item: Any) -> bool:
        name = item.name if isinstance(item, Attribute) else item
        return name in self._data

    def __iter__(self) -> Iterator[Attribute]:
        return iter(self._data.values())

    def __len__(self) -> int:
        return len(self._data)


class Attribute:
    """A name and value pair persisted remotely."""

    #: ``(description, test)`` of the values the server accepts, or None to accept anything.
    value_check: tuple[str, Callable[[Any], bool]] | None = None

    def __init__(
        self,
        name: str,
        default_value: Any = NOT_SET,
        mutable: bool = True,
        computed: bool = False,
    ):
        """Initialise attribute with *name*.

        *default_value* (a value or a callable taking the entity) is applied
        to newly created entities. If *mutable* is False the value can only
        be set while both the local and the remote value are NOT_SET. If
        *computed* is True the value is computed by the server and should
        not be cached long term.
        """
        self._name = name
        self.default_value = default_value
        self._mutable = mutable
        self._computed = computed
        #: Whether the attribute is part of its type's primary key.
        self.primary_key = False

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__}({self._name}) object at {id(self)}>"

    @property
    def name(self) -> str:
        """Return name."""
        return self._name

    @property
    def mutable(self) -> bool:
        """Return whether attribute is mutable."""
        return self._mutable

    @property
    def computed(self) -> bool:
        """Return whether attribute is computed."""
        return self._computed

    def get_entity_storage(self, entity: Entity) -> dict[str, Any]:
        """Return a snapshot ``{'local': ..., 'remote': ...}`` of *entity*'s values."""
        return {
            "local": self.get_local_value(entity),
            "remote": self.get_remote_value(entity),
        }

    def get_local_value(self, entity: Entity) -> Any:
        """Return locally set value for *entity*."""
        return entity._local.get(self._name, NOT_SET)

    def get_remote_value(self, entity: Entity) -> Any:
        """Return remote value for *entity*, without fetching it."""
        return entity._remote.get(self._name, NOT_SET)

    def is_set(self, entity: Entity) -> bool:
        """Return whether a value is set for *entity*."""
        name = self._name
        return name in entity._local or name in entity._remote

    def is_modified(self, entity: Entity) -> bool:
        """Return whether local value set and differs from remote.

        Does not fetch the remote value, so may report True even when the
        values are the same on the server.
        """
        local = entity._local.get(self._name, NOT_SET)
        if local is NOT_SET:
            return False
        return local != entity._remote.get(self._name, NOT_SET)

    def get_value(self, entity: Entity) -> Any:
        """Return current value for *entity*.

        Return the local value if set, otherwise the last known remote value.
        If neither is known, fetch the remote value when the session
        auto-populates (never for entities created and not yet committed).
        """
        name = self._name
        value = entity._local.get(name, NOT_SET)
        if value is NOT_SET:
            value = entity._remote.get(name, NOT_SET)
            if value is NOT_SET:
                return self._load(entity)
        return value

    def _load(self, entity: Entity) -> Any:
        session = entity.session
        if not session.auto_populate or is_created(entity):
            return NOT_SET
        batch = lazy_batch(entity, self._name)
        self.populate_remote_values(batch)
        if len(batch) > 1:
            group_values(batch, self._name)
        return entity._remote.get(self._name, NOT_SET)

    def populate_remote_value(self, entity: Entity) -> None:
        """Populate remote value for *entity*."""
        self.populate_remote_values([entity])

    def populate_remote_values(self, entities: list[Entity]) -> None:
        """Populate remote values for *entities* (all of one type) in as few requests as possible."""
        entities[0].session.populate(entities, self._name)

    def _check_mutable(self, entity: Entity, value: Any) -> None:
        check_open(entity)
        if not self._mutable and value is not NOT_SET and self.is_set(entity):
            raise exception.ImmutableAttributeError(self)

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value for *entity*, recording the change."""
        self._check_mutable(entity, value)
        name = self._name
        old_value = entity._local.get(name, NOT_SET)
        if value is NOT_SET:
            if old_value is NOT_SET:
                return
            del entity._local[name]
        else:
            local_store(entity)[name] = value
        entity.session._local_changed(entity, name, old_value, value)
        if self.primary_key:
            entity.session._rekey(entity)

    def set_remote_value(self, entity: Entity, value: Any) -> None:
        """Set remote value for *entity*, without persisting it."""
        if value is NOT_SET:
            entity._remote.pop(self._name, None)
        else:
            entity._remote[self._name] = value


class ScalarAttribute(Attribute):
    """Represent a scalar value."""

    def __init__(self, name: str, data_type: str, **kw: Any):
        """Initialise with *name* and *data_type* (``string``, ``integer``, ``float``, ...)."""
        super().__init__(name, **kw)
        self.data_type = data_type
        self.value_check = _VALUE_CHECKS.get(data_type)

    def check_value(self, entity_type: str, value: Any) -> None:
        """Raise :exc:`~clapboard.exception.InvalidValueError` if the server would refuse *value*.

        None and :data:`~clapboard.symbol.NOT_SET` always fit; JSON and
        variable values are not checked.
        """
        check = self.value_check
        if check is not None and value is not None and value is not NOT_SET and not check[1](value):
            raise exception.InvalidValueError(entity_type, self._name, check[0], value)

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value for *entity* once checked against the attribute's type."""
        self.check_value(entity.entity_type, value)
        super().set_local_value(entity, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parses(convert: Callable[[str], Any], text: str) -> bool:
    try:
        convert(text.strip())
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _is_datetime_text(text: str) -> bool:
    import arrow  # imported on first use: see clapboard.codec

    return _parses(arrow.get, text)


#: data type → (description, test of the values the server accepts for it).
_VALUE_CHECKS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda value: value.__class__ is str or isinstance(value, str) or _is_number(value)),
    "integer": ("an integer", lambda value: (isinstance(value, int) and not isinstance(value, bool))
                or (isinstance(value, float) and value.is_integer())
                or (isinstance(value, str) and _parses(int, value))),
    "float": ("a number", lambda value: _is_number(value) or (isinstance(value, str) and _parses(float, value))),
    "boolean": ("a boolean", lambda value: isinstance(value, bool) or (
        isinstance(value, int) and value in (0, 1)) or (
        isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"))),
    "datetime": ("a datetime (datetime, date, arrow or ISO 8601 text)", lambda value: is_datetime(value) or (
        isinstance(value, str) and _is_datetime_text(value))),
}


class ReferenceAttribute(Attribute):
    """Reference another entity."""

    def __init__(self, name: str, entity_type: str, inverse: str | None = None, **kw: Any):
        """Initialise with *name* and target *entity_type*.

        *inverse* names the collection attribute on the target that lists
        the entities referencing it.
        """
        super().__init__(name, **kw)
        self.entity_type = entity_type
        self.inverse = inverse

    def populate_remote_values(self, entities: list[Entity]) -> None:
        """Populate remote values using the target's default projections."""
        session = entities[0].session
        target = session.types.get(self.entity_type)
        projections = getattr(target, "default_projections", None) or ["id"]
        session.populate(entities, ", ".join(f"{self._name}.{projection}" for projection in projections))

    def is_modified(self, entity: Entity) -> bool:
        """Return whether a local value has been set and differs from remote."""
        local = entity._local.get(self._name, NOT_SET)
        if local is NOT_SET:
            return False
        remote = entity._remote.get(self._name, NOT_SET)
        if local is None or remote is None or remote is NOT_SET:
            return local is not remote
        return local._identity != remote._identity

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value for *entity*, keeping the inverse collections in sync."""
        if value is not None and value is not NOT_SET:
            if getattr(value, "_identity", None) is None:
                raise TypeError(f"{self._name!r} expects an entity or None, got {value!r}.")
            value = entity.session._attach(value)
        name = self._name
        previous = entity._local.get(name, NOT_SET)
        if previous is NOT_SET:
            previous = entity._remote.get(name, NOT_SET)
        super().set_local_value(entity, value)
        if self.inverse is not None:
            current = value if value is not NOT_SET else entity._remote.get(name, NOT_SET)
            relink(entity, self.inverse, previous, current, local=True)

    def set_remote_value(self, entity: Entity, value: Any) -> None:
        """Set remote value for *entity*, keeping remote inverse collections in sync."""
        previous = entity._remote.get(self._name, NOT_SET)
        super().set_remote_value(entity, value)
        if self.inverse is not None and previous is not value:
            relink(entity, self.inverse, previous, value, local=False)


class AbstractCollectionAttribute(Attribute):
    """Base class for collection attributes."""

    #: Collection class used by attribute (set by :mod:`clapboard.collection`).
    collection_class: Any = None

    #: Name of the reference on member entities that points back at the owner.
    inverse: str | None = None

    #: Schema id of the member entities, when known.
    items_type: str | None = None

    def get_value(self, entity: Entity) -> Any:
        """Return current value for *entity*.

        A new entity's collections start empty. Mutating a loaded collection
        moves it into the local value (the remote value keeps a copy of the
        server state).
        """
        name = self._name
        value = entity._local.get(name)
        if value is None:
            value = entity._remote.get(name)
            if value is None:
                if is_created(entity):
                    return self._empty_local(entity)
                return self._load(entity)
        return value

    def _empty_local(self, entity: Entity) -> Any:
        value = self._adapt(entity, [])
        local_store(entity)[self._name] = value
        entity.session._mark_local(entity)
        return value

    def _collection(self, entity: Entity, items: Any) -> Collection:
        from .collection import Collection

        return Collection(entity, self, mutable=self._mutable, data=items)

    def _wrap(self, collection: Collection) -> Any:
        """Return the attribute value presenting *collection* (a proxy for mapped kinds)."""
        return collection

    def _adapt(self, entity: Entity, value: Any) -> Any:
        """Return *value* (a list or collection of entities, or None) as this attribute's value."""
        return self._wrap(self._collection(entity, [] if value is None else value))

    def _members(self, value: Any) -> list[Any]:
        collection = getattr(value, "collection", value)
        return list(collection)

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value for *entity*, recording the change."""
        if value is NOT_SET:
            super().set_local_value(entity, value)
            return
        members = attach_all(entity, self._members(value))
        _check_unique(members, value)
        super().set_local_value(entity, self._adapt(entity, members))

    def set_remote_value(self, entity: Entity, value: Any) -> None:
        """Set remote value for *entity*, without persisting it."""
        if value is not NOT_SET:
            value = self._adapt(entity, self._members(value) if value is not None else [])
        super().set_remote_value(entity, value)

    def is_modified(self, entity: Entity) -> bool:
        """Return whether a local value is set and its members differ from remote."""
        local = entity._local.get(self._name)
        if local is None:
            return False
        remote = entity._remote.get(self._name)
        if remote is None:
            return True
        return self._members(local) != self._members(remote)

    def _changed(self, collection: Collection, old_items: list[Any]) -> None:
        """Record that *collection* (the current value) changed from *old_items*."""
        entity = collection.entity
        entity.session._local_changed(entity, self._name, old_items, collection._value)


class CollectionAttribute(AbstractCollectionAttribute):
    """Represent a collection of other entities."""

    def __init__(self, name: str, inverse: str | None = None, **kw: Any):
        """Initialise with *name*; *inverse* names the members' reference to the owner."""
        super().__init__(name, **kw)
        self.inverse = inverse


    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value; for a relationship, relink the members instead of recording."""
        if self.inverse is None or value is NOT_SET:
            super().set_local_value(entity, value)
            return
        self._check_mutable(entity, value)
        new_members = attach_all(entity, self._members(value))
        _check_unique(new_members, value)
        current = self.get_value(entity)
        old_members = self._members(current) if current is not NOT_SET else []
        new_keys = {member._identity for member in new_members}
        old_keys = {member._identity for member in old_members}
        for member in old_members:
            if member._identity not in new_keys:
                _set_inverse(member, self.inverse, None)
        for member in new_members:
            if member._identity not in old_keys:
                _set_inverse(member, self.inverse, entity)
        local_store(entity)[self._name] = self._adapt(entity, new_members)
        entity.session._mark_local(entity)

    def set_remote_value(self, entity: Entity, value: Any) -> None:
        """Set remote value; members' remote references now point at *entity*."""
        super().set_remote_value(entity, value)
        if self.inverse is not None and value is not NOT_SET:
            link_members(entity, self._name, self.inverse, entity._remote[self._name])


class KeyValueMappedCollectionAttribute(AbstractCollectionAttribute):
    """Represent a mapped key, value collection of entities."""

    def __init__(
        self,
        name: str,
        creator: Callable[[Any, dict[str, Any]], Any],
        key_attribute: str,
        value_attribute: str,
        **kw: Any,
    ):
        """Initialise attribute with *name*.

        *creator* is called with the proxy and a dictionary of data to create
        new entities in the collection. *key_attribute* and *value_attribute*
        name the member attributes holding each entry's key and value.
        """
        super().__init__(name, **kw)
        self.creator = creator
        self.key_attribute = key_attribute
        self.value_attribute = value_attribute


    def _wrap(self, collection: Collection) -> Any:
        from .collection import KeyValueMappedCollectionProxy

        return KeyValueMappedCollectionProxy(collection, self.creator, self.key_attribute, self.value_attribute)

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value; a mapping replaces the entries through the proxy."""
        if isinstance(value, dict) or (
            hasattr(value, "keys") and not hasattr(value, "collection") and not isinstance(value, list)
        ):
            self._check_mutable(entity, value)
            proxy = self.get_value(entity)
            if proxy is NOT_SET:
                raise exception.AttributeError(
                    f"Cannot replace {self._name!r}: current entries are not loaded."
                )
            for key in set(proxy.keys()) - set(value.keys()):
                del proxy[key]
            for key, item in value.items():
                proxy[key] = item
            return
        super().set_local_value(entity, value)


class CustomAttributeCollectionAttribute(AbstractCollectionAttribute):
    """Represent a mapped custom attribute collection of entities."""


    def _wrap(self, collection: Collection) -> Any:
        from .collection import CustomAttributeCollectionProxy

        return CustomAttributeCollectionProxy(collection)

    def set_local_value(self, entity: Entity, value: Any) -> None:
        """Set local value; a mapping sets the values through the proxy."""
        if isinstance(value, dict):
            self._check_mutable(entity, value)
            proxy = self.get_value(entity)
            for key, item in value.items():
                proxy[key] = item
            return
        super().set_local_value(entity, value)


def attach_all(entity: Entity, items: list[Any]) -> list[Entity]:
    """Return *items* as the session's entities; raise :exc:`TypeError` for anything else."""
    attach = entity.session._attach
    for item in items:
        if getattr(item, "_identity", None) is None:
            raise TypeError(f"Collections hold entities, not {item!r}.")
    return [attach(item) for item in items]


def _check_unique(members: list[Any], collection: Any) -> None:
    seen: set = set()
    for member in members:
        if member._identity in seen:
            raise exception.DuplicateItemInCollectionError(member, collection)
        seen.add(member._identity)


# Relationship sync -------------------------------------------------------------------------


def _set_inverse(member: Entity, reference: str, owner: Any) -> None:
    attribute = type(member).attributes.get(reference)
    if attribute is not None:
        attribute.set_local_value(member, owner)


def current_collection(owner: Entity, name: str, create: bool) -> Collection | None:
    """Return the collection *name* of *owner* as currently known, or None when not loaded.

    With *create*, a new entity's collection is created empty when missing.
    """
    attribute = type(owner).attributes.get(name)
    if not isinstance(attribute, CollectionAttribute):
        return None
    value = owner._local.get(name)
    if value is None:
        value = owner._remote.get(name)
        if value is None:
            if create and is_created(owner):
                return attribute._empty_local(owner)
            return None
    return value


def relink(child: Entity, inverse: str, old: Any, new: Any, local: bool) -> None:
    """Move *child* from *old*'s to *new*'s *inverse* collection.

    *local* changes update the collections as currently seen by the user
    (new entities' collections are created when missing); remote changes
    update only collections loaded from the server.
    """
    if old is new:
        return
    if old is not None and old is not NOT_SET:
        collection = (
            current_collection(old, inverse, create=False) if local else _remote_collection(old, inverse)
        )
        if collection is not None:
            collection._discard_silently(child, local)
    if new is not None and new is not NOT_SET:
        collection = (
            current_collection(new, inverse, create=True) if local else _remote_collection(new, inverse)
        )
        if collection is not None:
            collection._add_silently(child, local)


def _remote_collection(owner: Entity, name: str) -> Collection | None:
    value = owner._remote.get(name)
    if value is None or not isinstance(type(owner).attributes.get(name), CollectionAttribute):
        return None
    return value


def link_members(owner: Entity, name: str, reference: str, collection: Collection) -> None:
    """Point the remote *reference* of each member of *owner*'s collection *name* at *owner*."""
    for member in collection._data:
        remote = member._remote
        previous = remote.get(reference, NOT_SET)
        if previous is owner:
            continue
        attribute = type(member).attributes.get(reference)
        if not isinstance(attribute, ReferenceAttribute):
            continue
        remote[reference] = owner
        if previous is not NOT_SET and previous is not None:
            old = _remote_collection(previous, name)
            if old is not None:
                old._discard_silently(member, False)
