"""Fixtures for the web view's tests: a real server with the demo project, users with passwords,
and a real Chromium driven by Playwright.

- ``web_server``: the session's embedded server (SQLite, and PostgreSQL when available) with the
  project ``clapboard demo`` builds;
- ``web_user(role="Viewer", projects=None)``: a new active user with a web password and
  ``role`` on all projects (or on the ``projects`` named; ``role=None`` grants nothing);
  returns ``(username, password)``;
- ``web_client(username, password)``: a ``requests.Session`` logged in through the login form
  (``web_client.csrf_token`` is its session's CSRF token);
- ``browser`` (Chromium from Debian's ``chromium`` package, one per test module), ``new_page()``: a
  page of a fresh browser context, and ``logged_in_page(username, password)``: one logged in
  through the form;
- ``screenshot(page, name)``: saves ``build/screenshots/<name>.png`` (CI keeps that folder).

Helpers for test modules are in ``web_support`` (``import web_support``: a module named
``conftest`` is ambiguous when the whole suite runs).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import clapboard
import pytest
import requests
from web_support import log_in, login_form_token

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="session")
def web_server(server):
    """The session's server, with the demo project built by ``clapboard demo``'s code."""
    from clapboard import demo

    with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as session:
        demo.build(session)
    return server


@pytest.fixture
def admin_session(web_server):
    """A clapboard client session of the server's administrator."""
    with clapboard.Session(web_server.server_url, web_server.api_key, web_server.api_user,
                           schema_cache_path=False, auto_connect_event_hub=False) as session:
        yield session


@pytest.fixture
def web_user(web_server):
    """``make(role="Viewer", projects=None) -> (username, password)``: a new user who can log in."""
    from clapboard_server import admin
    from clapboard_server.web import passwords

    database = web_server.server.database

    def make(role: str | None = "Viewer", projects: tuple[str, ...] | None = None) -> tuple[str, str]:
        username = f"web-{uuid.uuid4().hex[:10]}"
        password = f"pw-{uuid.uuid4().hex}"
        grants = [admin.RoleGrant(role, tuple(projects or ()))] if role else []
        admin.add_user(database, username, grants)
        passwords.set_password(database, username, password)
        return username, password

    return make


@pytest.fixture
def web_client(web_server):
    """``login(username, password) -> requests.Session`` logged in through the form (with ``csrf_token``)."""
    clients = []

    def login(username: str, password: str) -> requests.Session:
        client = requests.Session()
        clients.append(client)
        client.headers["Origin"] = web_server.server_url
        token = login_form_token(client.get(f"{web_server.server_url}/login", timeout=30))
        response = client.post(f"{web_server.server_url}/login", timeout=30, allow_redirects=False,
                               data={"username": username, "password": password, "csrf_token": token, "next": "/"})
        assert response.status_code == 303, response.text[:500]
        home = client.get(f"{web_server.server_url}/", timeout=30)
        assert home.status_code == 200 and home.url == f"{web_server.server_url}/"
        client.csrf_token = login_form_token(home)
        return client

    yield login
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def playwright_driver():
    """Playwright's sync driver, for one test module at a time: while it runs, its event loop counts
    as running in the main thread, so ``asyncio.run`` fails there (keep such tests in other modules)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver):
    """Chromium from Debian's package (CI runs as root: no sandbox)."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser, web_server):
    """``new_page()``: a page of a fresh browser context (no cookies), its base URL the server's."""
    contexts = []

    def make():
        context = browser.new_context(base_url=web_server.server_url, viewport={"width": 1366, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def logged_in_page(new_page):
    """``login(username, password) -> Page``: a fresh browser context logged in at ``/``."""

    def login(username: str, password: str):
        page = new_page()
        page.goto("/login")
        log_in(page, username, password)
        page.wait_for_url("**/")
        return page

    return login


@pytest.fixture(scope="session")
def screenshot():
    """``save(page, name)``: a full-page PNG at ``build/screenshots/<name>.png``; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return save
