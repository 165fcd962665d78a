"""Abstract accessor interface."""

from __future__ import annotations

import abc
from typing import Any

from clapboard import exception
from clapboard.data import Data


class Accessor(abc.ABC):
    """Provide data access to a location.

    A location is a specific storage; an accessor is one way of reaching it
    (local disk, FTP, ...). Methods take a *resource_identifier*: the part of
    the data path stored centrally and understood by every accessor of the
    location.
    """

    def __init__(self, **kw: Any) -> None:
        """Initialise accessor; extra keywords are accepted for subclasses."""
        super().__init__()

    @abc.abstractmethod
    def list(self, resource_identifier: str) -> list[str]:
        """Return resource identifiers of entries in *resource_identifier* container.

        Raise :exc:`~clapboard.exception.AccessorResourceNotFoundError` if it
        does not exist or :exc:`~clapboard.exception.AccessorResourceInvalidError`
        if it is not a container.
        """

    @abc.abstractmethod
    def exists(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* exists."""

    @abc.abstractmethod
    def is_file(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a file."""

    @abc.abstractmethod
    def is_container(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a container."""

    @abc.abstractmethod
    def is_sequence(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a file sequence."""

    @abc.abstractmethod
    def open(self, resource_identifier: str, mode: str = "rb") -> Data:
        """Return a :class:`~clapboard.data.Data` object for *resource_identifier*."""

    @abc.abstractmethod
    def remove(self, resource_identifier: str) -> None:
        """Remove *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorResourceNotFoundError` if it
        does not exist.
        """

    @abc.abstractmethod
    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Make a container at *resource_identifier*.

        If *recursive*, also make intermediate containers. Existing containers
        are silently left as they are.
        """

    @abc.abstractmethod
    def get_container(self, resource_identifier: str) -> str:
        """Return resource identifier of the container of *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorParentResourceNotFoundError`
        if the container cannot be determined.
        """

    def remove_container(self, resource_identifier: str) -> None:
        """Remove container at *resource_identifier*."""
        self.remove(resource_identifier)

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Return filesystem path for *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorFilesystemPathError` if it
        cannot be determined or
        :exc:`~clapboard.exception.AccessorUnsupportedOperationError` if the
        accessor does not support filesystem paths (the default).
        """
        raise exception.AccessorUnsupportedOperationError(
            "get_filesystem_path", resource_identifier=resource_identifier
        )

    def get_url(self, resource_identifier: str) -> str:
        """Return URL for *resource_identifier*.

        Raise :exc:`~clapboard.exception.AccessorFilesystemPathError` if it
        cannot be determined or
        :exc:`~clapboard.exception.AccessorUnsupportedOperationError` if the
        accessor does not support URLs (the default).
        """
        raise exception.AccessorUnsupportedOperationError("get_url", resource_identifier=resource_identifier)


__all__ = ["Accessor"]
