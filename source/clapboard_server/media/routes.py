"""``/component/thumbnail`` (scaled images) and ``/widget/<name>`` (widget pages).

A thumbnail request is authorised like a download (``username`` and ``apiKey`` query parameters),
or by the ``token`` of a signed link from a ``thumbnail_url`` attribute. Without ``size`` the stored
image is answered as uploaded; with ``size=N`` it is scaled to fit N x N pixels (data that is not
a picture Pillow reads, such as an SVG, is answered as uploaded).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..errors import ApiError, PermissionDeniedError, ValidationError
from ..storage.routes import _authenticate
from ..widgets import render
from . import links
from .thumbnails import NotAnImageError, parse_size

if TYPE_CHECKING:
    from ..server import Server

_JSON = "application/json; charset=utf-8"
#: Browsers may keep a scaled thumbnail for this long (its URL changes with a new token anyway).
_CACHE_CONTROL = "private, max-age=3600"


def _error(error: ApiError) -> Response:
    return Response(json.dumps(error.to_payload()), status_code=error.status_code, media_type=_JSON)


def routes(server: Server) -> list[BaseRoute]:
    """The routes serving ``server``'s thumbnails and widgets."""

    def authorise(request: Request, resource_id: str) -> None:
        token = request.query_params.get("token")
        if token is not None:
            claims = server.signer.verify(links.PURPOSE, token)
            if claims.get("id") != resource_id:
                raise PermissionDeniedError("The link is not valid for this component.")
            return
        _authenticate(server.authenticator, request)

    async def thumbnail(request: Request) -> Response:
        try:
            resource_id = request.query_params.get("id")
            if not resource_id:
                raise ValidationError("The id query parameter (the component id) is missing.")
            size = parse_size(request.query_params.get("size"))
            await run_in_threadpool(authorise, request, resource_id)
            if size is not None:
                try:
                    scaled = await run_in_threadpool(server.thumbnails.scaled, resource_id, size)
                except NotAnImageError:
                    pass
                else:
                    return FileResponse(scaled.path, media_type=scaled.content_type,
                                        headers={"Cache-Control": _CACHE_CONTROL})
            stored = await run_in_threadpool(server.storage.files.open, resource_id)
        except ApiError as error:
            return _error(error)
        return StreamingResponse(iterate_in_threadpool(stored.chunks()), media_type=stored.content_type,
                                 headers={"Content-Length": str(stored.size)})

    async def widget(request: Request) -> Response:
        try:
            page = await run_in_threadpool(server.widgets.page, request.path_params["name"],
                                           request.query_params.get("token"))
        except ApiError as error:
            return HTMLResponse(render.refusal(str(error)), status_code=error.status_code)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return [
        Route("/component/thumbnail", thumbnail, methods=["GET"], name="component-thumbnail-scaled"),
        Route("/widget/{name}", widget, methods=["GET"], name="widget"),
    ]
