"""Shared pytest fixtures: embedded clapboard servers on each database backend.

Tests that take the ``server`` fixture run once per available backend:

- ``sqlite`` always: the embedded server's zero-configuration database;
- ``postgresql`` when :envvar:`CLAPBOARD_TEST_POSTGRES_URL` names a PostgreSQL
  server the tests may create databases on, e.g.
  ``postgresql://postgres@127.0.0.1:5432/postgres`` (``.ci/run`` starts a
  throwaway one and sets it). Each server gets a fresh database that is
  dropped afterwards.

Restrict a test to some backends with ``@pytest.mark.backends("sqlite")``.
Tests that need a server of their own (an empty database) use
``server_factory``.

Server imports are lazy so this file loads before the server package exists.
"""

import contextlib
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_URL_VARIABLE = "CLAPBOARD_TEST_POSTGRES_URL"


def available_backends():
    """Return the names of the database backends this test run can use."""
    backends = ["sqlite"]
    if os.environ.get(POSTGRES_URL_VARIABLE):
        backends.append("postgresql")
    return backends


def pytest_configure(config):
    """Register the ``backends`` marker."""
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test only on these database backends "
        "(sqlite, postgresql)",
    )


def pytest_generate_tests(metafunc):
    """Parametrize ``backend`` over the available backends the test allows."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = available_backends()
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None:
        backends = [name for name in backends if name in marker.args]
    metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory):
    """Return ``start(backend="sqlite", **limits)``, a context manager running a new server.

    The server gets its own data folder and, on PostgreSQL, its own database;
    it is stopped and its database dropped when the ``with`` block ends::

        with server_factory("postgresql") as server:
            ...  # server.server_url, server.api_user, server.api_key

    Keyword arguments set the server's limits (see ``clapboard_server.limits``).
    """

    @contextlib.contextmanager
    def start(backend="sqlite", **limits):
        from clapboard_server import embedded

        data_dir = tmp_path_factory.mktemp(f"server-{backend}")
        with _database(backend) as database, embedded.start(
            data_dir=data_dir, database=database, **limits
        ) as handle:
            yield handle

    return start


@pytest.fixture(scope="session")
def server(backend, server_factory):
    """An embedded server on *backend*, shared by every test of the session."""
    with server_factory(backend) as handle:
        yield handle


@pytest.fixture
def database_url(backend):
    """The ``database`` argument of a server on *backend*: None for SQLite, else a new database's URL."""
    with _database(backend) as url:
        yield url


@contextlib.contextmanager
def _database(backend):
    """Yield the ``database`` argument for an embedded server on *backend*."""
    if backend == "sqlite":
        yield None
    elif backend == "postgresql":
        with _postgres_database(os.environ[POSTGRES_URL_VARIABLE]) as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")


@contextlib.contextmanager
def _postgres_database(admin_url):
    """Create a uniquely named database through *admin_url*; yield its URL; drop it."""
    import psycopg
    from psycopg import sql

    name = f"clapboard_test_{uuid.uuid4().hex[:12]}"
    identifier = sql.Identifier(name)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        parts = urlsplit(admin_url)
        yield urlunsplit(parts._replace(scheme="postgresql+psycopg", path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)
            )
