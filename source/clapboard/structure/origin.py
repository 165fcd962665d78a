"""Structure passing an existing resource identifier through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clapboard.structure.base import Structure


class OriginStructure(Structure):
    """Origin structure that passes through an existing resource identifier."""

    def get_resource_identifier(self, entity: Any, context: Mapping[str, Any] | None = None) -> str:
        """Return ``context['source_resource_identifier']`` unchanged.

        Raise :exc:`ValueError` if *context* lacks that key.
        """
        if not context or "source_resource_identifier" not in context:
            raise ValueError(
                "Could not generate resource identifier: context must supply 'source_resource_identifier'."
            )
        return context["source_resource_identifier"]


__all__ = ["OriginStructure"]
