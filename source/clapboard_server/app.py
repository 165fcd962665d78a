"""The HTTP layer: Starlette routes for ``/api`` and JSON errors everywhere."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import idempotency
from .errors import ApiError, ValidationError
from .events.endpoint import routes as event_routes
from .media.routes import routes as media_routes
from .server import Server
from .storage.routes import routes as storage_routes

log = logging.getLogger(__name__)
_JSON = "application/json; charset=utf-8"


def _error_response(error: ApiError, strict: bool) -> Response:
    status = error.status_code if strict else 200
    return Response(json.dumps(error.to_payload()), status_code=status, media_type=_JSON)


def create_app(server: Server) -> Starlette:
    """The ASGI application serving ``server``."""

    def authenticated_call(headers: Headers, body: bytes, server_url: str) -> str:
        """Authenticate, decode and run one /api request (one worker-thread hop in all)."""
        user_id = server.authenticator.authenticate(headers.get("ftrack-user"), headers.get("ftrack-api-key"))
        try:
            operations: Any = json.loads(body)
        except ValueError as error:
            raise ValidationError(f"The request body is not valid JSON: {error}.") from None
        return json.dumps(server.call(operations, user_id, server_url, headers.get(idempotency.HEADER)))

    async def api(request: Request) -> Response:
        strict = request.headers.get("ftrack-strict-api", "").lower() == "true"
        try:
            body = await request.body()
            results = await asyncio.get_running_loop().run_in_executor(
                server.workers,
                authenticated_call,
                request.headers,
                body,
                str(request.base_url).rstrip("/"),
            )
        except ApiError as error:
            return _error_response(error, strict)
        except Exception as error:
            log.exception("Unexpected error handling an API call")
            return _error_response(ApiError(f"Internal server error: {type(error).__name__}: {error}"), strict)
        return Response(results, media_type=_JSON)

    async def not_found(request: Request, exc: HTTPException) -> Response:
        error = ApiError(f"{exc.detail}: {request.method} {request.url.path}")
        error.exception_name = "NotFoundError" if exc.status_code == 404 else "HTTPError"
        return Response(json.dumps(error.to_payload()), status_code=exc.status_code, media_type=_JSON)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error_response(ApiError(f"Internal server error: {type(exc).__name__}"), strict=True)

    routes = [
        Route("/api", api, methods=["POST"], name="api"),
        *event_routes(server.events),
        *media_routes(server),  # before the storage routes: its thumbnail route scales images
        *storage_routes(server.storage, server.authenticator, server.policy.authorize_file),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: not_found, 500: server_error},
    )
