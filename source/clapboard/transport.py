"""Move batches of operations to the server and back.

A transport has one job: ``call(body, decode, idempotent)`` sends a JSON
request body and returns the decoded response, raising
:mod:`clapboard.exception` errors for the server's error objects. The session
never touches HTTP itself.

:class:`HttpTransport` keeps one keep-alive :class:`requests.Session` (which
honours ``http_proxy``/``https_proxy`` and ``REQUESTS_CA_BUNDLE``), applies a
timeout, and retries with exponential backoff: reads on connection errors,
timeouts and 502/503/504 answers; writes (commits) only when the request
surely never reached the server.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests
import requests.auth

from . import exception

logger = logging.getLogger("clapboard.transport")

Decoder = Callable[[bytes], Any]

#: HTTP statuses of a gateway or server that did not process the request.
RETRY_STATUSES = frozenset({502, 503, 504})
#: Header naming a write batch, so that the server applies it once however often it is sent.
IDEMPOTENCY_HEADER = "Idempotency-Key"


class SessionAuthentication(requests.auth.AuthBase):
    """Attach clapboard session authentication information to requests."""

    def __init__(self, api_key: str, api_user: str):
        """Initialise with *api_key* and *api_user*."""
        self.api_key = api_key
        self.api_user = api_user
        super().__init__()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Modify *request* to have appropriate headers."""
        request.headers.update({"ftrack-api-key": self.api_key, "ftrack-user": self.api_user})
        return request


def raise_for_error(result: Any) -> Any:
    """Return *result*, or raise the error it reports (``{"exception", "content"}``)."""
    if isinstance(result, dict) and "exception" in result:
        raise exception.server_error(
            str(result["exception"]), str(result.get("content", "")), result.get("error_code")
        )
    return result


class Transport:
    """Interface of transports."""

    #: Number of calls made (useful to assert how many requests code issues).
    call_count = 0

    def call(self, body: bytes, decode: Decoder, idempotent: bool) -> Any:
        """Send *body*, return the response decoded with *decode*.

        *idempotent* tells whether sending twice is harmless (a read), which
        allows retries.
        """
        raise NotImplementedError()

    def close(self) -> None:
        """Release resources."""


def _never_sent(error: requests.exceptions.RequestException) -> bool:
    """Return whether *error* happened before the request reached the server."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = error.args[0] if error.args else None
        text = repr(reason)
        return "NewConnectionError" in text or "Connection refused" in text or "NameResolution" in text
    return False


class HttpTransport(Transport):
    """Call ``POST {server_url}/api`` over one keep-alive HTTP session."""

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        timeout: float | None = 60,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        strict_api: bool = False,
        max_retries: int = 3,
        backoff: float = 0.5,
    ):
        """Initialise for *server_url* with credentials *api_user* and *api_key*.

        *timeout* is in seconds per attempt; *headers* and *cookies* are sent
        with every request. Reads are retried up to *max_retries* times,
        waiting *backoff*, then twice as long each time; so are writes when the
        server supports idempotency keys (:attr:`idempotent_writes`).
        """
        self.url = server_url.rstrip("/") + "/api"
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.call_count = 0
        #: Whether the server replays write batches sent again with the same idempotency key
        #: (set from its server information); only then are writes retried.
        self.idempotent_writes = False
        self.http = requests.Session()
        self.http.auth = SessionAuthentication(api_key, api_user)
        self.http.headers.update(
            {
                "content-type": "application/json",
                "accept": "application/json",
                "ftrack-strict-api": "true" if strict_api else "false",
            }
        )
        if headers:
            self.http.headers.update(headers)
        if cookies:
            self.http.cookies.update(cookies)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def _sleep(self, attempt: int) -> None:
        time.sleep(self.backoff * (2**attempt))

    def _post(self, body: bytes, idempotent: bool) -> requests.Response:
        headers = None
        if not idempotent and self.idempotent_writes:
            # The server answers a repeated key with the first run's response: safe to retry.
            headers = {IDEMPOTENCY_HEADER: uuid.uuid4().hex}
            idempotent = True
        attempt = 0
        while True:
            try:
                response = self.http.post(self.url, data=body, timeout=self.timeout, headers=headers)
            except requests.exceptions.RequestException as error:
                retry = idempotent or _never_sent(error)
                if not retry or attempt >= self.max_retries:
                    raise
                logger.warning("Request failed (%s); retrying (%d/%d).", error, attempt + 1, self.max_retries)
            else:
                if not (idempotent and response.status_code in RETRY_STATUSES and attempt < self.max_retries):
                    return response
                logger.warning(
                    "Server answered %d; retrying (%d/%d).", response.status_code, attempt + 1, self.max_retries
                )
            self._sleep(attempt)
            attempt += 1

    def call(self, body: bytes, decode: Decoder, idempotent: bool) -> Any:
        """Send *body* and return the decoded response."""
        self.call_count += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Calling server %s with %s", self.url, body[:2000])
        response = self._post(body, idempotent)
        try:
            result = decode(response.content)
        except ValueError as error:
            if response.status_code >= 400:
                raise exception.ServerError(
                    f"Server reported HTTP {response.status_code} with an unreadable body: "
                    f"{response.text[:500]}"
                ) from error
            raise exception.ServerError(
                "Server reported error in unexpected format. Raw error was: " + response.text[:2000]
            ) from error
        raise_for_error(result)
        if response.status_code >= 400:
            raise exception.ServerError(
                f"Server reported HTTP {response.status_code} {response.reason} for url: {self.url}"
            )
        return result


class MockTransport(Transport):
    """Answer calls with a handler function, for tests.

    *handler* receives the decoded batch (a list of operation dicts) and
    returns the response data (a list, or an error dict); it travels through
    JSON like a real response.
    """

    def __init__(self, handler: Callable[[list[dict[str, Any]]], Any]):
        self.handler = handler
        self.call_count = 0
        self.requests: list[list[dict[str, Any]]] = []

    def call(self, body: bytes, decode: Decoder, idempotent: bool) -> Any:
        """Pass the batch to the handler and return its decoded answer."""
        self.call_count += 1
        batch = json.loads(body)
        self.requests.append(batch)
        answer = self.handler(batch)
        return raise_for_error(decode(json.dumps(answer).encode("utf-8")))
