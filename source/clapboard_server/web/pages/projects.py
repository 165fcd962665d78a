"""The landing page ``/``: the projects the logged-in user may read, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..calls import query
from ..render import render
from ..sessions import login_required

if TYPE_CHECKING:
    from ...server import Server

#: Projects per page.
PAGE_SIZE = 50


def page_number(request: Request) -> int:
    """The ``page`` query parameter (1 when absent or not a positive number)."""
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def routes(server: Server) -> list[BaseRoute]:
    @login_required
    async def projects(request: Request) -> Response:
        page = page_number(request)
        rows = await query(request, "select id, name, full_name, status, start_date, end_date from Project "
                                    f"order by name offset {(page - 1) * PAGE_SIZE} limit {PAGE_SIZE + 1}")
        return render(request, "projects.html", {
            "projects": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE,
        })

    return [Route("/", projects, methods=["GET"], name="web-projects")]
