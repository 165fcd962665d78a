"""Batched lazy loading: one request loads an attribute for an entity and its siblings.

Entities that arrive together — the rows of one query page, or the values of one attribute
loaded for a batch of entities — are *siblings*. When an attribute that is not loaded yet is
read on one of them, it is loaded in the same request for up to :data:`BATCH_SIZE` of its
siblings of the same type that lack it too. The shell loop
``for task in tasks: print(task["parent"]["name"], task["status"]["name"])`` then costs a
handful of requests instead of two per task, and reads exactly what it would have read one by
one: local values are never overwritten, and nothing loads under ``auto_populating(False)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .symbol import NOT_SET

if TYPE_CHECKING:
    from .entity.base import Entity

#: Most entities one lazy load requests an attribute for.
BATCH_SIZE = 250


def make_siblings(entities: Iterable[Any]) -> None:
    """Mark the entities among *entities* as siblings of each other."""
    group = [entity for entity in entities if hasattr(entity, "_remote")]
    if len(group) < 2:
        return
    for entity in group:
        entity._siblings = group


def lazy_batch(entity: Entity, name: str) -> list[Entity]:
    """Return *entity* followed by up to ``BATCH_SIZE - 1`` siblings that lack attribute *name*.

    Siblings after *entity* in their group come first (the order a loop reads them in), then
    those before it. Only attached siblings of the same type and session qualify.
    """
    group = getattr(entity, "_siblings", None)
    if not group:
        return [entity]
    position = next((index for index, member in enumerate(group) if member is entity), None)
    if position is None:
        return [entity]
    cls, session = type(entity), entity.session
    batch = [entity]
    for candidate in _around(group, position):
        if len(batch) >= BATCH_SIZE:
            break
        if (
            type(candidate) is cls
            and candidate.session is session
            and name not in candidate._remote
            and name not in candidate._local
        ):
            batch.append(candidate)
    return batch


def group_values(entities: list[Entity], name: str) -> None:
    """Make the entities held by attribute *name* of *entities* (references or members) siblings."""
    values: dict[int, Any] = {}
    for entity in entities:
        value = entity._remote.get(name, NOT_SET)
        if value is NOT_SET or value is None:
            continue
        if hasattr(value, "_remote"):
            values[id(value)] = value
            continue
        for member in getattr(value, "collection", None) or ():
            values[id(member)] = member
    make_siblings(values.values())


def _around(group: list[Entity], position: int) -> Iterable[Entity]:
    yield from group[position + 1 :]
    yield from group[:position]
