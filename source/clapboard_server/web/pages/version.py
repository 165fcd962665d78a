"""The version page: the review player, the version's attributes and components, and its notes.

The player plays the ``ftrackreview-mp4`` and ``ftrackreview-webm`` components (or shows the
``ftrackreview-image``) stored in ``ftrack.server``, read through :mod:`.review_media` (the
session's download permission, byte ranges for seeking). The frame
rate and range come from the component's ``ftr_meta`` metadata (see the media guide).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError
from .. import calls
from ..sessions import login_required
from . import notes, workflow
from .common import custom_attribute_items, entity_url, failure, literal, not_found, page, user_label, when
from .context import discussion, permissions
from .notes import thread_operation
from .review_media import review_url

if TYPE_CHECKING:
    from ...server import Server

REVIEW_NAMES = ("ftrackreview-mp4", "ftrackreview-webm", "ftrackreview-image")
_MEDIA_TYPES = {"ftrackreview-mp4": "video/mp4", "ftrackreview-webm": "video/webm"}
_VERSION = ("id, version, comment, date, status.id, status.name, status.color, asset.name, asset.context_id, "
            "task_id, task.name, user.username, user.first_name, user.last_name, thumbnail_url, link, "
            "is_latest_version, custom_attributes")


def operations(version_id: str) -> list[dict[str, Any]]:
    key = literal(version_id)
    expressions = [
        f"select {_VERSION} from AssetVersion where id is {key}",
        (f"select id, name, file_type, size, metadata.key, metadata.value, component_locations.location.name "
         f"from Component where version_id is {key} order by name, id"),
        "select id, name, color, sort from Status order by sort, name",
        notes.CATEGORIES,
        notes.USERS,
    ]
    return [{"action": "query", "expression": e} for e in expressions] + [
        thread_operation(version_id), workflow.version_schema_operation(version_id)]


def review_media(components: list[dict[str, Any]]) -> dict[str, Any]:
    """The player's sources (mp4 first), its frame rate and range, and a still image if any."""
    sources, image, meta = [], None, {}
    for component in components:
        name = component.get("name")
        if name not in REVIEW_NAMES:
            continue
        url = _server_url(component)
        if url is None:
            continue
        if name == "ftrackreview-image":
            image = url
            continue
        sources.append({"url": url, "type": _MEDIA_TYPES[name], "name": name})
        meta = meta or _ftr_meta(component)
    sources.sort(key=lambda source: REVIEW_NAMES.index(source["name"]))
    rate = meta.get("frameRate")
    return {
        "sources": sources,
        "image": image,
        "frame_rate": float(rate) if isinstance(rate, (int, float)) and rate > 0 else 24.0,
        "frame_in": int(meta.get("frameIn") or 0),
        "frame_out": int(meta["frameOut"]) if isinstance(meta.get("frameOut"), (int, float)) else None,
        "width": meta.get("width"),
        "height": meta.get("height"),
    }


def _server_url(component: dict[str, Any]) -> str | None:
    """The player's URL of a component stored in ``ftrack.server`` (byte ranges: seekable)."""
    for location in component.get("component_locations") or []:
        if (location.get("location") or {}).get("name") == "ftrack.server":
            return review_url(component["id"])
    return None


def _ftr_meta(component: dict[str, Any]) -> dict[str, Any]:
    for item in component.get("metadata") or []:
        if isinstance(item, dict) and item.get("key") == "ftr_meta":
            try:
                value = json.loads(item.get("value") or "{}")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def gather(answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    version, components, statuses, categories, users, notes, schemas = (a["data"] for a in answers)
    if not version:
        return None
    version = version[0]
    link = version.get("link") or []
    asset = version.get("asset") or {}
    task = version.get("task")
    return {
        "version": version,
        "label": f"{asset.get('name', '')} v{version.get('version') or 0:03d}",
        "path": [{"name": item["name"], "url": entity_url(item)} for item in link[:-1]],
        "attributes": [
            ("Asset", asset.get("name", "")),
            ("Task", task.get("name", "") if task else ""),
            ("Published by", user_label(version.get("user"))),
            ("Date", when(version.get("date"))),
            ("Latest version", "yes" if version.get("is_latest_version") else "no"),
            ("Comment", version.get("comment") or ""),
        ],
        "task_url": f"/contexts/{task['id']}" if task else None,
        "custom_attributes": custom_attribute_items(version.get("custom_attributes")),
        "components": [{"name": c.get("name"), "file_type": c.get("file_type") or "", "size": c.get("size")}
                       for c in components],
        "media": review_media(components),
        **discussion(version, "version", statuses, schemas, categories, users, notes),
    }


def routes(server: Server) -> list[BaseRoute]:
    @login_required
    async def version_page(request: Request) -> Response:
        version_id = request.path_params["version_id"]
        try:
            context = gather(await calls.call(request, operations(version_id)))
            if context is None:
                return not_found(request, "version")
            context["may"] = await permissions(server, request.state.user.id, "AssetVersion", context["version"],
                                               "asset_version", ("status", "note"))
        except ApiError as error:
            return failure(request, error)
        context["next"] = request.url.path
        return page(request, "version.html", context)

    return [Route("/versions/{version_id}", version_page, methods=["GET"], name="version")]
