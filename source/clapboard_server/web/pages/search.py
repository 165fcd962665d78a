"""``GET /search?q=<query>``: a query in the query language, its results as a table with links.

The results are paged on the server (``page``, 50 rows a page; an ``offset``/``limit`` in the
query itself is replaced by the page's). A query the server refuses (a parse error, an unknown
attribute, a limit) shows the server's message, answered with its status code.
"""

from __future__ import annotations

from typing import Any

from clapboard.query import split_paging
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError, ValidationError
from ...query import ast, parser
from .. import calls
from ..sessions import in_worker, login_required
from .common import entity_url, page, when

PAGE_SIZE = 50
#: Longest query accepted from the search box (characters).
MAX_QUERY = 10_000
#: Attributes the server adds to every entity that the table leaves out.
_HIDDEN = {"__entity_type__", "context_type"}


def cell(value: Any) -> dict[str, Any]:
    """A result value as ``{text, url}`` for the table."""
    if isinstance(value, dict):
        if value.get("__type__") == "datetime":
            return {"text": when(value), "url": None}
        label = value.get("name") or value.get("username") or value.get("id") or ""
        if "url" in value and isinstance(value["url"], str):
            return {"text": "link", "url": value["url"]}
        return {"text": str(label), "url": entity_url(value)}
    if isinstance(value, list):
        names = [str(item.get("name") or item.get("id") or "") if isinstance(item, dict) else str(item)
                 for item in value]
        return {"text": ", ".join(names) if len(names) <= 5 else f"{len(names)} items", "url": None}
    if value is None:
        return {"text": "", "url": None}
    return {"text": str(value), "url": None}


def table(rows: list[dict[str, Any]], projected: list[str] | None = None) -> dict[str, Any]:
    """Columns and cells of ``rows``; the first column names the entity.

    The columns are the ``projected`` attributes when known, else every attribute (first seen first).
    """
    columns: list[str] = list(projected or [])
    if not columns:
        for row in rows:
            columns.extend(key for key in row if key not in _HIDDEN and key not in columns)
    body = []
    for row in rows:
        label = row.get("name") or row.get("username") or row.get("id") or ""
        body.append({
            "type": row.get("__entity_type__", ""),
            "label": str(label),
            "url": entity_url(row),
            "cells": [cell(row.get(column)) for column in columns],
        })
    return {"columns": columns, "rows": body}


def paged(expression: str, page: int) -> tuple[str, list[str] | None]:
    """``expression`` limited to ``page`` (one row more than shown: is there a next page?), and
    the attributes its ``select`` names (None: no select, or aggregates).

    The query is parsed first, so a parse error names the query as typed (not the paged one).
    """
    if len(expression) > MAX_QUERY:
        raise ValidationError(f"The query is longer than {MAX_QUERY:,} characters.")
    stripped, _, _ = split_paging(expression)
    parsed = parser.parse(stripped)
    projected = None
    if parsed.projections and all(isinstance(p, ast.Path) for p in parsed.projections):
        projected = list(dict.fromkeys(p.segments[0].name for p in parsed.projections))
    return f"{stripped} offset {(page - 1) * PAGE_SIZE} limit {PAGE_SIZE + 1}", projected


def routes() -> list[BaseRoute]:
    @login_required
    async def search(request: Request) -> Response:
        text = (request.query_params.get("q") or "").strip()
        page_text = request.query_params.get("page") or "1"
        number = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 and int(page_text) > 0 else 1
        context: dict[str, Any] = {"q": text, "page": number, "error": None, "results": None, "has_next": False}
        if not text:
            return page(request, "search.html", context)
        try:
            expression, projected = await in_worker(request, paged, text, number)
            rows = await calls.query(request, expression)
        except ApiError as error:
            context["error"] = {"kind": error.exception_name, "message": error.message}
            return page(request, "search.html", context, status_code=error.status_code)
        context["has_next"] = len(rows) > PAGE_SIZE
        context["results"] = table(rows[:PAGE_SIZE], projected)
        context["first_shown"] = (number - 1) * PAGE_SIZE + 1
        return page(request, "search.html", context)

    return [Route("/search", search, methods=["GET"], name="search")]
