"""File actions: where to upload a component's data in the ``ftrack.server`` location."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from .context import CallContext
from .registry import action


@action("get_upload_metadata")
def get_upload_metadata(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """A signed upload URL and its headers (wire protocol 4.12); the component may be uncommitted."""
    if not context.server_url:
        raise ApiError("The server does not know its own URL, so it cannot hand out upload URLs.")
    component_id = operation.get("component_id")
    if isinstance(component_id, str):
        context.guard.check_component("update", component_id)
    return context.server.storage.upload_metadata(
        context.server_url, context.user_id, operation.get("component_id"), operation.get("file_name"),
        operation.get("file_size"), operation.get("checksum"),
    )
