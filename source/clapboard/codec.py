"""JSON encoding and decoding of values exchanged with the server.

Datetimes travel as ``{"__type__": "datetime", "value": "<ISO 8601>"}``;
entities as objects carrying ``__entity_type__`` and their primary key (see
the wire protocol, section 3). Turning decoded entity objects into session
entities is :mod:`clapboard.merge`'s job; this module handles everything else.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .symbol import NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    import arrow

    from .entity.base import Entity

#: The four documented entity attribute strategies of :meth:`Session.encode`.
STRATEGIES = ("all", "set_only", "modified_only", "persisted_only")

_UTC = datetime.timezone.utc
_fromisoformat = datetime.datetime.fromisoformat
#: Makes an :class:`arrow.Arrow` of an aware datetime; set by :func:`_import_arrow`. arrow takes
#: longer to import than all of clapboard, so it is imported when the first datetime is decoded.
_fromdatetime: Callable[[datetime.datetime], arrow.Arrow] | None = None


def _import_arrow() -> Any:
    global _fromdatetime
    import arrow

    _fromdatetime = arrow_maker(arrow.Arrow)
    return arrow


def arrow_maker(cls: type[arrow.Arrow]) -> Callable[[datetime.datetime], arrow.Arrow]:
    """Return a function making a *cls* (:class:`arrow.Arrow`) of an aware datetime.

    An Arrow holds its datetime as ``_datetime``; wrapping the decoded datetime
    directly is three times faster than ``cls.fromdatetime``, which takes it
    apart and builds it again (a commit's answer holds a datetime per entity).
    The shortcut is used only when it makes the same object as ``fromdatetime``
    for a sample, so another arrow version falls back to ``fromdatetime``.
    """
    new = cls.__new__

    def wrap(value: datetime.datetime) -> arrow.Arrow:
        instance = new(cls)
        instance._datetime = value
        return instance

    sample = datetime.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=_UTC)
    try:
        same = vars(wrap(sample)) == vars(cls.fromdatetime(sample))
    except Exception:  # noqa: BLE001 - any failure means: do not take the shortcut
        same = False
    return wrap if same else cls.fromdatetime


def decode_datetime(text: str) -> arrow.Arrow:
    """Return *text* (ISO 8601) as an aware :class:`arrow.Arrow`; naive means UTC."""
    fromdatetime = _fromdatetime
    if fromdatetime is None:
        _import_arrow()
        fromdatetime = cast("Callable[[datetime.datetime], arrow.Arrow]", _fromdatetime)
    try:
        value = _fromisoformat(text)
    except ValueError:
        return _import_arrow().get(text)
    if value.tzinfo is None:
        aware = _fromisoformat(text + "+00:00")  # several times faster than replace(tzinfo=...)
        value = aware if aware.tzinfo is _UTC else value.replace(tzinfo=_UTC)  # a date ignores the suffix
    return fromdatetime(value)


def is_datetime(value: Any) -> bool:
    """Return whether *value* is a datetime, a date or an :class:`arrow.Arrow`.

    arrow is not imported for this: no Arrow exists before something imported it.
    """
    if isinstance(value, (datetime.datetime, datetime.date)):
        return True
    arrow = sys.modules.get("arrow")
    return arrow is not None and isinstance(value, arrow.Arrow)


def plain_hook(item: dict[str, Any]) -> Any:
    """JSON object hook decoding tagged dates and leaving everything else as is."""
    kind = item.get("__type__")
    if kind is not None and (kind == "datetime" or kind == "date") and "value" in item:
        return decode_datetime(item["value"])
    return item


def encode_datetime(value: Any) -> dict[str, str]:
    """Return the tagged wire form of a datetime, date or Arrow *value*."""
    return {"__type__": "datetime", "value": value.isoformat()}


def entity_reference(entity: Entity) -> dict[str, Any]:
    """Return ``{'__entity_type__': type, <primary key>: value, ...}`` for *entity*."""
    names = entity.primary_key_attributes
    identity = entity._identity
    if len(names) == 1 and len(identity) == 2:  # the common case, built at once: a commit sends many
        return {"__entity_type__": entity.entity_type, names[0]: identity[1]}
    reference = {"__entity_type__": entity.entity_type}
    reference.update(zip(names, identity[1:]))
    return reference


def wire_default(value: Any) -> Any:
    """``json.dumps`` default for payloads: entities become references."""
    if getattr(value, "_identity", None) is not None:
        return entity_reference(value)
    if is_datetime(value):
        return encode_datetime(value)
    members = getattr(value, "collection", value)
    if hasattr(members, "_identities"):
        return [entity_reference(member) for member in members]
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{value!r} is not JSON serializable")


def dumps_payload(data: Any) -> bytes:
    """Return *data* (a batch of operations) as JSON bytes for the wire."""
    return json.dumps(data, default=wire_default, separators=(",", ":")).encode("utf-8")


def _selected_value(attribute: Any, entity: Entity, strategy: str) -> Any:
    """Return the value of *attribute* on *entity* that *strategy* encodes, or NOT_SET."""
    if strategy == "all":
        return attribute.get_value(entity)
    if strategy == "set_only":
        value = attribute.get_local_value(entity)
        return value if value is not NOT_SET else attribute.get_remote_value(entity)
    if strategy == "modified_only":
        return attribute.get_local_value(entity) if attribute.is_modified(entity) else NOT_SET
    if strategy == "persisted_only" and not attribute.computed:
        return attribute.get_remote_value(entity)
    return NOT_SET


def _stored_values(entity: Entity, strategy: str) -> dict[str, Any]:
    """Return the ``set_only`` or ``persisted_only`` values of *entity*, read from its stores.

    Same result as asking each attribute (see :func:`_selected_value`), without
    visiting the attributes that hold no value: a persistent session cache
    encodes every entity it stores.
    """
    data = entity_reference(entity)
    attributes = type(entity)._attribute_map
    persisted = strategy == "persisted_only"
    stores = (entity._remote,) if persisted else (entity._remote, entity._local)
    for store in stores:
        for name, value in store.items():
            attribute = attributes.get(name)
            if attribute is None or value is NOT_SET or (persisted and attribute.computed):
                continue
            if getattr(value, "_identity", None) is not None:
                value = entity_reference(value)
            data[name] = value
    return data


def _entity_values(entity: Entity, strategy: str) -> dict[str, Any]:
    """Return the attribute values of *entity* selected by *strategy*."""
    if strategy == "set_only" or strategy == "persisted_only":
        return _stored_values(entity, strategy)
    data = entity_reference(entity)
    session = entity.session
    with session.auto_populating(strategy == "all"):
        for attribute in type(entity).attributes:
            value = _selected_value(attribute, entity, strategy)
            if value is not NOT_SET:
                if getattr(value, "_identity", None) is not None:
                    value = entity_reference(value)
                data[attribute.name] = value
    return data


def encoder(strategy: str) -> Callable[[Any], Any]:
    """Return a ``json.dumps`` default encoding entities with *strategy*."""
    if strategy not in STRATEGIES:
        raise ValueError(f'Unsupported entity_attribute_strategy "{strategy}"; use one of {STRATEGIES}.')

    def default(value: Any) -> Any:
        if getattr(value, "_identity", None) is not None:
            return _entity_values(value, strategy)
        return wire_default(value)

    return default


def encode(data: Any, entity_attribute_strategy: str = "set_only") -> str:
    """Return *data* encoded as a JSON string (see :meth:`Session.encode`)."""
    return json.dumps(data, sort_keys=True, default=encoder(entity_attribute_strategy))


def collection_members(value: Any) -> list[Any]:
    """Return the members of a collection, mapped collection or list *value*."""
    return list(getattr(value, "collection", value))
