"""Web sessions: a random token in a cookie, its hash in the database, and the checks every page runs.

The cookie (:data:`COOKIE`) is HttpOnly, SameSite=Strict, and Secure when the request came over
TLS (its URL is ``https``, or a proxy says so with ``X-Forwarded-Proto: https``; the header can
only add the flag, never remove it). The database keeps the token's SHA-256, the user, the
session's CSRF token and its expiry, so every server process sharing the database knows the
session, and logging out (deleting the row) ends it everywhere at once. A disabled or deleted user's
sessions stop working at once too.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..bodies import drain
from ..values import utc_now
from . import tables
from .render import render

if TYPE_CHECKING:
    from ..database import Database
    from ..server import Server

#: Name of the session cookie.
COOKIE = "clapboard_session"
#: How long a session lasts after logging in.
LIFETIME = datetime.timedelta(hours=12)
#: Methods that change nothing, so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Header and form field carrying the CSRF token.
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class WebUser:
    """The logged-in user of a request, with the CSRF token of their session."""

    id: str
    username: str
    csrf_token: str


def hash_token(token: str) -> str:
    """The SHA-256 of a session token, as the database keeps it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def server_of(request: Request) -> Server:
    """The :class:`~clapboard_server.server.Server` the application serves."""
    return request.app.state.server


async def in_worker(request: Request, function: Callable[..., Any], *arguments: Any) -> Any:
    """``function(*arguments)`` run in the server's thread pool (database work off the event loop)."""
    return await asyncio.get_running_loop().run_in_executor(server_of(request).workers, function, *arguments)


def is_secure(request: Request) -> bool:
    """Whether the browser reached the server over TLS (directly, or through a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def is_same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from a page of this server.

    The ``Origin`` header must name this host (as the ``Host`` header does); a browser that
    sends no ``Origin`` must send ``Sec-Fetch-Site: same-origin`` (or ``none``: typed by the user).
    """
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == request.headers.get("host", "").lower()
    return request.headers.get("sec-fetch-site") in ("same-origin", "none")


def declares_too_large_body(request: Request) -> bool:
    """Whether the request announces a body over the server's ``max_body_bytes`` (refused unread)."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > server_of(request).limits.max_body_bytes


def tokens_match(given: Any, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return isinstance(given, str) and bool(given) and hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


class SessionStore:
    """Creates, finds and ends the web sessions of one database."""

    def __init__(self, database: Database) -> None:
        tables.define(database)
        self.database = database
        self.table = database.tables[tables.SESSION_TABLE]
        user_type = database.registry.get("User")
        users = database.catalog.table(user_type)
        sessions = self.table
        self._find = (
            sa.select(sessions.c.user_id, sessions.c.csrf_token, users.c.username)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == sa.bindparam("token_hash"), sessions.c.expires_at > sa.bindparam("now"),
                   users.c.is_active.is_(True), *(users.c[c] == v for c, v in user_type.where.items()))
        )

    def create(self, user_id: str) -> str:
        """Start a session for ``user_id``; return its token (for the cookie only)."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self.database.transaction() as connection:
            connection.execute(self.table.delete().where(self.table.c.expires_at <= now))
            connection.execute(self.table.insert().values(
                token_hash=hash_token(token), user_id=user_id, csrf_token=secrets.token_urlsafe(32),
                created_at=now, expires_at=now + LIFETIME))
        return token

    def find(self, token: str | None) -> WebUser | None:
        """The user of the live session ``token``, or None."""
        if not token or len(token) > 256:
            return None
        with self.database.engine.connect() as connection:
            row = connection.execute(self._find, {"token_hash": hash_token(token), "now": utc_now()}).first()
        return None if row is None else WebUser(row.user_id, row.username, row.csrf_token)

    def end(self, token: str | None) -> None:
        """End the session ``token`` (no error if there is none)."""
        if token:
            with self.database.transaction() as connection:
                connection.execute(self.table.delete().where(self.table.c.token_hash == hash_token(token)))


def store_of(request: Request) -> SessionStore:
    """The session store of the application (made on first use)."""
    state = request.app.state
    store = getattr(state, "web_sessions", None)
    if store is None:
        store = state.web_sessions = SessionStore(server_of(request).database)
    return store


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), path="/", httponly=True,
                        samesite="strict", secure=is_secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=is_secure(request))


async def current_user(request: Request) -> WebUser | None:
    """The logged-in user of ``request``, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return await in_worker(request, store_of(request).find, token)


async def _submitted_csrf_token(request: Request) -> Any:
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        token = (await request.form()).get(CSRF_FIELD)
    return token


#: Answered to a link followed from another site, which brings no SameSite=Strict cookie: the
#: browser reloads the page from this site, which brings it.
_RELOAD_FROM_HERE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0">'
    '<title>Opening…</title></head><body><p>Opening… <a href="">Continue</a></p></body></html>'
)


def login_redirect(request: Request) -> Response:
    """Where a page request without a session goes: the login page, coming back afterwards.

    A link followed from another site (``Sec-Fetch-Site: cross-site``) carries no SameSite=Strict
    cookie even when the browser has a session: it is answered with a page that reloads itself
    from this site, so a logged-in user lands on the page, not on the login form.
    """
    if request.headers.get("sec-fetch-site") == "cross-site" and request.headers.get("sec-fetch-mode") == "navigate":
        return HTMLResponse(_RELOAD_FROM_HERE, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def login_required(endpoint: Endpoint) -> Endpoint:
    """Let only logged-in users reach ``endpoint``; sets ``request.state.user`` (a :class:`WebUser`).

    Without a session, GET and HEAD are redirected to the login page and other methods get 401.
    A state-changing request must come from this server's pages (:func:`is_same_origin`) and
    carry the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), else 403.
    """
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            if request.method in ("GET", "HEAD"):
                return login_redirect(request)
            await drain(request)
            return _refusal(request, 401, "Not logged in", "Log in first, then try again.")
        request.state.user = user
        if request.method not in SAFE_METHODS:
            if declares_too_large_body(request):
                return _refusal(request, 413, "Too large", "The request body is too large.")
            if not is_same_origin(request):
                await drain(request)
                return _refusal(request, 403, "Refused", "A request from another site was refused.")
            if not tokens_match(await _submitted_csrf_token(request), user.csrf_token):
                return _refusal(request, 403, "Refused",
                                "The form was out of date (missing or wrong CSRF token): reload the page and try again.")
        return await endpoint(request)

    return guarded


def _refusal(request: Request, status_code: int, heading: str, message: str) -> Response:
    return render(request, "error.html", {"heading": heading, "message": message}, status_code)
