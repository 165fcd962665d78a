"""Move batches of operations to the server and back.

A transport has one job: ``call(body, decode, idempotent)`` sends a JSON
request body and returns the decoded response, raising
:mod:`clapboard.exception` errors for the server's error objects. The session
never touches HTTP itself.

:class:`HttpTransport` keeps one keep-alive :class:`requests.Session` (which
honours ``http_proxy``/``https_proxy`` and ``REQUESTS_CA_BUNDLE``), applies a
timeout, and retries with exponential backoff what may succeed: reads on
connection errors, timeouts and 502/503/504 answers; writes (commits) only
when the request surely never reached the server. A wrong URL, an unknown
host or a TLS mismatch fail at once. Failures to connect raise
:exc:`~clapboard.exception.ServerConnectionError`, naming the URL and the
cause.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

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


def check_settings(server_url: Any, api_user: Any, api_key: Any) -> str:
    """Return *server_url* without trailing slash once the settings look usable.

    Raise :exc:`~clapboard.exception.ConfigurationError` naming the problem:
    a URL without ``http://`` or ``https://`` or without host, credentials
    that are not strings.
    """
    for name, value in (("server_url", server_url), ("api_user", api_user), ("api_key", api_key)):
        if not isinstance(value, str):
            raise exception.ConfigurationError(
                f"{name} must be a string, got {type(value).__name__}: {_clip(value)}."
            )
        if not value.strip() or value != value.strip() or "\n" in value:
            raise exception.ConfigurationError(f"{name} {value!r} is empty or has surrounding spaces or line breaks.")
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        guess = "http://" + server_url.split("://", 1)[-1]
        raise exception.ConfigurationError(
            f"server_url {server_url!r} must start with http:// or https:// and name a host, "
            f"e.g. {guess!r}."
        )
    return server_url.rstrip("/")


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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


class _Failure:
    """What went wrong with a request that got no answer, and whether trying again may help."""

    def __init__(self, cause: str, never_sent: bool, retryable: bool, quick: bool = False):
        self.cause = cause
        #: The request surely never reached the server (safe to resend a write).
        self.never_sent = never_sent
        #: Trying again may succeed (a restarting server; not a wrong URL or a TLS mismatch).
        self.retryable = retryable
        #: Retry after a short pause (a refused connection is answered at once).
        self.quick = quick


def _causes(error: BaseException) -> list[BaseException]:
    """*error*, its arguments that are errors, and their causes and contexts, outermost first."""
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.append(current)
        pending += [argument for argument in current.args if isinstance(argument, BaseException)]
        pending += [link for link in (getattr(current, "reason", None), current.__cause__, current.__context__)
                    if isinstance(link, BaseException)]
    return seen


def classify(error: requests.exceptions.RequestException, timeout: float | None) -> _Failure:
    """Return what *error* (raised by :mod:`requests` for a request) means to the user."""
    if isinstance(error, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidURL)):
        return _Failure(f"the URL is not usable ({error}); it must look like https://host:port",
                        never_sent=True, retryable=False)
    if isinstance(error, requests.exceptions.SSLError):
        return _Failure("the TLS (https) handshake failed; if the server speaks plain http, use an "
                        f"http:// URL, otherwise check its certificate ({_innermost(error)})",
                        never_sent=True, retryable=False)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return _Failure(f"no connection within {timeout} s. Is the server running and reachable?",
                        never_sent=True, retryable=True)
    if isinstance(error, requests.exceptions.Timeout):
        return _Failure(f"the server did not answer within {timeout} s (the timeout option)",
                        never_sent=False, retryable=True)
    names = {type(cause).__name__ for cause in _causes(error)}
    if "NameResolutionError" in names or isinstance(_innermost(error), socket.gaierror):
        return _Failure("unknown host name (check the URL)", never_sent=True, retryable=False)
    if "ConnectionRefusedError" in names or "Connection refused" in repr(error.args):
        return _Failure("connection refused. Is the server running?", never_sent=True, retryable=True,
                        quick=True)
    if "NewConnectionError" in names:
        return _Failure(f"cannot connect ({_innermost(error)}). Is the server running?", never_sent=True,
                        retryable=True, quick=True)
    return _Failure(f"the connection failed ({_innermost(error)})", never_sent=False, retryable=True)


def _innermost(error: BaseException) -> BaseException:
    return _causes(error)[-1]


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

        *timeout* is in seconds: each attempt, and all retries of a request
        together, end within it. *headers* and *cookies* are sent with every
        request. Failures that may pass are retried up to *max_retries*
        times, waiting *backoff*, then twice as long each time (a fifth of
        that after a refused connection): reads, writes when the server
        supports idempotency keys (:attr:`idempotent_writes`), and writes
        that surely never reached the server. A wrong URL, an unknown host or
        a TLS mismatch never are. Connection failures raise
        :exc:`~clapboard.exception.ServerConnectionError`.
        """
        self.server_url = server_url.rstrip("/")
        self.url = self.server_url + "/api"
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

    def _sleep(self, delay: float) -> None:
        time.sleep(delay)

    def _post(self, body: bytes, idempotent: bool) -> requests.Response:
        started = time.monotonic()
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
                failure = classify(error, self.timeout)
                delay = self.backoff * (2**attempt) * (0.2 if failure.quick else 1)
                retry = failure.retryable and (idempotent or failure.never_sent)
                if not retry or attempt >= self.max_retries or not self._in_time(started, delay):
                    raise exception.ServerConnectionError(self.server_url, failure.cause) from error
                logger.warning("Request to %s failed (%s); retrying (%d/%d).", self.server_url, failure.cause,
                               attempt + 1, self.max_retries)
            else:
                retry = idempotent and response.status_code in RETRY_STATUSES and attempt < self.max_retries
                delay = self.backoff * (2**attempt)
                if not retry or not self._in_time(started, delay):
                    return response
                logger.warning(
                    "Server answered %d; retrying (%d/%d).", response.status_code, attempt + 1, self.max_retries
                )
            self._sleep(delay)
            attempt += 1

    def _in_time(self, started: float, delay: float) -> bool:
        """Return whether waiting *delay* more seconds keeps the request within the timeout."""
        budget = max(self.timeout) if isinstance(self.timeout, tuple) else self.timeout  # (connect, read)
        return budget is None or time.monotonic() - started + delay < budget

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
