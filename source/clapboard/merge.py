"""Merge server data and foreign entities into a session's identity map.

The identity map is a plain dict from ``(entity_type, *primary_key_values)``
to the one instance of that entity in the session. Server data is merged while
the response is being parsed: :func:`attaching_hook` is a JSON object hook that
turns each entity object into the session's instance, reusing the decoded dict
as the instance's remote values when the entity is new, updating them when it
is known. Local values are never touched, so pending changes survive queries.

:func:`merge_entity` and :func:`merge_value` implement the public
:meth:`Entity.merge` and :meth:`Session.merge`, which report their changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import exception
from .attribute import (
    EMPTY,
    AbstractCollectionAttribute,
    ReferenceAttribute,
    ScalarAttribute,
    link_members,
    local_store,
    relink,
)
from .codec import decode_datetime
from .collection import Collection
from .symbol import NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity
    from .session import Session


def _wrap_collections(entity: Entity, cls: type[Entity], data: dict[str, Any]) -> None:
    """Replace the lists of *data* by collections owned by *entity* (in place)."""
    for name, attribute in cls._collection_attributes:
        if name in data:
            items = data[name]
            collection = Collection.__new__(Collection)
            collection.entity = entity
            collection.attribute = attribute
            collection.mutable = attribute._mutable
            collection._data = items if items.__class__ is list else list(items or ())
            collection._keys = None
            collection._proxy = None
            data[name] = attribute._wrap(collection)


def _identity(cls: type[Entity], etype: str, data: dict[str, Any]) -> tuple:
    names = cls._pk_names
    if len(names) == 1:
        value = data.get(names[0], NOT_SET)
        if value.__class__ is not str and value is not NOT_SET:
            value = str(value)
        return (etype, value)
    key: list[Any] = [etype]
    for name in names:
        value = data.get(name, NOT_SET)
        key.append(value if value.__class__ is str or value is NOT_SET else str(value))
    return tuple(key)


def attaching_hook(session: Session) -> Callable[[dict[str, Any]], Any]:
    """Return a JSON object hook merging entity objects into *session*."""
    identity_map = session._identity_map
    types = session.types
    new = object.__new__

    def merge_dict(data: dict[str, Any], etype: str) -> Entity:
        cls = types.get(etype)
        if cls is None:
            raise exception.UnrecognisedEntityTypeError(etype)
        del data["__entity_type__"]
        names = cls._pk_names
        if len(names) == 1:  # _identity, inlined for the common case: every entity goes through here
            value = data.get(names[0], NOT_SET)
            key = (etype, value if value.__class__ is str or value is NOT_SET else str(value))
        else:
            key = _identity(cls, etype, data)
        entity = identity_map.get(key)
        collections = not cls._collection_names.isdisjoint(data)
        if entity is None:
            entity = new(cls)
            entity.session = session
            entity._local = EMPTY
            entity._remote = data
            entity._identity = key
            identity_map[key] = entity
            if collections:
                _wrap_collections(entity, cls, data)
            for name, inverse in cls._inverse_references:
                value = data.get(name)
                if value is not None:
                    relink(entity, inverse, NOT_SET, value, local=False)
        else:
            if collections:
                _wrap_collections(entity, cls, data)
            remote = entity._remote
            for name, inverse in cls._inverse_references:
                if name in data:
                    previous = remote.get(name, NOT_SET)
                    value = data[name]
                    if value is not previous:
                        relink(entity, inverse, previous, value, local=False)
            remote.update(data)
        if collections:
            for name, reference in cls._inverse_collections:
                if name in data:
                    link_members(entity, name, reference, data[name])
        return entity

    def hook(data: dict[str, Any]) -> Any:
        etype = data.get("__entity_type__")
        if etype is not None:
            return merge_dict(data, etype)
        kind = data.get("__type__")
        if kind is not None and (kind == "datetime" or kind == "date") and "value" in data:
            return decode_datetime(data["value"])
        return data

    hook.merge_dict = merge_dict  # type: ignore[attr-defined]
    return hook


def detached_hook(session: Session) -> Callable[[dict[str, Any]], Any]:
    """Return a JSON object hook building entities not attached to *session*."""
    types = session.types
    new = object.__new__

    def hook(data: dict[str, Any]) -> Any:
        etype = data.get("__entity_type__")
        if etype is not None:
            cls = types.get(etype)
            if cls is None:
                raise exception.UnrecognisedEntityTypeError(etype)
            del data["__entity_type__"]
            entity = new(cls)
            entity.session = session
            entity._local = EMPTY
            entity._remote = data
            entity._identity = _identity(cls, etype, data)
            if not cls._collection_names.isdisjoint(data):
                _wrap_collections(entity, cls, data)
            return entity
        kind = data.get("__type__")
        if kind is not None and (kind == "datetime" or kind == "date") and "value" in data:
            return decode_datetime(data["value"])
        return data

    return hook


def merge_tree(session: Session, value: Any) -> Any:
    """Merge entity objects found in decoded *value* (innermost first); return the result."""
    return tree_merger(session)(value)


def _unchanged_reference(identity_map: dict[tuple, Entity], item: dict[str, Any]) -> Entity | None:
    """Return the entity *item* refers to when merging *item* would change nothing, else None.

    That is a bare reference (type and one key value, a string) to an entity
    of the session whose remote key is already that string: the common
    object of a commit's answer, which names the entities just sent.
    """
    if len(item) != 2:
        return None
    for name, value in item.items():
        if name != "__entity_type__":
            break
    etype = item.get("__entity_type__")
    if etype is None or value.__class__ is not str:
        return None
    entity = identity_map.get((etype, value))
    if entity is None or entity._remote.get(name) != value or type(entity)._pk_names != (name,):
        return None
    return entity


def tree_merger(session: Session) -> Callable[[Any], Any]:
    """Return :func:`merge_tree` for *session*, to merge many values."""
    merge_dict = attaching_hook(session).merge_dict  # type: ignore[attr-defined]
    identity_map = session._identity_map

    def walk(item: Any) -> Any:
        if item.__class__ is dict:
            for key, child in item.items():
                kind = child.__class__
                if kind is dict:
                    entity = _unchanged_reference(identity_map, child)
                    item[key] = walk(child) if entity is None else entity
                elif kind is list:
                    item[key] = walk(child)
            etype = item.get("__entity_type__")
            if etype is not None:
                return merge_dict(item, etype)
            return item
        if item.__class__ is list:
            return [walk(child) for child in item]
        return item

    return walk


# Public merge -------------------------------------------------------------------------------


def _differs(left: Any, right: Any) -> bool:
    if left is right:
        return False
    left_identity = getattr(left, "_identity", None)
    right_identity = getattr(right, "_identity", None)
    if left_identity is not None or right_identity is not None:
        return left_identity != right_identity
    left_members = getattr(left, "collection", left)
    right_members = getattr(right, "collection", right)
    if hasattr(left_members, "_identities") or hasattr(right_members, "_identities"):
        try:
            return [m._identity for m in left_members] != [m._identity for m in right_members]
        except (AttributeError, TypeError):
            return True
    try:
        return bool(left != right)
    except Exception:  # noqa: BLE001 - incomparable values differ
        return True


def _is_collection(value: Any) -> bool:
    return hasattr(getattr(value, "collection", value), "_identities")


def merge_value(session: Session, value: Any, merged: dict[int, Any]) -> Any:
    """Merge *value* into *session* and return the merged value.

    Entities become the session's instances; collections become lists of
    them; lists and plain dicts are merged item by item.
    """
    if getattr(value, "_identity", None) is not None and hasattr(value, "_remote"):
        return _merge_entity_object(session, value, merged)
    if _is_collection(value):
        return [merge_value(session, item, merged) for item in getattr(value, "collection", value)]
    if isinstance(value, list):
        return [merge_value(session, item, merged) for item in value]
    if isinstance(value, tuple):
        return tuple(merge_value(session, item, merged) for item in value)
    if isinstance(value, dict):
        return {key: merge_value(session, item, merged) for key, item in value.items()}
    return value


def _merge_entity_object(session: Session, entity: Entity, merged: dict[int, Any]) -> Entity:
    key = id(entity)
    if key in merged:
        return merged[key]
    identity_map = session._identity_map
    attached = identity_map.get(entity._identity)
    if attached is entity:
        merged[key] = entity
        return entity
    if attached is None:
        # Adopt this instance; make the entities it refers to the session's too.
        merged[key] = entity
        entity.session = session
        identity_map[entity._identity] = entity
        attributes = type(entity)._attribute_map
        for store in (entity._local, entity._remote):
            for name, item in list(store.items()):
                attribute = attributes.get(name)
                if attribute is None or isinstance(attribute, ScalarAttribute):
                    continue
                result = merge_value(session, item, merged)
                if _is_collection(item) and isinstance(attribute, AbstractCollectionAttribute):
                    result = attribute._adapt(entity, result)
                store[name] = result
        if entity._local:
            session._mark_local(entity)
        return entity
    merged[key] = attached
    merge_entity(attached, entity, merged)
    return attached


def merge_entity(target: Entity, source: Entity, merged: dict[int, Any]) -> list[dict[str, Any]]:
    """Merge values of *source* that are set into *target*; return the changes made.

    Scalars merge first so identities are in place before references and
    collections that may point back at *target*.
    """
    session = target.session
    changes: list[dict[str, Any]] = []
    source_attributes = sorted(
        type(source).attributes, key=lambda attribute: not isinstance(attribute, ScalarAttribute)
    )
    target_attributes = type(target)._attribute_map
    for source_attribute in source_attributes:
        name = source_attribute.name
        attribute = target_attributes.get(name)
        if attribute is None:
            continue
        other_local = source._local.get(name, NOT_SET)
        if other_local is not NOT_SET:
            local = target._local.get(name, NOT_SET)
            if _differs(local, other_local):
                value = merge_value(session, other_local, merged)
                if _is_collection(other_local) and isinstance(attribute, AbstractCollectionAttribute):
                    value = attribute._adapt(target, value)
                local_store(target)[name] = value
                session._mark_local(target)
                changes.append(
                    {"type": "local_attribute", "name": name, "old_value": local, "new_value": value}
                )
        other_remote = source._remote.get(name, NOT_SET)
        if other_remote is not NOT_SET:
            remote = target._remote.get(name, NOT_SET)
            if _differs(remote, other_remote):
                value = merge_value(session, other_remote, merged)
                attribute.set_remote_value(target, value)
                changes.append(
                    {
                        "type": "remote_attribute",
                        "name": name,
                        "old_value": remote,
                        "new_value": target._remote.get(name, NOT_SET),
                    }
                )
    return changes


# Commit results ------------------------------------------------------------------------------


def _promote(entity: Entity, name: str) -> None:
    """Make *entity*'s local value of *name* its remote value (the server accepted it)."""
    value = entity._local.get(name, NOT_SET)
    attribute = type(entity)._attribute_map.get(name)
    if value is NOT_SET or attribute is None:
        return
    members = getattr(value, "collection", value)
    if hasattr(members, "_identities"):
        entity._remote[name] = value
        inverse = getattr(attribute, "inverse", None)
        if inverse is not None and value is members:
            link_members(entity, name, inverse, members)
        return
    attribute.set_remote_value(entity, value)


#: Classes of values that are never collections nor entities: stored as they are.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _promote_sent(entity: Entity, names: Iterable[str]) -> None:
    """:func:`_promote` each of *names* (a payload's ``entity_data``) on *entity*.

    The common cases take a short cut, with the same effect: a scalar value
    of a plain attribute goes straight into the remote store, an entity
    value of a plain reference too, and moves *entity* between the inverse
    collections of its old and new remote targets.
    """
    local = entity._local
    remote = entity._remote
    attributes = type(entity)._attribute_map
    for name in names:
        attribute = attributes.get(name)
        kind = attribute.__class__
        if kind is ScalarAttribute:
            value = local.get(name, NOT_SET)
            if value.__class__ in _SCALARS:
                remote[name] = value
                continue
        elif kind is ReferenceAttribute:
            value = local.get(name, NOT_SET)
            if getattr(value, "_identity", None) is not None:
                previous = remote.get(name, NOT_SET)
                remote[name] = value
                if attribute.inverse is not None and previous is not value:  # type: ignore[union-attr]
                    relink(entity, attribute.inverse, previous, value, local=False)  # type: ignore[union-attr]
                continue
        if name != "__entity_type__":
            _promote(entity, name)


def apply_commit(
    session: Session,
    payloads: Sequence[dict[str, Any]],
    results: list[Any],
    created: list[tuple],
    deleted: list[tuple],
    with_local: list[Entity],
) -> None:
    """Update the session after a successful commit of *payloads* answered by *results*.

    Values sent become remote values (a new entity's collections too, being
    complete), every local value is cleared, the server's answers are merged
    over them, and deleted entities leave the identity map and the loaded
    collections of their relatives.
    """
    identity_map = session._identity_map
    for payload in payloads:
        action = payload["action"]
        if action != "create" and action != "update":
            continue
        entity = identity_map.get(payload.identity)  # type: ignore[attr-defined]
        if entity is not None:
            _promote_sent(entity, payload["entity_data"])
    for identity in created:
        entity = identity_map.get(identity)
        if entity is None:
            continue
        local = entity._local
        cls = type(entity)
        if local and not cls._collection_names.isdisjoint(local):
            for name, _ in cls._collection_attributes:
                if name in local:
                    _promote(entity, name)
    for entity in with_local:
        entity._local = EMPTY
    merge_result = tree_merger(session)
    for payload, result in zip(payloads, results):
        action = payload["action"]
        if (action == "create" or action == "update") and isinstance(result, dict) and "data" in result:
            merge_result(result["data"])
    for identity in deleted:
        entity = identity_map.pop(identity, None)
        if entity is None:
            continue
        for name, inverse in type(entity)._inverse_references:
            relink(entity, inverse, entity._remote.get(name, NOT_SET), NOT_SET, local=False)
