"""Structure following the project hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clapboard import exception, inspection, symbol
from clapboard.structure.base import (
    Structure,
    entity_type_of,
    sanitise_for_filesystem,
)


def _is_committed(entity: Any) -> bool:
    """Return whether *entity* exists on the server (not just created locally).

    Objects not bound to a session (plain mappings) are treated as committed.
    """
    if getattr(entity, "session", None) is None or not hasattr(entity, "_identity"):
        return True
    return inspection.state(entity) is not symbol.CREATED


class StandardStructure(Structure):
    """Project hierarchy based structure supporting components only.

    Paths are built from the project name, the names of the contexts down to
    the asset's parent, the asset name and the version number::

        my_project/folder_a/folder_b/asset_name/v003

    followed by, depending on the component:

    * file component ``foo`` of type ``.jpg``: ``.../v003/foo.jpg``
    * sequence component ``foo``: ``.../v003/foo.%04d.jpg``; its members
      ``.../v003/foo.0042.jpg``
    * container component ``bar``: ``.../v003/bar``; its members
      ``.../v003/bar/baz.pdf``

    Nested containers/sequences are not supported.
    """

    def __init__(self, project_versions_prefix: str | None = None, illegal_character_substitute: str | None = "_"):
        """Initialise structure.

        If *project_versions_prefix* is set, it is inserted after the project
        name for versions published directly under the project, in place of
        the asset name (``my_project/<prefix>/v001/foo.jpg``). Illegal
        characters in names are replaced with *illegal_character_substitute*
        (left untouched when None).
        """
        super().__init__()
        self.project_versions_prefix = project_versions_prefix
        self.illegal_character_substitute = illegal_character_substitute

    def sanitise_for_filesystem(self, value: str) -> str:
        """Return *value* with illegal filesystem characters replaced.

        Illegal characters are non ASCII characters or ones awkward in paths,
        such as spaces. Return *value* unmodified when no substitute is set.
        """
        return sanitise_for_filesystem(value, self.illegal_character_substitute)

    def get_resource_identifier(self, entity: Any, context: Mapping[str, Any] | None = None) -> str:
        """Return resource identifier for component *entity*; *context* is unused.

        Raise :exc:`~clapboard.exception.StructureError` if *entity* is not a
        component attached (directly or via its container) to a committed
        version of a committed asset with a parent context.
        """
        entity_type = entity_type_of(entity)
        if not entity_type.endswith("Component"):
            raise exception.StructureError(
                f"StandardStructure only supports components, not {entity_type or entity!r}."
            )
        container = entity.get("container")
        if container and container.get("container"):
            raise exception.StructureError("Nested component containers/sequences are not supported.")

        version = (container or entity).get("version") or entity.get("version")
        if not version or not _is_committed(version):
            raise exception.StructureError("Component must be attached to a committed version.")
        asset = version.get("asset")
        if not asset or not _is_committed(asset):
            raise exception.StructureError("Version must be attached to a committed asset.")
        parent = asset.get("parent")
        if not parent:
            raise exception.StructureError("Asset must have a parent context.")

        parts = self._get_context_parts(parent, asset)
        parts.append(f"v{int(version['version']):03d}")
        parts.extend(self._get_component_parts(entity, container))
        return self._join(*parts)

    def _get_context_parts(self, parent: Any, asset: Any) -> list[str]:
        """Return sanitised folder names from the project down to the asset."""
        link = list(parent.get("link") or [])
        if entity_type_of(parent) == "Project" or (len(link) == 1 and link[0].get("type") == "Project"):
            project = parent
            under_project = True
        else:
            project = parent.get("project") or {}
            under_project = False
        project_name = project.get("name") or (link[0].get("name") if link else None)
        if not project_name:
            raise exception.StructureError("Could not determine project of asset.")
        parts = [self.sanitise_for_filesystem(project_name)]
        parts.extend(self.sanitise_for_filesystem(item["name"]) for item in link[1:])
        if under_project and self.project_versions_prefix:
            parts.append(self.sanitise_for_filesystem(self.project_versions_prefix))
        else:
            parts.append(self.sanitise_for_filesystem(asset["name"]))
        return parts

    def _get_component_parts(self, entity: Any, container: Any) -> list[str]:
        """Return sanitised path parts for the component below the version folder."""
        entity_type = entity_type_of(entity)
        file_type = entity.get("file_type") or ""
        name = self.sanitise_for_filesystem(entity["name"])
        if entity_type == "SequenceComponent":
            return [f"{name}.{self._get_sequence_expression(entity)}{file_type}"]
        if container:
            container_name = self.sanitise_for_filesystem(container["name"])
            if entity_type_of(container) == "SequenceComponent":
                return [f"{container_name}.{entity['name']}{file_type or container.get('file_type') or ''}"]
            return [container_name, f"{name}{file_type}"]
        if entity_type == "ContainerComponent":
            return [name]
        return [f"{name}{file_type}"]


__all__ = ["StandardStructure"]
