"""PostgreSQL's pooled connections: pinged only after being idle, replaced when the database closed them."""

import pytest
import sqlalchemy as sa
from clapboard_server import database
from clapboard_server.server import Server

pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def postgres_server(backend, database_url, tmp_path):
    server = Server(tmp_path / "data", database_url=database_url)
    server.prepare()
    admin = server.authenticator.authenticate(server.admin_user, server.admin_key)
    yield server, admin
    server.close()


def projects(server, admin):
    return server.call([{"action": "query", "expression": "select id from Project"}], admin)[0]["data"]


def count_pings(server, monkeypatch) -> list:
    """A list that grows by one at each ping of a pooled connection."""
    pings = []
    for engine in server.database.engines:  # the pool of writes, and the pool of reads
        dialect = engine.dialect
        monkeypatch.setattr(dialect, "do_ping", lambda connection, ping=dialect.do_ping: pings.append(1) or ping(connection))
    return pings


def close_server_connections(server):
    """Make PostgreSQL end every session of the server's database (as a restart would)."""
    name = server.database.engine.url.database
    with sa.create_engine(server.database.engine.url.set(database="postgres")).connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        admin.commit()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres_server, monkeypatch):
    server, admin = postgres_server
    projects(server, admin)
    pings = count_pings(server, monkeypatch)
    for _ in range(5):
        projects(server, admin)
    assert pings == []


def test_idle_connections_the_database_closed_are_replaced(postgres_server, monkeypatch):
    server, admin = postgres_server
    before = projects(server, admin)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # every connection counts as idle
    pings = count_pings(server, monkeypatch)
    close_server_connections(server)
    assert projects(server, admin) == before  # the closed connection was found and replaced
    assert len(pings) >= 1
    assert server.call([{"action": "create", "entity_type": "Scope", "entity_data": {"name": "after"}}], admin)


def test_reads_give_their_connections_back_to_the_pool_transactional(postgres_server):
    """Reads run without a transaction (autocommit), on a pool of their own: the pool of writes
    must keep its connections transactional, or a failed batch would leave its first operations
    committed."""
    server, admin = postgres_server
    for _ in range(20):
        projects(server, admin)
    with pytest.raises(Exception, match="abstract"):
        server.call([{"action": "create", "entity_type": "Scope", "entity_data": {"name": "kept-out"}},
                     {"action": "create", "entity_type": "Context", "entity_data": {"name": "refused"}}], admin)
    names = [row["name"] for row in server.call(
        [{"action": "query", "expression": 'select name from Scope where name is "kept-out"'}], admin)[0]["data"]]
    assert names == []
    pooled = [server.database.engine.raw_connection() for _ in range(3)]
    try:
        assert [connection.driver_connection.autocommit for connection in pooled] == [False] * 3
    finally:
        for connection in pooled:
            connection.close()
    _, reads = server.database.engines
    read = reads.raw_connection()
    try:
        assert read.driver_connection.autocommit is True
    finally:
        read.close()
