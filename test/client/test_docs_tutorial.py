"""The "Tutorial" of the documentation, against the embedded server."""

import uuid

import arrow
import clapboard
import pytest
from clapboard import exception
from clapboard.collection import Collection


@pytest.fixture
def session(server):
    with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as session:
        yield session


@pytest.fixture
def project(server):
    """A committed project named test_<hex> with one sequence."""
    with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as setup:
        schema = setup.query("ProjectSchema").first()
        name = f"test_{uuid.uuid4().hex[:8]}"
        project = setup.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        setup.create("Sequence", {"name": "seq", "parent": project})
        setup.commit()
        return {"id": project["id"], "name": name}


def test_session_and_types(session):
    assert {
        "TypedContext", "ObjectType", "Priority", "Project", "Sequence", "Shot", "Task", "Status", "Type",
        "Timelog", "User",
    } <= set(session.types.keys())


def test_query_projects_and_keys(session, project):
    projects = session.query("Project")
    assert {"status", "is_global", "name", "end_date", "context_type", "id", "full_name", "root", "start_date"} <= set(
        projects[0].keys()
    )
    names = [item["name"] for item in projects]
    assert project["name"] in names


def test_criteria(session, project):
    active = session.query("Project where status is active")
    assert project["id"] in [item["id"] for item in active]
    ending = session.query(
        f'Project where status is active and end_date before "{arrow.now().shift(weeks=+1)}"'
    )
    assert project["id"] not in [item["id"] for item in ending]  # no end date


def test_relationships(session, project):
    item = session.get("Project", project["id"])
    children = item["children"]
    assert isinstance(children, Collection)
    child = item["children"][0]
    assert child["parent"] is item
    results = session.query('Context where parent.name like "{}%"'.format(project["name"][:6]))
    assert child in results.all()


def test_create_and_commit(session, project):
    item = session.get("Project", project["id"])
    new_sequence = session.create("Sequence", {"name": "Starlord Reveal"})
    new_sequence["description"] = "First hero character reveal."
    new_sequence["parent"] = item
    other = session.create("Sequence", {"name": "Second"})
    item["children"].append(other)
    session.commit()
    check = clapboard.Session(session.server_url, session.api_key, session.api_user, schema_cache_path=False)
    stored = check.get("Sequence", new_sequence["id"])
    assert stored["description"] == "First hero character reveal."
    assert stored["parent"]["id"] == project["id"]
    assert check.get("Sequence", other["id"])["parent"]["id"] == project["id"]


def test_context_manager_and_closed_session(server):
    with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as session:
        user = session.query("User").first()
        assert repr(user) == f"<User {user['id'][:8]}>"  # only the id is loaded: nothing is fetched to show it
    assert session.closed
    with pytest.raises(exception.ConnectionClosedError, match="Connection closed."):
        session.query("Project").first()
