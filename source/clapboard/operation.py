"""Records of changes made in a session, and the log holding them.

The records are plain data: what changed, on which entity (named by type and
primary key). :class:`Operations` keeps them in order and also keeps each
entity's resulting state current as operations are pushed, so asking for an
entity's state never scans the log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .symbol import CREATED, DELETED, MODIFIED, NOT_SET, Symbol

#: Identity of an entity: ``(entity_type, *primary_key_values)``.
Identity = tuple[Any, ...]


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _snapshot(value: Any) -> Any:
    """Return a shallow copy of *value* when it is a mutable container."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is list or cls is dict or cls is set:
        return cls(value)
    snapshot = getattr(cls, "_snapshot", None)
    if snapshot is not None:
        return snapshot(value)
    return value


class Operation:
    """Represent an operation."""

    __slots__ = ()


class _EntityOperation(Operation):
    __slots__ = ("_identity", "entity_key", "entity_type")

    def __init__(self, entity_type: str, entity_key: Mapping[str, Any]):
        self.entity_type = entity_type
        self.entity_key = entity_key
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """Return ``(entity_type, *primary key values)`` of the entity operated on."""
        if self._identity is None:
            self._identity = (self.entity_type, *self.entity_key.values())
        return self._identity

    def __repr__(self) -> str:
        key = ", ".join(str(value) for value in self.entity_key.values())
        return f"<{type(self).__name__} {self.entity_type}({key})>"


class CreateEntityOperation(_EntityOperation):
    """Represent create entity operation."""

    __slots__ = ("entity_data",)

    def __init__(self, entity_type: str, entity_key: Mapping[str, Any], entity_data: Mapping[str, Any]):
        """Initialise operation.

        *entity_type* is the type name, *entity_key* the primary key mapping
        (as :func:`clapboard.inspection.primary_key` returns it) and
        *entity_data* the initial values. Shallow copies are made of mutable
        values in *entity_data*.
        """
        super().__init__(entity_type, entity_key)
        self.entity_data = {key: _snapshot(value) for key, value in entity_data.items()}


class UpdateEntityOperation(_EntityOperation):
    """Represent update entity operation."""

    __slots__ = ("attribute_name", "new_value", "old_value")

    def __init__(
        self,
        entity_type: str,
        entity_key: Mapping[str, Any],
        attribute_name: str,
        old_value: Any,
        new_value: Any,
    ):
        """Initialise operation.

        *attribute_name* is the attribute modified; *old_value* and
        *new_value* reflect the change (shallow copies of containers).
        """
        super().__init__(entity_type, entity_key)
        self.attribute_name = attribute_name
        self.old_value = _snapshot(old_value)
        self.new_value = _snapshot(new_value)


class DeleteEntityOperation(_EntityOperation):
    """Represent delete entity operation."""

    __slots__ = ()


_STATE_OF = {
    CreateEntityOperation: CREATED,
    UpdateEntityOperation: MODIFIED,
    DeleteEntityOperation: DELETED,
}


def _next_state(current: Symbol, operation: Operation) -> Symbol:
    state = _STATE_OF.get(type(operation))
    if state is None:
        for cls, candidate in _STATE_OF.items():
            if isinstance(operation, cls):
                state = candidate
                break
        else:
            return current
    if state is DELETED or current is NOT_SET:
        return state
    return current


class Operations:
    """Stack of recorded operations, with the state each leaves its entity in."""

    def __init__(self) -> None:
        self._stack: list[Operation] = []
        self._states: dict[Identity, Symbol] = {}

    def clear(self) -> None:
        """Remove all operations."""
        del self._stack[:]
        self._states.clear()

    def push(self, operation: Operation) -> None:
        """Push *operation* onto stack."""
        self._stack.append(operation)
        identity = getattr(operation, "identity", None)
        if identity is not None:
            states = self._states
            state = _next_state(states.get(identity, NOT_SET), operation)
            if state is not NOT_SET:
                states[identity] = state

    def pop(self) -> Operation:
        """Pop and return most recent operation from stack."""
        operation = self._stack.pop()
        identity = getattr(operation, "identity", None)
        if identity is not None:
            self._recompute(identity)
        return operation

    def _recompute(self, identity: Identity) -> None:
        state = NOT_SET
        for operation in self._stack:
            if getattr(operation, "identity", None) == identity:
                state = _next_state(state, operation)
        if state is NOT_SET:
            self._states.pop(identity, None)
        else:
            self._states[identity] = state

    def state(self, identity: Identity) -> Symbol:
        """Return the state the recorded operations leave entity *identity* in."""
        return self._states.get(identity, NOT_SET)

    def identities(self, state: Symbol) -> list[Identity]:
        """Return identities of entities currently in *state*, in recording order."""
        return [identity for identity, value in self._states.items() if value is state]

    def __len__(self) -> int:
        """Return count of operations."""
        return len(self._stack)

    def __iter__(self) -> Iterator[Operation]:
        """Return iterator over operations."""
        return iter(self._stack)

    def __getitem__(self, index: int) -> Operation:
        return self._stack[index]
