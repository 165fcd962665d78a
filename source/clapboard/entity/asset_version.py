"""Helpers for asset versions."""

from __future__ import annotations

from typing import Any

from ..progress import ProgressOption
from .base import Entity


class AssetVersion(Entity):
    """Represent asset version."""

    __slots__ = ()

    def create_component(
        self, path: str, data: dict[str, Any] | None = None, location: Any = None, progress: ProgressOption = None
    ) -> Entity:
        """Create a new component from *path* with additional *data*, for this version.

        *path* may be a file path or a sequence such as
        ``'/path/to/file.%04d.ext [1-5, 7, 8, 10-20]'``. With *location*, the
        component is added to it; *progress* reports the transfer (see
        :mod:`clapboard.progress`).
        """
        data = dict(data or {})
        data.pop("version_id", None)
        data["version"] = self
        return self.session.create_component(path, data=data, location=location, progress=progress)

    def encode_media(self, media: Any, keep_original: Any = "auto", progress: ProgressOption = None) -> Entity:
        """Return a new Job encoding *media* to make it playable in browsers.

        *media* is a file path or a FileComponent in the ``ftrack.server``
        location; outputs are linked to this version. *progress* reports the
        upload of a file path.
        """
        return self.session.encode_media(
            media, version_id=self["id"], keep_original=keep_original, progress=progress
        )
