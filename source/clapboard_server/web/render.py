"""Jinja2 templates of the web view, rendered with the values every page needs.

Autoescaping is on for every template. Responses carry a Content-Security-Policy allowing only
this server's scripts (no inline scripts), styles, images and media, and are never cached.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: URL prefix of the files in ``static/``.
STATIC_PREFIX = "/static"

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True,
)

#: Headers of every page.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def iso_text(value: Any) -> str:
    """A wire datetime (``{"__type__": "datetime", "value": ...}``), ``date``, ``datetime`` or ISO
    string as ISO 8601 text; empty for anything else."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    return value if isinstance(value, str) else ""


def day(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` (see :func:`iso_text`)."""
    return iso_text(value)[:10]


environment.filters["day"] = day


def static_url(path: str) -> str:
    """The URL of ``static/<path>``."""
    return f"{STATIC_PREFIX}/{path.lstrip('/')}"


def render(request: Request, template_name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The page ``template_name`` with ``context`` plus ``request``, ``user``, ``csrf_token`` and ``static_url``."""
    user = getattr(request.state, "user", None)
    values = {"request": request, "user": user, "csrf_token": user.csrf_token if user else "",
              "static_url": static_url, **context}
    html = environment.get_template(template_name).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
