"""The pages of the web view; each module serves one page (or one family of pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from . import projects

if TYPE_CHECKING:
    from ...server import Server


def routes(server: Server) -> list[BaseRoute]:
    """Every page's routes."""
    return [
        *projects.routes(server),
    ]
