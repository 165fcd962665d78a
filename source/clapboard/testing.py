"""A pytest plugin for testing pipeline code against an embedded clapboard server.

Installed with clapboard (entry point ``pytest11``), it gives tests two fixtures:

``clapboard_server``
    an embedded server on a temporary SQLite database, shared by the whole test session
    (needs the ``server`` extra);
``clapboard_session``
    a :class:`clapboard.Session` connected to it, new for each test and closed after it.

Example::

    def test_publish_creates_a_version(clapboard_session):
        schema = clapboard_session.query("ProjectSchema").first()
        project = clapboard_session.create("Project", {
            "name": "test", "full_name": "Test", "project_schema": schema,
        })
        clapboard_session.commit()
        assert clapboard_session.query('Project where name is "test"').one() is project

Set ``CLAPBOARD_TEST_DATABASE`` to a PostgreSQL URL to run the server on PostgreSQL instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def clapboard_server() -> Iterator[Any]:
    """An embedded clapboard server for the test session."""
    try:
        from clapboard_server import embedded
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise pytest.UsageError(
            'The clapboard_server fixture needs the server: pip install "clapboard[server]"'
        ) from error
    with embedded.start(database=os.environ.get("CLAPBOARD_TEST_DATABASE")) as server:
        yield server


@pytest.fixture
def clapboard_session(clapboard_server: Any) -> Iterator[Any]:
    """A session connected to :func:`clapboard_server`, closed after the test."""
    import clapboard

    session = clapboard.Session(
        server_url=clapboard_server.server_url,
        api_key=clapboard_server.api_key,
        api_user=clapboard_server.api_user,
        auto_connect_event_hub=False,
        schema_cache_path=False,
    )
    try:
        yield session
    finally:
        session.close()
