"""The task/shot page (any typed context): attributes, children, versions, notes and edit controls.

Edit controls (status, assignment, the note form) are shown only when the policy says the
logged-in user may use them (:meth:`Policy.permits`, a dry run of the write check); the writes
themselves are checked again when they are sent, as every API write is.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError
from .. import calls
from ..sessions import login_required
from . import notes, workflow
from .common import (
    custom_attribute_items,
    entity_url,
    failure,
    hours,
    literal,
    not_found,
    page,
    status_map,
    user_label,
    when,
)
from .notes import thread, thread_operation

if TYPE_CHECKING:
    from ...server import Server

_ENTITY = ("id, name, description, object_type.name, status.id, status.name, status.color, type.id, type.name, "
           "type.color, priority.name, bid, time_logged, start_date, end_date, parent_id, project_id, link, "
           "thumbnail_url, custom_attributes, metadata, assignments.id, assignments.resource_id")
#: Most children listed on the page (the tree page pages through all of them).
MAX_CHILDREN = 200
#: Most versions listed on the page (newest first).
MAX_VERSIONS = 50
VERSION_PROJECTION = ("id, version, comment, date, status.id, status.name, status.color, asset.name, user.username, "
                      "user.first_name, user.last_name, thumbnail_url, is_latest_version, task.name")


def operations(context_id: str) -> list[dict[str, Any]]:
    """The one batch reading everything the page shows."""
    key = literal(context_id)
    expressions = [
        f"select {_ENTITY} from TypedContext where id is {key}",
        (f"select id, name, object_type.name, status.name, status.color, type.name, bid, time_logged "
        f"from TypedContext where parent_id is {key} order by name, id limit {MAX_CHILDREN}"),
        (f"select {VERSION_PROJECTION} from AssetVersion where task_id is {key} or asset.context_id is {key} "
        f"order by date descending, id limit {MAX_VERSIONS}"),
        "select id, name, color, sort from Status order by sort, name",
        notes.CATEGORIES,
        notes.USERS,
        "select key, label from CustomAttributeConfiguration",
    ]
    return [{"action": "query", "expression": e} for e in expressions] + [
        thread_operation(context_id), workflow.context_schema_operation(context_id)]


def version_row(version: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": version["id"],
        "url": entity_url(version),
        "label": f"{(version.get('asset') or {}).get('name', '')} v{version.get('version') or 0:03d}",
        "comment": version.get("comment") or "",
        "date": when(version.get("date")),
        "status": version.get("status"),
        "author": user_label(version.get("user")),
        "thumbnail_url": _sized((version.get("thumbnail_url") or {}).get("url"), 160),
        "latest": bool(version.get("is_latest_version")),
    }


def _sized(url: str | None, size: int) -> str | None:
    return f"{url}&size={size}" if url else None


async def permissions(server: Server, user_id: str, entity_type: str, row: dict[str, Any], note_parent_type: str,
                      wanted: tuple[str, ...] = ("status", "assign", "note")) -> dict[str, bool]:
    """Which of ``status``, ``assign`` and ``note`` the page offers the user (dry runs of the policy)."""
    policy = server.policy
    entity_id = row["id"]
    checks = {
        "status": (user_id, "update", entity_type, {"id": entity_id}, {"status_id"}),
        "assign": (user_id, "create", "Appointment", {"context_id": entity_id, "resource_id": user_id,
                                                      "type": "assignment"}),
        "note": (user_id, "create", "Note", {"parent_id": entity_id, "parent_type": note_parent_type,
                                             "user_id": user_id}),
    }
    loop = asyncio.get_running_loop()
    answers = await asyncio.gather(*(loop.run_in_executor(server.workers, policy.permits, *checks[name])
                                     for name in wanted))
    return dict(zip(wanted, answers))


async def _removable(server: Server, user_id: str, assigned: list[dict[str, Any]]) -> None:
    """Set each assignment's ``removable``: whether the user may delete it (a dry run of the policy)."""
    loop = asyncio.get_running_loop()
    answers = await asyncio.gather(*(
        loop.run_in_executor(server.workers, server.policy.permits, user_id, "delete", "Appointment",
                             {"id": item["appointment_id"]}) for item in assigned))
    for item, removable in zip(assigned, answers):
        item["removable"] = removable


def gather(answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    entity, children, versions, statuses, categories, users, configurations, notes, schemas = (
        a["data"] for a in answers)
    if not entity:
        return None
    entity = entity[0]
    users_by_id = {user["id"]: user for user in users}
    labels = {c["key"]: c.get("label") or c["key"] for c in configurations}
    link = entity.get("link") or []
    assigned = [{"appointment_id": a["id"], "user_id": a["resource_id"],
                 "name": user_label(users_by_id.get(a["resource_id"])) or a["resource_id"]}
                for a in entity.get("assignments") or []]
    return {
        "entity": entity,
        "entity_type": entity["__entity_type__"],
        "kind": (entity.get("object_type") or {}).get("name", entity["__entity_type__"]),
        "path": [{"name": item["name"], "url": entity_url(item)} for item in link[:-1]],
        "thumbnail_url": _sized((entity.get("thumbnail_url") or {}).get("url"), 320),
        "attributes": [
            ("Type", (entity.get("type") or {}).get("name", "")),
            ("Priority", (entity.get("priority") or {}).get("name", "")),
            ("Bid", hours(entity.get("bid"))),
            ("Time logged", hours(entity.get("time_logged"))),
            ("Start", when(entity.get("start_date"))),
            ("End", when(entity.get("end_date"))),
            ("Description", entity.get("description") or ""),
        ],
        "custom_attributes": [(labels.get(key, key), value)
                              for key, value in custom_attribute_items(entity.get("custom_attributes"))],
        "assigned": assigned,
        "max_children": MAX_CHILDREN,
        "children": [{**child, "url": entity_url(child), "kind": (child.get("object_type") or {}).get("name", ""),
                      "bid": hours(child.get("bid")), "logged": hours(child.get("time_logged"))}
                     for child in children],
        "versions": [version_row(version) for version in versions],
        **discussion(entity, "context", statuses, schemas, categories, users, notes),
    }


def discussion(entity: dict[str, Any], kind: str, statuses: list[dict[str, Any]], schemas: list[dict[str, Any]],
               categories: list[dict[str, Any]], users: list[dict[str, Any]],
               notes: list[dict[str, Any]]) -> dict[str, Any]:
    """What a page about ``entity`` (a ``context`` or a ``version``, its ``kind``) shows of its status
    control and its notes thread."""
    return {
        "statuses": statuses,
        "status_choices": workflow.choices(statuses, schemas, entity),
        "statuses_json": status_map(statuses),
        "categories": categories,
        "users": [{"id": user["id"], "label": user_label(user)} for user in users],
        "notes": thread(notes, {user["id"]: user for user in users}),
        "note_parent": {"kind": kind, "id": entity["id"]},
    }


def routes(server: Server) -> list[BaseRoute]:
    @login_required
    async def context_page(request: Request) -> Response:
        context_id = request.path_params["context_id"]
        try:
            context = gather(await calls.call(request, operations(context_id)))
            if context is None:
                return not_found(request, "task or shot")
            user_id = request.state.user.id
            context["may"] = await permissions(server, user_id, context["entity_type"], context["entity"], "context")
            await _removable(server, user_id, context["assigned"])
        except ApiError as error:
            return failure(request, error)
        context["next"] = request.url.path
        return page(request, "task.html", context)

    return [Route("/contexts/{context_id}", context_page, methods=["GET"], name="context")]
