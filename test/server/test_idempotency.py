"""Write batches applied once: idempotency keys, replays, and a server killed before answering."""

import threading
import uuid
from pathlib import Path

import clapboard
import pytest
import requests
import sqlalchemy as sa
from clapboard_server import embedded
from clapboard_server.folder_lock import FolderInUseError
from crashing_server import CRASH_STATUS
from server_api import Api, create
from server_process import ServerProcess

HERE = Path(__file__).resolve().parent


def keyed(api, key, *operations):
    return api.raw(list(operations), headers={**api.headers, "Idempotency-Key": key})


def count(api, expression):
    return len(api.query(expression))


def test_a_batch_sent_twice_with_one_key_is_applied_once(api):
    name = f"idem-{uuid.uuid4().hex[:8]}"
    key = uuid.uuid4().hex
    first = keyed(api, key, create("User", username=name))
    again = keyed(api, key, create("User", username=name))
    assert isinstance(first, list)
    assert again == first
    assert count(api, f'select id from User where username is "{name}"') == 1


def test_a_new_key_runs_the_batch_again(api):
    name = f"idem-{uuid.uuid4().hex[:8]}"
    keyed(api, uuid.uuid4().hex, create("Scope", name=name))
    keyed(api, uuid.uuid4().hex, create("Scope", name=f"{name}-2"))
    assert count(api, f'select id from Scope where name like "{name}%"') == 2


def test_a_failed_batch_leaves_its_key_unused(api):
    key = uuid.uuid4().hex
    name = f"idem-{uuid.uuid4().hex[:8]}"
    error = keyed(api, key, create("Scope", name=name), {"action": "delete", "entity_type": "Scope",
                                                         "entity_key": [str(uuid.uuid4())]})
    assert "exception" in error
    assert count(api, f'select id from Scope where name is "{name}"') == 0
    assert isinstance(keyed(api, key, create("Scope", name=name)), list)
    assert count(api, f'select id from Scope where name is "{name}"') == 1


def test_reads_ignore_the_key(api):
    key = uuid.uuid4().hex
    first = keyed(api, key, {"action": "query", "expression": "select id from Priority"})
    assert keyed(api, key, {"action": "query", "expression": "select id from Priority"}) == first


@pytest.mark.parametrize("bad_key", ["", "x" * 129, "tab\there"])
def test_unusable_keys_are_refused(api, bad_key):
    name = f"idem-{uuid.uuid4().hex[:8]}"
    error = keyed(api, bad_key, create("Scope", name=name))
    assert error["exception"] == "ValidationError"
    assert "Idempotency-Key" in error["content"] or "idempotency-key" in error["content"]
    assert count(api, f'select id from Scope where name is "{name}"') == 0


def test_another_users_key_is_refused_without_revealing_its_response(server, api):
    user = create("User", username=f"idem-{uuid.uuid4().hex[:6]}", is_active=True)
    api.call(user)
    reset = api.call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                      "entity_key": user["entity_data"]["id"]})
    other = Api(server, user=user["entity_data"]["username"], key=reset[0]["data"]["api_key"])
    key = uuid.uuid4().hex
    keyed(api, key, create("Scope", name=f"admin-{key[:8]}"))
    error = keyed(other, key, create("Scope", name=f"other-{key[:8]}"))
    assert error["exception"] == "ValidationError"
    assert "already in use" in error["content"]
    assert f"admin-{key[:8]}" not in str(error)


@pytest.mark.backends("sqlite")
def test_a_commit_whose_response_was_lost_is_retried_and_applied_once(tmp_path, backend):
    first = ServerProcess(tmp_path, script=HERE / "crashing_server.py")
    try:
        api_key = (tmp_path / "admin-api-key").read_text().strip()
        session = clapboard.Session(first.url, api_key, "admin", schema_cache_path=False,
                                    auto_connect_event_hub=False)
        session._transport.max_retries, session._transport.backoff = 12, 0.05
        name = f"lost-{uuid.uuid4().hex[:8]}"
        scope = session.create("Scope", {"name": name})
        outcome = {}

        def commit():
            try:
                session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = error

        committing = threading.Thread(target=commit)
        committing.start()
        assert first.process.wait(timeout=60) == CRASH_STATUS  # died after its transaction committed
        second = ServerProcess(tmp_path, port=first.port)
        try:
            committing.join(120)
            assert not committing.is_alive()
            assert "error" not in outcome, outcome.get("error")
            assert session.recorded_operations.state(scope._identity) is not clapboard.symbol.CREATED
            answer = requests.post(f"{second.url}/api", headers={"ftrack-user": "admin", "ftrack-api-key": api_key},
                                   json=[{"action": "query", "expression": f'select id from Scope where name is "{name}"'}])
            assert [row["id"] for row in answer.json()[0]["data"]] == [scope["id"]]
        finally:
            second.stop()
        session.close()
    finally:
        first.stop()


@pytest.mark.backends("sqlite")
def test_a_replayed_batch_answers_what_the_lost_response_said(tmp_path, backend):
    first = ServerProcess(tmp_path, script=HERE / "crashing_server.py")
    api_key = (tmp_path / "admin-api-key").read_text().strip()
    headers = {"ftrack-user": "admin", "ftrack-api-key": api_key, "Idempotency-Key": uuid.uuid4().hex}
    batch = [create("Scope", name=f"lost-{uuid.uuid4().hex[:8]}")]
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{first.url}/api", json=batch, headers=headers, timeout=60)
    first.stop()
    second = ServerProcess(tmp_path, port=first.port)
    try:
        replay = requests.post(f"{second.url}/api", json=batch, headers=headers, timeout=60).json()
        assert replay == requests.post(f"{second.url}/api", json=batch, headers=headers, timeout=60).json()
        assert replay[0]["data"]["id"] == batch[0]["entity_data"]["id"]
        assert replay[0]["data"]["name"] == batch[0]["entity_data"]["name"]
    finally:
        second.stop()


def test_a_second_server_on_one_sqlite_folder_refuses_to_start(tmp_path):
    with embedded.start(data_dir=tmp_path), pytest.raises(FolderInUseError, match="is using the data folder"):
        embedded.start(data_dir=tmp_path)
    with embedded.start(data_dir=tmp_path) as again:  # released on stop
        assert again.api_key


def test_sqlite_write_batches_take_the_write_lock_at_once(tmp_path):
    statements = []

    def trace(dbapi, *_):
        dbapi.set_trace_callback(statements.append)

    # What SQLite itself runs, on every connection of the server (the pool's, the writer's and
    # the API threads' own: a read's BEGIN goes to the driver without SQLAlchemy's events).
    sa.event.listen(sa.pool.Pool, "checkout", trace)
    try:
        with embedded.start(data_dir=tmp_path) as handle:
            statements.clear()
            Api(handle).call(create("Scope", name="immediate"))
            Api(handle).call({"action": "query", "expression": "select id from Scope"})
    finally:
        sa.event.remove(sa.pool.Pool, "checkout", trace)
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("BEGIN") >= 1
