"""Errors raised by clapboard.

Every error derives from :class:`Error`; messages are templates formatted with
the error's *details*::

    Error
    ├── AuthenticationError
    ├── ServerConnectionError (also requests' and Python's ConnectionError)
    ├── ConfigurationError (also ValueError and TypeError)
    ├── ServerError
    │   ├── ServerCompatibilityError
    │   └── Server*Error (one per error name the server reports, see SERVER_ERRORS)
    ├── NotFoundError, NotUniqueError, PermissionDeniedError, ParseError
    ├── IncorrectResultError ─ NoResultFoundError, MultipleResultsFoundError
    ├── EntityTypeError ─ UnrecognisedEntityTypeError
    ├── OperationError
    ├── InvalidStateError ─ InvalidStateTransitionError
    ├── AttributeError ─ ImmutableAttributeError, UnknownAttributeError (also KeyError),
    │                    InvalidValueError (also TypeError)
    ├── CollectionError ─ ImmutableCollectionError, DuplicateItemInCollectionError
    ├── EventHubError ─ EventHubConnectionError, EventHubPacketError
    ├── LocationError ─ ComponentNotInAnyLocationError, ComponentNotInLocationError,
    │                   ComponentInLocationError
    ├── AccessorError ─ AccessorOperationFailedError, AccessorResourceIdentifierError,
    │                   AccessorResourceError (and their subclasses)
    ├── StructureError
    └── ConnectionClosedError
"""

from __future__ import annotations

import builtins
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

import requests.exceptions

from .suggestion import did_you_mean


class Error(Exception):
    """clapboard specific error."""

    default_message = "Unspecified error occurred."

    def __init__(self, message: str | None = None, details: Mapping[str, Any] | None = None):
        """Initialise exception with *message*.

        If *message* is None, the class' *default_message* is used. *details*
        is a mapping of extra information, used to format the message and to
        give more context.
        """
        if message is None:
            message = self.default_message
        self.message = message
        self.details: dict[str, Any] = dict(details) if details else {}
        self.traceback = traceback.format_exc()
        #: Whether *message* is a template formatted with *details*.
        self.is_template = True
        super().__init__(message)

    def __str__(self) -> str:
        if not self.details or not self.is_template:
            return str(self.message)
        try:
            return str(self.message).format(**self.details)
        except (KeyError, IndexError, ValueError, AttributeError):
            return str(self.message)


class AuthenticationError(Error):
    """Raise when an authentication error occurs."""

    default_message = "Authentication error."


class ServerConnectionError(Error, requests.exceptions.ConnectionError, builtins.ConnectionError):
    """Raise when the server cannot be reached: refused, unknown host, TLS failure, timeout.

    Also a :exc:`requests.exceptions.ConnectionError` and a :exc:`ConnectionError`,
    so code written for the ftrack client, which let those through, keeps working.
    """

    default_message = "Cannot reach the server at {url}: {cause}"

    def __init__(self, url: str, cause: str, **kw: Any):
        kw.setdefault("details", {}).update({"url": url, "cause": cause})
        super().__init__(**kw)


class ConfigurationError(Error, ValueError, TypeError):
    """Raise when a session is given an unusable setting (a URL without scheme, a dict as key)."""

    default_message = "Invalid configuration."


class ServerError(Error):
    """Raise when the server reports an error."""

    default_message = "Server reported error processing request."


class ServerCompatibilityError(ServerError):
    """Raise when server appears incompatible."""

    default_message = "Server incompatible."


class NotFoundError(Error):
    """Raise when something that should exist is not found."""

    default_message = "Not found."


class NotUniqueError(Error):
    """Raise when unique value required and duplicate detected."""

    default_message = "Non-unique value detected."


class IncorrectResultError(Error):
    """Raise when a result is incorrect."""

    default_message = "Incorrect result detected."


class NoResultFoundError(IncorrectResultError):
    """Raise when a result was expected but no result was found."""

    default_message = "Expected result, but no result was found."


class MultipleResultsFoundError(IncorrectResultError):
    """Raise when a single result expected, but multiple results found."""

    default_message = "Expected single result, but received multiple results."


class EntityTypeError(Error):
    """Raise when an entity type error occurs."""

    default_message = "Entity type error."


class UnrecognisedEntityTypeError(EntityTypeError):
    """Raise when an unrecognised entity type detected."""

    default_message = 'Entity type "{entity_type}" not recognised.{suggestion}'

    def __init__(self, entity_type: str, known_types: Iterable[str] = (), **kw: Any):
        """Initialise for *entity_type*; *known_types* are searched for a suggestion."""
        suggestion = did_you_mean(str(entity_type), known_types)
        kw.setdefault("details", {}).update({"entity_type": entity_type, "suggestion": suggestion})
        super().__init__(**kw)


class OperationError(Error):
    """Raise when an operation error occurs."""

    default_message = "Operation error."


class InvalidStateError(Error):
    """Raise when an invalid state detected."""

    default_message = "Invalid state."


class InvalidStateTransitionError(InvalidStateError):
    """Raise when an invalid state transition detected."""

    default_message = (
        "Invalid transition from {current_state!r} to {target_state!r} state "
        "for entity {entity!r}"
    )

    def __init__(self, current_state: Any, target_state: Any, entity: Any, **kw: Any):
        kw.setdefault("details", {}).update(
            {"current_state": current_state, "target_state": target_state, "entity": entity}
        )
        super().__init__(**kw)


class AttributeError(Error, builtins.AttributeError):
    """Raise when an error related to an attribute occurs."""

    default_message = "Attribute error."


class ImmutableAttributeError(AttributeError):
    """Raise when modification of immutable attribute attempted."""

    default_message = "Cannot modify value of immutable {attribute.name!r} attribute."

    def __init__(self, attribute: Any, **kw: Any):
        kw.setdefault("details", {}).update({"attribute": attribute})
        super().__init__(**kw)


class UnknownAttributeError(AttributeError, KeyError):
    """Raise when an entity type has no attribute of the name used (also a :exc:`KeyError`)."""

    default_message = "{entity_type} has no attribute {name!r}.{suggestion}"

    def __init__(self, entity_type: str, name: str, known_names: Iterable[str] = (), **kw: Any):
        """Initialise for *name* of *entity_type*; *known_names* are searched for a suggestion."""
        suggestion = did_you_mean(str(name), known_names)
        kw.setdefault("details", {}).update({"entity_type": entity_type, "name": name, "suggestion": suggestion})
        super().__init__(**kw)


class InvalidValueError(AttributeError, TypeError):
    """Raise when a value does not fit the type of the attribute it is set on (also a :exc:`TypeError`)."""

    default_message = "{entity_type}.{name} expects {expected}, got {value!r}."

    def __init__(self, entity_type: str, name: str, expected: str, value: Any, **kw: Any):
        kw.setdefault("details", {}).update(
            {"entity_type": entity_type, "name": name, "expected": expected, "value": value}
        )
        super().__init__(**kw)


class CollectionError(Error):
    """Raise when an error related to collections occurs."""

    default_message = "Collection error."

    def __init__(self, collection: Any, **kw: Any):
        kw.setdefault("details", {}).update({"collection": collection})
        super().__init__(**kw)


class ImmutableCollectionError(CollectionError):
    """Raise when modification of immutable collection attempted."""

    default_message = "Cannot modify value of immutable collection {collection!r}."


class DuplicateItemInCollectionError(CollectionError):
    """Raise when duplicate item in collection detected."""

    default_message = "Item {item!r} already exists in collection {collection!r}."

    def __init__(self, item: Any, collection: Any, **kw: Any):
        kw.setdefault("details", {}).update({"item": item})
        super().__init__(collection, **kw)


class ParseError(Error):
    """Raise when a parsing error occurs."""

    default_message = "Failed to parse."


class EventHubError(Error):
    """Raise when issues related to event hub occur."""

    default_message = "Event hub error occurred."


class EventHubConnectionError(EventHubError):
    """Raise when event hub encounters connection problem."""

    default_message = "Event hub is not connected."


class EventHubPacketError(EventHubError):
    """Raise when event hub encounters an issue with a packet."""

    default_message = "Invalid packet."


class PermissionDeniedError(Error):
    """Raise when permission is denied."""

    default_message = "Permission denied."


class LocationError(Error):
    """Base for errors associated with locations."""

    default_message = "Unspecified location error"


class ComponentNotInAnyLocationError(LocationError):
    """Raise when component not available in any location."""

    default_message = "Component not available in any location."


def _component_details(components: Any, location: Any) -> dict[str, Any]:
    if not isinstance(components, (list, tuple, set)):
        components = [components]
    return {
        "components": components,
        "formatted_components": ", ".join(str(component) for component in components),
        "location": location,
    }


class ComponentNotInLocationError(LocationError):
    """Raise when component(s) not in location."""

    default_message = "Component(s) {formatted_components} not found in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any):
        kw.setdefault("details", {}).update(_component_details(components, location))
        super().__init__(**kw)


class ComponentInLocationError(LocationError):
    """Raise when component(s) already exists in location."""

    default_message = "Component(s) {formatted_components} already exist in location {location}."

    def __init__(self, components: Any, location: Any, **kw: Any):
        kw.setdefault("details", {}).update(_component_details(components, location))
        super().__init__(**kw)


class AccessorError(Error):
    """Base for errors associated with accessors."""

    default_message = "Unspecified accessor error"


class AccessorOperationFailedError(AccessorError):
    """Base for failed operations on accessors."""

    default_message = "Operation {operation} failed: {error}"

    def __init__(
        self, operation: str = "", resource_identifier: Any = None, error: Any = None, **kw: Any
    ):
        kw.setdefault("details", {}).update(
            {"operation": operation, "resource_identifier": resource_identifier, "error": error}
        )
        super().__init__(**kw)


class AccessorUnsupportedOperationError(AccessorOperationFailedError):
    """Raise when operation is unsupported."""

    default_message = "Operation {operation} unsupported."


class AccessorPermissionDeniedError(AccessorOperationFailedError):
    """Raise when permission denied."""

    default_message = "Cannot {operation} {resource_identifier}. Permission denied."


class AccessorResourceIdentifierError(AccessorError):
    """Raise when a error related to a resource_identifier occurs."""

    default_message = "Resource identifier is invalid: {resource_identifier}."

    def __init__(self, resource_identifier: Any, **kw: Any):
        kw.setdefault("details", {}).update({"resource_identifier": resource_identifier})
        super().__init__(**kw)


class AccessorFilesystemPathError(AccessorResourceIdentifierError):
    """Raise when a error related to an accessor filesystem path occurs."""

    default_message = (
        "Could not determine filesystem path from resource identifier: {resource_identifier}."
    )


class AccessorResourceError(AccessorError):
    """Base for errors associated with specific resource."""

    default_message = "Unspecified resource error: {resource_identifier}"

    def __init__(
        self, operation: str = "", resource_identifier: Any = None, error: Any = None, **kw: Any
    ):
        kw.setdefault("details", {}).update(
            {"operation": operation, "resource_identifier": resource_identifier, "error": error}
        )
        super().__init__(**kw)


class AccessorResourceNotFoundError(AccessorResourceError):
    """Raise when a required resource is not found."""

    default_message = "Resource not found: {resource_identifier}"


class AccessorParentResourceNotFoundError(AccessorResourceError):
    """Raise when a parent resource (such as directory) is not found."""

    default_message = "Parent resource is missing: {resource_identifier}"


class AccessorResourceInvalidError(AccessorResourceError):
    """Raise when a resource is not the right type."""

    default_message = "Resource invalid: {resource_identifier}"


class AccessorContainerNotEmptyError(AccessorResourceInvalidError):
    """Raise when container is not empty."""

    default_message = "Container is not empty: {resource_identifier}"


class StructureError(Error):
    """Base for errors associated with structures."""

    default_message = "Unspecified structure error"


class ConnectionClosedError(Error):
    """Raise when attempt to use closed connection detected."""

    default_message = "Connection closed."


# Errors reported by the server. Each is a ServerError, so code written for
# the ftrack client (which raises ServerError for everything) keeps working,
# and also the matching clapboard error, for more precise handling.


class ServerAuthenticationError(ServerError, AuthenticationError):
    """Raise when the server rejects the credentials."""


class ServerPermissionDeniedError(ServerError, PermissionDeniedError):
    """Raise when the server denies the operation."""


class ServerValidationError(ServerError):
    """Raise when the server rejects a value or an unknown type or attribute."""


class ServerNotFoundError(ServerError, NotFoundError):
    """Raise when the server cannot find what the operation refers to."""


class ServerDuplicateEntryError(ServerError, NotUniqueError):
    """Raise when the server detects a unique constraint violation."""


class ServerParseError(ServerError, ParseError):
    """Raise when the server cannot parse a query expression."""


#: Server exception name → error class raised by the client.
SERVER_ERRORS: dict[str, type[ServerError]] = {
    "InvalidCredentialsError": ServerAuthenticationError,
    "FTAuthenticationError": ServerAuthenticationError,
    "AuthenticationError": ServerAuthenticationError,
    "PermissionError": ServerPermissionDeniedError,
    "PermissionDeniedError": ServerPermissionDeniedError,
    "ValidationError": ServerValidationError,
    "NotFoundError": ServerNotFoundError,
    "DuplicateEntryError": ServerDuplicateEntryError,
    "ParseError": ServerParseError,
}


def server_error(name: str, content: str, error_code: Any = None) -> ServerError:
    """Return the error to raise for a server error object (*name*, *content*)."""
    cls = SERVER_ERRORS.get(name, ServerError)
    error = cls(
        f"Server reported error: {name}({content})",
        details={"exception": name, "content": content, "error_code": error_code},
    )
    error.is_template = False  # the server's text may hold braces: never format it
    return error
