"""API calls made by pages: the same ``Server.call`` as ``/api``, as the logged-in user.

So the policy module authorizes every read and write of the web view exactly as it does for
API clients. :class:`~clapboard_server.errors.ApiError` propagates to the page.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .sessions import in_worker, server_of


async def call(request: Request, operations: list[dict]) -> list:
    """Run ``operations`` in one batch as ``request.state.user``; return their results."""
    server = server_of(request)
    server_url = str(request.base_url).rstrip("/")
    return await in_worker(request, server.call, operations, request.state.user.id, server_url)


async def query(request: Request, expression: str) -> list[dict[str, Any]]:
    """The rows ``expression`` (the query language) returns for the logged-in user."""
    result = await call(request, [{"action": "query", "expression": expression}])
    return result[0]["data"]
