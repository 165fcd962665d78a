"""Merging a commit's answer: the fast paths leave the session as the generic paths do.

A commit promotes the values sent to remote values, then merges the server's
answer over them (:func:`clapboard.merge.apply_commit`). Scalars and plain
references are promoted without the generic path, bare references to known
entities are not merged again, and datetimes are built around the decoded
value (:func:`clapboard.codec.arrow_maker`). Each test that compares runs the
same commit twice, once with those short cuts replaced by the generic code.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from typing import Any

import arrow
import clapboard
import pytest
from clapboard import codec, merge
from clapboard.attribute import EMPTY
from clapboard.symbol import NOT_SET
from clapboard.transport import MockTransport
from live_server import new_session

PROJECT = {"__entity_type__": "Project", "id": "p1", "name": "show", "full_name": "Show", "children": []}
TASK = {"__entity_type__": "Task", "id": "t0", "name": "old", "parent": {"__entity_type__": "Project", "id": "p1"}}
STATUS = {"__entity_type__": "Status", "id": "s1", "name": "Open"}
STORED_AT = {"__type__": "datetime", "value": "2024-05-06T07:08:09.123456"}


class ChangingServer:
    """Echo creates and updates like a server that also changes and adds values.

    A created task's name comes back changed; every created entity gains a
    ``created_at`` and a created task a reference to the project (a bare
    reference to a known entity); a created shot's status is a status the
    session does not know yet, in full. Some values sent are not echoed, so
    the values promoted stay.
    """

    def __init__(self, fake_server: Any):
        self.fake_server = fake_server
        fake_server.query_handler = self.query

    def query(self, expression: str) -> list[dict[str, Any]]:
        if expression.startswith("select") and "Project" in expression:
            return [PROJECT]
        if "Status" in expression:
            return [STATUS]
        return [TASK]

    def __call__(self, batch: list[dict[str, Any]]) -> Any:
        results = self.fake_server(batch)
        if not isinstance(results, list):
            return results
        for operation, result in zip(batch, results):
            if operation["action"] not in ("create", "update"):
                continue
            data = result["data"] = copy.deepcopy(result["data"])
            if operation["action"] == "update" and len(operation["entity_key"]) == 1:
                data["id"] = operation["entity_key"][0]  # a server answers an update with the entity
            data["created_at"] = dict(STORED_AT)
            for name in ("bid", "start_date", "description", "parent"):
                data.pop(name, None)
            if data["__entity_type__"] == "Task" and operation["action"] == "create":
                data["name"] = "stored " + data["name"]
                data["project"] = {"__entity_type__": "Project", "id": "p1"}
            if data["__entity_type__"] == "Shot":
                data["status"] = {"__entity_type__": "Status", "id": "s2", "name": "New", "sort": 2}
        return results


def canonical(value: Any) -> Any:
    """Return *value* as plain data to compare: entities by identity, collections by members."""
    if getattr(value, "_identity", None) is not None:
        return ("entity", value._identity)
    members = getattr(value, "collection", value)
    if hasattr(members, "_identities"):
        return ("collection", type(value).__name__, [member._identity for member in members])
    if isinstance(value, arrow.Arrow):
        return ("arrow", value.isoformat(), type(value.tzinfo).__name__, vars(value))
    return (type(value).__name__, repr(value))


def session_state(session: clapboard.Session) -> list[Any]:
    """Return every entity of *session* with its local and remote values, in order."""
    return [
        (
            identity,
            type(entity).__name__,
            entity._local is EMPTY,
            [(name, canonical(value)) for name, value in entity._local.items()],
            [(name, canonical(value)) for name, value in entity._remote.items()],
        )
        for identity, entity in session._identity_map.items()
    ]


def generic_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the commit's short cuts by the generic code they stand for."""

    def promote_sent(entity: Any, names: Any) -> None:
        for name in names:
            if name != "__entity_type__":
                merge._promote(entity, name)

    monkeypatch.setattr(merge, "_promote_sent", promote_sent)
    monkeypatch.setattr(merge, "_unchanged_reference", lambda identity_map, item: None)
    codec.decode_datetime("2000-01-01")  # imports arrow, setting codec._fromdatetime
    monkeypatch.setattr(codec, "_fromdatetime", arrow.Arrow.fromdatetime)


def commit_scenario(fake_server: Any) -> clapboard.Session:
    """Load, create, update and delete in one commit on a server that changes values; return the session."""
    session = clapboard.Session(
        "http://clapboard.test", "api-key", "tester",
        transport=MockTransport(ChangingServer(fake_server)), schema_cache_path=False,
    )
    project = session.query("select name, children from Project").one()
    status = session.query("Status").one()
    old = session.query("Task").one()
    sequence = session.create("Sequence", {"id": "sq", "name": "sq", "parent": project})
    shot = session.create("Shot", {"id": "sh", "name": "sh", "parent": sequence, "bid": 1.5})
    start = arrow.get("2024-01-02T03:04:05+02:00")
    task = session.create(
        "Task",
        {"id": "t1", "name": "comp", "parent": shot, "status": status, "start_date": start, "description": None},
    )
    task["metadata"]["colour"] = "red"
    task["name"] = "comp v2"
    project["full_name"] = "Show, renamed"
    session.delete(old)
    session.commit()
    return session


def test_fast_paths_leave_the_state_of_the_generic_paths(fake_server, schemas, monkeypatch):
    fast = session_state(commit_scenario(fake_server))
    generic_paths(monkeypatch)
    generic = session_state(commit_scenario(type(fake_server)(schemas)))
    assert fast == generic


def test_the_server_answer_wins_over_the_values_sent(fake_server):
    session = commit_scenario(fake_server)
    task = session.get("Task", "t1")
    shot = session.get("Shot", "sh")
    project = session.get("Project", "p1")
    assert task._local is EMPTY and not session.recorded_operations
    assert task["name"] == "stored comp v2"
    assert task["created_at"] == arrow.get("2024-05-06T07:08:09.123456+00:00")
    assert type(task["created_at"]) is arrow.Arrow and task["created_at"].tzinfo == datetime.timezone.utc
    assert task["start_date"] == arrow.get("2024-01-02T03:04:05+02:00")
    assert task["project"] is project and task["parent"] is shot
    assert shot["status"] is session.get("Status", "s2") and shot["status"]["name"] == "New"
    assert task["metadata"]["colour"] == "red"
    assert project["full_name"] == "Show, renamed"
    assert [child["id"] for child in project["children"]] == ["sq"]  # t0 deleted, sq promoted
    assert ("Task", "t0") not in session._identity_map
    assert not any(NOT_SET in identity for identity in session._identity_map)


def test_a_bare_reference_to_an_entity_missing_its_key_is_merged(fake_server):
    """The short cut applies only when merging would change nothing: here it sets the remote key."""
    session = clapboard.Session(
        "http://clapboard.test", "api-key", "tester",
        transport=MockTransport(ChangingServer(fake_server)), schema_cache_path=False,
    )
    project = session.query("select name, children from Project").one()
    del project._remote["id"]
    found = merge.merge_tree(session, {"__entity_type__": "Project", "id": "p1"})
    assert found is project and project._remote["id"] == "p1"
    identity_map = session._identity_map
    assert merge._unchanged_reference(identity_map, {"__entity_type__": "Project", "id": "p1"}) is project
    assert merge._unchanged_reference(identity_map, {"__entity_type__": "Project", "name": "p1"}) is None
    assert merge._unchanged_reference(identity_map, {"__entity_type__": "Project", "id": "p2"}) is None
    assert merge._unchanged_reference(identity_map, {"__type__": "datetime", "value": "p1"}) is None


def test_values_sent_become_remote_values_when_the_answer_names_only_the_entity(fake_server):
    """Scalars, lists, datetimes and references sent stay, as sent, when the server echoes nothing."""
    session = clapboard.Session(
        "http://clapboard.test", "api-key", "tester",
        transport=MockTransport(ChangingServer(fake_server)), schema_cache_path=False,
    )
    project = session.query("select name, children from Project").one()

    def answer_with_keys_only(batch: list[dict[str, Any]]) -> Any:
        results = fake_server(batch)
        for operation, result in zip(batch, results):
            if operation["action"] == "create":
                result["data"] = {"__entity_type__": operation["entity_type"], "id": operation["entity_key"][0]}
        return results

    session._transport.handler = answer_with_keys_only
    permissions = ["project.read", "task.update"]
    role = session.create("SecurityRole", {"name": "lead", "permissions": permissions})
    start = arrow.get("2024-01-02T03:04:05+02:00")
    sequence = session.create("Sequence", {"name": "sq", "parent": project, "start_date": start, "bid": 3})
    session.commit()
    assert role._local is EMPTY and role._remote["permissions"] is permissions
    assert sequence._remote["start_date"] is start and sequence._remote["bid"] == 3
    assert sequence._remote["parent"] is project and sequence._remote["name"] == "sq"
    assert [child["id"] for child in project._remote["children"]] == [sequence["id"]]


@pytest.fixture
def live_session(server):
    with new_session(server) as session:
        yield session


def test_a_commit_on_the_server_merges_its_stored_values(live_session, server, monkeypatch):
    """On each backend: the values the server computes arrive, typed, and match a fresh read."""
    session = live_session
    schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": f"merge_{uuid.uuid4().hex[:10]}", "full_name": "Merge", "project_schema": schema}
    )
    shot = session.create("Shot", {"name": "sh010", "parent": project})
    start = arrow.get("2024-01-02T03:04:05.000006+02:00")
    task = session.create("Task", {"name": "comp", "parent": shot, "start_date": start})
    session.commit()
    calls = session.transport.call_count
    with session.auto_populating(False):
        created_at = task["created_at"]
        assert type(created_at) is arrow.Arrow and created_at.tzinfo == datetime.timezone.utc
        assert task["start_date"] == start
        assert task["parent"] is shot and shot["parent"] is project
        assert task["project_id"] == project["id"] and task["context_type"] == "task"
        assert task["status_id"]  # a default the server chose
    assert session.transport.call_count == calls  # all of it came with the commit's answer

    with new_session(server) as fresh:
        stored = fresh.query(f'select created_at, start_date, status_id from Task where id is "{task["id"]}"').one()
        assert stored["created_at"] == created_at
        assert stored["start_date"] == start
        assert stored["status_id"] == task["status_id"]


def test_arrow_maker_builds_what_fromdatetime_builds():
    make = codec.arrow_maker(arrow.Arrow)
    value = datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    made, reference = make(value), arrow.Arrow.fromdatetime(value)
    assert type(made) is arrow.Arrow and made == reference and vars(made) == vars(reference)
    assert made.isoformat() == reference.isoformat() and made.shift(days=1) == reference.shift(days=1)


def test_arrow_maker_falls_back_when_the_shortcut_differs():
    class Tagged(arrow.Arrow):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.tag = "set by __init__"

    assert codec.arrow_maker(Tagged) == Tagged.fromdatetime
    made = codec.arrow_maker(Tagged)(datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc))
    assert made.tag == "set by __init__"


_UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06T07:08:09.123456", datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=_UTC)),
        ("2024-05-06T07:08:09", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=_UTC)),
        ("2024-05-06T07:08", datetime.datetime(2024, 5, 6, 7, 8, tzinfo=_UTC)),
        ("2024-05-06", datetime.datetime(2024, 5, 6, tzinfo=_UTC)),
        ("2024-05-06T07:08:09+02:00",
         datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))),
        ("2024-05-06T07:08:09.5-05:30", datetime.datetime(
            2024, 5, 6, 7, 8, 9, 500000, tzinfo=datetime.timezone(-datetime.timedelta(hours=5, minutes=30)))),
        ("2024-05-06T07:08:09Z", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=_UTC)),
        ("2024-05-06 07:08:09", datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=_UTC)),
    ],
)
def test_decoded_datetimes_are_aware_arrows_naive_meaning_utc(text, expected):
    expected = arrow.Arrow.fromdatetime(expected)  # written out: Python 3.9 cannot parse some of these texts
    decoded = codec.decode_datetime(text)
    assert type(decoded) is arrow.Arrow
    assert decoded == expected and decoded.utcoffset() == expected.utcoffset()
    assert vars(decoded) == vars(expected)
