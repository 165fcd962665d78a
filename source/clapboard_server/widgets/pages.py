"""What each widget shows, read through the server's API path as the user the URL was signed for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..schema import REFERENCE, SCALAR

if TYPE_CHECKING:
    from ..server import Server

#: Attributes never shown on an info page (nor are ids of references, which show by name).
HIDDEN = frozenset({"id", "context_type", "object_type_id", "resource_type", "api_key"})
MAX_TASKS = 500


@dataclass
class View:
    """The content of one widget page."""

    title: str
    attributes: list[tuple[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] | None = None


def _query(server: Server, user_id: str, expression: str) -> list[dict[str, Any]]:
    return server.call([{"action": "query", "expression": expression}], user_id)[0]["data"]


def _name(entity: dict[str, Any] | None) -> str:
    if not isinstance(entity, dict):
        return ""
    if entity.get("first_name") or entity.get("last_name"):
        return f"{entity.get('first_name') or ''} {entity.get('last_name') or ''}".strip()
    return str(entity.get("name") or entity.get("username") or "")


def gather(server: Server, claims: dict[str, Any]) -> View:
    """The view of the widget the ``claims`` of a verified token describe."""
    user_id = claims["user"]
    entity_type, entity_id = claims.get("type"), claims.get("id")
    entity = _entity(server, user_id, entity_type, entity_id) if entity_type else None
    title = _title(entity, entity_type)
    if claims["name"] == "info":
        return View(title, attributes=_attributes(entity))
    return View(title or "My tasks", tasks=_tasks(server, user_id, entity_type, entity_id))


def _entity(server: Server, user_id: str, entity_type: str, entity_id: str) -> dict[str, Any]:
    entity_kind = server.registry.get(entity_type)
    names = [prop.name for prop in entity_kind.properties.values()
             if prop.kind == SCALAR and not prop.computed and not prop.restricted and prop.name not in HIDDEN
             and not prop.name.endswith("_id")]
    extra = [f"{name}.name" for name in ("status", "type", "parent", "project")
             if name in entity_kind.properties and entity_kind.properties[name].kind == REFERENCE]
    projection = ", ".join(names + extra)
    found = _query(server, user_id, f'select {projection} from {entity_type} where id is "{entity_id}"')
    if not found:
        raise NotFoundError(f"{entity_type} {entity_id} does not exist or is not visible to you.")
    return found[0]


def _title(entity: dict[str, Any] | None, entity_type: str | None) -> str:
    if entity is None:
        return ""
    label = entity.get("full_name") or _name(entity) or entity.get("id")
    return f"{entity_type}: {label}"


def _attributes(entity: dict[str, Any]) -> list[tuple[str, Any]]:
    rows = []
    for key in sorted(entity):
        if key.startswith("__") or key in HIDDEN or key.endswith("_id"):
            continue
        value = entity[key]
        if isinstance(value, dict) and "__entity_type__" in value:
            value = _name(value)
        elif isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
            value = value.get("value")
        rows.append((key.replace("_", " "), value))
    return rows


def _criteria(entity_type: str | None, entity_id: str | None, user_id: str) -> str:
    if entity_type is None:
        return f'assignments any (resource_id is "{user_id}")'
    if entity_type == "Project":
        return f'project_id is "{entity_id}"'
    if entity_type in ("User", "Group"):
        return f'assignments any (resource_id is "{entity_id}")'
    if entity_type == "Task":
        return f'id is "{entity_id}"'
    return f'ancestors any (id is "{entity_id}")'


def _tasks(server: Server, user_id: str, entity_type: str | None, entity_id: str | None) -> list[dict[str, Any]]:
    expression = (f"select name, status.name, type.name, end_date, parent.name from Task "
                  f"where {_criteria(entity_type, entity_id, user_id)} order by name limit {MAX_TASKS}")
    tasks = _query(server, user_id, expression)
    ids = [task["id"] for task in tasks]
    assignees: dict[str, list[str]] = {task_id: [] for task_id in ids}
    if ids:
        quoted = ", ".join(f'"{task_id}"' for task_id in ids)
        links = _query(server, user_id, f"select context_id, resource_id from Appointment "
                                        f'where type is "assignment" and context_id in ({quoted})')
        users = {}
        resource_ids = sorted({link["resource_id"] for link in links})
        if resource_ids:
            listed = ", ".join(f'"{resource_id}"' for resource_id in resource_ids)
            users = {user["id"]: _name(user) for user in _query(
                server, user_id, f"select first_name, last_name, username from User where id in ({listed})")}
        for link in links:
            assignees[link["context_id"]].append(users.get(link["resource_id"], ""))
    return [{
        "name": task.get("name"),
        "parent": _name(task.get("parent")),
        "status": _name(task.get("status")),
        "type": _name(task.get("type")),
        "due": (task.get("end_date") or {}).get("value") if isinstance(task.get("end_date"), dict) else None,
        "assignees": sorted(name for name in assignees[task["id"]] if name),
    } for task in tasks]
