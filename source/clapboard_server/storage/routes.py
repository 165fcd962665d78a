"""The ``/component/*`` routes: upload through a signed URL, download, thumbnail and removal.

Credentials (wire protocol 9.2): downloads and thumbnails accept either a download ``token``
(in the links the server puts in query results) or exactly one ``username`` and one ``apiKey``
query parameter, as the ftrack client sends them; removal needs the key. Query strings are decoded
the standard way, once: a request naming several users or keys is refused, never tried pair by pair.

Stored files are served as attachments (unless they are images or videos of a known type), with
``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that forbids running anything,
so a file uploaded as HTML cannot run script on the API's origin. When the storage backend serves
files itself (S3), downloads and thumbnails answer a 307 redirect, with those headers, to a
short-lived presigned URL once the credentials are checked; the URL asks the store for the same
content type and disposition.

``/component/thumbnail`` is served by :mod:`clapboard_server.media.routes` (scaled to ``size``);
the route here answers the stored bytes if that one is not mounted. ``/component/remove`` answers 200
whether or not data was stored (``"removed"`` tells which), so a retried removal does not fail.

Each route first establishes the user (``_user``, or the user an upload URL was issued to); the
policy's check of the component's project goes right after it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..auth import Authenticator
from ..bodies import drain
from ..errors import ApiError, InvalidCredentialsError, ValidationError
from .files import DEFAULT_CONTENT_TYPE, decode_md5
from .store import Storage
from .tokens import InvalidTokenError, UploadGrant

_JSON = "application/json; charset=utf-8"
#: Types a browser may show inline: images and videos it cannot run code from (not SVG).
INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif",
    "video/mp4", "video/webm", "video/ogg", "video/quicktime",
})
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


class UsedTokenError(InvalidTokenError):
    """An upload URL that was already used."""


def _json(payload: dict, status_code: int = 200) -> Response:
    return Response(json.dumps(payload), status_code=status_code, media_type=_JSON, headers=SECURITY_HEADERS)


def _error(error: ApiError) -> Response:
    return _json(error.to_payload(), error.status_code)


def _single(request: Request, name: str) -> str | None:
    """The one value of query parameter ``name``; None when absent; refused when repeated."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError(f"The {name} query parameter is given {len(values)} times; give it once.")
    return values[0] if values else None


def _resource_id(request: Request) -> str:
    resource_id = _single(request, "id")
    if not resource_id:
        raise ValidationError("The id query parameter (the component id) is missing.")
    return resource_id


def _user(authenticator: Authenticator, storage: Storage, request: Request, resource_id: str,
          token_allowed: bool) -> str:
    """The id of the user a request acts for: from its download token or its one key pair."""
    token = _single(request, "token")
    if token is not None and token_allowed:
        user_id = storage.tokens.verify_download(resource_id, token)
        authenticator.check_active(user_id)
        return user_id
    username, api_key = _single(request, "username"), _single(request, "apiKey")
    if not username or not api_key:
        raise InvalidCredentialsError("Missing credentials: pass the username and apiKey query parameters.")
    return authenticator.authenticate(username, api_key)


def _optional_int(request: Request, header: str) -> int | None:
    value = request.headers.get(header)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ValidationError(f"The {header} header is not a byte count: {value!r}.")
    return int(value)


def _download_headers(content_type: str, size: int) -> dict[str, str]:
    headers = {**SECURITY_HEADERS, "Content-Length": str(size)}
    if _presentation(content_type)[1]:
        headers["Content-Disposition"] = "attachment"
    return headers


def _served_type(stored: str) -> str:
    """The stored content type when it is a plain ``type/subtype``, else the default."""
    return stored if _MEDIA_TYPE.fullmatch(stored) else DEFAULT_CONTENT_TYPE


def _presentation(stored: str) -> tuple[str, bool]:
    """How to serve data stored as ``stored``: the content type, and whether as an attachment."""
    content_type = _served_type(stored)
    return content_type, content_type.split(";")[0].strip().lower() not in INLINE_TYPES


def _direct(storage: Storage, resource_id: str) -> Response | None:
    """A redirect to the data where the backend serves it itself (a presigned URL on S3), or None."""
    url = storage.download_redirect(resource_id, _presentation)
    if url is None:
        return None
    return RedirectResponse(url, 307, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def _upload_limits(request: Request, grant: UploadGrant) -> tuple[int | None, bytes | None]:
    """The size and digest the body must have: signed in the URL, or else declared in headers."""
    declared = _optional_int(request, "content-length")
    if grant.size is not None and declared is not None and declared != grant.size:
        raise ValidationError(
            f"The upload's Content-Length of {declared} is not the {grant.size} bytes its URL was issued for."
        )
    checksum = request.headers.get("content-md5")
    header_md5 = decode_md5(checksum) if checksum else None
    if grant.md5 is not None and header_md5 is not None and header_md5 != grant.md5:
        raise ValidationError("The upload's Content-MD5 is not the checksum its URL was issued for.")
    return (grant.size if grant.size is not None else declared), (grant.md5 or header_md5)


#: ``authorize(user_id, component_id, action)`` raises unless the user may ``action`` (``read`` or
#: ``delete``) the component's data: the policy's decision (:meth:`Policy.authorize_file`).
Authorize = Callable[[str, str, str], None]


def routes(storage: Storage, authenticator: Authenticator, authorize: Authorize) -> list[BaseRoute]:
    """The Starlette routes serving ``storage``, checking credentials with ``authenticator`` and
    permissions with ``authorize``."""

    async def put(request: Request) -> Response:
        reading = False
        try:
            resource_id = _resource_id(request)
            grant = storage.tokens.verify_upload(resource_id, _single(request, "token"))
            await run_in_threadpool(authenticator.check_active, grant.user_id)
            # The policy's check that grant.user_id may write this component goes here.
            size, md5 = _upload_limits(request, grant)
            if not await run_in_threadpool(storage.ledger.claim, grant.signature, grant.expires, time.time()):
                raise UsedTokenError("This upload URL was already used; ask for a new one with get_upload_metadata.")
            reading = True
            try:
                stored_size = await storage.files.write(
                    resource_id, request.stream(), expected_size=size, expected_md5=md5,
                    content_type=request.headers.get("content-type"),
                )
            except BaseException:
                await run_in_threadpool(storage.ledger.release, grant.signature)
                raise
        except ApiError as error:
            if not reading:  # a refused small upload still gets its answer, not a reset
                await drain(request)
            return _error(error)
        except ClientDisconnect:  # nothing was stored; the client is gone
            return _error(ValidationError("The upload was interrupted; nothing was stored."))
        return _json({"component_id": resource_id, "size": stored_size})

    async def get(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            user_id = await run_in_threadpool(_user, authenticator, storage, request, resource_id, True)
            await run_in_threadpool(authorize, user_id, resource_id, "read")
            redirect = await run_in_threadpool(_direct, storage, resource_id)
            if redirect is not None:
                return redirect
            stored = await run_in_threadpool(storage.files.open, resource_id)
        except ApiError as error:
            return _error(error)
        content_type = _served_type(stored.content_type)
        return StreamingResponse(iterate_in_threadpool(stored.chunks()), media_type=content_type,
                                 headers=_download_headers(content_type, stored.size))

    async def remove(request: Request) -> Response:
        try:
            resource_id = _resource_id(request)
            user_id = await run_in_threadpool(_user, authenticator, storage, request, resource_id, False)
            await run_in_threadpool(authorize, user_id, resource_id, "delete")
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
