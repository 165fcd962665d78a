"""The HTTP layer: Starlette routes for ``/api`` and JSON errors everywhere."""

from __future__ import annotations

import asyncio
import json
import logging

from clapboard import collector
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import idempotency, wire
from .errors import ApiError
from .events.endpoint import routes as event_routes
from .limits import LimitExceededError, Limits
from .media.routes import routes as media_routes
from .request_log import REFUSAL_KEY
from .server import Server
from .storage.routes import routes as storage_routes
from .web import routes as web_routes

log = logging.getLogger(__name__)
_JSON = "application/json; charset=utf-8"
#: Request bodies from which decoding, running and encoding run with the collector paused
#: (about 300 creates; see :mod:`clapboard.collector`).
LARGE_BODY = 64 * 1024


def _error_response(error: ApiError, strict: bool) -> Response:
    status = error.status_code if strict else 200
    return Response(json.dumps(error.to_payload()), status_code=status, media_type=_JSON)


def _log_refusal(request: Request, user: str | None, error: ApiError) -> None:
    """Why a request was refused: appended to its line in the request log (one line in all)."""
    reason = f"{error.exception_name}: {error.message[:300]}"
    request.scope[REFUSAL_KEY] = reason
    log.debug("Refused %s %s from %s: %s", request.method, request.url.path, user or "an unauthenticated client",
              reason)


async def read_body(request: Request, limits: Limits) -> bytes:
    """The request body, refused with :class:`LimitExceededError` once it exceeds ``max_body_bytes``.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    that turns out larger is refused as soon as it passes the limit. What the client still
    sends is read and dropped (up to four times the limit), so it can read the answer.
    """
    maximum = limits.max_body_bytes
    declared = request.headers.get("content-length", "")
    stream = request.stream()
    if not (declared.isdigit() and int(declared) > maximum):
        chunks = []
        received = 0
        async for chunk in stream:
            received += len(chunk)
            if received > maximum:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
        chunks.clear()
    discarded = 0
    async for chunk in stream:
        discarded += len(chunk)
        if discarded > 4 * maximum:
            break
    raise LimitExceededError("The request body is too large", "max_body_bytes", maximum, status_code=413)


def create_app(server: Server) -> Starlette:
    """The ASGI application serving ``server``."""

    limits = server.limits

    def authenticated_call(headers: Headers, body: bytes, server_url: str) -> bytes:
        """Authenticate, decode and run one /api request (one worker-thread hop in all)."""
        user_id = server.authenticator.authenticate(headers.get("ftrack-user"), headers.get("ftrack-api-key"))
        # Collection resumes once the request's objects are gone (only the answer's bytes remain).
        with collector.paused(collector.SMALLEST_BATCH if len(body) >= LARGE_BODY else 0):
            return answer(body, user_id, headers.get(idempotency.HEADER), server_url)

    def answer(body: bytes, user_id: str, idempotency_key: str | None, server_url: str) -> bytes:
        return server.answer(wire.loads(body, limits), user_id, server_url, idempotency_key)

    async def api(request: Request) -> Response:
        strict = request.headers.get("ftrack-strict-api", "").lower() == "true"
        user = request.headers.get("ftrack-user")
        try:
            body = await read_body(request, limits)
            answer = await asyncio.get_running_loop().run_in_executor(
                server.workers,
                authenticated_call,
                request.headers,
                body,
                str(request.base_url).rstrip("/"),
            )
        except ApiError as error:
            _log_refusal(request, user, error)
            return _error_response(error, strict)
        except ClientDisconnect:
            log.info("Client %s went away while sending a request.", user)
            return Response(status_code=400)
        except Exception as error:
            log.exception("Unexpected error handling an API call from %s", user)
            return _error_response(ApiError(f"Internal server error ({type(error).__name__}); see the server log."),
                                   strict)
        return Response(answer, media_type=_JSON)

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
        *web_routes(server),  # last: the routes above keep priority
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: not_found, 500: server_error},
    )
    app.state.server = server
    return app
