import builtins

import pytest
from clapboard import exception

DEFAULT_MESSAGES = {
    "Error": "Unspecified error occurred.",
    "AuthenticationError": "Authentication error.",
    "ServerError": "Server reported error processing request.",
    "ServerCompatibilityError": "Server incompatible.",
    "NotFoundError": "Not found.",
    "NotUniqueError": "Non-unique value detected.",
    "IncorrectResultError": "Incorrect result detected.",
    "NoResultFoundError": "Expected result, but no result was found.",
    "MultipleResultsFoundError": "Expected single result, but received multiple results.",
    "EntityTypeError": "Entity type error.",
    "OperationError": "Operation error.",
    "InvalidStateError": "Invalid state.",
    "AttributeError": "Attribute error.",
    "ParseError": "Failed to parse.",
    "EventHubError": "Event hub error occurred.",
    "EventHubConnectionError": "Event hub is not connected.",
    "EventHubPacketError": "Invalid packet.",
    "PermissionDeniedError": "Permission denied.",
    "LocationError": "Unspecified location error",
    "ComponentNotInAnyLocationError": "Component not available in any location.",
    "AccessorError": "Unspecified accessor error",
    "StructureError": "Unspecified structure error",
    "ConnectionClosedError": "Connection closed.",
}


@pytest.mark.parametrize("name, message", sorted(DEFAULT_MESSAGES.items()))
def test_default_messages(name, message):
    error = getattr(exception, name)()
    assert str(error) == message
    assert error.args == (message,)
    assert isinstance(error, exception.Error)


def test_hierarchy():
    assert issubclass(exception.ServerCompatibilityError, exception.ServerError)
    assert issubclass(exception.NoResultFoundError, exception.IncorrectResultError)
    assert issubclass(exception.MultipleResultsFoundError, exception.IncorrectResultError)
    assert issubclass(exception.UnrecognisedEntityTypeError, exception.EntityTypeError)
    assert issubclass(exception.InvalidStateTransitionError, exception.InvalidStateError)
    assert issubclass(exception.ImmutableAttributeError, exception.AttributeError)
    assert issubclass(exception.AttributeError, builtins.AttributeError)
    assert issubclass(exception.ImmutableCollectionError, exception.CollectionError)
    assert issubclass(exception.DuplicateItemInCollectionError, exception.CollectionError)
    assert issubclass(exception.EventHubConnectionError, exception.EventHubError)
    assert issubclass(exception.ComponentInLocationError, exception.LocationError)
    assert issubclass(exception.AccessorContainerNotEmptyError, exception.AccessorResourceInvalidError)
    assert issubclass(exception.AccessorFilesystemPathError, exception.AccessorResourceIdentifierError)


def test_messages_with_details():
    class Attribute:
        name = "id"

    assert str(exception.ImmutableAttributeError(Attribute())) == "Cannot modify value of immutable 'id' attribute."
    assert str(exception.UnrecognisedEntityTypeError("Foo")) == 'Entity type "Foo" not recognised.'
    assert str(exception.DuplicateItemInCollectionError(1, [1])) == "Item 1 already exists in collection [1]."
    assert str(exception.ImmutableCollectionError([])) == "Cannot modify value of immutable collection []."
    error = exception.InvalidStateTransitionError("a", "b", "c")
    assert str(error) == "Invalid transition from 'a' to 'b' state for entity 'c'"
    assert str(exception.ComponentNotInLocationError(["x", "y"], "disk")) == (
        "Component(s) x, y not found in location disk."
    )
    assert str(exception.AccessorOperationFailedError("read", "a/b", "boom")) == "Operation read failed: boom"
    assert str(exception.AccessorResourceNotFoundError(resource_identifier="a/b")) == "Resource not found: a/b"
    assert str(exception.Error("custom {x}", details={"x": 1})) == "custom 1"
    assert str(exception.Error("no {braces} detail", details={"y": 1})) == "no {braces} detail"


def test_server_errors_keep_the_server_message_and_map_to_specific_classes():
    error = exception.server_error("ValidationError", "Value {x} is wrong")
    assert isinstance(error, exception.ServerError)
    assert str(error) == "Server reported error: ValidationError(Value {x} is wrong)"
    assert error.details["content"] == "Value {x} is wrong"
    assert isinstance(exception.server_error("InvalidCredentialsError", "bad"), exception.AuthenticationError)
    assert isinstance(exception.server_error("PermissionError", "no"), exception.PermissionDeniedError)
    assert isinstance(exception.server_error("DuplicateEntryError", "dup"), exception.NotUniqueError)
    assert isinstance(exception.server_error("ParseError", "x"), exception.ParseError)
    assert type(exception.server_error("Whatever", "x")) is exception.ServerError
