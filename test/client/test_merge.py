"""Merging server data and foreign entities into the session's identity map."""

import arrow
from clapboard.symbol import NOT_SET

USER = {"__entity_type__": "User", "id": "u1", "username": "bob"}


def answer(fake_server, *entities):
    fake_server.query_handler = lambda expression: list(entities)


def test_one_instance_per_entity(session, fake_server):
    answer(fake_server, USER)
    first = session.query("User").one()
    second = session.query("User").one()
    assert first is second
    assert session.get("User", "u1") is first


def test_query_results_keep_local_changes(session, fake_server):
    answer(fake_server, USER)
    user = session.query("User").first()
    user["email"] = "me@example.com"
    answer(fake_server, dict(USER, email="server@example.com", username="robert"))
    retrieved = session.query('User where id is "u1"').one()
    assert retrieved is user
    assert retrieved["email"] == "me@example.com"
    assert retrieved["username"] == "robert"
    assert type(user).attributes.get("email").get_remote_value(user) == "server@example.com"


def test_related_data_merges_whatever_the_query(session, fake_server):
    answer(
        fake_server,
        {
            "__entity_type__": "Task",
            "id": "t1",
            "name": "a",
            "status": {"__entity_type__": "Status", "id": "s1"},
        },
    )
    task = session.query("select name, status from Task").one()
    answer(fake_server, {"__entity_type__": "Status", "id": "s1", "name": "Done"})
    session.query("select name from Status").all()
    with session.auto_populating(False):
        assert task["status"]["name"] == "Done"


def test_nested_and_repeated_entities_are_shared(session, fake_server):
    shot = {"__entity_type__": "Shot", "id": "sh", "name": "010"}
    answer(
        fake_server,
        {"__entity_type__": "Task", "id": "t1", "parent": dict(shot)},
        {"__entity_type__": "Task", "id": "t2", "parent": {"__entity_type__": "Shot", "id": "sh"}},
    )
    first, second = session.query("select parent.name from Task").all()
    assert first["parent"] is second["parent"]
    assert first["parent"]["name"] == "010"


def test_dates_decode_as_arrow(session, fake_server):
    answer(
        fake_server,
        {
            "__entity_type__": "Task",
            "id": "t1",
            "start_date": {"__type__": "datetime", "value": "2024-03-01T09:30:00"},
            "end_date": {"__type__": "date", "value": "2024-03-02"},
        },
    )
    task = session.query("select start_date, end_date from Task").one()
    assert task["start_date"] == arrow.get("2024-03-01T09:30:00+00:00")
    assert task["start_date"].tzinfo is not None
    assert task["end_date"] == arrow.get("2024-03-02T00:00:00+00:00")


def test_entity_merge_reports_changes(session):
    target = session.create("User", {"id": "u1", "username": "bob"}, reconstructing=True)
    source = session.decode('{"__entity_type__": "User", "id": "u1", "username": "robert", "email": "r@x"}')
    source["first_name"] = "Rob"
    changes = target.merge(source)
    assert {(c["type"], c["name"], c["old_value"], c["new_value"]) for c in changes} == {
        ("remote_attribute", "username", "bob", "robert"),
        ("remote_attribute", "email", NOT_SET, "r@x"),
        ("local_attribute", "first_name", NOT_SET, "Rob"),
    }
    assert target["first_name"] == "Rob"
    assert target.merge(source) == []


def test_session_merge_returns_the_attached_instance(session):
    attached = session.create("User", {"id": "u1", "username": "bob"}, reconstructing=True)
    detached = session.decode('{"__entity_type__": "User", "id": "u1", "email": "r@x"}')
    assert detached is not attached
    merged = session.merge(detached)
    assert merged is attached
    assert attached["email"] == "r@x"
    assert len(session.recorded_operations) == 0


def test_session_merge_adopts_unknown_entities_and_their_references(session):
    detached = session.decode(
        '{"__entity_type__": "Task", "id": "t9", "status": {"__entity_type__": "Status", "id": "s9"},'
        ' "timelogs": [{"__entity_type__": "Timelog", "id": "l9"}]}'
    )
    merged = session.merge([detached, {"key": detached}])
    assert merged[0] is detached and merged[1]["key"] is detached
    assert session.get("Status", "s9") is detached["status"]
    assert session.get("Timelog", "l9") is detached["timelogs"][0]
    assert detached["timelogs"].entity is detached


def test_merge_of_collections_returns_lists(session):
    a = session.decode('{"__entity_type__": "User", "id": "a"}')
    assert session.merge((a,)) == (a,)
    assert session.merge(1) == 1
