"""Turn the operation log into the batch a commit sends.

Each step is a pure function from a list of payloads to a new list, so each
can be tested alone; :func:`compress` runs them in order:

1. :func:`payloads_from_operations` - one payload per operation;
2. :func:`drop_created_then_deleted` - entities created and deleted in the
   batch vanish, with every reference to them;
3. :func:`drop_updates_before_delete` - updates of an entity deleted later
   are pointless;
4. :func:`fold_updates` - each update joins the entity's previous create or
   update unless a value refers to an entity created in between; for each
   attribute the last value wins;
5. :func:`strip_not_set` - cleared values are not sent; updates left empty
   are dropped.

Logical order is kept: an entity is only ever referenced after its create.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .operation import (
    CreateEntityOperation,
    DeleteEntityOperation,
    Identity,
    Operation,
    UpdateEntityOperation,
)
from .symbol import NOT_SET

__all__ = [
    "OperationPayload",
    "compress",
    "drop_created_then_deleted",
    "drop_updates_before_delete",
    "fold_updates",
    "payloads_from_operations",
    "strip_not_set",
]


class OperationPayload(dict):
    """Represent operation payload: the JSON object sent for one operation.

    Keys are ``action``, ``entity_type``, ``entity_key`` and, for creates and
    updates, ``entity_data``. :attr:`identity` names the entity concerned.
    """

    # A slot: an attribute in a per-instance __dict__ costs a quarter of building a payload.
    __slots__ = ("identity",)
    identity: Identity

    def __getattr__(self, name: str) -> Any:
        if name == "identity":  # never set
            return ()
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def copy(self) -> OperationPayload:
        payload = OperationPayload(self)
        if "entity_data" in self:
            payload["entity_data"] = dict(self["entity_data"])
        payload.identity = self.identity
        return payload


def _payload(action: str, operation: Any, data: dict[str, Any] | None = None) -> OperationPayload:
    payload = OperationPayload(
        action=action,
        entity_type=operation.entity_type,
        entity_key=[value if isinstance(value, str) else str(value) for value in operation.entity_key.values()],
    )
    if data is not None:
        payload["entity_data"] = data
    payload.identity = operation.identity
    return payload


def payloads_from_operations(operations: Iterable[Operation]) -> list[OperationPayload]:
    """Return one payload per entity operation, in order."""
    payloads = []
    for operation in operations:
        if isinstance(operation, CreateEntityOperation):
            data = {"__entity_type__": operation.entity_type, **operation.entity_key, **operation.entity_data}
            payloads.append(_payload("create", operation, data))
        elif isinstance(operation, UpdateEntityOperation):
            data = {"__entity_type__": operation.entity_type, operation.attribute_name: operation.new_value}
            payloads.append(_payload("update", operation, data))
        elif isinstance(operation, DeleteEntityOperation):
            payloads.append(_payload("delete", operation))
    return payloads


def referenced(value: Any) -> Iterator[Identity]:
    """Yield identities of the entities *value* refers to (an entity or a collection)."""
    identity = getattr(value, "_identity", None)
    if identity is not None:
        yield identity
        return
    members = getattr(value, "collection", value)
    if isinstance(members, (list, tuple)) or hasattr(members, "_identities"):
        for member in members:
            member_identity = getattr(member, "_identity", None)
            if member_identity is not None:
                yield member_identity


def _without(value: Any, doomed: set[Identity]) -> Any:
    """Return *value* without references to *doomed* entities (NOT_SET for a doomed entity)."""
    identity = getattr(value, "_identity", None)
    if identity is not None:
        return NOT_SET if identity in doomed else value
    members = getattr(value, "collection", value)
    is_collection = isinstance(members, (list, tuple)) or hasattr(members, "_identities")
    if is_collection and any(getattr(member, "_identity", None) in doomed for member in members):
        return [member for member in members if getattr(member, "_identity", None) not in doomed]
    return value


def drop_created_then_deleted(payloads: list[OperationPayload]) -> list[OperationPayload]:
    """Drop every payload of entities both created and deleted, and references to them."""
    deleted = {payload.identity for payload in payloads if payload["action"] == "delete"}
    if not deleted:
        return list(payloads)
    doomed = {
        payload.identity for payload in payloads if payload["action"] == "create" and payload.identity in deleted
    }
    if not doomed:
        return list(payloads)
    result = []
    for payload in payloads:
        if payload.identity in doomed:
            continue
        data = payload.get("entity_data")
        if data is not None:
            cleaned = {key: _without(value, doomed) for key, value in data.items()}
            if any(cleaned[key] is not data[key] for key in data):
                payload = payload.copy()
                payload["entity_data"] = cleaned
        result.append(payload)
    return result


def drop_updates_before_delete(payloads: list[OperationPayload]) -> list[OperationPayload]:
    """Drop updates of entities that a later payload of the batch deletes."""
    last_delete = {
        payload.identity: index for index, payload in enumerate(payloads) if payload["action"] == "delete"
    }
    if not last_delete:
        return list(payloads)
    return [
        payload
        for index, payload in enumerate(payloads)
        if not (payload["action"] == "update" and last_delete.get(payload.identity, -1) > index)
    ]


def fold_updates(payloads: list[OperationPayload]) -> list[OperationPayload]:
    """Merge each update into an earlier create or update payload of the same entity.

    Each value goes into the earliest payload of its entity that comes after
    the creates of the entities it refers to and not before the payload
    holding the attribute's previous value; when there is none, it stays in
    an update of its own. For each attribute the last value wins: an earlier
    update loses the attribute (a create keeps its initial value, which the
    server may require).
    """
    if not any(payload["action"] == "update" for payload in payloads):
        return list(payloads)  # nothing to fold
    result: list[OperationPayload] = []
    targets: dict[Identity, list[int]] = {}
    created_at: dict[Identity, int] = {}
    holder: dict[tuple[Identity, str], int] = {}

    def place(index: int, identity: Identity, name: str, value: Any) -> None:
        previous = holder.get((identity, name))
        if previous is not None and previous != index and result[previous]["action"] == "update":
            result[previous]["entity_data"].pop(name, None)
        result[index]["entity_data"][name] = value
        holder[(identity, name)] = index

    for payload in payloads:
        action = payload["action"]
        identity = payload.identity
        if action == "create":
            result.append(payload.copy())
            index = created_at[identity] = len(result) - 1
            targets[identity] = [index]
            for name in payload["entity_data"]:
                holder[(identity, name)] = index
            continue
        if action != "update":
            result.append(payload)
            targets.pop(identity, None)
            continue
        candidates = targets.setdefault(identity, [])
        leftover = {}
        for name, value in payload["entity_data"].items():
            if name == "__entity_type__":
                continue
            lowest = max(
                [holder.get((identity, name), -1)]
                + [created_at.get(dependency, -1) + 1 for dependency in referenced(value)]
            )
            target = next((index for index in candidates if index >= lowest), None)
            if target is None:
                leftover[name] = value
            else:
                place(target, identity, name, value)
        if leftover:
            update = payload.copy()
            update["entity_data"] = {"__entity_type__": payload["entity_data"]["__entity_type__"]}
            result.append(update)
            index = len(result) - 1
            candidates.append(index)
            for name, value in leftover.items():
                place(index, identity, name, value)
    return result


def strip_not_set(payloads: list[OperationPayload]) -> list[OperationPayload]:
    """Remove NOT_SET values; drop updates left with nothing to change."""
    result = []
    for payload in payloads:
        data = payload.get("entity_data")
        if data is not None:
            if any(value is NOT_SET for value in data.values()):
                payload = payload.copy()
                data = payload["entity_data"] = {
                    key: value for key, value in data.items() if value is not NOT_SET
                }
            if payload["action"] == "update" and len(data) <= 1:
                continue
        result.append(payload)
    return result


def compress(operations: Iterable[Operation]) -> list[OperationPayload]:
    """Return the minimal ordered batch of payloads equivalent to *operations*."""
    payloads = payloads_from_operations(operations)
    payloads = drop_created_then_deleted(payloads)
    payloads = drop_updates_before_delete(payloads)
    payloads = fold_updates(payloads)
    return strip_not_set(payloads)
