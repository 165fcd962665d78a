"""File actions: where to upload a component's data in the ``ftrack.server`` location.

``get_upload_metadata`` answers one upload URL, or, when asked for ``parts`` and the storage
supports it (S3), a multipart upload: ``upload_id`` and one presigned URL per part. The client
then sends ``complete_multipart_upload`` with the ``ETag`` of each part (as ftrack's JavaScript
client does), or ``abort_multipart_upload`` to drop the parts after a failure.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage.links import component_link
from .context import CallContext
from .registry import action


def _uploadable(context: CallContext, operation: dict[str, Any]) -> Any:
    """The operation's ``component_id``, once the user is known to be allowed to upload its data."""
    component_id = operation.get("component_id")
    if isinstance(component_id, str):
        context.guard.check_component("update", component_id)
    return component_id


@action("get_upload_metadata")
def get_upload_metadata(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """A signed upload URL and its headers (wire protocol 4.12); the component may be uncommitted."""
    if not context.server_url:
        raise ApiError("The server does not know its own URL, so it cannot hand out upload URLs.")
    return context.server.storage.upload_metadata(
        context.server_url, context.user_id, _uploadable(context, operation), operation.get("file_name"),
        operation.get("file_size"), operation.get("checksum"), operation.get("parts"),
        operation.get("part_size"), operation.get("part_checksums"),
    )


@action("complete_multipart_upload")
def complete_multipart_upload(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """Assemble a multipart upload from its parts' ETags; answer the component's download link."""
    component_id = _uploadable(context, operation)
    size = context.server.storage.complete_multipart(component_id, operation.get("upload_id"),
                                                     operation.get("parts"))
    return {"action": "complete_multipart_upload", "component_id": component_id, "size": size,
            "url": component_link("get", component_id)}


@action("abort_multipart_upload")
def abort_multipart_upload(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """Drop an unfinished multipart upload and the parts already sent."""
    component_id = _uploadable(context, operation)
    context.server.storage.abort_multipart(component_id, operation.get("upload_id"))
    return {"action": "abort_multipart_upload", "component_id": component_id}
