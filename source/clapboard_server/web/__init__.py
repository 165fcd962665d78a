"""The web view: server-rendered pages at the server's root URL, for people with a browser.

Pages log in with a password (:mod:`.passwords`), keep a session cookie (:mod:`.sessions`) and
make every read and write through ``Server.call`` as the logged-in user (:mod:`.calls`), so the
policy module authorizes the web view exactly as it authorizes ``/api``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from . import login, pages
from .render import STATIC, STATIC_PREFIX

if TYPE_CHECKING:
    from ..server import Server


def routes(server: Server) -> list[BaseRoute]:
    """The web view's routes: login, logout, static files and the pages."""
    return [
        *login.routes(),
        Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC), name="web-static"),
        *pages.routes(server),
    ]
