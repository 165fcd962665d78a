"""The project tree page: a project's contexts as a filterable, sortable table paged on the server.

``GET /projects/{id}`` takes ``within`` (a context: only what is below it), ``kind`` (an object
type name), ``status`` and ``type`` (ids), ``name`` (text the name contains), ``sort`` (a key of
:data:`SORTS`), ``order`` (``asc``/``desc``), ``page`` (from 1) and ``size`` (a value of
:data:`PAGE_SIZES`). One API batch reads the count, the page and the choices of the filters; a
second reads the page's assignees.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError
from .. import calls
from ..sessions import login_required
from .common import entity_url, failure, hours, literal, literal_list, not_found, page, status_map, user_label

#: Sort keys of the table and the attribute each orders by (then by name).
SORTS = {
    "name": "name",
    "kind": "object_type.name",
    "status": "status.sort",
    "type": "type.name",
    "bid": "bid",
    "logged": "time_logged",
    "parent": "parent.name",
}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
_PROJECTION = ("id, name, object_type.name, status.name, status.color, type.name, type.color, bid, "
               "time_logged, parent_id, link, assignments.resource_id")


@dataclass(frozen=True)
class TreeView:
    """What the tree page shows: the project, the filters, the order and the page."""

    project_id: str
    within: str = ""
    kind: str = ""
    status: str = ""
    type: str = ""
    name: str = ""
    sort: str = "parent"
    descending: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_params(cls, project_id: str, params: Mapping[str, str]) -> TreeView:
        """The view asked for by a query string; anything unknown falls back to the default."""
        def text(key: str) -> str:
            return (params.get(key) or "").strip()[:200]

        sort = text("sort")
        return cls(
            project_id=project_id, within=text("within"), kind=text("kind"), status=text("status"),
            type=text("type"), name=text("name"), sort=sort if sort in SORTS else "parent",
            descending=text("order") == "desc", page=max(1, _integer(text("page"), 1)),
            size=_integer(text("size"), DEFAULT_PAGE_SIZE) if _integer(text("size"), 0) in PAGE_SIZES
            else DEFAULT_PAGE_SIZE,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def criteria(self) -> str:
        """The ``where`` clause (values always quoted literals)."""
        parts = [f"project_id is {literal(self.project_id)}"]
        if self.within:
            parts.append(f"ancestors any (id is {literal(self.within)})")
        if self.kind:
            parts.append(f"object_type.name is {literal(self.kind)}")
        if self.status:
            parts.append(f"status_id is {literal(self.status)}")
        if self.type:
            parts.append(f"type_id is {literal(self.type)}")
        if self.name:
            escaped = self.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(f"name like {literal('%' + escaped + '%')}")
        return " and ".join(parts)

    def order(self) -> str:
        direction = " descending" if self.descending else ""
        keys = [SORTS[self.sort] + direction]
        if self.sort != "name":
            keys.append("name")
        keys.append("id")  # a stable order across pages
        return ", ".join(keys)

    def page_expression(self) -> str:
        return (f"select {_PROJECTION} from TypedContext where {self.criteria()} order by {self.order()} "
                f"offset {self.offset} limit {self.size}")

    def count_expression(self) -> str:
        return f"select count(id) from TypedContext where {self.criteria()}"

    def operations(self) -> list[dict[str, Any]]:
        """The batch reading the count, the page, the project and the filters' choices."""
        expressions = [
            self.count_expression(),
            self.page_expression(),
            f"select id, name, full_name from Project where id is {literal(self.project_id)}",
            "select id, name, color, sort from Status order by sort, name",
            "select id, name, sort from ObjectType order by sort, name",
            "select id, name, color, sort from Type order by sort, name",
        ]
        if self.within:
            expressions.append(f"select id, name, link from TypedContext where id is {literal(self.within)}")
        return [{"action": "query", "expression": expression} for expression in expressions]

    def url(self, **changes: Any) -> str:
        """The page's URL with ``changes`` (the page goes back to 1 unless given)."""
        changes.setdefault("page", 1)
        view = dataclasses.replace(self, **changes)
        params = {"within": view.within, "kind": view.kind, "status": view.status, "type": view.type,
                  "name": view.name, "sort": view.sort, "order": "desc" if view.descending else "asc",
                  "page": view.page, "size": view.size}
        defaults = {"sort": "parent", "order": "asc", "page": 1, "size": DEFAULT_PAGE_SIZE}
        shown = {key: value for key, value in params.items() if value not in ("", None) and defaults.get(key) != value}
        return f"/projects/{self.project_id}" + (f"?{urlencode(shown)}" if shown else "")

    def sort_url(self, key: str) -> str:
        """The URL sorting by ``key``: ascending first, descending when already ascending by it."""
        return self.url(sort=key, descending=self.sort == key and not self.descending)


def _integer(text: str, default: int) -> int:
    return int(text) if text.isdigit() and len(text) < 9 else default


def gather(answers: list[dict[str, Any]], view: TreeView) -> dict[str, Any] | None:
    """The template's context from the batch's answers; None when the project is not readable."""
    count, page, project, statuses, kinds, types, *within = (answer["data"] for answer in answers)
    if not project:
        return None
    total = count[0]["count_id"] if count else 0
    rows = [_row(entity) for entity in page]
    scope = within[0][0] if within and within[0] else None
    return {
        "project": project[0],
        "view": view,
        "rows": rows,
        "total": total,
        "pages": max(1, math.ceil(total / view.size)),
        "first_shown": view.offset + 1 if rows else 0,
        "last_shown": view.offset + len(rows),
        "statuses": statuses,
        "statuses_json": status_map(statuses),
        "kinds": kinds,
        "types": types,
        "within": scope,
        "within_path": [{"name": item["name"], "url": entity_url(item)} for item in scope["link"]] if scope else [],
        "sorts": SORTS,
        "page_sizes": PAGE_SIZES,
    }


def _row(entity: dict[str, Any]) -> dict[str, Any]:
    link = entity.get("link") or []
    return {
        "id": entity["id"],
        "entity_type": entity["__entity_type__"],
        "name": entity["name"],
        "url": entity_url(entity),
        "kind": (entity.get("object_type") or {}).get("name", entity["__entity_type__"]),
        "status": entity.get("status"),
        "type": entity.get("type"),
        "bid": hours(entity.get("bid")),
        "logged": hours(entity.get("time_logged")),
        "path": [{"name": item["name"], "url": entity_url(item)} for item in link[1:-1]],
        "assignee_ids": [a["resource_id"] for a in entity.get("assignments") or []],
        "assignees": [],
    }


async def add_assignees(request: Request, rows: list[dict[str, Any]]) -> None:
    """Fill each row's ``assignees`` with the names of the users assigned to it (one query)."""
    ids = sorted({user_id for row in rows for user_id in row["assignee_ids"]})
    if not ids:
        return
    users = await calls.query(request, f"select id, username, first_name, last_name from User where id in "
                                       f"{literal_list(ids)}")
    names = {user["id"]: user_label(user) for user in users}
    for row in rows:
        row["assignees"] = sorted(names[user_id] for user_id in row["assignee_ids"] if user_id in names)


def routes() -> list[BaseRoute]:
    @login_required
    async def project_tree(request: Request) -> Response:
        view = TreeView.from_params(request.path_params["project_id"], request.query_params)
        try:
            context = gather(await calls.call(request, view.operations()), view)
            if context is None:
                return not_found(request, "project")
            await add_assignees(request, context["rows"])
        except ApiError as error:
            return failure(request, error)
        return page(request, "project.html", context)

    return [Route("/projects/{project_id}", project_tree, methods=["GET"], name="project-tree")]
