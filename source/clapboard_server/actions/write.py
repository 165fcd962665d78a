"""Write actions: create, update, delete, and resetting a user's API key."""

from __future__ import annotations

from typing import Any

from ..errors import ValidationError
from .context import CallContext
from .registry import action


def _entity_type(operation: dict[str, Any]) -> str:
    entity_type = operation.get("entity_type")
    if not isinstance(entity_type, str):
        raise ValidationError(f"The {operation.get('action')} action needs an 'entity_type' string.")
    return entity_type


@action("create", writes=True)
def create(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    data = operation.get("entity_data") or {}
    entity = context.writer.create(_entity_type(operation), data, operation.get("entity_key"))
    return {"action": "create", "data": entity}


@action("update", writes=True)
def update(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    entity = context.writer.update(
        _entity_type(operation), operation.get("entity_key"), operation.get("entity_data") or {}
    )
    return {"action": "update", "data": entity}


@action("delete", writes=True)
def delete(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    return {"action": "delete", "data": context.writer.delete(_entity_type(operation), operation.get("entity_key"))}


@action("reset_remote", writes=True)
def reset_remote(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    if operation.get("reset_type") != "api_key":
        raise ValidationError(f"Cannot reset {operation.get('reset_type')!r}: only 'api_key' can be reset.")
    user_id = _user_key(operation.get("entity_key"), context.user_id)
    if context.writer.fetch_by_id("User", user_id) is None:
        raise ValidationError(f"User {user_id} does not exist.")
    context.guard.check_key_reset(str(user_id))
    api_key = context.server.authenticator.issue(context.connection, str(user_id))
    return {"action": "reset_remote", "data": {"api_key": api_key}}


def _user_key(entity_key: Any, default: str) -> str:
    """The user id of ``reset_remote``'s ``entity_key``: absent, an id, or a list of one id."""
    if entity_key is None or entity_key == []:
        return default
    if isinstance(entity_key, list) and len(entity_key) == 1:
        entity_key = entity_key[0]
    if not isinstance(entity_key, str) or not entity_key:
        raise ValidationError("reset_remote needs 'entity_key': a user id, or a list holding one user id.")
    return entity_key
