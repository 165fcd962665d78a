"""``/login`` and ``/logout``: password logins with rate limiting, and the end of a session.

The login form is protected against cross-site submission like every other form: it must come
from this server (``Origin``) and carry the token of the ``clapboard_login`` cookie (a
double-submit token, since there is no session yet).
"""

from __future__ import annotations

import datetime
import math
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from . import login_limits, passwords
from .render import render
from .sessions import (
    COOKIE,
    CSRF_FIELD,
    clear_session_cookie,
    current_user,
    declares_too_large_body,
    in_worker,
    is_same_origin,
    is_secure,
    login_required,
    server_of,
    set_session_cookie,
    store_of,
    tokens_match,
)

#: Cookie holding the login form's CSRF token.
LOGIN_COOKIE = "clapboard_login"


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``/`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, token: str, next_url: str, error: str = "", username: str = "",
                status_code: int = 200) -> Response:
    response = render(request, "login.html", {"login_token": token, "next": next_url, "error": error,
                                              "username": username}, status_code)
    response.set_cookie(LOGIN_COOKIE, token, path="/login", httponly=True, samesite="strict",
                        secure=is_secure(request))
    return response


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def routes() -> list[BaseRoute]:
    """The login and logout routes."""

    async def login_form(request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"))
        if await current_user(request) is not None:
            return RedirectResponse(next_url, status_code=303)
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        return _login_page(request, token, next_url)

    async def login_submit(request: Request) -> Response:
        if declares_too_large_body(request):
            return PlainTextResponse("The request body is too large.", status_code=413)
        form = await request.form()
        username = str(form.get("username") or "")
        password = str(form.get("password") or "")
        next_url = safe_next(str(form.get("next") or "/"))
        cookie_token = request.cookies.get(LOGIN_COOKIE) or ""
        fresh = secrets.token_urlsafe(32)
        if not is_same_origin(request) or not tokens_match(form.get(CSRF_FIELD), cookie_token):
            return _login_page(request, fresh, next_url, "The login form expired or came from another site: "
                               "please try again.", username, status_code=403)
        server = server_of(request)
        limiter = login_limits.LoginLimiter(server.database)
        subjects = login_limits.subjects(username, request.client.host if request.client else "unknown")
        attempt = await in_worker(request, limiter.attempt, subjects)
        if isinstance(attempt, datetime.timedelta):
            response = _login_page(request, cookie_token, next_url,
                                   f"Too many failed logins: try again in {_minutes(attempt.total_seconds())}.",
                                   username, status_code=429)
            response.headers["Retry-After"] = str(math.ceil(attempt.total_seconds()))
            return response
        found = await in_worker(request, passwords.authenticate, server.database, username, password)
        if found is None:  # the attempt's records stay: they are the failures counted
            return _login_page(request, cookie_token, next_url, "Wrong user name or password.", username,
                               status_code=401)
        await in_worker(request, limiter.succeeded, attempt)
        store = store_of(request)
        await in_worker(request, store.end, request.cookies.get(COOKIE))
        token = await in_worker(request, store.create, found[0])
        response = RedirectResponse(next_url, status_code=303)
        set_session_cookie(response, request, token)
        response.delete_cookie(LOGIN_COOKIE, path="/login", httponly=True, samesite="strict",
                               secure=is_secure(request))
        return response

    @login_required
    async def logout(request: Request) -> Response:
        await in_worker(request, store_of(request).end, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response, request)
        return response

    return [
        Route("/login", login_form, methods=["GET"], name="web-login-form"),
        Route("/login", login_submit, methods=["POST"], name="web-login"),
        Route("/logout", logout, methods=["POST"], name="web-logout"),
    ]
