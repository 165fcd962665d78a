"""Locations: where component data is stored.

A minimal base for now: configured locations carry an accessor, a structure,
a resource identifier transformer and a priority. Transfers and
registrations come with the locations feature.
"""

from __future__ import annotations

from typing import Any

from ..symbol import NOT_SET
from .base import Entity


class Location(Entity):
    """Represent storage for components."""

    # Instances are configured with attributes of their own (no __slots__).
    accessor: Any = NOT_SET
    structure: Any = NOT_SET
    resource_identifier_transformer: Any = None
    priority: int = 95

    def _not_available(self, name: str) -> NotImplementedError:
        return NotImplementedError(f"Location.{name} is not available yet in clapboard.")

    def add_component(self, component: Entity, source: Any, recursive: bool = True) -> Entity:
        """Add *component* to location from *source* location."""
        raise self._not_available("add_component")

    def add_components(self, components: Any, sources: Any, recursive: bool = True, _depth: int = 0) -> None:
        """Add *components* to location from *sources*."""
        raise self._not_available("add_components")

    def remove_component(self, component: Entity, recursive: bool = True) -> None:
        """Remove *component* from location."""
        raise self._not_available("remove_component")

    def remove_components(self, components: Any, recursive: bool = True) -> None:
        """Remove *components* from location."""
        raise self._not_available("remove_components")

    def get_component_availability(self, component: Entity) -> float:
        """Return availability of *component* in this location as a float."""
        raise self._not_available("get_component_availability")

    def get_component_availabilities(self, components: Any) -> Any:
        """Return availabilities of *components* in this location."""
        raise self._not_available("get_component_availabilities")

    def get_resource_identifier(self, component: Entity) -> str:
        """Return resource identifier for *component*."""
        raise self._not_available("get_resource_identifier")

    def get_resource_identifiers(self, components: Any) -> Any:
        """Return resource identifiers for *components*."""
        raise self._not_available("get_resource_identifiers")

    def get_filesystem_path(self, component: Entity) -> str:
        """Return filesystem path for *component*."""
        raise self._not_available("get_filesystem_path")

    def get_url(self, component: Entity) -> str:
        """Return url for *component*."""
        raise self._not_available("get_url")
