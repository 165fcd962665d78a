"""Helpers of the web view's tests (the fixtures are in this folder's conftest.py)."""

from __future__ import annotations

import re
import uuid

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


def post_login(server_url: str, username: str, password: str) -> tuple[requests.Session, requests.Response]:
    """Log in through the form from a client address of its own (its failures limit no other test)."""
    client = requests.Session()
    client.headers.update({"Origin": server_url, "X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"})
    token = login_form_token(client.get(f"{server_url}/login", timeout=30))
    response = client.post(f"{server_url}/login", allow_redirects=False, timeout=30,
                           data={"username": username, "password": password, "csrf_token": token})
    return client, response
