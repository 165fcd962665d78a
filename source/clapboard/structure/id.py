"""Structure deriving paths from component ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clapboard import exception
from clapboard.structure.base import Structure, entity_type_of

#: Number of single character folders an id is split into.
ID_FOLDER_DEPTH = 4


class IdStructure(Structure):
    """Id based structure supporting components only.

    The component id is split into four single character folders with the
    rest as the name, plus the file type when defined::

        prefix/1/2/3/4/56789.exr

    Members of a container live inside the container's id folder, named by
    their own id; members of a sequence are named ``file.<index><file_type>``
    named by the member's own name (its padded frame index)::

        prefix/1/2/3/4/56789/355827648d.exr
        prefix/1/2/3/4/56789/file.0001.exr

    A sequence component itself yields ``.../56789/file.%04d.exr``.
    """

    def get_resource_identifier(self, entity: Any, context: Mapping[str, Any] | None = None) -> str:
        """Return resource identifier for component *entity*.

        Raise :exc:`~clapboard.exception.StructureError` for entities that are
        not components.
        """
        entity_type = entity_type_of(entity)
        if not entity_type.endswith("Component"):
            raise exception.StructureError(f"IdStructure only supports components, not {entity_type or entity!r}.")
        file_type = entity.get("file_type") or ""

        if entity_type == "SequenceComponent":
            name = "file." + self._get_sequence_expression(entity) + file_type
            return self._join(*self._id_parts(entity["id"]), name)

        container = entity.get("container")
        if container:
            container_parts = self._id_parts(container["id"])
            if entity_type_of(container) == "SequenceComponent":
                name = f"file.{entity['name']}{file_type or container.get('file_type') or ''}"
            else:
                name = f"{entity['id']}{file_type}"
            return self._join(*container_parts, name)

        parts = self._id_parts(entity["id"])
        parts[-1] += file_type
        return self._join(*parts)

    @staticmethod
    def _id_parts(entity_id: str) -> list[str]:
        """Return *entity_id* split into single character folders plus remainder."""
        entity_id = str(entity_id)
        return [*entity_id[:ID_FOLDER_DEPTH], entity_id[ID_FOLDER_DEPTH:]]


__all__ = ["IdStructure"]
