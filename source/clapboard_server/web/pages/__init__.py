"""The pages of the web view; each module serves one page (or one family of pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from .. import live
from . import context, edits, notes, projects, review_media, search, tree, version

if TYPE_CHECKING:
    from ...server import Server


def routes(server: Server) -> list[BaseRoute]:
    """Every page's routes."""
    return [
        *projects.routes(server),
        *tree.routes(),
        *context.routes(server),
        *version.routes(server),
        *review_media.routes(server),
        *search.routes(),
        *notes.routes(server),
        *edits.routes(),
        *live.routes(server),
    ]
