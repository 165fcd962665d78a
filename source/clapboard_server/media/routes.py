"""``/component/thumbnail`` (scaled images) and ``/widget/<name>`` (widget pages).

A thumbnail request is authorised as a download (:mod:`clapboard_server.storage.routes`): one
``username`` and ``apiKey``, or the download ``token`` of a link from a ``thumbnail_url``
attribute. Without ``size`` the stored image is answered as uploaded; with ``size=N`` it is scaled
to fit N x N pixels (data that is not a picture Pillow reads, such as an SVG, is answered as
uploaded, with the storage's download headers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..errors import ApiError
from ..storage.routes import SECURITY_HEADERS, _download_headers, _error, _resource_id, _served_type, _single, _user
from ..widgets import render
from .thumbnails import NotAnImageError, parse_size

if TYPE_CHECKING:
    from ..server import Server

#: Browsers may keep a scaled thumbnail this long (its link's token expires sooner anyway).
_CACHE_CONTROL = "private, max-age=900"


def routes(server: Server) -> list[BaseRoute]:
    """The routes serving ``server``'s thumbnails and widgets."""

    async def thumbnail(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            size = parse_size(_single(request, "size"))
            user_id = await run_in_threadpool(_user, server.authenticator, server.storage, request, resource_id, True)
            await run_in_threadpool(server.policy.authorize_file, user_id, resource_id, "read")
            if size is not None:
                try:
                    scaled = await run_in_threadpool(server.thumbnails.scaled, resource_id, size)
                except NotAnImageError:
                    pass
                else:
                    return FileResponse(scaled.path, media_type=scaled.content_type,
                                        headers={**SECURITY_HEADERS, "Cache-Control": _CACHE_CONTROL})
            stored = await run_in_threadpool(server.storage.files.open, resource_id)
        except ApiError as error:
            return _error(error)
        content_type = _served_type(stored.content_type)
        return StreamingResponse(iterate_in_threadpool(stored.chunks()), media_type=content_type,
                                 headers=_download_headers(content_type, stored.size))

    async def widget(request: Request) -> Response:
        try:
            page = await run_in_threadpool(server.widgets.page, request.path_params["name"],
                                           _single(request, "token"))
        except ApiError as error:
            return HTMLResponse(render.refusal(str(error)), status_code=error.status_code)
        return HTMLResponse(page, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                           "Referrer-Policy": "no-referrer"})

    return [
        Route("/component/thumbnail", thumbnail, methods=["GET"], name="component-thumbnail-scaled"),
        Route("/widget/{name}", widget, methods=["GET"], name="widget"),
    ]
