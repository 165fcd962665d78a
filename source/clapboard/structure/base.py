"""Abstract structure interface and shared helpers."""

from __future__ import annotations

import abc
import os
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

#: Characters kept by :func:`sanitise_for_filesystem`; everything else is replaced.
FILESYSTEM_SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-")


def sanitise_for_filesystem(value: str, substitute: str | None = "_") -> str:
    """Return *value* with characters awkward or invalid in filesystems replaced.

    Only ASCII letters, digits, ``.``, ``_`` and ``-`` are kept; anything else
    (spaces, slashes, non ASCII characters...) becomes *substitute*. Accented
    letters are first reduced to their ASCII base letter when one exists. If
    *substitute* is None, *value* is returned unmodified.
    """
    if substitute is None:
        return value
    decomposed = unicodedata.normalize("NFKD", str(value))
    result = []
    for character in decomposed:
        if unicodedata.combining(character):
            continue
        result.append(character if character in FILESYSTEM_SAFE_CHARACTERS else substitute)
    return "".join(result)


#: Extensions made of two parts, kept whole by :func:`split_extension`.
COMPOUND_EXTENSIONS = (".tar.gz", ".tar.bz2", ".tar.xz", ".bgeo.sc", ".bgeo.gz", ".bgeo.lzma", ".geo.gz", ".ass.gz", ".usd.gz")


def split_extension(path: str) -> tuple[str, str]:
    """Return *path* split into its root and extension, keeping compound extensions whole
    (``archive.tar.gz`` gives ``('archive', '.tar.gz')``)."""
    lowered = path.lower()
    for extension in COMPOUND_EXTENSIONS:
        if lowered.endswith(extension) and len(path) > len(extension) and path[-len(extension) - 1] not in "/\\":
            return path[: -len(extension)], path[-len(extension):]
    return os.path.splitext(path)


def get_sequence_expression(padding: int | None) -> str:
    """Return printf style frame expression for *padding* (``%04d``, or ``%d`` when unpadded)."""
    return f"%0{int(padding)}d" if padding else "%d"


def format_sequence_index(index: Any, padding: int | None) -> str:
    """Return frame *index* (number or numeric text) formatted with *padding*."""
    return get_sequence_expression(padding) % int(index)


class Structure(abc.ABC):
    """Structure plugin: compute where an entity's data lives in a location."""

    def __init__(self, prefix: str = "") -> None:
        """Initialise structure; *prefix* is prepended to generated identifiers."""
        super().__init__()
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"<{type(self).__name__} prefix={self.prefix!r}>"

    @abc.abstractmethod
    def get_resource_identifier(self, entity: Any, context: Mapping[str, Any] | None = None) -> str:
        """Return a resource identifier for *entity*.

        *context* is an optional mapping of extra information.
        """

    def _get_sequence_expression(self, sequence: Mapping[str, Any]) -> str:
        """Return frame expression for *sequence* component based on its padding."""
        return get_sequence_expression(sequence.get("padding"))

    def _join(self, *parts: str) -> str:
        """Return *parts* joined with ``/`` after the prefix, skipping empty parts."""
        return "/".join(part for part in (self.prefix, *parts) if part)


def entity_type_of(entity: Any) -> str:
    """Return entity type name of *entity* (its ``entity_type``, else ``""``)."""
    return str(getattr(entity, "entity_type", "") or "")


__all__ = [
    "COMPOUND_EXTENSIONS",
    "FILESYSTEM_SAFE_CHARACTERS",
    "Structure",
    "entity_type_of",
    "format_sequence_index",
    "get_sequence_expression",
    "sanitise_for_filesystem",
    "split_extension",
]
