"""Accounts and keys: every request and event socket is checked against the database at once.

Disabling, renaming or deleting a user and resetting a key take effect on the next request, on
every server process sharing the database; open sockets are closed. Nothing is cached per process.
"""

import types
import uuid

import pytest
import websocket
from clapboard_server import admin, embedded
from server_api import Api, create
from server_process import server_process
from socketio_client import Client, handshake, socket_url

QUICK = 5  # seconds: shorter than the hub's 10 s heartbeat, so a close this fast is the immediate one
PING = {"action": "query_server_information"}


def new_user(server):
    """A new active user of ``server``: (name, key, id)."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    key = admin.add_user(server.server.database, name)
    user_id = Api(server).one(f'select id from User where username is "{name}"')["id"]
    return name, key, user_id


def update_user(server, user_id, **data):
    Api(server).call({"action": "update", "entity_type": "User", "entity_key": [user_id], "entity_data": data})


def accepted(server, name, key):
    return Api(server, name, key).call(PING)[0]["schema_hash"]


def refused(server, name, key):
    error = Api(server, name, key).error(PING)
    assert error["exception"] == "InvalidCredentialsError", error
    return error["content"]


@pytest.fixture
def sockets(server):
    clients = []

    def connect(name, key, target=None):
        client = Client(target or server, user=name, key=key).connect()
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


# -- is_active ----------------------------------------------------------------------------------


def test_inactive_user_is_refused_on_the_api_at_once(server):
    name, key, user_id = new_user(server)
    assert accepted(server, name, key)
    update_user(server, user_id, is_active=False)
    assert "not active" in refused(server, name, key)
    update_user(server, user_id, is_active=True)
    assert accepted(server, name, key)


def test_a_user_created_without_is_active_is_inactive_until_activated(server):
    name = f"user-{uuid.uuid4().hex[:8]}"
    user = create("User", username=name)
    Api(server).call(user)
    key = Api(server).call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                            "entity_key": [user["entity_data"]["id"]]})[0]["data"]["api_key"]
    assert "not active" in refused(server, name, key)
    update_user(server, user["entity_data"]["id"], is_active=True)
    assert accepted(server, name, key)


def test_inactive_user_cannot_open_an_event_socket(server):
    name, key, user_id = new_user(server)
    update_user(server, user_id, is_active=False)
    response = handshake(server.server_url, name, key)
    assert response.status_code == 401 and "not active" in response.json()["content"]
    assert handshake(server.server_url, name, key, use_query=True).status_code == 401
    query = f"?api_user={name}&api_key={key}"  # the JavaScript client's socket, without a handshake
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(socket_url(server.server_url, uuid.uuid4().hex, query), timeout=QUICK)


def test_open_socket_is_closed_when_its_user_is_disabled(server, sockets):
    name, key, user_id = new_user(server)
    client, bystander = sockets(name, key), sockets(server.api_user, server.api_key)
    update_user(server, user_id, is_active=False)
    client.wait_closed(timeout=QUICK)
    bystander.barrier()
    assert not bystander.closed


# -- renames, deletions and key resets ------------------------------------------------------------


def test_renamed_user_old_name_is_refused_at_once(server, sockets):
    name, key, user_id = new_user(server)
    client = sockets(name, key)
    renamed = f"{name}-renamed"
    update_user(server, user_id, username=renamed)
    refused(server, name, key)
    assert accepted(server, renamed, key)
    client.wait_closed(timeout=QUICK)  # it authenticated under the old name


def test_deleted_user_is_refused_at_once(server, sockets):
    name, key, user_id = new_user(server)
    client = sockets(name, key)
    Api(server).call({"action": "delete", "entity_type": "User", "entity_key": [user_id]})
    refused(server, name, key)
    assert handshake(server.server_url, name, key).status_code == 401
    client.wait_closed(timeout=QUICK)
    Api(server).call(create("User", id=user_id, username=name, is_active=True))  # the same id and name again
    refused(server, name, key)  # the deleted user's key went with it


def test_a_socket_is_refused_if_its_user_is_disabled_after_the_handshake(server):
    name, key, user_id = new_user(server)
    session_id = handshake(server.server_url, name, key).text.split(":")[0]
    update_user(server, user_id, is_active=False)
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(socket_url(server.server_url, session_id), timeout=QUICK)


def test_key_reset_takes_effect_at_once(server, sockets):
    name, key, user_id = new_user(server)
    client = sockets(name, key)
    answer = Api(server).call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                               "entity_key": [user_id]})[0]
    new_key = answer["data"]["api_key"]
    assert new_key != key
    refused(server, name, key)
    assert accepted(server, name, new_key)
    client.wait_closed(timeout=QUICK)
    sockets(name, new_key).barrier()


def test_key_reset_race_old_key_dies_with_the_commit(server):
    """A request with the old key while the reset is uncommitted must not keep the key alive."""
    name, key, user_id = new_user(server)
    database, authenticator = server.server.database, server.server.authenticator
    with database.transaction() as connection:
        new_key = authenticator.issue(connection, user_id)
        assert accepted(server, name, key)  # not committed yet: the old key is still the key
        refused(server, name, new_key)
    refused(server, name, key)
    assert accepted(server, name, new_key)


@pytest.mark.in_process
def test_direct_database_change_closes_sockets_by_the_next_heartbeat(server, sockets):
    """A change no server announces (``clapboard user disable`` on SQLite) is caught at the heartbeat."""
    hub = server.server.events
    saved = hub.heartbeat_interval
    hub.heartbeat_interval = 0.05
    try:
        name, key, user_id = new_user(server)
        client = sockets(name, key)
        with server.server.database.transaction() as connection:
            server.server.authenticator.issue(connection, user_id)  # replaced behind the server's back
        client.wait_closed(timeout=QUICK)
    finally:
        hub.heartbeat_interval = saved


@pytest.mark.backends("sqlite")
def test_admin_key_is_kept_across_restarts_and_never_reissued(tmp_path, backend):
    with embedded.start(data_dir=tmp_path) as first:
        key = first.api_key
    (tmp_path / "admin-api-key").unlink()
    with embedded.start(data_dir=tmp_path) as second:
        assert second.api_key is None and not second.server.new_admin_key
        assert accepted(second, "admin", key)  # the key printed first still works


# -- two server processes on one PostgreSQL database ----------------------------------------------


@pytest.fixture(scope="module")
def two_processes(server_factory, tmp_path_factory):
    """An embedded server and a ``clapboard server`` subprocess sharing one PostgreSQL database."""
    with server_factory("postgresql") as first, server_process(
        first.server.database.url, tmp_path_factory.mktemp("accounts") / "data"
    ) as second:
        yield first, second


def _on(process, first):
    """``process`` as seen with the admin key ``first`` printed."""
    return types.SimpleNamespace(server_url=process.server_url, api_user="admin", api_key=first.api_key,
                                 server=first.server)


@pytest.mark.backends("postgresql")
def test_second_server_does_not_reissue_the_admin_key(backend, two_processes):
    first, second = two_processes
    assert second.api_key is None
    assert "clapboard key reset admin" in second.output
    assert accepted(first, "admin", first.api_key)
    assert accepted(_on(second, first), "admin", first.api_key)


@pytest.mark.backends("postgresql")
def test_revoking_through_one_process_is_refused_on_the_other_at_once(backend, two_processes):
    first, process = two_processes
    second = _on(process, first)
    name, key, user_id = new_user(first)
    assert accepted(second, name, key)
    update_user(first, user_id, is_active=False)
    refused(second, name, key)
    update_user(first, user_id, is_active=True)
    assert accepted(second, name, key)
    new_key = Api(second).call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                                "entity_key": [user_id]})[0]["data"]["api_key"]
    refused(first, name, key)
    assert accepted(first, name, new_key)
    update_user(second, user_id, username=f"{name}-2")
    refused(first, name, new_key)
    Api(first).call({"action": "delete", "entity_type": "User", "entity_key": [user_id]})
    refused(second, f"{name}-2", new_key)


@pytest.mark.backends("postgresql")
def test_socket_on_one_process_is_closed_when_disabled_through_the_other(backend, two_processes):
    first, process = two_processes
    second = _on(process, first)
    name, key, user_id = new_user(first)
    with Client(second, user=name, key=key) as client:
        client.barrier()
        update_user(first, user_id, is_active=False)
        client.wait_closed(timeout=QUICK)
    name, key, user_id = new_user(first)
    with Client(second, user=name, key=key) as client:
        client.barrier()
        admin.set_active(first.server.database, name, False)  # as `clapboard user disable` does
        client.wait_closed(timeout=QUICK)
