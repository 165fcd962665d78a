"""A thin wire-protocol client for server tests, and builders of raw operations."""

import uuid

import requests


class Api:
    """Sends raw ``/api`` batches, as any client would."""

    def __init__(self, server, user=None, key=None):
        self.url = f"{server.server_url}/api"
        self.http = requests.Session()
        self.headers = {"ftrack-user": user or server.api_user, "ftrack-api-key": key or server.api_key}

    def raw(self, body, headers=None):
        """POST ``body`` (any JSON, or bytes) and return the decoded answer."""
        merged = dict(self.headers if headers is None else headers)
        if isinstance(body, (bytes, str)):
            response = self.http.post(self.url, data=body, headers=merged, timeout=60)
        else:
            response = self.http.post(self.url, json=body, headers=merged, timeout=60)
        return response.json()

    def call(self, *operations):
        result = self.raw(list(operations))
        assert isinstance(result, list), result
        return result

    def error(self, *operations, headers=None):
        """Send a batch that must fail; return the error object."""
        result = self.raw(list(operations), headers=headers)
        assert isinstance(result, dict) and "exception" in result, result
        assert "{" not in result["content"] and "}" not in result["content"]
        return result

    def query(self, expression):
        return self.call({"action": "query", "expression": expression})[0]["data"]

    def one(self, expression):
        rows = self.query(expression)
        assert len(rows) == 1, rows
        return rows[0]


def create(entity_type, /, entity_key=None, **data):
    """A create operation as the ftrack client sends it (client-side id unless ``entity_key``)."""
    if entity_key is None:
        data.setdefault("id", str(uuid.uuid4()))
        entity_key = [data["id"]]
    return {"action": "create", "entity_type": entity_type, "entity_key": entity_key,
            "entity_data": {"__entity_type__": entity_type, **data}}


def ref(operation_or_entity):
    """An entity reference to what a create operation (or an entity dict) describes."""
    if "entity_data" in operation_or_entity:
        return {"__entity_type__": operation_or_entity["entity_type"], "id": operation_or_entity["entity_data"]["id"]}
    return {"__entity_type__": operation_or_entity["__entity_type__"], "id": operation_or_entity["id"]}
