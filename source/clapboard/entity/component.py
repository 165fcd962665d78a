"""Helpers for components."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Entity


class Component(Entity):
    """Represent a component."""

    __slots__ = ()

    def get_availability(self, locations: Iterable[Entity] | None = None) -> dict[str, float]:
        """Return availability in *locations* (all known locations when None).

        Return a dictionary of ``{location_id: percentage_availability}``.
        """
        return self.session.get_component_availability(self, locations=locations)


class CreateThumbnailMixin:
    """Mixin to add create_thumbnail method on entity class."""

    __slots__ = ()

    def create_thumbnail(self: Any, path: str, data: dict[str, Any] | None = None) -> Entity:
        """Set entity thumbnail from *path*.

        Create a thumbnail component (named ``thumbnail`` unless *data* names
        it) in the ``ftrack.server`` location and commit.
        """
        from ..symbol import SERVER_LOCATION_ID

        session = self.session
        data = dict(data or {})
        data.setdefault("name", "thumbnail")
        location = session.get("Location", SERVER_LOCATION_ID)
        thumbnail = session.create_component(path, data, location=location)
        self["thumbnail_id"] = thumbnail["id"]
        session.commit()
        return thumbnail
