"""Thumbnails: a stored image scaled down to fit a square of ``size`` pixels, cached per size.

Scaled copies live under ``<data folder>/thumbnails/<id[:2]>/<id>/<size>-<stamp>.<ext>``, where
``stamp`` identifies the stored data (its modification time and size), so replacing a component's
data never serves a stale thumbnail. Pictures with transparency stay PNG; others become JPEG.
Data that is not a picture Pillow reads (an SVG, say) is answered as stored.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotFoundError, ValidationError
from ..storage.files import FileStore

#: Folder of the data folder holding scaled thumbnails.
CACHE_FOLDER = "thumbnails"
#: Largest ``size`` a request may ask for.
MAX_SIZE = 4096


class NotAnImageError(ValidationError):
    """The stored data is not a picture Pillow can read (an SVG, say): it is served as stored."""


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    content_type: str


def parse_size(value: str | None) -> int | None:
    """The ``size`` query parameter as pixels (None when absent); :class:`ValidationError` if invalid."""
    if value is None or value == "":
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_SIZE:
        raise ValidationError(f"size must be a whole number of pixels from 1 to {MAX_SIZE}; got {value!r}.")
    return int(value)


class Thumbnails:
    """Scales images of a :class:`FileStore`, keeping the results under ``cache_root``."""

    def __init__(self, files: FileStore, cache_root: Path) -> None:
        self.files = files
        self.cache_root = Path(cache_root)

    def scaled(self, resource_id: str, size: int) -> Thumbnail:
        """The image of ``resource_id`` fitting ``size`` x ``size`` (made on first request)."""
        source = self.files.path(resource_id)
        try:
            status = source.stat()
        except FileNotFoundError:
            raise NotFoundError(f"No data is stored for component {resource_id}.") from None
        folder = self.cache_root / resource_id[:2] / resource_id
        stamp = f"{size}-{status.st_mtime_ns:x}-{status.st_size:x}"
        for extension, content_type in ((".jpg", "image/jpeg"), (".png", "image/png")):
            cached = folder / f"{stamp}{extension}"
            if cached.is_file():
                return Thumbnail(cached, content_type)
        return self._make(source, folder, stamp, size)

    def _make(self, source: Path, folder: Path, stamp: str, size: int) -> Thumbnail:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(source) as image:
                image.draft("RGB", (size, size))
                image.thumbnail((size, size))
                transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                picture = image.convert("RGBA" if transparent else "RGB")
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            raise NotAnImageError("The component's data is not an image that can be scaled.") from None
        extension, content_type, kind = (".png", "image/png", "PNG") if transparent else (".jpg", "image/jpeg", "JPEG")
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{size}-*"):  # copies of earlier data of this component
            if not old.name.startswith(f"{stamp}."):
                with contextlib.suppress(OSError):
                    old.unlink()
        descriptor, temporary = tempfile.mkstemp(prefix=".", suffix=extension, dir=folder)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                picture.save(handle, kind, quality=88)
            target = folder / f"{stamp}{extension}"
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return Thumbnail(target, content_type)
