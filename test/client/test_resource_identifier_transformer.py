"""Unit tests for clapboard.resource_identifier_transformer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clapboard.resource_identifier_transformer.base import ResourceIdentifierTransformer


def test_session_is_stored() -> None:
    session = object()
    assert ResourceIdentifierTransformer(session).session is session


def test_encode_and_decode_are_identity() -> None:
    transformer = ResourceIdentifierTransformer(None)
    assert transformer.encode("a/b/c.txt") == "a/b/c.txt"
    assert transformer.decode("a/b/c.txt") == "a/b/c.txt"
    context = {"component": object()}
    assert transformer.encode("x", context=context) == "x"
    assert transformer.decode("x", context) == "x"


class JsonTransformer(ResourceIdentifierTransformer):
    """Store paths as JSON key/value pairs centrally, compose a path locally."""

    def encode(self, resource_identifier: str, context: Mapping[str, Any] | None = None) -> str:
        folder, _, name = resource_identifier.rpartition("/")
        return json.dumps({"folder": folder, "name": name})

    def decode(self, resource_identifier: str, context: Mapping[str, Any] | None = None) -> str:
        values = json.loads(resource_identifier)
        return f"{values['folder']}/{values['name']}"


def test_subclass_round_trip() -> None:
    transformer = JsonTransformer(session=None)
    encoded = transformer.encode("shots/sh010/file.exr")
    assert json.loads(encoded) == {"folder": "shots/sh010", "name": "file.exr"}
    assert transformer.decode(encoded) == "shots/sh010/file.exr"
