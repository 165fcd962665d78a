"""Usage examples and the "Caching" documentation, against the embedded server."""

import uuid

import arrow
import clapboard
import clapboard.cache
import pytest
from clapboard.symbol import NOT_SET
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def test_creating_a_project_tree_in_one_request(session, server):
    name = f"projectname_{uuid.uuid1().hex}"
    project_schema = session.query("ProjectSchema").first()
    project = session.create(
        "Project", {"name": name, "full_name": name + "_full", "project_schema": project_schema}
    )
    default_shot_status = project_schema.get_statuses("Shot")[0]
    default_task_type = project_schema.get_types("Task")[0]
    default_task_status = project_schema.get_statuses("Task", default_task_type["id"])[0]
    for sequence_number in range(1, 5):
        sequence = session.create("Sequence", {"name": f"seq_{sequence_number}", "parent": project})
        for shot_number in range(1, 5):
            shot = session.create(
                "Shot",
                {"name": f"{shot_number}0".zfill(3), "parent": sequence, "status": default_shot_status},
            )
            for task_number in range(1, 5):
                session.create(
                    "Task",
                    {
                        "name": f"task_{task_number}",
                        "parent": shot,
                        "status": default_task_status,
                        "type": default_task_type,
                    },
                )
    calls = session.transport.call_count
    session.commit()
    assert session.transport.call_count == calls + 1
    with new_session(server) as check:
        tasks = check.query(f'select name, parent.parent.name from Task where project.name is "{name}"').all()
        assert len(tasks) == 64
        assert {task["parent"]["parent"]["name"] for task in tasks} == {"seq_1", "seq_2", "seq_3", "seq_4"}
        assert len(check.query(f'Shot where project.name is "{name}"')) == 16


@pytest.fixture
def sequence(session):
    schema = session.query("ProjectSchema").first()
    name = f"metadata_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    new_sequence = session.create("Sequence", {"name": "seq", "parent": project})
    session.commit()
    for key, value in (("frame_padding", "4"), ("focal_length", "70")):
        session.create("Metadata", {"parent_id": new_sequence["id"], "parent_type": "Sequence", "key": key, "value": value})
    session.commit()
    return new_sequence


def test_reading_metadata(server, sequence):
    with new_session(server) as session:
        new_sequence = session.get("Sequence", sequence["id"])
        assert sorted(new_sequence["metadata"].keys()) == ["focal_length", "frame_padding"]
        assert sorted(new_sequence["metadata"].items()) == [("focal_length", "70"), ("frame_padding", "4")]
        assert new_sequence["metadata"]["frame_padding"] == "4"
        found = session.query('Sequence where metadata any (key is "frame_padding" and value is "4")').all()
        assert new_sequence in found


def test_updating_an_existing_metadata_value(server, sequence):
    with new_session(server) as session:
        new_sequence = session.get("Sequence", sequence["id"])
        new_sequence["metadata"]["frame_padding"] = "5"
        session.commit()
    with new_session(server) as check:
        assert check.get("Sequence", sequence["id"])["metadata"]["frame_padding"] == "5"


def test_setting_metadata(server, sequence):
    with new_session(server) as session:
        new_sequence = session.get("Sequence", sequence["id"])
        new_sequence["metadata"]["shutter"] = "180"
        new_sequence["metadata"] = {"frame_padding": "4"}
        session.commit()
    with new_session(server) as check:
        assert dict(check.get("Sequence", sequence["id"])["metadata"]) == {"frame_padding": "4"}


def test_caching(session, server):
    user = session.query("User").first()
    user_id = user["id"]
    with new_session(server) as other:
        calls = other.transport.call_count
        user = other.get("User", user_id)
        assert other.transport.call_count == calls + 1
        assert other.get("User", user_id) is user
        assert other.transport.call_count == calls + 1
        timelog = other.create("Timelog", {"user": user, "start": arrow.utcnow(), "duration": 1, "comment": "Some comment"})
        other.commit()
    with new_session(server) as third:
        timelog = third.query(f'Timelog where id is "{timelog["id"]}"').one()
        with third.auto_populating(False):
            assert timelog["comment"] is NOT_SET
        third.query('select comment from Timelog where id is "{}"'.format(timelog["id"])).all()
        with third.auto_populating(False):
            assert timelog["comment"] == "Some comment"
        assert isinstance(third.cache, clapboard.cache.LayeredCache)
        assert isinstance(third.cache.caches[0], clapboard.cache.MemoryCache)


@pytest.fixture
def task(session):
    schema = session.query("ProjectSchema").first()
    name = f"usage_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    task = session.create(
        "Task",
        {"name": "t", "parent": project, "status": schema.get_statuses("Task")[0], "type": schema.get_types("Task")[0]},
    )
    session.commit()
    return task


def test_timers(session, task):
    user = session.create("User", {"username": f"timer_{uuid.uuid4().hex[:8]}"})
    session.commit()
    timer = user.start_timer(task)
    assert timer["context"] is task
    with pytest.raises(clapboard.exception.NotUniqueError):
        user.start_timer(task)
    timelog = user.stop_timer()
    assert timelog["context_id"] == task["id"]
    with pytest.raises(clapboard.exception.NoResultFoundError):
        user.stop_timer()
    user.start_timer(task)
    user.start_timer(task, force=True)
    assert len(session.query(f'Timelog where user_id is "{user["id"]}"')) == 2


def test_notes(session, task, server):
    user = session.query("User").first()
    note = task.create_note("My new note", author=user)
    manual = session.create("Note", {"content": "Manual note", "author": user})
    task["notes"].append(manual)
    session.commit()
    assert {item["content"] for item in session.query(f'Note where parent_id is "{task["id"]}"')} == {
        "My new note",
        "Manual note",
    }
    first_note_on_task = task["notes"][0]
    first_note_on_task.create_reply("My new reply on note", author=user)
    reply = session.create("Note", {"content": "Manual reply", "author": user})
    first_note_on_task["replies"].append(reply)
    category = session.query("NoteCategory").first()
    labelled = task.create_note("With category", author=user, category=category, recipients=[user])
    session.commit()
    with new_session(server) as check:
        stored = check.get("Note", first_note_on_task["id"])
        assert {item["content"] for item in stored["replies"]} == {"My new reply on note", "Manual reply"}
        assert check.get("Note", labelled["id"])["category"]["id"] == category["id"]
        assert [r["resource_id"] for r in check.get("Note", labelled["id"])["recipients"]] == [user["id"]]
        assert check.get("Note", note["id"])["author"]["id"] == user["id"]
