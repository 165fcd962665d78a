"""Component data in an S3-compatible object store: one object per component.

Layout: ``s3://<bucket>/<prefix><component id>``; the object's ``Content-Type`` is the upload's
content type. Clients move the bytes themselves, through presigned URLs:

- uploads: a presigned ``PUT`` whose signature covers ``Content-Length``, ``Content-MD5`` and
  ``Content-Type`` (so the store refuses any other body), or, for large files, a multipart upload
  with one presigned URL per part (each bound to its part's MD5 when the client gives it);
- downloads: a short-lived presigned ``GET`` that the server redirects to after its own checks.

The expected MD5 digest and size travel with the object as user metadata
(``x-amz-meta-clapboard-md5`` / ``-size``). Before serving, the server compares them with the
stored object (its size; its ETag, the MD5 digest of a single-part upload), so an object that
does not match what its upload URL was issued for is never served, even by a store that does not
check ``Content-MD5`` itself.

Everything lives in the bucket (nothing in a local folder): several server hosts sharing one
database and one bucket serve the same files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool

from ..errors import NotFoundError, ValidationError
from .files import DEFAULT_CONTENT_TYPE, StoredFile, check_id, copy_verified

#: Smallest part S3 accepts in a multipart upload (all parts but the last).
MIN_PART_SIZE = 5 * 1024 * 1024
#: Most parts in one multipart upload.
MAX_PARTS = 10_000
#: Server-side uploads (through the server's own ``/component/put``) spool up to this much in memory.
SPOOL_SIZE = 8 * 1024 * 1024
MD5_KEY = "clapboard-md5"
SIZE_KEY = "clapboard-size"


class StorageConfigurationError(ValueError):
    """A storage option the server cannot use (malformed URL, missing boto3, unreachable bucket)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD request tells about a stored object."""

    size: int
    content_type: str


def parse_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://BUCKET[/PREFIX]``; the prefix ends with ``/`` when not empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise StorageConfigurationError(f"Not an S3 storage URL (s3://BUCKET[/PREFIX]): {url!r}.")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def _client(options: Mapping[str, Any]) -> Any:
    """A boto3 S3 client: endpoint, region and credentials from ``options`` or the AWS environment."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StorageConfigurationError('S3 storage needs boto3: pip install "clapboard[s3]"') from None
    options = {key: value for key, value in options.items() if value is not None}
    endpoint = options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get(
        "AWS_ENDPOINT_URL")
    # Custom endpoints (MinIO, Ceph, moto) are addressed by path; AWS picks virtual hosts itself.
    config = Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"},
                    s3={"addressing_style": "path" if endpoint else "auto"})
    return boto3.session.Session().client("s3", config=config, **options)


def _quoted_etag(etag: str) -> str:
    return etag.strip('"')


class S3Store:
    """Reads, writes and removes component data in ``bucket`` under ``prefix``."""

    supports_multipart = True
    max_parts = MAX_PARTS

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, min_part_size: int = MIN_PART_SIZE,
                 public_endpoint_url: str | None = None, **options: Any) -> None:
        """``options`` configure the boto3 client; ``public_endpoint_url`` is the endpoint clients
        reach in presigned URLs, when it is not the one the server uses."""
        self.bucket = bucket
        self.prefix = prefix
        #: Smallest part (but the last) of a multipart upload the store accepts.
        self.min_part_size = min_part_size
        self.client = client if client is not None else _client(options)
        #: Signs the URLs clients use (for the public endpoint, when there is one).
        self.presigner = _client({**options, "endpoint_url": public_endpoint_url}) if public_endpoint_url \
            else self.client

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3Store:
        """The store of ``s3://BUCKET[/PREFIX]``, checking that the bucket can be reached."""
        bucket, prefix = parse_url(url)
        store = cls(bucket, prefix, **options)
        store.check()
        return store

    def __repr__(self) -> str:
        return f"<S3Store s3://{self.bucket}/{self.prefix}>"

    def check(self) -> None:
        """Raise :class:`StorageConfigurationError` unless the bucket exists and can be reached."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StorageConfigurationError(
                f"The storage bucket s3://{self.bucket} cannot be used: {error}. Check the bucket name, "
                "AWS_ENDPOINT_URL / AWS_DEFAULT_REGION and the AWS credentials."
            ) from error

    def key(self, resource_id: str) -> str:
        return self.prefix + check_id(resource_id)

    # -- reading ---------------------------------------------------------------------------------

    def stat(self, resource_id: str) -> ObjectInfo | None:
        """Size and type of the stored data; None when there is none or it is not what was signed."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(resource_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        if not _matches_its_metadata(head):
            return None
        return ObjectInfo(int(head["ContentLength"]), head.get("ContentType") or DEFAULT_CONTENT_TYPE)

    def exists(self, resource_id: str) -> bool:
        return self.stat(resource_id) is not None

    def open(self, resource_id: str) -> StoredFile:
        """The stored data of ``resource_id``, streamed; :class:`NotFoundError` when there is none."""
        info = self.stat(resource_id)
        if info is None:
            raise NotFoundError(f"No data is stored for component {resource_id}.")
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(resource_id))["Body"]
        return StoredFile(_Body(body), info.size, info.content_type)

    def download_url(self, resource_id: str, presentation: Callable[[str], tuple[str, bool]],
                     expires: int) -> str:
        """A presigned GET of the data; :class:`NotFoundError` when nothing (valid) is stored.

        ``presentation(stored content type)`` answers the content type to serve and whether to
        serve it as an attachment; the URL makes the store answer with them.
        """
        info = self.stat(resource_id)
        if info is None:
            raise NotFoundError(f"No data is stored for component {resource_id}.")
        content_type, attachment = presentation(info.content_type)
        params = {"Bucket": self.bucket, "Key": self.key(resource_id), "ResponseContentType": content_type}
        if attachment:
            params["ResponseContentDisposition"] = "attachment"
        return self.presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    # -- direct uploads --------------------------------------------------------------------------

    def upload_target(self, resource_id: str, size: int | None, checksum: str | None, md5: bytes | None,
                      content_type: str, expires: int) -> tuple[str, dict[str, str]]:
        """A presigned PUT URL and the headers the client must send with it."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(resource_id), "ContentType": content_type,
                                  "Metadata": _metadata(size, md5)}
        headers = {"Content-Type": content_type}
        if size is not None:
            params["ContentLength"] = size
            headers["Content-Length"] = str(size)
        if checksum:
            params["ContentMD5"] = checksum
            headers["Content-MD5"] = checksum
        headers.update({f"x-amz-meta-{key}": value for key, value in params["Metadata"].items()})
        url = self.presigner.generate_presigned_url("put_object", Params=params, ExpiresIn=expires)
        return url, headers

    def start_multipart(self, resource_id: str, size: int, md5: bytes | None, content_type: str) -> str:
        """Start a multipart upload of ``size`` bytes; return its upload id."""
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key(resource_id),
                                                     ContentType=content_type, Metadata=_metadata(size, md5))
        return answer["UploadId"]

    def part_url(self, resource_id: str, upload_id: str, part_number: int, size: int, checksum: str | None,
                 expires: int) -> tuple[str, dict[str, str]]:
        """A presigned PUT of one part (``size`` bytes, MD5 ``checksum`` when given) and its headers."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(resource_id), "UploadId": upload_id,
                                  "PartNumber": part_number, "ContentLength": size}
        headers = {"Content-Length": str(size)}
        if checksum:
            params["ContentMD5"] = checksum
            headers["Content-MD5"] = checksum
        return self.presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires), headers

    def complete_multipart(self, resource_id: str, upload_id: str, parts: list[tuple[int, str]]) -> int:
        """Assemble the uploaded ``(part number, ETag)`` parts; return the object's size.

        The object is removed again, and :class:`ValidationError` raised, when its size is not the
        one the upload was started for.
        """
        from botocore.exceptions import ClientError

        key = self.key(resource_id)
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": number, "ETag": f'"{_quoted_etag(etag)}"'}
                                           for number, etag in parts]},
            )
        except ClientError as error:
            raise ValidationError(f"The multipart upload cannot be completed: {error}.") from error
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        expected = (head.get("Metadata") or {}).get(SIZE_KEY)
        if expected is not None and int(expected) != int(head["ContentLength"]):
            self.client.delete_object(Bucket=self.bucket, Key=key)
            raise ValidationError(f"The multipart upload holds {head['ContentLength']} bytes, not the {expected} "
                                  "it was started for; nothing was stored.")
        return int(head["ContentLength"])

    def abort_multipart(self, resource_id: str, upload_id: str) -> None:
        """Drop a multipart upload and its parts."""
        from botocore.exceptions import ClientError

        with contextlib.suppress(ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key(resource_id), UploadId=upload_id)

    # -- uploads through the server, removal ----------------------------------------------------

    async def write(self, resource_id: str, chunks: AsyncIterable[bytes], *, expected_size: int | None = None,
                    expected_md5: bytes | None = None, content_type: str | None = None) -> int:
        """Store ``chunks`` as the data of ``resource_id`` (see :meth:`.files.FileStore.write`).

        The data is spooled and verified first; the object appears only once completely stored.
        """
        key = self.key(resource_id)
        with tempfile.SpooledTemporaryFile(SPOOL_SIZE) as spool:
            size, digest = await copy_verified(chunks, spool, expected_size, expected_md5)
            spool.seek(0)
            extra = {"ContentType": content_type or DEFAULT_CONTENT_TYPE, "Metadata": _metadata(size, digest)}
            await run_in_threadpool(self.client.upload_fileobj, spool, self.bucket, key, ExtraArgs=extra)
        return size

    def version(self, resource_id: str) -> str:
        """A text that changes whenever the data of ``resource_id`` does; :class:`NotFoundError` if none."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(resource_id))
        except ClientError:
            raise NotFoundError(f"No data is stored for component {resource_id}.") from None
        return f"{_quoted_etag(head.get('ETag') or '')}-{int(head['ContentLength']):x}"

    @contextlib.contextmanager
    def local_path(self, resource_id: str) -> Iterator[Path]:
        """A temporary local copy of the data of ``resource_id`` (for tools that read files: ffmpeg, Pillow)."""
        if self.stat(resource_id) is None:
            raise NotFoundError(f"No data is stored for component {resource_id}.")
        with tempfile.TemporaryDirectory(prefix="clapboard-s3-") as folder:
            path = Path(folder) / resource_id
            self.client.download_file(self.bucket, self.key(resource_id), str(path))
            yield path

    def adopt(self, resource_id: str, source: Path, content_type: str | None = None) -> int:
        """Store the finished local file ``source`` as the data of ``resource_id``, then delete it."""
        size = Path(source).stat().st_size
        extra = {"ContentType": content_type or DEFAULT_CONTENT_TYPE, "Metadata": _metadata(size, None)}
        self.client.upload_file(str(source), self.bucket, self.key(resource_id), ExtraArgs=extra)
        os.unlink(source)
        return size

    def remove(self, resource_id: str) -> bool:
        """Delete the data of ``resource_id``; return whether there was any."""
        from botocore.exceptions import ClientError

        key = self.key(resource_id)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True


def _metadata(size: int | None, md5: bytes | None) -> dict[str, str]:
    metadata = {}
    if size is not None:
        metadata[SIZE_KEY] = str(size)
    if md5 is not None:
        metadata[MD5_KEY] = md5.hex()
    return metadata


def _matches_its_metadata(head: Mapping[str, Any]) -> bool:
    """Whether a stored object has the size and (single-part) MD5 its upload was signed for."""
    metadata = head.get("Metadata") or {}
    size = metadata.get(SIZE_KEY)
    if size is not None and str(head.get("ContentLength")) != size:
        return False
    etag = _quoted_etag(head.get("ETag") or "")
    md5 = metadata.get(MD5_KEY)
    return md5 is None or "-" in etag or etag == md5  # a multipart ETag is not an MD5 digest


class _Body:
    """A streamed object body as the binary file :class:`StoredFile` reads."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size < 0 else size)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
