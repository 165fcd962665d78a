"""Fixtures for client tests that need no server: real schemas, a fake transport."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import clapboard
import pytest
from clapboard.transport import MockTransport

#: Used when the server package is not importable: the types the unit tests use.
_FALLBACK_SCHEMAS: list[dict[str, Any]] = [
    {
        "id": "User",
        "primary_key": ["id"],
        "immutable": ["id", "resource_type"],
        "default_projections": ["id"],
        "properties": {
            "id": {"type": "string", "default": "{uid}"},
            "resource_type": {"type": "string", "default": "user"},
            "username": {"type": "string"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "email": {"type": "string"},
            "timelogs": {"type": "array", "items": {"$ref": "Timelog"}, "inverse": "user"},
            "metadata": {"type": "mapped_array", "items": {"$ref": "Metadata"}},
        },
    },
    {
        "id": "Timelog",
        "primary_key": ["id"],
        "immutable": ["id"],
        "default_projections": ["id"],
        "properties": {
            "id": {"type": "string", "default": "{uid}"},
            "comment": {"type": "string", "default": ""},
            "start": {"type": "string", "format": "date-time"},
            "duration": {"type": "number"},
            "user": {"$ref": "User", "inverse": "timelogs"},
            "user_id": {"type": "string"},
        },
    },
    {
        "id": "Metadata",
        "primary_key": ["parent_id", "key"],
        "immutable": ["parent_id", "key"],
        "default_projections": ["parent_id", "key", "value"],
        "properties": {
            "parent_id": {"type": "string"},
            "parent_type": {"type": "string"},
            "key": {"type": "string"},
            "value": {"type": "string"},
        },
    },
    {
        "id": "Status",
        "primary_key": ["id"],
        "immutable": ["id"],
        "default_projections": ["id"],
        "properties": {"id": {"type": "string", "default": "{uid}"}, "name": {"type": "string"}},
    },
]
for _name, _object_type in (("Project", None), ("Sequence", "seq"), ("Shot", "shot"), ("Task", "task")):
    _properties: dict[str, Any] = {
        "id": {"type": "string", "default": "{uid}"},
        "name": {"type": "string", "default": ""},
        "context_type": {"type": "string"},
        "parent": {"$ref": "Context", "inverse": "children"},
        "children": {"type": "array", "items": {"$ref": "Context"}, "inverse": "parent"},
        "project_id": {"type": "string"},
        "status": {"$ref": "Status"},
        "bid": {"type": "number"},
        "description": {"type": "string"},
        "link": {"type": "string"},
        "metadata": {"type": "mapped_array", "items": {"$ref": "Metadata"}},
    }
    if _object_type:
        _properties["object_type_id"] = {"type": "string", "default": _object_type}
    _FALLBACK_SCHEMAS.append(
        {
            "id": _name,
            "primary_key": ["id"],
            "immutable": ["id", "link", "object_type_id"],
            "computed": ["link"],
            "default_projections": ["context_type", "id", "name"],
            "properties": _properties,
        }
    )
_FALLBACK_SCHEMAS.append(copy.deepcopy(_FALLBACK_SCHEMAS[-1]) | {"id": "Context"})


@pytest.fixture(scope="session")
def schemas() -> list[dict[str, Any]]:
    """The server's schema documents, or a small hand-written set."""
    try:
        from clapboard_server.schema import default_registry
    except ImportError:
        return copy.deepcopy(_FALLBACK_SCHEMAS)
    return copy.deepcopy(default_registry().documents)


class FakeServer:
    """Answer batches like a server would, without storing anything.

    Queries are answered by :attr:`query_handler` (expression → list of
    entity dicts; default: nothing). Creates and updates echo their data.
    Set :attr:`error` to answer the next batch with an error object.
    """

    def __init__(self, schemas: list[dict[str, Any]]):
        self.schemas = schemas
        self.batches: list[list[dict[str, Any]]] = []
        self.queries: list[str] = []
        self.query_handler: Callable[[str], list[dict[str, Any]]] = lambda expression: []
        self.error: dict[str, Any] | None = None
        self.server_information = {"version": "4.13.8", "schema_hash": None}

    def __call__(self, batch: list[dict[str, Any]]) -> Any:
        if batch[0]["action"] not in ("query_server_information", "query_schemas"):
            self.batches.append(batch)
        if self.error is not None:
            error, self.error = self.error, None
            return error
        results = []
        for operation in batch:
            action = operation["action"]
            if action == "query_server_information":
                results.append(self.server_information)
            elif action == "query_schemas":
                results.append(self.schemas)
            elif action == "query":
                expression = operation["expression"]
                self.queries.append(expression)
                data = copy.deepcopy(self.query_handler(expression))
                offset = int((re.search(r" offset (\d+)", expression) or [0, 0])[1])
                limit = re.search(r" limit (\d+)", expression)
                end = offset + int(limit[1]) if limit else len(data)
                next_offset = end if end < len(data) else None
                results.append(
                    {"action": "query", "data": data[offset:end], "metadata": {"next": {"offset": next_offset}}}
                )
            elif action in ("create", "update"):
                results.append({"action": action, "data": operation["entity_data"]})
            elif action == "delete":
                results.append({"action": "delete", "data": True})
            else:
                results.append({"action": action, "data": {}})
        return results

    @property
    def commits(self) -> list[list[dict[str, Any]]]:
        """Batches that were not only queries."""
        return [batch for batch in self.batches if any(op["action"] != "query" for op in batch)]


@pytest.fixture
def fake_server(schemas: list[dict[str, Any]]) -> FakeServer:
    return FakeServer(schemas)


@pytest.fixture
def session(fake_server: FakeServer) -> clapboard.Session:
    """A session on the fake server, without schema cache."""
    session = clapboard.Session(
        "http://clapboard.test", "api-key", "tester", transport=MockTransport(fake_server), schema_cache_path=False
    )
    yield session
    session.close()

