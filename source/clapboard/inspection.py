"""Inspect entities: identity, primary key and state in their session."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .symbol import Symbol

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity


def identity(entity: Entity) -> tuple[str, list[Any]]:
    """Return unique identity of *entity*: ``(entity_type, [primary key values])``."""
    return (str(entity.entity_type), list(entity._identity[1:]))


def primary_key(entity: Entity) -> collections.OrderedDict[str, Any]:
    """Return primary key of *entity* as an ordered mapping of ``{field: value}``.

    To get just the primary key values::

        primary_key(entity).values()
    """
    return collections.OrderedDict(zip(entity.primary_key_attributes, entity._identity[1:]))


def state(entity: Entity) -> Symbol:
    """Return current *entity* state: CREATED, MODIFIED, DELETED or NOT_SET.

    The state follows from the operations recorded in its session, kept
    current as they are recorded.
    """
    return entity.session.recorded_operations.state(entity._identity)


def states(entities: Iterable[Entity]) -> list[Symbol]:
    """Return current states of *entities*, in order."""
    return [state(entity) for entity in entities]
