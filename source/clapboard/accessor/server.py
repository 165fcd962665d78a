"""Accessor for the clapboard server's own storage (the ``ftrack.server`` location).

Resource identifiers are component ids. The server offers (see the wire
protocol, section 9.2):

- download: ``GET {server}/component/get?id=<id>&username=<user>&apiKey=<key>``;
- removal: ``GET {server}/component/remove?id=...&username=...&apiKey=...``;
- thumbnails: ``GET {server}/component/thumbnail?id=...[&size=N]``;
- upload: the ``get_upload_metadata`` action returns a URL and headers, and
  the data is sent with ``PUT`` to that URL with exactly those headers.

Credentials travel in the query string; no session headers or cookies are
sent. Server storage is flat: there are no containers, so :meth:`list`,
:meth:`is_sequence` and :meth:`get_container` are not supported and
:meth:`make_container` does nothing. :meth:`exists` and :meth:`size` open a
download and read only its status and ``Content-Length`` (there is no
cheaper request in the protocol).

Beyond the reference API, transfers report progress: give a *progress*
callable ``progress(done_bytes, total_bytes)`` (``total_bytes`` is None
when unknown) to the accessor or to :meth:`ServerAccessor.open`, or True
for a progress bar. By default a bar is drawn in interactive sessions only
(see :mod:`clapboard.progress`).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import tempfile
import time
from typing import Any
from urllib.parse import urlencode

import requests

from clapboard import exception
from clapboard.accessor.base import Accessor
from clapboard.data import FileWrapper
from clapboard.progress import ProgressCallback, ProgressOption, Reporter
from clapboard.symbol import CHUNK_SIZE, NOT_SET
from clapboard.transport import classify

logger = logging.getLogger(__name__)

#: Signature of progress callbacks: ``progress(done_bytes, total_bytes)``.
Progress = ProgressCallback


class _ProgressReader:
    """File-like upload body of known length reporting progress as it is read."""

    def __init__(self, source: Any, size: int, progress: ProgressCallback | None):
        self.source = source
        self.size = size
        self.progress = progress
        self.done = 0
        if progress is not None:
            progress(0, size)

    def __len__(self) -> int:
        return self.size

    def read(self, limit: int = -1) -> bytes:
        chunk = self.source.read(limit)
        if chunk:
            self.done += len(chunk)
            if self.progress is not None:
                self.progress(self.done, self.size)
        return chunk


class ServerFile(FileWrapper):
    """Representation of a file stored on the server.

    Reading downloads the data into a temporary file when opened; writing
    buffers into a temporary file and uploads it on :meth:`close`.
    """

    def __init__(
        self,
        resource_identifier: str,
        session: Any,
        mode: str = "rb",
        accessor: ServerAccessor | None = None,
        progress: ProgressOption = None,
    ):
        """Open server file *resource_identifier* (a component id) of *session* with *mode*.

        *progress* reports the transfer (see :mod:`clapboard.progress`);
        None uses the accessor's.
        """
        self.resource_identifier = resource_identifier
        self.session = session
        self.mode = mode
        self.accessor = accessor or ServerAccessor(session)
        self.progress = progress if progress is not None else self.accessor.progress
        self._uploaded = False
        super().__init__(tempfile.TemporaryFile())  # noqa: SIM115 - closed by close()
        if "r" in mode:
            self.accessor._download(resource_identifier, self.wrapped_file, self.progress)
            self.wrapped_file.seek(0)

    def _writing(self) -> bool:
        return any(flag in self.mode for flag in "wa+")

    def close(self) -> None:
        """Flush buffers, upload written data and prevent further access."""
        if self.closed:
            return
        try:
            if self._writing() and not self._uploaded:
                self.flush()
                self.wrapped_file.seek(0)
                self.accessor._upload(self.resource_identifier, self.wrapped_file, self.progress)
                self._uploaded = True
        finally:
            super().close()


class ServerAccessor(Accessor):
    """Provide access to the server's storage through its HTTP endpoints."""

    def __init__(
        self,
        session: Any,
        progress: ProgressOption = None,
        chunk_size: int = CHUNK_SIZE,
        max_retries: int = 3,
        backoff: float = 0.5,
        timeout: Any = NOT_SET,
        **kw: Any,
    ) -> None:
        """Initialise with *session*, the :class:`~clapboard.session.Session` whose server stores the data.

        *progress* is called as ``progress(done_bytes, total_bytes)`` during
        transfers (True draws a bar, False nothing, None a bar in interactive
        sessions only; see :mod:`clapboard.progress`); *chunk_size* is the transfer chunk size in bytes.
        Downloads interrupted by connection errors are retried up to
        *max_retries* times, waiting *backoff* seconds, then twice as long
        each time. *timeout* is in seconds per request; by default the
        session's (its ``timeout`` option).
        """
        super().__init__(**kw)
        self.session = session
        self.progress = progress
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.backoff = backoff
        self._timeout = timeout
        self._http: requests.Session | None = None

    @property
    def timeout(self) -> float | None:
        """Seconds per request: the one given, else the session's."""
        if self._timeout is not NOT_SET:
            return self._timeout
        return getattr(self.session, "request_timeout", 60)

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} server={self.session.server_url!r}>"

    @property
    def http(self) -> requests.Session:
        """Plain HTTP session: no clapboard headers, no cookies."""
        if self._http is None:
            self._http = requests.Session()
        return self._http

    # URLs -----------------------------------------------------------------------------------

    def _build_url(self, route: str, resource_identifier: str, quote: bool = True, **extra: Any) -> str:
        query = {"id": resource_identifier, "username": self.session.api_user, "apiKey": self.session.api_key}
        query.update({key: value for key, value in extra.items() if value is not None})
        base = f"{self.session.server_url}/component/{route}"
        if quote:
            return f"{base}?{urlencode(query)}"
        return base + "?" + "&".join(f"{key}={value}" for key, value in query.items())

    def get_url(self, resource_identifier: str) -> str:
        """Return the download URL of *resource_identifier*.

        As in the reference client the values are not URL-encoded (ids,
        user names and keys normally need no encoding).
        """
        if not resource_identifier:
            raise exception.AccessorFilesystemPathError(resource_identifier)
        return self._build_url("get", resource_identifier, quote=False)

    def get_thumbnail_url(self, resource_identifier: str, size: int | None = None) -> str:
        """Return the thumbnail URL of *resource_identifier*, constrained to *size* x *size* when given."""
        if not resource_identifier:
            raise exception.AccessorFilesystemPathError(resource_identifier)
        return self._build_url("thumbnail", resource_identifier, quote=False, size=size)

    # Transfers ------------------------------------------------------------------------------

    def _get(self, route: str, resource_identifier: str, stream: bool = True) -> requests.Response:
        """GET *route* for *resource_identifier*, retrying connection errors with backoff."""
        url = self._build_url(route, resource_identifier)
        attempt = 0
        while True:
            try:
                return self.http.get(url, stream=stream, timeout=self.timeout)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                failure = classify(error, self.timeout)
                if not failure.retryable or attempt >= self.max_retries:
                    raise exception.AccessorOperationFailedError(
                        operation=route, resource_identifier=resource_identifier,
                        error=exception.ServerConnectionError(self.session.server_url, failure.cause),
                    ) from error
                logger.warning("Request to %s failed (%s); retrying (%d/%d).", route, failure.cause,
                               attempt + 1, self.max_retries)
                time.sleep(self.backoff * (2**attempt) * (0.2 if failure.quick else 1))
                attempt += 1

    def _check(self, response: requests.Response, operation: str, resource_identifier: str) -> None:
        if response.status_code == 404:
            response.close()
            raise exception.AccessorResourceNotFoundError(resource_identifier=resource_identifier)
        if response.status_code in (401, 403):
            response.close()
            raise exception.AccessorPermissionDeniedError(
                operation=operation, resource_identifier=resource_identifier
            )
        if not 200 <= response.status_code < 300:
            text = response.text[:500]
            response.close()
            raise exception.AccessorOperationFailedError(
                operation=operation, resource_identifier=resource_identifier,
                error=f"HTTP {response.status_code}: {text}",
            )

    def _download(self, resource_identifier: str, target: Any, progress: ProgressOption) -> None:
        """Write data of *resource_identifier* into file object *target*, in chunks.

        A connection lost mid-transfer restarts the download (up to
        *max_retries* times, with backoff).
        """
        with Reporter(progress, f"Downloading {resource_identifier[:8]}") as reporter:
            self._download_reporting(resource_identifier, target, reporter)

    def _download_reporting(self, resource_identifier: str, target: Any, reporter: Reporter) -> None:
        progress = reporter if reporter.active else None
        attempt = 0
        while True:
            target.seek(0)
            target.truncate()
            response = self._get("get", resource_identifier)
            self._check(response, "download", resource_identifier)
            total = response.headers.get("Content-Length")
            total_bytes = int(total) if total and total.isdigit() else None
            done = 0
            try:
                with response:
                    for chunk in response.iter_content(self.chunk_size):
                        target.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total_bytes)
                target.flush()
                return
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                if attempt >= self.max_retries:
                    raise exception.AccessorOperationFailedError(
                        operation="download", resource_identifier=resource_identifier, error=error
                    ) from error
                logger.warning("Download of %s interrupted (%s); retrying.", resource_identifier, error)
                time.sleep(self.backoff * (2**attempt))
                attempt += 1

    def _file_name(self, resource_identifier: str) -> str:
        """Return the upload file name: component name plus file type, or the id."""
        component = self.session.get("FileComponent", resource_identifier)
        if component is None:
            return resource_identifier
        name = component.get("name") or resource_identifier
        file_type = (component.get("file_type") or "").lstrip(".")
        return f"{name}.{file_type}" if file_type else name

    def _upload(self, resource_identifier: str, source: Any, progress: ProgressOption) -> None:
        """Upload file object *source* as the data of component *resource_identifier*."""
        digest = hashlib.md5()  # Content-MD5, not security
        size = 0
        while True:
            chunk = source.read(self.chunk_size)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
        source.seek(0)
        checksum = base64.b64encode(digest.digest()).decode("ascii")
        metadata = self.session.get_upload_metadata(
            component_id=resource_identifier,
            file_name=self._file_name(resource_identifier),
            file_size=size,
            checksum=checksum,
        )
        headers = {key: str(value) for key, value in (metadata.get("headers") or {}).items()}
        headers.setdefault("Content-Length", str(size))
        with Reporter(progress, f"Uploading {resource_identifier[:8]}") as reporter:
            body = _ProgressReader(source, size, reporter if reporter.active else None)
            try:
                response = self.http.put(metadata["url"], data=body, headers=headers, timeout=self.timeout)
            except requests.exceptions.RequestException as error:
                cause = exception.ServerConnectionError(self.session.server_url, classify(error, self.timeout).cause)
                raise exception.AccessorOperationFailedError(
                    operation="upload", resource_identifier=resource_identifier, error=cause
                ) from error
        with response:
            self._check(response, "upload", resource_identifier)

    # Accessor interface ---------------------------------------------------------------------

    def open(self, resource_identifier: str, mode: str = "rb", progress: ProgressOption = None) -> ServerFile:
        """Return a :class:`ServerFile` for *resource_identifier* (a component id).

        Reading (``rb``) downloads the data now; writing (``wb``) uploads it
        when the file is closed. *progress* overrides the accessor's
        progress option for this transfer.
        """
        return ServerFile(resource_identifier, self.session, mode, accessor=self, progress=progress)

    def remove(self, resource_identifier: str) -> None:
        """Remove the data of *resource_identifier* from the server."""
        response = self._get("remove", resource_identifier, stream=False)
        with response:
            self._check(response, "remove", resource_identifier)

    def exists(self, resource_identifier: str) -> bool:
        """Return whether data exists for *resource_identifier* (starts a download and drops it)."""
        response = self._get("get", resource_identifier)
        with response:
            return 200 <= response.status_code < 300

    def size(self, resource_identifier: str) -> int:
        """Return the size in bytes of *resource_identifier*.

        Uses the download's ``Content-Length``; when the server does not
        send it, the data is read (and discarded) to count it.
        """
        response = self._get("get", resource_identifier)
        self._check(response, "size", resource_identifier)
        with response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit():
                return int(length)
            return sum(len(chunk) for chunk in response.iter_content(self.chunk_size))

    def is_file(self, resource_identifier: str) -> bool:
        """Return whether *resource_identifier* refers to a file (everything stored is a file)."""
        return self.exists(resource_identifier)

    def is_container(self, resource_identifier: str) -> bool:
        """Return False: server storage has no containers."""
        return False

    def is_sequence(self, resource_identifier: str) -> bool:
        """Not supported: raise :exc:`~clapboard.exception.AccessorUnsupportedOperationError`."""
        raise exception.AccessorUnsupportedOperationError("is_sequence", resource_identifier=resource_identifier)

    def list(self, resource_identifier: str) -> list[str]:
        """Not supported (the protocol has no listing): raise AccessorUnsupportedOperationError."""
        raise exception.AccessorUnsupportedOperationError("list", resource_identifier=resource_identifier)

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        """Do nothing: server storage is flat."""

    def get_container(self, resource_identifier: str) -> str:
        """Not supported: raise :exc:`~clapboard.exception.AccessorUnsupportedOperationError`."""
        raise exception.AccessorUnsupportedOperationError("get_container", resource_identifier=resource_identifier)

    def get_filesystem_path(self, resource_identifier: str) -> str:
        """Not supported: server data has no filesystem path."""
        raise exception.AccessorUnsupportedOperationError(
            "get_filesystem_path", resource_identifier=resource_identifier
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            self._http.close()
            self._http = None


__all__ = ["Progress", "ServerAccessor", "ServerFile"]
