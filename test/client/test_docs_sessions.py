"""The "Understanding sessions" documentation, against the embedded server."""

import logging
import textwrap
import uuid

import clapboard
import pytest
from clapboard.operation import CreateEntityOperation, UpdateEntityOperation
from clapboard.symbol import NOT_SET
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def test_connection_from_environment(server, monkeypatch):
    monkeypatch.setenv("CLAPBOARD_SERVER", server.server_url)
    monkeypatch.setenv("CLAPBOARD_API_KEY", server.api_key)
    monkeypatch.setenv("CLAPBOARD_API_USER", server.api_user)
    with clapboard.Session(schema_cache_path=False) as session:
        assert session.query("User").first() is not None


def test_unit_of_work(session, server):
    user = session.create("User", {})
    user["username"] = unique("martin")
    other_user = session.create("User", {"username": unique("bjorn")})
    other_user["email"] = "bjorn@example.com"
    assert [type(operation) for operation in session.recorded_operations] == [
        CreateEntityOperation,
        UpdateEntityOperation,
        CreateEntityOperation,
        UpdateEntityOperation,
    ]
    calls = session.transport.call_count
    session.commit()
    assert session.transport.call_count == calls + 1
    assert len(session.recorded_operations) == 0
    with new_session(server) as check:
        assert check.get("User", other_user["id"])["email"] == "bjorn@example.com"
        assert check.get("User", user["id"])["username"] == user["username"]


def test_queries_are_issued_on_demand(session):
    user = session.create("User", {"username": unique("some_unique_username")})
    query = 'User where username is "{}"'.format(user["username"])
    assert len(session.query(query)) == 0
    session.commit()
    assert len(session.query(query)) == 1


def test_query_results_merge_with_local_changes(session):
    user = session.query("User").first()
    user["email"] = "me@example.com"
    retrieved = session.query('User where id is "{}"'.format(user["id"])).one()
    assert retrieved["email"] == "me@example.com"
    assert retrieved is user


def test_auto_population(session):
    user = session.query("User").first()
    calls = session.transport.call_count
    assert user["username"]
    assert session.transport.call_count == calls + 1
    assert user["username"]
    assert session.transport.call_count == calls + 1


def test_not_set_when_not_auto_populating(session):
    user = session.query("User").first()
    with session.auto_populating(False):
        assert user["email"] is NOT_SET
        assert str(user["email"]) == "NOT_SET"


def test_entity_types(session):
    project = session.query("Project").first() or session.create("Project", {"name": unique("p")})
    assert {"Task", "Shot", "TypedContext", "Sequence", "Priority", "Status", "Project", "User", "Type"} <= set(
        session.types.keys()
    )
    assert isinstance(project, session.types["Project"])
    assert not isinstance(project, session.types["Task"])


EXAMPLE_PLUGIN = """
import logging


def register(session, reticulate_splines=False):
    '''Register plugin with *session*.'''
    logger = logging.getLogger('com.example.example-plugin')
    logger.debug('Plugin registered')
    session.event_hub.subscribe('topic=ftrack.api.session.ready', lambda event: seen.append(reticulate_splines))


seen = []
"""


def test_plugins(server, tmp_path, caplog):
    (tmp_path / "example_plugin.py").write_text(textwrap.dedent(EXAMPLE_PLUGIN))
    with caplog.at_level(logging.DEBUG, logger="com.example.example-plugin"):
        session = new_session(
            server,
            plugin_paths=[str(tmp_path)],
            plugin_arguments={"reticulate_splines": True, "some_other_argument": 42},
        )
    assert "Plugin registered" in caplog.text
    assert any(record.name == "com.example.example-plugin" for record in caplog.records)
    session.close()


def test_plugin_path_from_environment(server, tmp_path, monkeypatch, caplog):
    (tmp_path / "example_plugin.py").write_text(textwrap.dedent(EXAMPLE_PLUGIN))
    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH", str(tmp_path))
    monkeypatch.delenv("CLAPBOARD_EVENT_PLUGIN_PATH", raising=False)
    with caplog.at_level(logging.DEBUG, logger="com.example.example-plugin"):
        new_session(server).close()
    assert "Plugin registered" in caplog.text


def test_schema_cache_avoids_downloading_schemas(server, tmp_path):
    new_session(server, schema_cache_path=str(tmp_path)).close()
    session = new_session(server, schema_cache_path=str(tmp_path))
    assert session.transport.call_count == 1  # query_server_information only
    session.close()


def test_commit_merges_server_values(session):
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": unique("p"), "full_name": "P", "project_schema": schema})
    shot = session.create("Shot", {"name": "010", "parent": project})
    session.commit()
    calls = session.transport.call_count
    with session.auto_populating(False):
        assert project["context_type"] == "show"
        assert project["created_at"] is not NOT_SET
        assert shot["parent"] is project
        assert shot["project_id"] == project["id"]
        assert list(project["children"]) == [shot]
    assert session.transport.call_count == calls


def test_reset_and_rollback(session):
    user = session.query("User").first()
    user["email"] = "changed@example.com"
    new = session.create("User", {"username": unique("rollback")})
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert user["email"] != "changed@example.com"
    assert session.query(f'User where username is "{new["username"]}"').first() is None
    session.reset()
    again = session.query(f'User where id is "{user["id"]}"').one()
    assert again is not user
