"""Format entities as readable text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .symbol import NOT_SET

#: Useful filters to pass to :func:`format`.
FILTER: dict[str, Callable[[Any, str, Any], bool]] = {
    "ignore_unset": lambda entity, name, value: value is not NOT_SET,
}


def _identity(text: str) -> str:
    return text


def format(
    entity: Any,
    formatters: dict[str, Callable[[str], str]] | None = None,
    attribute_filter: Callable[[Any, str, Any], bool] | None = None,
    recursive: bool = False,
    indent: int = 0,
    indent_first_line: bool = True,
    _seen: set[Any] | None = None,
) -> str:
    """Return formatted string representing *entity*.

    *formatters* customise elements: a mapping with ``header`` (formats the
    entity type) and ``label`` (formats attribute names). *attribute_filter*
    is called with ``(entity, attribute_name, attribute_value)`` and returns
    whether to include the attribute, e.g. ``FILTER['ignore_unset']``. With
    *recursive*, referenced entities and collection members are formatted too
    (each entity once). *indent* is the overall indentation in spaces;
    *indent_first_line* whether it applies to the first line.

    .. warning:: Reads every attribute, which may query the server; turn off
       auto-population to prevent it.
    """
    formatters = dict(formatters or {})
    header = formatters.setdefault("header", _identity)
    label = formatters.setdefault("label", _identity)
    if _seen is None:
        _seen = set()
    _seen.add(entity._identity)

    spacer = " " * indent
    first_spacer = spacer if indent_first_line else ""
    lines = [f"{first_spacer}{header(entity.entity_type)}"]
    child_indent = indent + 2
    child_spacer = " " * child_indent

    for name, value in sorted(entity.items()):
        if attribute_filter is not None and not attribute_filter(entity, name, value):
            continue
        prefix = f"{child_spacer}{label(name)}: "
        if getattr(value, "_identity", None) is not None:
            if recursive and value._identity not in _seen:
                text = format(
                    value, formatters, attribute_filter, recursive, child_indent + 2, False, _seen
                )
                lines.append(prefix + text.lstrip())
            else:
                lines.append(prefix + repr(value))
            continue
        members = getattr(value, "collection", value)
        if hasattr(members, "_identities"):
            if recursive:
                lines.append(prefix.rstrip())
                for member in members:
                    if member._identity in _seen:
                        lines.append(f"{child_spacer}  {member!r}")
                        continue
                    lines.append(
                        format(member, formatters, attribute_filter, recursive, child_indent + 2, True, _seen)
                    )
            else:
                lines.append(prefix + repr([member for member in members]))
            continue
        lines.append(prefix + str(value))
    return "\n".join(lines)
