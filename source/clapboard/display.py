"""How entities, collections and query results show in a shell or a notebook.

Everything here reads only what is already loaded: showing an object never
sends a request. An entity shows as its type, an identifying value, its path
for contexts, a short id and its local state::

    <Task "compositing" sq010/sh020 b4d594f9 · modified>

IPython calls ``_repr_pretty_`` for a multi-line view of the loaded
attributes and Jupyter calls ``_repr_html_`` for tables; the classes delegate
to the functions of this module.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .symbol import CREATED, DELETED, MODIFIED, NOT_SET

__all__ = [
    "LABEL_ATTRIBUTES",
    "MAX_LABEL",
    "MAX_SHOWN",
    "MAX_WIDTH",
    "context_path",
    "entities_html",
    "entity_html",
    "entity_lines",
    "entity_summary",
    "label",
    "loaded",
    "loaded_names",
    "members_summary",
    "nested",
    "pretty_lines",
    "short_id",
    "state_name",
    "value_summary",
]

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity

#: Attributes naming an entity, in order of preference.
LABEL_ATTRIBUTES = ("name", "username", "key", "title", "label", "topic", "resource_identifier", "value")

#: Local states as shown in a representation.
_STATES = {CREATED: "created", MODIFIED: "modified", DELETED: "deleted"}

#: Most members or rows shown before eliding the rest.
MAX_SHOWN = 10

#: Longest value shown in the multi-line view of an entity, in characters.
MAX_WIDTH = 100

#: Longest name shown in an entity's one-line representation, in characters.
MAX_LABEL = 40


def loaded(entity: Entity, name: str) -> Any:
    """Return the loaded value of *name* on *entity* (local first), or NOT_SET; never fetch."""
    value = entity._local.get(name, NOT_SET)
    if value is NOT_SET:
        value = entity._remote.get(name, NOT_SET)
    return value


def loaded_names(entity: Entity) -> list[str]:
    """Return the names of the attributes of *entity* with a loaded value, in schema order."""
    return [name for name in entity._attribute_map if loaded(entity, name) is not NOT_SET]


def short_id(entity: Entity) -> str:
    """Return the primary key of *entity* shortened for display (first 8 characters of a uuid)."""
    values = [str(value) for value in entity._identity[1:] if value is not NOT_SET]
    if len(values) == 1 and len(values[0]) == 36 and values[0].count("-") == 4:
        return values[0][:8]
    return ", ".join(values)


def state_name(entity: Entity) -> str | None:
    """Return the local state of *entity* ("created", "modified", "deleted"), or None."""
    try:
        state = entity.session.recorded_operations.state(entity._identity)
    except AttributeError:  # an entity being constructed
        return None
    return _STATES.get(state)


def label(entity: Entity) -> str | None:
    """Return the loaded value identifying *entity* to a person (its name, ...), or None."""
    if entity.entity_type == "AssetVersion":
        asset, version = loaded(entity, "asset"), loaded(entity, "version")
        asset_name = loaded(asset, "name") if asset not in (NOT_SET, None) else NOT_SET
        parts = [str(asset_name)] if asset_name not in (NOT_SET, None) else []
        if version not in (NOT_SET, None):
            parts.append(f"v{version:03d}" if isinstance(version, int) else f"v{version}")
        return " ".join(parts) or None
    for name in LABEL_ATTRIBUTES:
        if name in entity._attribute_map:
            value = loaded(entity, name)
            if value not in (NOT_SET, None, "") and isinstance(value, (str, int, float)):
                return str(value)
    return None


def context_path(entity: Entity) -> str | None:
    """Return the names of the loaded ancestors of a context below its project ("sq010/sh020").

    Uses the ``link`` attribute when loaded, else walks loaded ``parent``
    references; None when nothing is known or the context has no ancestor
    below its project.
    """
    if "parent" not in entity._attribute_map or entity.entity_type == "Project":
        return None
    link = loaded(entity, "link")
    if isinstance(link, list) and len(link) > 1:
        linked = [str(item.get("name")) for item in link[1:-1] if isinstance(item, dict)]
        return "/".join(linked) or None
    names: list[str] = []
    parent = loaded(entity, "parent")
    seen = {entity._identity}
    while parent not in (NOT_SET, None) and parent._identity not in seen:
        seen.add(parent._identity)
        if parent.entity_type == "Project" or loaded(parent, "context_type") == "show":
            break
        name = loaded(parent, "name")
        if name in (NOT_SET, None):
            names.append("…")
            break
        names.append(str(name))
        parent = loaded(parent, "parent") if "parent" in parent._attribute_map else NOT_SET
    return "/".join(reversed(names)) or None


def entity_summary(entity: Entity) -> str:
    """Return the one-line representation of *entity*, e.g. ``<Task "comp" sq010/sh020 b4d594f9>``."""
    parts = [str(entity.entity_type)]
    name = label(entity)
    if name is not None:
        if len(name) > MAX_LABEL:
            name = name[: MAX_LABEL - 1] + "…"
        parts.append('"' + name.replace('"', '\\"') + '"')
    path = context_path(entity)
    if path:
        parts.append(path)
    identifier = short_id(entity)
    if identifier and identifier != name:
        parts.append(identifier)
    text = " ".join(parts)
    state = state_name(entity)
    if state is not None:
        text += f" · {state}"
    return f"<{text}>"


def value_summary(value: Any) -> str:
    """Return a one-line representation of an attribute *value*."""
    if hasattr(value, "_identity") and hasattr(value, "_attribute_map"):
        return entity_summary(value)
    return repr(value)


def members_summary(kind: str, members: list[Any], owner: str) -> str:
    """Return the one-line representation of a collection of *members* of *owner*."""
    shown = ", ".join(value_summary(member) for member in members[:MAX_SHOWN])
    if len(members) > MAX_SHOWN:
        shown += f", … {len(members) - MAX_SHOWN} more"
    return f"<{kind} {owner} ({len(members)}) [{shown}]>"


def entity_lines(entity: Entity) -> list[str]:
    """Return the multi-line view of *entity*: its summary then one line per loaded attribute."""
    names = loaded_names(entity)
    width = max((len(name) for name in names), default=0)
    lines = [entity_summary(entity)]
    for name in names:
        text = value_summary(loaded(entity, name))
        if len(text) > MAX_WIDTH:
            text = text[: MAX_WIDTH - 1] + "…"
        lines.append(f"  {name.ljust(width)} = {text}")
    return lines


def _cell(value: Any) -> str:
    if value is NOT_SET or value is None:
        return ""
    return html.escape(value if isinstance(value, str) else value_summary(value))


def entity_html(entity: Entity) -> str:
    """Return an HTML table of the loaded attributes of *entity*."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th><td style='text-align:left'>{_cell(loaded(entity, name))}</td></tr>"
        for name in loaded_names(entity)
    )
    caption = html.escape(entity_summary(entity))
    return f"<table><caption>{caption}</caption>{rows}</table>"


def entities_html(entities: Iterable[Entity], caption: str, limit: int = 50) -> str:
    """Return an HTML table with one row per entity and a column per loaded attribute.

    At most *limit* rows are shown; *caption* describes the table.
    """
    shown = list(entities)[:limit]
    columns: list[str] = []
    for entity in shown:
        for name in loaded_names(entity):
            if name not in columns:
                columns.append(name)
    head = "".join(f"<th>{html.escape(name)}</th>" for name in ["", *columns])
    body = "".join(
        "<tr><td>" + html.escape(entity_summary(entity)) + "</td>"
        + "".join(f"<td>{_cell(loaded(entity, name))}</td>" for name in columns)
        + "</tr>"
        for entity in shown
    )
    return f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pretty_lines(printer: Any, lines: list[str]) -> None:
    """Write *lines* to IPython's pretty *printer*, one per line."""
    for index, line in enumerate(lines):
        if index:
            printer.break_()
        printer.text(line)


def nested(printer: Any) -> bool:
    """Return whether IPython's pretty *printer* is inside another object (a list, a dict)."""
    return len(getattr(printer, "stack", ())) > 1 or getattr(printer, "indentation", 0) > 0
