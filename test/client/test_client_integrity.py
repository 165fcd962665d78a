"""The server's integrity rules as clapboard's client meets them (embedded server).

A refused commit raises ServerError with the server's message and stores nothing; a batch
that completes an entity in a later operation is accepted (issue 11).
"""

import json
import uuid

import clapboard
import clapboard.exception
import pytest
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def sent_batches(monkeypatch, session):
    """The operations of every batch the session sends from now on."""
    batches = []
    original = session.transport.call

    def call(body, decode, idempotent):
        batches.append(json.loads(body))
        return original(body, decode, idempotent)

    monkeypatch.setattr(session.transport, "call", call)
    return batches


def test_a_required_reference_set_in_a_later_operation_of_the_batch(session, server, monkeypatch):
    """Issue 11: the list's project is set by an update after the project's create."""
    category = session.query("ListCategory").first()
    listing = session.create("TypedContextList", {"name": unique("list"), "category": category})
    project = session.create("Project", {
        "name": unique("project"), "full_name": "p", "project_schema": session.query("ProjectSchema").first(),
    })
    listing["project"] = project
    batches = sent_batches(monkeypatch, session)
    session.commit()
    actions = [(o["action"], o["entity_type"]) for o in batches[-1]]
    assert actions == [("create", "TypedContextList"), ("create", "Project"), ("update", "TypedContextList")]
    with new_session(server) as other:
        stored = other.get("TypedContextList", listing["id"])
        assert stored["project"]["id"] == project["id"]


def test_setting_a_required_attribute_to_none_is_refused(session, server):
    project = session.create("Project", {
        "name": unique("project"), "full_name": "p", "project_schema": session.query("ProjectSchema").first(),
    })
    task = session.create("Task", {"name": "layout", "parent": project})
    session.commit()
    task["name"] = None
    with pytest.raises(clapboard.exception.ServerError, match="required attribute 'name' is missing"):
        session.commit()
    with new_session(server) as other:
        assert other.get("Task", task["id"])["name"] == "layout"
        assert other.query(f'select link from Task where id is "{task["id"]}"').one()["link"][-1]["name"] == "layout"


def test_a_second_project_of_the_same_name_is_refused(session):
    name = unique("project")
    schema = session.query("ProjectSchema").first()
    session.create("Project", {"name": name, "full_name": "first", "project_schema": schema})
    session.commit()
    session.create("Project", {"name": name, "full_name": "second", "project_schema": schema})
    with pytest.raises(clapboard.exception.ServerError, match=f"a Project named '{name}' already exists"):
        session.commit()
    assert len(session.query(f'Project where name is "{name}"').all()) == 1


def test_custom_attribute_values_are_validated_and_queried_typed(session, server):
    """The documentation's validation example, and typed queries on the stored values."""
    kinds = {t["name"]: t for t in session.query("CustomAttributeType").all()}
    shot_type = session.query('ObjectType where name is "Shot"').one()
    fstart, label = unique("fstart"), unique("label")
    for key, kind in ((fstart, "number"), (label, "text")):
        session.create("CustomAttributeConfiguration", {
            "entity_type": "task", "object_type_id": shot_type["id"], "type": kinds[kind],
            "label": key, "key": key, "config": json.dumps({}),
        })
    project = session.create("Project", {
        "name": unique("project"), "full_name": "p", "project_schema": session.query("ProjectSchema").first(),
    })
    shots = [session.create("Shot", {"name": f"sh{i}", "parent": project}) for i in range(3)]
    session.commit()
    with new_session(server) as other:
        shot = other.get("Shot", shots[0]["id"])
        shot["custom_attributes"][fstart] = "test"
        with pytest.raises(clapboard.exception.ServerError) as raised:
            other.commit()
        assert f"Custom attribute value for '{fstart}' must be of type number" in str(raised.value)
        assert "Got 'test' of type str" in str(raised.value)
    with new_session(server) as other:
        for shot, (number, text) in zip(shots, ((8, "8"), (12, "80"), (1001, "abc"))):
            loaded = other.get("Shot", shot["id"])
            loaded["custom_attributes"][fstart] = number
            loaded["custom_attributes"][label] = text
        other.commit()
    with new_session(server) as other:
        def names(criteria):
            query = f'select name from Shot where project.id is "{project["id"]}" and custom_attributes any ({criteria})'
            return sorted(s["name"] for s in other.query(query).all())

        assert names(f'key is "{label}" and value is "8"') == ["sh0"]
        assert names(f'key is "{fstart}" and value > 10') == ["sh1", "sh2"]
        assert other.get("Shot", shots[2]["id"])["custom_attributes"][fstart] == 1001


def test_a_status_outside_the_workflow_is_refused(session):
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": unique("project"), "full_name": "p", "project_schema": schema})
    shot = session.create("Shot", {"name": "sh010", "parent": project, "status": schema.get_statuses("Shot")[0]})
    session.commit()
    shot["status"] = schema.get_statuses("Task")[1]
    with pytest.raises(clapboard.exception.ServerError, match="the workflow of project schema 'VFX Scheme'"):
        session.commit()
