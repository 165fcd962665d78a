"""The ``/component/*`` routes: upload through a signed URL, download, thumbnail and removal.

Downloads, thumbnails and removals carry the credentials in the query string
(``id``, ``username``, ``apiKey``), as the ftrack client sends them: URL-encoded when it downloads
itself, verbatim in the URLs ``Location.get_url()`` builds. Both spellings are accepted.

``/component/thumbnail`` is served by :mod:`clapboard_server.media.routes` (scaled to ``size``);
the route here answers the stored bytes if that one is not mounted. ``/component/remove`` answers 200
whether or not data was stored (``"removed"`` tells which), so a retried removal does not fail.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, unquote_plus

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..auth import Authenticator
from ..errors import ApiError, InvalidCredentialsError, ValidationError
from .files import decode_md5
from .store import Storage

_JSON = "application/json; charset=utf-8"


def _json(payload: dict, status_code: int = 200) -> Response:
    return Response(json.dumps(payload), status_code=status_code, media_type=_JSON)


def _error(error: ApiError) -> Response:
    return _json(error.to_payload(), error.status_code)


def _raw_values(request: Request, name: str) -> list[str]:
    """Every way of reading query parameter ``name``: decoded as usual, then as written."""
    values = []
    parsed = request.query_params.get(name)
    if parsed is not None:
        values.append(parsed)
    for pair in request.url.query.split("&"):
        key, separator, value = pair.partition("=")
        if separator and unquote_plus(key) == name:
            values.extend((unquote(value), value))
    return list(dict.fromkeys(values))


def _authenticate(authenticator: Authenticator, request: Request) -> str:
    """The user id for the ``username`` / ``apiKey`` query parameters, read leniently."""
    users, keys = _raw_values(request, "username"), _raw_values(request, "apiKey")
    if not users or not keys:
        raise InvalidCredentialsError("Missing credentials: pass the username and apiKey query parameters.")
    error: ApiError | None = None
    for username in users:
        for api_key in keys:
            try:
                return authenticator.authenticate(username, api_key)
            except InvalidCredentialsError as failure:
                error = failure
    assert error is not None
    raise error


def _resource_id(request: Request) -> str:
    resource_id = request.query_params.get("id")
    if not resource_id:
        raise ValidationError("The id query parameter (the component id) is missing.")
    return resource_id


def _optional_int(request: Request, header: str) -> int | None:
    value = request.headers.get(header)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ValidationError(f"The {header} header is not a byte count: {value!r}.")
    return int(value)


def routes(storage: Storage, authenticator: Authenticator) -> list[BaseRoute]:
    """The Starlette routes serving ``storage``, checking credentials with ``authenticator``."""

    async def put(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            storage.tokens.verify(resource_id, request.query_params.get("token"))
            checksum = request.headers.get("content-md5")
            size = await storage.files.write(
                resource_id, request.stream(),
                expected_size=_optional_int(request, "content-length"),
                expected_md5=decode_md5(checksum) if checksum else None,
                content_type=request.headers.get("content-type"),
            )
        except ApiError as error:
            return _error(error)
        except ClientDisconnect:  # nothing was stored; the client is gone
            return _error(ValidationError("The upload was interrupted; nothing was stored."))
        return _json({"component_id": resource_id, "size": size})

    async def get(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            await run_in_threadpool(_authenticate, authenticator, request)
            stored = await run_in_threadpool(storage.files.open, resource_id)
        except ApiError as error:
            return _error(error)
        return StreamingResponse(
            iterate_in_threadpool(stored.chunks()), media_type=stored.content_type,
            headers={"Content-Length": str(stored.size)},
        )

    async def remove(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            await run_in_threadpool(_authenticate, authenticator, request)
            removed = await run_in_threadpool(storage.files.remove, resource_id)
        except ApiError as error:
            return _error(error)
        return _json({"component_id": resource_id, "removed": removed})

    return [
        Route("/component/put", put, methods=["PUT"], name="component-put"),
        Route("/component/get", get, methods=["GET"], name="component-get"),
        # The thumbnail is the component's stored data as uploaded; ``size`` is accepted and ignored.
        Route("/component/thumbnail", get, methods=["GET"], name="component-thumbnail"),
        Route("/component/remove", remove, methods=["GET"], name="component-remove"),
    ]

