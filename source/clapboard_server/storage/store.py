"""What the server holds for ``ftrack.server``: the storage backend, the token signer and ledger.

The backend (``files``) keeps the bytes: :class:`.files.FileStore` on local disk (the default) or
:class:`.s3.S3Store` in an S3-compatible bucket. A backend that offers direct URLs (S3) receives
uploads and serves downloads itself through presigned URLs; the server hands them out after its
own checks. Local disk goes through the server's ``/component/*`` routes.
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..database import Database
from ..errors import ValidationError
from .files import FileStore, check_id, decode_md5
from .ledger import TokenLedger
from .tokens import StorageTokens

#: Folder of the data folder holding component data.
FILES_FOLDER = "files"
#: How long a presigned download URL (the target of a download redirect) stays valid, in seconds.
REDIRECT_TTL = 300


def open_backend(data_dir: Path, storage: str | None = None, options: Mapping[str, Any] | None = None) -> Any:
    """The backend ``storage`` names: None or ``disk`` for ``<data_dir>/files``, or ``s3://BUCKET[/PREFIX]``.

    ``options`` go to the S3 client (``endpoint_url``, ``region_name``, ``aws_access_key_id``, ...);
    unset ones come from the standard AWS environment variables.
    """
    if storage in (None, "", "disk"):
        return FileStore(Path(data_dir) / FILES_FOLDER)
    if storage.startswith("s3://"):
        from .s3 import S3Store

        return S3Store.from_url(storage, **dict(options or {}))
    from .s3 import StorageConfigurationError

    raise StorageConfigurationError(f"Unknown storage {storage!r}: give s3://BUCKET[/PREFIX] or leave it out "
                                    "for the data folder.")


class Storage:
    """Component data of the ``ftrack.server`` location, kept by ``backend`` (default: ``<data_dir>/files``).

    ``secret`` signs upload and download tokens; every server process sharing ``database``
    must use the same one (the server keeps it in the database).
    """

    def __init__(self, data_dir: Path, database: Database, secret: bytes, backend: Any = None) -> None:
        self.files = backend if backend is not None else FileStore(Path(data_dir) / FILES_FOLDER)
        self.tokens = StorageTokens(secret)
        self.ledger = TokenLedger(database)

    def upload_url(self, server_url: str, component_id: str, user_id: str, size: int | None = None,
                   md5: bytes | None = None) -> str:
        """A URL of the server that accepts one ``PUT`` of ``component_id``'s data until the token expires."""
        token = self.tokens.sign_upload(check_id(component_id), user_id, size, md5)
        return f"{server_url.rstrip('/')}/component/put?id={quote(component_id)}&token={token}"

    def upload_metadata(self, server_url: str, user_id: str, component_id: Any, file_name: Any = None,
                        file_size: Any = None, checksum: Any = None, parts: Any = None, part_size: Any = None,
                        part_checksums: Any = None) -> dict[str, Any]:
        """The answer to ``get_upload_metadata``: the signed URL and the headers to send with it.

        The URL is for ``user_id`` (refused once the user is inactive) and bound to ``file_size``
        and ``checksum`` when given: a body of another size or digest is refused. Header values
        are strings (the ftrack client's HTTP library refuses numbers).

        With ``parts`` (a number of parts, as ftrack's JavaScript client asks) and a backend that
        supports multipart uploads, the answer is a multipart upload instead (see
        :meth:`multipart_metadata`); other backends answer the single URL.
        """
        check_id(component_id)
        if file_name is not None and not isinstance(file_name, str):
            raise ValidationError("file_name must be a string.")
        size = _byte_count(file_size, "file_size", allow_none=True)
        digest = None
        if checksum is not None:
            if not isinstance(checksum, str):
                raise ValidationError("checksum must be a base64 MD5 digest or null.")
            digest = decode_md5(checksum)
        content_type = (mimetypes.guess_type(file_name)[0] if file_name else None) or "application/octet-stream"
        if parts is not None and self.files.supports_multipart:
            plan = _part_plan(size, parts, part_size, part_checksums, self.files)
            if plan is not None:
                return self._multipart_metadata(component_id, size, digest, content_type, *plan)
        direct = self.files.upload_target(component_id, size, checksum or None, digest, content_type,
                                          self.tokens.ttl)
        if direct is not None:
            url, headers = direct
            return {"url": url, "headers": headers, "component_id": component_id}
        headers = {"Content-Type": content_type}
        if size is not None:
            headers["Content-Length"] = str(size)
        if checksum:
            headers["Content-MD5"] = checksum
        return {"url": self.upload_url(server_url, component_id, user_id, size, digest), "headers": headers,
                "component_id": component_id}

    def _multipart_metadata(self, component_id: str, size: int, digest: bytes | None, content_type: str,
                            part_size: int, checksums: list[str | None]) -> dict[str, Any]:
        upload_id = self.files.start_multipart(component_id, size, digest, content_type)
        urls = []
        for index, part_checksum in enumerate(checksums):
            length = min(part_size, size - index * part_size)
            url, headers = self.files.part_url(component_id, upload_id, index + 1, length, part_checksum,
                                               self.tokens.ttl)
            urls.append({"part_number": index + 1, "signed_url": url, "headers": headers})
        return {"component_id": component_id, "upload_id": upload_id, "part_size": part_size, "urls": urls}

    def complete_multipart(self, component_id: Any, upload_id: Any, parts: Any) -> int:
        """Assemble a multipart upload from its ``[{"part_number": n, "e_tag": "..."}, ...]``; return its size."""
        check_id(component_id)
        if not self.files.supports_multipart:
            raise ValidationError("This server stores files on disk: it has no multipart uploads.")
        if not isinstance(upload_id, str) or not upload_id:
            raise ValidationError("upload_id must be the id get_upload_metadata answered.")
        if not isinstance(parts, list) or not parts or not all(
                isinstance(p, dict) and isinstance(p.get("part_number"), int) and isinstance(p.get("e_tag"), str)
                for p in parts):
            raise ValidationError('parts must be a list of {"part_number": n, "e_tag": "..."}.')
        return self.files.complete_multipart(component_id, upload_id,
                                             [(p["part_number"], p["e_tag"]) for p in parts])

    def abort_multipart(self, component_id: Any, upload_id: Any) -> None:
        """Drop an unfinished multipart upload and its parts."""
        check_id(component_id)
        if self.files.supports_multipart and isinstance(upload_id, str) and upload_id:
            self.files.abort_multipart(component_id, upload_id)

    def download_redirect(self, resource_id: str, presentation: Callable[[str], tuple[str, bool]]) -> str | None:
        """A presigned URL serving the data directly, or None when the server must serve it.

        ``presentation(stored content type)`` answers ``(content type to serve, as attachment)``.
        """
        return self.files.download_url(resource_id, presentation, REDIRECT_TTL)


def _byte_count(value: Any, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a byte count; got {value!r}.")
    return value


def _part_plan(size: int | None, parts: Any, part_size: Any, part_checksums: Any,
               backend: Any) -> tuple[int, list[str | None]] | None:
    """``(part size, checksum of each part)`` of a multipart upload; None when one part will do."""
    if size is None:
        raise ValidationError("A multipart upload needs file_size.")
    count = _byte_count(parts, "parts")
    if part_size is None:
        part_size = max(math.ceil(size / max(count, 1)), backend.min_part_size)
    part_size = _byte_count(part_size, "part_size")
    if part_size < backend.min_part_size:
        raise ValidationError(f"part_size must be at least {backend.min_part_size} bytes.")
    count = max(math.ceil(size / part_size), 1)
    if count == 1:
        return None
    if count > backend.max_parts:
        raise ValidationError(f"{count} parts of {part_size} bytes are too many: at most {backend.max_parts}.")
    if part_checksums is None:
        return part_size, [None] * count
    if not isinstance(part_checksums, list) or len(part_checksums) != count:
        raise ValidationError(f"part_checksums must list the base64 MD5 digest of each of the {count} parts.")
    for value in part_checksums:
        if not isinstance(value, str):
            raise ValidationError("part_checksums must be base64 MD5 digests.")
        decode_md5(value)
    return part_size, list(part_checksums)
