"""Helpers of the web view's tests (the fixtures are in this folder's conftest.py)."""

from __future__ import annotations

import re

import requests

#: The project ``clapboard demo`` builds (the ``web_server`` fixture has it).
DEMO_PROJECT = "demo"
#: The hidden CSRF field of a form: the login form's token, or the session's one in a page.
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_form_token(response: requests.Response) -> str:
    """The ``csrf_token`` field of the first form of a page."""
    found = _TOKEN.search(response.text)
    assert found, response.text[:500]
    return found.group(1)


def log_in(page, username: str, password: str) -> None:
    """Fill and send the login form of ``page`` (at the login page)."""
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
