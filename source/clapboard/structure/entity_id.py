"""Structure using the entity id as the resource identifier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clapboard.structure.base import Structure


class EntityIdStructure(Structure):
    """Structure whose resource identifier is the entity's id.

    Used by the ``ftrack.server`` location, where the server stores data by
    component id.
    """

    def get_resource_identifier(self, entity: Any, context: Mapping[str, Any] | None = None) -> str:
        """Return the id of *entity* (prefixed when a prefix is set)."""
        return self._join(str(entity["id"]))


__all__ = ["EntityIdStructure"]
