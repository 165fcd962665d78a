"""Accessor for data on a local filesystem."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from typing import Any

from clapboard import exception
from clapboard.accessor.base import Accessor
from clapboard.data import File


@contextlib.contextmanager
def _translate_errors(operation: str, resource_identifier: str, parent_missing: bool = False) -> Iterator[None]:
    """Re-raise filesystem errors from the managed block as accessor errors.

    A missing path is reported as a missing parent when *parent_missing*
    (operations that create the resource).
    """
    try:
        yield
    except exception.AccessorError:
        raise
    except OSError as error:
        details: dict[str, Any] = {"operation": operation, "resource_identifier": resource_identifier, "error": error}
        code = error.errno
        if code == errno.ENOENT:
            if parent_missing:
                raise exception.AccessorParentResourceNotFoundError(**details) from error
            raise exception.AccessorResourceNotFoundError(**details) from error
        if code in (errno.EACCES, errno.EPERM):
            raise exception.AccessorPermissionDeniedError(**details) from error
        if code in (errno.ENOTEMPTY, errno.EEXIST) and operation == "remove":
            raise exception.AccessorContainerNotEmptyError(**details) from error
        if code in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
            raise exception.AccessorResourceInvalidError(**details) from error
        raise exception.AccessorOperationFailedError(**details) from error


class DiskAccessor(Accessor):
    """Provide disk access to a location.

    Resource identifiers are filesystem paths relative to *prefix*.
    """

    def __init__(self, prefix: str, **kw: Any) -> None:
        """Initialise with *prefix*, the base folder prepended to every path.

        *prefix* is written in the syntax of the current OS; an empty prefix
        means resource identifiers are used as paths unchanged.
        """
        self.prefix = prefix
        super().__init__(**kw)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} prefix={self.prefix!r}>"

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Return filesystem path for *resource_identifier*.

        Relative identifiers are joined to the prefix; an absolute identifier
        already inside the prefix is returned normalised::

            >>> accessor = DiskAccessor('/mountpoint')
            >>> accessor.get_filesystem_path('test.txt')
            '/mountpoint/test.txt'
            >>> accessor.get_filesystem_path('/mountpoint/test.txt')
            '/mountpoint/test.txt'

        Raise :exc:`~clapboard.exception.AccessorFilesystemPathError` if the
        identifier is not a string or resolves outside the prefix.
        """
        if not isinstance(resource_identifier, str):
            raise exception.AccessorFilesystemPathError(resource_identifier)
        if not self.prefix:
            return os.path.normpath(resource_identifier) if resource_identifier else resource_identifier
        prefix = os.path.normpath(self.prefix)
        path = os.path.normpath(os.path.join(prefix, resource_identifier))
        if os.path.commonpath([os.path.abspath(prefix), os.path.abspath(path)]) != os.path.abspath(prefix):
            raise exception.AccessorFilesystemPathError(resource_identifier)
        return path

    def _to_resource_identifier(self, path: str) -> str:
        """Return resource identifier for filesystem *path* (inverse of the prefix join)."""
        if not self.prefix:
            return path
        relative = os.path.relpath(path, os.path.normpath(self.prefix))
        return "" if relative == os.curdir else relative

    def list(self, resource_identifier: str) -> list[str]:
        """Return resource identifiers of entries in *resource_identifier* container, sorted.

        Raise :exc:`~clapboard.exception.AccessorResourceNotFoundError` if it
        does not exist or :exc:`~clapboard.exception.AccessorResourceInvalidError`
        if it is not a container.
        """
        path = self.get_filesystem_path(resource_identifier)
        with _translate_errors("list", resource_identifier):
            names = sorted(os.listdir(path))
        return [os.path.join(resource_identifier, name) if resource_identifier else name for name in names]

    def exists(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* exists."""
        return os.path.exists(self.get_filesystem_path(resource_identifier))

    def is_file(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a file."""
        return os.path.isfile(self.get_filesystem_path(resource_identifier))

    def is_container(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a container (folder)."""
        return os.path.isdir(self.get_filesystem_path(resource_identifier))

    def is_sequence(self, resource_identifier: str) -> bool:
        """Not supported on disk: raise :exc:`~clapboard.exception.AccessorUnsupportedOperationError`."""
        raise exception.AccessorUnsupportedOperationError("is_sequence", resource_identifier=resource_identifier)

    def open(self, resource_identifier: str, mode: str = "rb") -> File:
        """Return a :class:`~clapboard.data.File` for *resource_identifier* opened with *mode*.

        Raise :exc:`~clapboard.exception.AccessorResourceNotFoundError` when
        reading a missing file,
        :exc:`~clapboard.exception.AccessorParentResourceNotFoundError` when
        writing into a missing folder,
        :exc:`~clapboard.exception.AccessorResourceInvalidError` for a folder
        and :exc:`~clapboard.exception.AccessorPermissionDeniedError` when
        access is refused.
        """
        path = self.get_filesystem_path(resource_identifier)
        creating = any(flag in mode for flag in "wax")
        with _translate_errors("open", resource_identifier, parent_missing=creating):
            return File(path, mode)

    def remove(self, resource_identifier: str) -> None:
        """Remove the file or empty folder at *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorResourceNotFoundError` if it
        does not exist and
        :exc:`~clapboard.exception.AccessorContainerNotEmptyError` for a
        folder that still has entries.
        """
        path = self.get_filesystem_path(resource_identifier)
        with _translate_errors("remove", resource_identifier):
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.remove(path)

    def remove_container(self, resource_identifier: str) -> None:
        """Remove the empty container at *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorResourceInvalidError` if it is
        not a container.
        """
        if self.exists(resource_identifier) and not self.is_container(resource_identifier):
            raise exception.AccessorResourceInvalidError(
                "remove_container", resource_identifier=resource_identifier, error="not a container"
            )
        self.remove(resource_identifier)

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Make a folder at *resource_identifier*; existing folders are kept.

        If *recursive*, also make intermediate folders; otherwise raise
        :exc:`~clapboard.exception.AccessorParentResourceNotFoundError` when
        the parent is missing. Raise
        :exc:`~clapboard.exception.AccessorResourceInvalidError` if a file
        already occupies the path.
        """
        path = self.get_filesystem_path(resource_identifier)
        if os.path.isdir(path):
            return
        with _translate_errors("make_container", resource_identifier, parent_missing=True):
            if recursive:
                os.makedirs(path)
            else:
                os.mkdir(path)

    def get_container(self, resource_identifier: str) -> str:
        """Return resource identifier of the folder holding *resource_identifier*.

        The prefix folder itself is returned as ``""``. Raise
        :exc:`~clapboard.exception.AccessorParentResourceNotFoundError` if
        there is no parent within the prefix (or the filesystem root).
        """
        path = self.get_filesystem_path(resource_identifier)
        if self.prefix and os.path.abspath(path) == os.path.abspath(self.prefix):
            raise exception.AccessorParentResourceNotFoundError(
                "get_container", resource_identifier=resource_identifier, error="no container above prefix"
            )
        parent = os.path.dirname(path.rstrip(os.sep) or path)
        if not self.prefix and (not path or parent == path or not parent):
            raise exception.AccessorParentResourceNotFoundError(
                "get_container", resource_identifier=resource_identifier, error="no container"
            )
        return self._to_resource_identifier(parent)


__all__ = ["DiskAccessor"]
