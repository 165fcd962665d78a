"""The bytes of ``ftrack.server`` components, one file per component under the data folder.

Layout: ``<root>/<first two characters of the id>/<id>`` holds the data and ``<id>.json`` beside it
the upload's content type. Data is written to a hidden temporary file in the same
folder and renamed into place only once complete and verified, so a failed upload leaves nothing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool

from .. import private
from ..errors import NotFoundError, ValidationError

#: What a resource identifier (a component id) may look like: no dots, slashes or other path syntax.
_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CHUNK_SIZE = 64 * 1024


def check_id(resource_id: object) -> str:
    """``resource_id`` when it is a usable component id; :class:`ValidationError` otherwise."""
    if not isinstance(resource_id, str) or not _ID.fullmatch(resource_id):
        raise ValidationError(f"Not a valid component id: {resource_id!r}.")
    return resource_id


def decode_md5(checksum: str) -> bytes:
    """The 16-byte digest of a base64 ``Content-MD5`` value; :class:`ValidationError` if malformed."""
    try:
        digest = base64.b64decode(checksum.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise ValidationError(f"Not a base64 MD5 digest: {checksum!r}.")
    return digest


@dataclass(frozen=True)
class StoredFile:
    """A stored component's data, opened for reading."""

    handle: BinaryIO
    size: int
    content_type: str

    def chunks(self) -> Iterator[bytes]:
        """The data in chunks; closes the handle at the end."""
        with self.handle:
            while chunk := self.handle.read(CHUNK_SIZE):
                yield chunk


class FileStore:
    """Reads, writes and removes component data below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, resource_id: str) -> Path:
        """Where the data of ``resource_id`` lives (whether or not it exists)."""
        check_id(resource_id)
        return self.root / resource_id[:2] / resource_id

    def _meta_path(self, resource_id: str) -> Path:
        return self.path(resource_id).with_name(f"{resource_id}.json")

    def exists(self, resource_id: str) -> bool:
        return self.path(resource_id).is_file()

    async def write(self, resource_id: str, chunks: AsyncIterable[bytes], *, expected_size: int | None = None,
                    expected_md5: bytes | None = None, content_type: str | None = None) -> int:
        """Store the data of ``resource_id`` from ``chunks``; return its size.

        Raise :class:`ValidationError`, storing nothing, when the data is longer or shorter than
        ``expected_size`` or its MD5 digest is not ``expected_md5``. An existing file is replaced
        only by a complete, verified upload.
        """
        target = self.path(resource_id)
        private.make_folder(target.parent)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{resource_id}.", suffix=".part", dir=target.parent)
        md5 = hashlib.md5()  # Content-MD5 is an integrity check, not security
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if expected_size is not None and size > expected_size:
                        raise ValidationError(f"The upload is longer than its Content-Length of {expected_size}.")
                    md5.update(chunk)
                    await run_in_threadpool(handle.write, chunk)
                await run_in_threadpool(_sync, handle)
            if expected_size is not None and size != expected_size:
                raise ValidationError(
                    f"The upload ended after {size} bytes; its Content-Length is {expected_size}."
                )
            if expected_md5 is not None and md5.digest() != expected_md5:
                raise ValidationError("The upload does not match its Content-MD5 checksum; nothing was stored.")
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        meta = {"content_type": content_type or DEFAULT_CONTENT_TYPE, "size": size}
        private.write_text(self._meta_path(resource_id), json.dumps(meta))
        return size

    def open(self, resource_id: str) -> StoredFile:
        """The stored data of ``resource_id``; :class:`NotFoundError` when there is none."""
        try:
            handle = self.path(resource_id).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise NotFoundError(f"No data is stored for component {resource_id}.") from None
        try:
            meta = json.loads(self._meta_path(resource_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        size = os.fstat(handle.fileno()).st_size
        return StoredFile(handle, size, meta.get("content_type") or DEFAULT_CONTENT_TYPE)

    def remove(self, resource_id: str) -> bool:
        """Delete the data of ``resource_id``; return whether there was any."""
        removed = False
        for path in (self.path(resource_id), self._meta_path(resource_id)):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed = removed or path.suffix != ".json"
        return removed

    def adopt(self, resource_id: str, source: Path, content_type: str | None = None) -> int:
        """Move the finished file ``source`` (on the same file system) in as the data of ``resource_id``.

        Used for data the server makes itself (encoded media); return its size.
        """
        target = self.path(resource_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = Path(source).stat().st_size
        os.replace(source, target)
        meta = {"content_type": content_type or DEFAULT_CONTENT_TYPE, "size": size}
        self._meta_path(resource_id).write_text(json.dumps(meta), encoding="utf-8")
        return size


def _sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
