"""Widget pages as small, self-contained HTML documents; every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from .pages import View

_THEMES = {
    "dark": {"background": "#1e1f22", "text": "#e6e6e6", "muted": "#9a9ca3", "line": "#34363b"},
    "light": {"background": "#ffffff", "text": "#1e1f22", "muted": "#5f6368", "line": "#e0e0e0"},
}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "&mdash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def _style(theme: str) -> str:
    colours = _THEMES.get(theme, _THEMES["dark"])
    return (
        f"body{{margin:0;padding:16px;font:14px/1.4 system-ui,sans-serif;background:{colours['background']};"
        f"color:{colours['text']}}}h1{{font-size:18px;margin:0 0 12px}}table{{border-collapse:collapse;width:100%}}"
        f"th,td{{text-align:left;padding:6px 8px;border-bottom:1px solid {colours['line']};vertical-align:top}}"
        f"th{{color:{colours['muted']};font-weight:normal}}"
    )


def _document(title: str, body: str, theme: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_style(theme)}</style></head>"
        f"<body class=\"theme-{escape(theme)}\"><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def page(view: View, theme: str) -> str:
    """The HTML of ``view`` in ``theme`` (``dark`` or ``light``)."""
    if view.tasks is None:
        rows = "".join(f"<tr><th>{escape(key)}</th><td>{_text(value)}</td></tr>" for key, value in view.attributes)
        return _document(view.title, f"<table class=\"attributes\">{rows}</table>", theme)
    header = "<tr><th>Task</th><th>Parent</th><th>Type</th><th>Status</th><th>Assignees</th><th>Due</th></tr>"
    rows = "".join(
        f"<tr><td>{_text(task['name'])}</td><td>{_text(task['parent'])}</td><td>{_text(task['type'])}</td>"
        f"<td>{_text(task['status'])}</td><td>{_text(', '.join(task['assignees']))}</td><td>{_text(task['due'])}</td></tr>"
        for task in view.tasks
    )
    empty = "" if view.tasks else "<p>No tasks.</p>"
    return _document(view.title, f"<table class=\"tasks\">{header}{rows}</table>{empty}", theme)


def refusal(message: str) -> str:
    """The page answered for a refused (tampered, expired, foreign) widget URL."""
    return _document("Widget unavailable", f"<p>{escape(message)}</p>", "light")
