"""What the pages share: entity links, literals for queries, error pages and safe redirects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from clapboard.query import quote
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from ...errors import ApiError
from ..render import iso_text, render

#: Types of the typed contexts, each shown by the task/shot page.
CONTEXT_TYPES = frozenset({"TypedContext", "Task", "Shot", "Sequence", "Episode", "AssetBuild", "Folder",
                           "Milestone", "Scene"})


def entity_url(entity: Mapping[str, Any] | None) -> str | None:
    """The page showing ``entity`` (a query result with ``__entity_type__`` and ``id``), if any."""
    if not entity or not isinstance(entity.get("id"), str):
        return None
    kind = entity.get("__entity_type__") or entity.get("type")
    if kind == "Project":
        return f"/projects/{entity['id']}"
    if kind in CONTEXT_TYPES:
        return f"/contexts/{entity['id']}"
    if kind == "AssetVersion":
        return f"/versions/{entity['id']}"
    return None


def literal(value: Any) -> str:
    """``value`` as a literal of the query language (quoted and escaped)."""
    return quote(value)


def literal_list(values: Iterable[Any]) -> str:
    """``("a", "b")``: a parenthesised list of literals for ``in``; never empty."""
    items = [quote(value) for value in values]
    return "(" + (", ".join(items) if items else '""') + ")"


def local_path(value: str | None, default: str = "/") -> str:
    """``value`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def back(next_path: Any, default: str) -> RedirectResponse:
    """303 to ``next_path`` (a form's ``next`` field) when it is a local path, else to ``default``."""
    return RedirectResponse(local_path(next_path if isinstance(next_path, str) else None, default), status_code=303)


def failure(request: Request, error: ApiError, title: str = "The request was refused") -> HTMLResponse:
    """An error page with the server's message, answered with the error's status code."""
    return render(request, "error.html", {"heading": title, "message": error.message},
                  status_code=error.status_code)


def not_found(request: Request, what: str) -> HTMLResponse:
    return render(request, "error.html", {"heading": "Not found",
                                          "message": f"There is no such {what}, or you may not read it."},
                  status_code=404)


def user_label(user: Mapping[str, Any] | None) -> str:
    """``First Last`` when known, else the username."""
    if not user:
        return ""
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return name or str(user.get("username") or user.get("id") or "")


def hours(seconds: Any) -> str:
    """Seconds (bid and logged time are stored in seconds) as hours, e.g. ``1.5 h``."""
    if not isinstance(seconds, (int, float)) or not seconds:
        return "0 h"
    return f"{seconds / 3600:.4g} h"


def when(value: Any) -> str:
    """A wire datetime (``{"__type__": "datetime", "value": ...}``) as ``YYYY-MM-DD HH:MM``."""
    return iso_text(value)[:16].replace("T", " ")


def custom_attribute_items(value: Any) -> list[tuple[str, Any]]:
    """A ``custom_attributes`` answer (a list of ``{key, value}`` or a mapping) as sorted pairs."""
    if isinstance(value, dict):
        return sorted(value.items())
    if isinstance(value, list):
        return sorted((str(item.get("key")), item.get("value")) for item in value if isinstance(item, dict))
    return []


_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


def safe_color(value: Any, default: str = "#bdc3c7") -> str:
    """``value`` when it is a ``#rgb``-style colour, else ``default`` (colours go into style attributes)."""
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else default


def status_map(statuses: Iterable[Mapping[str, Any]]) -> str:
    """``{id: {name, color}}`` of ``statuses`` as JSON, for the live updates of status badges."""
    return json.dumps({s["id"]: {"name": s.get("name") or "", "color": safe_color(s.get("color"))}
                       for s in statuses})


def page(request: Request, template_name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """:func:`render` with the helpers the pages' templates use (``safe_color``)."""
    return render(request, template_name, {"safe_color": safe_color, **context}, status_code=status_code)
