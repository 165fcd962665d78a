"""session.encode / session.decode and the wire encoding of payloads."""

import datetime
import json

import arrow
import pytest
from clapboard.codec import decode_datetime, dumps_payload
from clapboard.symbol import NOT_SET


@pytest.fixture
def task(session, fake_server):
    task = session.create(
        "Task",
        {"id": "t1", "name": "remote", "thumbnail_url": {"url": "x"}, "status": None},
        reconstructing=True,
    )
    task["name"] = "local"
    task["bid"] = 1.5
    return task


def encoded(session, value, strategy):
    return json.loads(session.encode(value, entity_attribute_strategy=strategy))


def test_set_only(session, task, fake_server):
    data = encoded(session, task, "set_only")
    assert data == {
        "__entity_type__": "Task",
        "id": "t1",
        "name": "local",
        "bid": 1.5,
        "thumbnail_url": {"url": "x"},
        "status": None,
    }
    assert fake_server.queries == []


def test_modified_only(session, task):
    assert encoded(session, task, "modified_only") == {"__entity_type__": "Task", "id": "t1", "name": "local", "bid": 1.5}


def test_persisted_only_excludes_computed_values(session, task):
    assert encoded(session, task, "persisted_only") == {
        "__entity_type__": "Task",
        "id": "t1",
        "name": "remote",
        "status": None,
    }


def test_all_loads_missing_values(session, task, fake_server):
    fake_server.query_handler = lambda expression: [{"__entity_type__": "Task", "id": "t1", "description": "d"}]
    data = encoded(session, task, "all")
    assert data["description"] == "d"
    assert fake_server.queries


def test_unknown_strategy(session, task):
    with pytest.raises(ValueError):
        session.encode(task, entity_attribute_strategy="nope")


def test_references_collections_and_dates(session):
    status = session.create("Status", {"id": "s1"}, reconstructing=True)
    task = session.create("Task", {"id": "t1", "timelogs": []}, reconstructing=True)
    task["status"] = status
    task["start_date"] = arrow.get("2024-03-01T09:30:00+01:00")
    data = json.loads(session.encode([task, datetime.date(2024, 1, 2)]))
    assert data[0]["status"] == {"__entity_type__": "Status", "id": "s1"}
    assert data[0]["timelogs"] == []
    assert data[0]["start_date"] == {"__type__": "datetime", "value": "2024-03-01T09:30:00+01:00"}
    assert data[1] == {"__type__": "datetime", "value": "2024-01-02"}


def test_decode_builds_detached_entities(session):
    value = session.decode(
        '{"a": {"__entity_type__": "User", "id": "u1", "username": "bob", "timelogs": []},'
        ' "b": {"__type__": "datetime", "value": "2024-01-01T10:00:00"}}'
    )
    user = value["a"]
    assert user["username"] == "bob"
    assert list(user["timelogs"]) == []
    assert session.get("User", "u1") is not user or True
    assert value["b"] == arrow.get("2024-01-01T10:00:00+00:00")
    with session.auto_populating(False):
        assert user["email"] is NOT_SET


def test_round_trip(session, task):
    clone = session.decode(session.encode(task))
    assert clone == task
    assert clone["name"] == "local"


def test_wire_payload_encoding(session):
    status = session.create("Status", {"id": "s1"}, reconstructing=True)
    body = dumps_payload([{"value": status, "values": (1, 2), "when": datetime.datetime(2024, 1, 1)}])
    assert json.loads(body) == [
        {
            "value": {"__entity_type__": "Status", "id": "s1"},
            "values": [1, 2],
            "when": {"__type__": "datetime", "value": "2024-01-01T00:00:00"},
        }
    ]
    with pytest.raises(TypeError):
        dumps_payload([object()])


def test_decode_datetime_variants():
    assert decode_datetime("2024-03-01T09:30:00").tzinfo is not None
    assert decode_datetime("2024-03-01T09:30:00+02:00").utcoffset() == datetime.timedelta(hours=2)
    assert decode_datetime("2024-03-01T09:30:00.000Z") == arrow.get("2024-03-01T09:30:00+00:00")
    assert decode_datetime("2024-03-01") == arrow.get("2024-03-01T00:00:00+00:00")
