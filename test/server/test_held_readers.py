"""SQLite read connections held by the server's API threads (see clapboard_server.held_readers)."""

import sqlite3
import threading
import uuid

import pytest
from clapboard_server.errors import ValidationError
from clapboard_server.server import API_WORKERS, Server


@pytest.fixture
def sqlite_server(tmp_path):
    server = Server(tmp_path / "data")
    server.prepare()
    admin = server.authenticator.authenticate(server.admin_user, server.admin_key)
    yield server, admin
    server.close()


def query(expression):
    return [{"action": "query", "expression": expression}]


def in_api_thread(server, function):
    """Run ``function`` on one of the server's API threads and return its result."""
    return server.workers.submit(function).result(timeout=60)


def test_api_threads_read_on_one_held_connection_each(sqlite_server):
    server, admin = sqlite_server
    readers = server.database.readers
    arrived = threading.Barrier(4, timeout=30)

    def read() -> int:
        arrived.wait()  # four reads at once: four threads
        return len(server.call(query("select id from Project"), admin)[0]["data"])

    futures = [server.workers.submit(read) for _ in range(4)]
    assert [future.result(timeout=60) for future in futures] == [0] * 4
    assert len(readers) == 4
    for _ in range(100):
        in_api_thread(server, lambda: server.call(query("select id from Project"), admin))
    assert 4 <= len(readers) <= API_WORKERS
    assert readers.begin() is None  # this (test) thread holds none: it reads on the pool
    assert len(server.call(query("select id from Project"), admin)[0]["data"]) == 0


def test_a_read_on_a_held_connection_sees_every_committed_write(sqlite_server):
    server, admin = sqlite_server
    schema = server.call(query("select id from ProjectSchema"), admin)[0]["data"][0]["id"]
    expression = "select id from Project"
    for number in range(1, 6):
        in_api_thread(server, lambda: server.call(query(expression), admin))  # held, idle between calls
        name = f"held-{uuid.uuid4().hex[:8]}"
        server.call([{"action": "create", "entity_type": "Project", "entity_data": {
            "name": name, "full_name": name,
            "project_schema": {"__entity_type__": "ProjectSchema", "id": schema}}}], admin)
        seen = [in_api_thread(server, lambda: len(server.call(query(expression), admin)[0]["data"]))
                for _ in range(2 * API_WORKERS)]
        assert set(seen) == {number}


def test_a_broken_held_connection_is_replaced(sqlite_server):
    server, admin = sqlite_server
    readers = server.database.readers

    def break_then_read():
        server.call(query("select id from Project"), admin)
        held = readers.begin()  # this thread's connection (a read of its own, ended below)
        held.connection.driver_connection.close()  # broken under the server
        return len(server.call(query("select id from ProjectSchema"), admin)[0]["data"])

    assert in_api_thread(server, break_then_read) >= 1
    assert in_api_thread(server, lambda: len(server.call(query("select id from ProjectSchema"), admin)[0]["data"])) >= 1


def test_closing_the_server_closes_the_held_connections(tmp_path):
    server = Server(tmp_path / "data")
    server.prepare()
    admin = server.authenticator.authenticate(server.admin_user, server.admin_key)

    def driver_of_this_thread():
        server.call(query("select id from Project"), admin)
        held = server.database.readers.begin()
        driver = held.connection.driver_connection
        driver.commit()
        return driver

    driver = in_api_thread(server, driver_of_this_thread)
    driver.execute("select 1")
    server.close()
    assert len(server.database.readers) == 0
    with pytest.raises(sqlite3.ProgrammingError):
        driver.execute("select 1")


def test_a_failed_read_leaves_the_held_connection_usable(sqlite_server):
    server, admin = sqlite_server
    readers = server.database.readers

    def fail_then_read():
        server.call(query("select id from Project"), admin)
        held = len(readers)
        with pytest.raises(ValidationError):
            server.call(query("select no_such_attribute from Project"), admin)
        return held, len(server.call(query("select id from ProjectSchema"), admin)[0]["data"]), len(readers)

    held, schemas, still_held = in_api_thread(server, fail_then_read)
    assert schemas >= 1 and still_held == held


def test_a_held_connection_reads_a_users_grants_again_after_any_commit(sqlite_server, monkeypatch):
    """The grants kept on a held connection are used while SQLite's data_version says no
    connection of any process has committed since they were read."""
    from clapboard_server import policy

    server, admin = sqlite_server
    reads = []
    real = policy.load_grants
    monkeypatch.setattr(policy, "load_grants", lambda *arguments: reads.append(1) or real(*arguments))
    database = server.database.url.removeprefix("sqlite:///")

    def read_three_times_around_a_foreign_commit():
        counts = []
        for _ in range(2):
            server.call(query("select id from Project"), admin)
            counts.append(len(reads))
        other = sqlite3.connect(database)  # another connection, as another process would write
        with other:
            other.execute("UPDATE security_role SET name = name")
        other.close()
        server.call(query("select id from Project"), admin)
        counts.append(len(reads))
        return counts

    first, second, third = in_api_thread(server, read_three_times_around_a_foreign_commit)
    assert second == first  # nothing committed: the kept grants
    assert third == second + 1  # a commit elsewhere: read again
