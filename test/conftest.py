"""Shared pytest fixtures: embedded clapboard servers on each database backend.

Tests that take the ``server`` fixture run once per available backend:

- ``sqlite`` always: the embedded server's zero-configuration database;
- ``postgresql`` when :envvar:`CLAPBOARD_TEST_POSTGRES_URL` names a PostgreSQL
  server the tests may create databases on, e.g.
  ``postgresql://postgres@127.0.0.1:5432/postgres`` (``.ci/run`` starts a
  throwaway one and sets it). Each server gets a fresh database that is
  dropped afterwards.

Restrict a test to some backends with ``@pytest.mark.backends("sqlite")``.

File storage: the ``server`` fixture keeps component files in its data folder
(``storage`` is ``"disk"``). Tests marked ``@pytest.mark.storages("disk", "s3")``
run once per storage; with ``s3`` the server keeps them in a bucket of a moto S3
server that the suite starts on 127.0.0.1 (once per session, when first needed).
Tests that need a server of their own (an empty database) use
``server_factory``.

Server imports are lazy so this file loads before the server package exists.

When :envvar:`CLAPBOARD_TEST_SERVER_PYTHON` names another interpreter (see
``test/external_server.py``), servers run in child processes of that interpreter, on SQLite:
that is how the client tests run on Pythons the server does not support.
"""

import contextlib
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import external_server
import pytest

POSTGRES_URL_VARIABLE = "CLAPBOARD_TEST_POSTGRES_URL"
S3_TEST_BUCKET = "clapboard-test"
#: With a number above 1, PostgreSQL servers of the tests are ``clapboard server --workers N`` processes.
WORKERS_VARIABLE = "CLAPBOARD_TEST_WORKERS"


def available_backends():
    """Return the names of the database backends this test run can use."""
    backends = ["sqlite"]
    if os.environ.get(POSTGRES_URL_VARIABLE) and not external_server.external_python():
        backends.append("postgresql")
    return backends


def pytest_configure(config):
    """Register the ``backends`` marker."""
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test only on these database backends "
        "(sqlite, postgresql)",
    )
    config.addinivalue_line(
        "markers", "storages(*names): run the test once per file storage (disk, s3)"
    )
    config.addinivalue_line(
        "markers",
        "s3_unavailable: an S3-only test where no S3 server can run (left out of the collection)",
    )
    config.addinivalue_line(
        "markers",
        "in_process: the test changes or reads the server's in-process state (settings of its event "
        "hub, its open connections, its log records, faults injected into its code), so it needs the "
        "embedded server in the test's process: deselect it with -m 'not in_process' "
        f"when {WORKERS_VARIABLE} runs the servers as worker processes, or another Python runs the client",
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
    if "storage" in metafunc.fixturenames:
        # Unmarked tests get "disk" without a mark in their id; a direct parameter (rather than a
        # plain fixture) makes pytest restart the session's server when the storage changes.
        storages = metafunc.definition.get_closest_marker("storages")
        if storages is None:
            metafunc.parametrize("storage", ["disk"], ids=[pytest.HIDDEN_PARAM], scope="session")
        else:  # S3 servers run in this process: not with a server in another interpreter
            names = [name for name in storages.args if name == "disk" or not external_server.external_python()]
            if not names:  # an S3-only test, with no S3 here: not collected (see below), rather than skipped
                names = [pytest.param("s3", marks=pytest.mark.s3_unavailable)]
            metafunc.parametrize("storage", names, scope="session")


def pytest_collection_modifyitems(config, items):
    """Leave out S3-only tests when the server runs in another interpreter (the client-only
    Python legs of CI): the S3 server the tests need runs in the test's own process, and those
    tests run in the main leg."""
    unavailable = [item for item in items if item.get_closest_marker("s3_unavailable") is not None]
    if unavailable:
        config.hook.pytest_deselected(items=unavailable)
        items[:] = [item for item in items if item.get_closest_marker("s3_unavailable") is None]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server on 127.0.0.1 for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()


@pytest.fixture(scope="session")
def s3_storage(s3_endpoint):
    """``new()``: the ``storage`` and ``storage_options`` of a server with a fresh prefix of the test bucket."""
    import boto3

    options = {"endpoint_url": s3_endpoint, "region_name": "us-east-1",
               "aws_access_key_id": "clapboard-test", "aws_secret_access_key": "clapboard-test-secret"}
    boto3.client("s3", **options).create_bucket(Bucket=S3_TEST_BUCKET)

    def new():
        return {"storage": f"s3://{S3_TEST_BUCKET}/{uuid.uuid4().hex[:12]}", "storage_options": dict(options)}

    return new


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory, request):
    """Return ``start(backend="sqlite", data_dir=None, port=0, heartbeat=None, storage="disk", **options)``,
    a context manager running a new server (*heartbeat*: the event hub's interval and timeout;
    *storage* ``"s3"``: its files go to a new prefix of the moto bucket; *options* go to the
    server: ``smtp=``, ``ffmpeg=``, ``encode_workers=``).

    The server gets its own data folder and, on PostgreSQL, its own database;
    it is stopped and its database dropped when the ``with`` block ends::

        with server_factory("postgresql") as server:
            ...  # server.server_url, server.api_user, server.api_key
    """

    @contextlib.contextmanager
    def start(backend="sqlite", data_dir=None, port=0, heartbeat=None, storage="disk", **options):
        data_dir = data_dir or tmp_path_factory.mktemp(f"server-{backend}")
        python = external_server.external_python()
        if python:
            if backend != "sqlite" or storage != "disk":
                raise ValueError(f"servers in a child process run on SQLite and disk storage, not {backend}")
            with external_server.start(python, data_dir, port, heartbeat, options) as handle:
                yield handle
            return
        from clapboard_server import embedded

        files = request.getfixturevalue("s3_storage")() if storage == "s3" else {}
        workers = int(os.environ.get(WORKERS_VARIABLE) or 1)
        with _database(backend) as database:
            if backend == "postgresql" and workers > 1 and not options:
                if port or heartbeat:
                    raise ValueError("servers of several worker processes take no port or heartbeat")
                with _worker_processes(data_dir, database, workers, files) as handle:
                    yield handle
            else:
                with embedded.start(data_dir=data_dir, database=database, port=port, **files,
                                    **options) as handle:
                    if heartbeat:
                        hub = handle.server.events
                        hub.heartbeat_interval, hub.heartbeat_timeout = heartbeat
                    yield handle

    return start


class _WorkerProcesses:
    """A ``clapboard server --workers N`` child process, with an in-process view of its data.

    ``server_url``, ``api_user`` and ``api_key`` reach the workers; ``server`` is a prepared
    :class:`~clapboard_server.server.Server` on the same database and data folder (not serving
    HTTP), for tests that look at what the workers stored.
    """

    def __init__(self, process, server):
        self.process, self.server = process, server
        self.server_url, self.api_user, self.api_key = process.server_url, process.api_user, process.api_key
        self.data_dir = server.data_dir


@contextlib.contextmanager
def _worker_processes(data_dir, database, workers, files):
    from clapboard_server.server import Server
    from server_process import ServerProcess

    arguments = ("--workers", str(workers))
    with _aws_environment(files.get("storage_options", {})):
        if files:
            options = files["storage_options"]
            arguments += ("--storage", files["storage"], "--storage-endpoint-url", options["endpoint_url"],
                          "--storage-region", options["region_name"])
        process = ServerProcess(data_dir, database=database, arguments=arguments)
    try:
        server = Server(data_dir, database, **files)
        server.prepare()
        try:
            yield _WorkerProcesses(process, server)
        finally:
            server.close()
    finally:
        assert process.stop() == 0


@contextlib.contextmanager
def _aws_environment(options):
    """The S3 test credentials in the environment (which child processes inherit) within the block."""
    names = {"AWS_ACCESS_KEY_ID": options.get("aws_access_key_id"),
             "AWS_SECRET_ACCESS_KEY": options.get("aws_secret_access_key")}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: value for name, value in names.items() if value})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def server(backend, storage, server_factory):
    """An embedded server on *backend* storing files on *storage*, shared by the session's tests."""
    with server_factory(backend, storage=storage) as handle:
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
