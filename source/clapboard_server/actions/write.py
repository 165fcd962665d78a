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
    user_id = operation.get("entity_key") or context.user_id
    if isinstance(user_id, list):
        user_id = user_id[0] if user_id else context.user_id
    if context.writer.fetch_by_id("User", user_id) is None:
        raise ValidationError(f"User {user_id} does not exist.")
    context.guard.check_key_reset(str(user_id))
    api_key = context.server.authenticator.issue(context.connection, str(user_id))
    return {"action": "reset_remote", "data": {"api_key": api_key}}
