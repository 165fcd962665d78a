"""``GET /review/{component_id}``: a review component's data for the player, with byte ranges.

A browser seeks in a video by asking for byte ranges; the player reads its media here, with
the session cookie, instead of from ``/component/get``. The download is authorised exactly as
``/component/get`` authorises it (:meth:`Policy.authorize_file`, ``read``); data on S3 is
answered with the storage's presigned redirect (S3 serves ranges itself). Only review media
types (videos and pictures a browser cannot run code from) are served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError
from ...storage.routes import SECURITY_HEADERS, _direct, _served_type
from ..sessions import in_worker, login_required

if TYPE_CHECKING:
    from pathlib import Path

    from ...server import Server

#: What the player plays or shows.
REVIEW_TYPES = frozenset({"video/mp4", "video/webm", "image/jpeg", "image/png"})


def review_url(component_id: str) -> str:
    return f"/review/{component_id}"


def routes(server: Server) -> list[BaseRoute]:
    def stored(component_id: str) -> tuple[str, Path]:
        """The served content type and local path of a component's data (ApiError when none)."""
        data = server.storage.files.open(component_id)
        data.handle.close()
        with server.storage.files.local_path(component_id) as path:  # the stored file itself on disk
            return _served_type(data.content_type), path

    @login_required
    async def review_media(request: Request) -> Response:
        component_id = request.path_params["component_id"]
        try:
            await in_worker(request, server.policy.authorize_file, request.state.user.id, component_id, "read")
            redirect = await in_worker(request, _direct, server.storage, component_id)
            if redirect is not None:
                return redirect
            content_type, path = await in_worker(request, stored, component_id)
        except ApiError as error:
            return PlainTextResponse(error.message, status_code=error.status_code, headers=SECURITY_HEADERS)
        if content_type not in REVIEW_TYPES:
            return PlainTextResponse(f"Component {component_id} is not review media ({content_type}).",
                                     status_code=415, headers=SECURITY_HEADERS)
        return FileResponse(path, media_type=content_type,
                            headers={**SECURITY_HEADERS, "Cache-Control": "private, max-age=300"})

    return [Route("/review/{component_id}", review_media, methods=["GET", "HEAD"], name="review-media")]
