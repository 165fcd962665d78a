"""Media and review actions: ``encode_media``, ``get_widget_url`` and the two invitations."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from .. import invites
from ..errors import ApiError, NotFoundError, ValidationError
from ..media import encoding
from ..media.jobs import JOB_TYPE, SERVER_LOCATION_ID
from ..storage.files import check_id
from .context import CallContext
from .registry import action


def _in_server_location(context: CallContext, component_id: str) -> str | None:
    """The resource identifier of ``component_id`` in ``ftrack.server``, if registered there."""
    database = context.server.database
    locations = database.catalog.table(database.registry.get("ComponentLocation"))
    return context.connection.execute(
        sa.select(locations.c.resource_identifier).where(
            locations.c.component_id == component_id, locations.c.location_id == SERVER_LOCATION_ID)
    ).scalar()


@action("encode_media", writes=True)
def encode_media(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """Queue the encoding of a FileComponent in ``ftrack.server``; answer the new Job's id.

    The Job's ``data`` names the components the encoding will create (wire protocol 4.11).
    """
    component_id = check_id(operation.get("component_id"))
    component = context.writer.fetch_by_id("Component", component_id)
    if component is None:
        raise NotFoundError(f"FileComponent {component_id} does not exist.")
    if component.get("system_type") != "file":
        raise ValidationError(f"Component {component_id} is a {component.get('system_type')} component: "
                              "only a FileComponent (a movie or a picture) can be encoded.")
    resource = _in_server_location(context, component_id)
    if resource is None or not context.server.storage.files.exists(resource):
        raise ValidationError(
            f"Component {component_id} is not in the ftrack.server location: add it there before encoding it."
        )
    context.guard.check_component("read", component_id)
    version_id = operation.get("version_id")
    if version_id is not None:
        version = context.writer.fetch_by_id("AssetVersion", version_id)
        if version is None:
            raise NotFoundError(f"AssetVersion {version_id} does not exist.")
        context.guard.check("update", context.server.registry.get("AssetVersion"), version)  # outputs join it
    keep_original = operation.get("keep_original", True)
    if not isinstance(keep_original, bool):
        raise ValidationError(f"keep_original must be true or false; got {keep_original!r}.")
    if not keep_original:
        context.guard.check_component("delete", component_id)
    outputs = [output.describe(str(uuid.uuid4())) | {"name": output.name}
               for output in encoding.plan(component.get("file_type"))]
    data = {"output": outputs, "source_component_id": component_id, "keep_original": keep_original,
            "version_id": version_id, "progress": 0.0,
            "description": f"Encoding {component.get('name') or 'media'} for review"}
    job = context.writer.create("Job", {"type": JOB_TYPE, "status": "queued", "data": json.dumps(data),
                                        "user_id": context.user_id})
    context.on_commit.append(lambda: context.server.encoding.submit(job["id"]))
    return {"job_id": job["id"]}


@action("get_widget_url")
def get_widget_url(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """A signed URL of an embeddable widget page (wire protocol 4.10)."""
    if not context.server_url:
        raise ApiError("The server does not know its own URL, so it cannot hand out widget URLs.")
    key = operation.get("entity_key")
    if isinstance(key, list):
        if len(key) != 1:
            raise ValidationError(f"entity_key must hold one id; got {key!r}.")
        key = key[0]
    entity_type = operation.get("entity_type")
    if entity_type is not None:
        if not isinstance(entity_type, str) or entity_type not in context.server.registry.types:
            raise ValidationError(f"Unknown entity type {entity_type!r}.")
        if context.writer.fetch_by_id(entity_type, check_id(key)) is None:
            raise NotFoundError(f"{entity_type} {key} does not exist.")
    url = context.server.widgets.url(context.server_url, context.user_id, operation.get("name"), entity_type,
                                     key, operation.get("theme"))
    return {"widget_url": url}


@action("send_user_invite", writes=True)
def send_user_invite(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    return invites.invite_user(context, operation.get("user_id"))


@action("send_review_session_invite", writes=True)
def send_review_session_invite(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    return invites.invite_to_review_session(context, operation.get("review_session_invitee_id"))
