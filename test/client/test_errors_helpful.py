"""Errors that help: unknown names with suggestions, the user's own expression, what to do next."""

import uuid

import pytest
from clapboard import exception
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture
def project(session):
    schema = session.query("ProjectSchema").first()
    name = f"errors_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    session.commit()
    return project


@pytest.fixture
def task(session, project):
    task = session.create("Task", {"name": "compositing", "parent": project})
    session.commit()
    return task


def requests_made(session):
    return session.transport.call_count


# Queries ----------------------------------------------------------------------------------------


def test_unknown_attribute_in_a_query_suggests_the_name(session, task):
    with pytest.raises(exception.ServerValidationError) as error:
        session.query('Task where nmae is "compositing"').all()
    assert str(error.value) == (
        "Server reported error: ValidationError(Task has no attribute 'nmae'. Did you mean 'name'?)"
    )


def test_unknown_attribute_names_the_dotted_path_written(session, task):
    with pytest.raises(exception.ServerValidationError) as error:
        session.query('Task where parent.nmae is "x"').first()
    assert str(error.value) == (
        "Server reported error: ValidationError(Task has no attribute 'parent.nmae': "
        "Context has no attribute 'nmae'. Did you mean 'parent.name'?)"
    )
    with pytest.raises(exception.ServerValidationError, match=r"Did you mean 'parent\.name'\?"):
        session.query("select parent.nmae from Task").all()
    with pytest.raises(exception.ServerValidationError) as error:
        session.query('Project where children any (nmae is "x")').all()
    assert "Context has no attribute 'nmae' (inside 'children any (...)'). Did you mean 'name'?" in str(
        error.value
    )


def test_a_syntax_error_points_into_the_users_own_expression(session, task):
    with pytest.raises(exception.ServerParseError) as error:
        session.query('Task where name iss "comp"').all()
    message = str(error.value)
    assert message == (
        "Server reported error: ParseError(Unknown operator 'iss' after 'name' at character 17 "
        "(line 1, column 17) of query: 'Task where name iss \"comp\"')"
    )
    assert "offset" not in message and "select" not in message  # not the client's rewritten query
    with pytest.raises(exception.ServerParseError, match=r"of query: 'select name from Task where name iss 1'"):
        session.query("select name from Task where name iss 1").first()


def test_unknown_type_in_a_query_fails_at_once_with_a_suggestion(session):
    before = requests_made(session)
    for expression in ('Tsak where name is "x"', "select name from Tsak"):
        with pytest.raises(exception.UnrecognisedEntityTypeError) as error:
            session.query(expression)  # not even iterated
        assert str(error.value) == "Entity type \"Tsak\" not recognised. Did you mean 'Task'?"
    assert requests_made(session) == before


# Entities -------------------------------------------------------------------------------------


def test_unknown_key_of_an_entity_suggests_the_name(session, task):
    with pytest.raises(exception.UnknownAttributeError) as error:
        task["nmae"]
    assert str(error.value) == "Task has no attribute 'nmae'. Did you mean 'name'?"
    assert isinstance(error.value, KeyError)  # the Mapping protocol still holds
    assert task.get("nmae") is None and "nmae" not in task
    with pytest.raises(exception.UnknownAttributeError, match="Did you mean 'name'"):
        task["nmae"] = "x"
    with pytest.raises(exception.UnknownAttributeError, match="Did you mean 'name'"):
        del task["nmae"]
    assert not session.recorded_operations


def test_create_refuses_unknown_attributes_at_once(session, project):
    with pytest.raises(exception.UnknownAttributeError) as error:
        session.create("Shot", {"nmae": "sh010", "parent": project})
    assert str(error.value) == "Shot has no attribute 'nmae'. Did you mean 'name'?"
    assert not session.recorded_operations
    with pytest.raises(exception.UnrecognisedEntityTypeError, match="Did you mean 'Shot'"):
        session.create("Shoot", {"name": "sh010"})


def test_ensure_refuses_unknown_attributes_before_asking_the_server(session, project):
    before = requests_made(session)
    with pytest.raises(exception.UnknownAttributeError) as error:
        session.ensure("Shot", {"nmae": "sh010", "parent": project})
    assert str(error.value) == "Shot has no attribute 'nmae'. Did you mean 'name'?"
    assert requests_made(session) == before


def test_values_are_checked_against_the_schema_when_set(session, task):
    with pytest.raises(exception.InvalidValueError) as error:
        task["bid"] = "lots"
    assert str(error.value) == "Task.bid expects a number, got 'lots'."
    assert isinstance(error.value, TypeError)
    with pytest.raises(exception.InvalidValueError, match=r"Task.start_date expects a datetime"):
        task["start_date"] = "next tuesday"
    with pytest.raises(exception.InvalidValueError, match=r"Task.name expects a string, got \{'a': 1\}"):
        task["name"] = {"a": 1}
    with pytest.raises(exception.InvalidValueError, match="Shot.name expects a string"):
        session.create("Shot", {"name": ["sh010"]})
    assert not session.recorded_operations
    task["bid"] = 3600  # what fits is accepted: numbers, ISO text for dates
    task["start_date"] = "2026-01-05T10:00:00"
    session.commit()


def test_a_failed_commit_says_what_to_fix_and_how_to_discard(session, project):
    session.create("Shot", {"name": "orphan"})  # no parent: the server refuses it
    with pytest.raises(exception.ServerValidationError) as error:
        session.commit()
    message = str(error.value)
    assert "Cannot create Shot 'orphan': it needs a parent" in message
    assert message.endswith(
        "The commit was refused and nothing was saved (1 create pending). Fix what the server names and "
        "commit again, or call session.rollback() to discard the pending changes."
    )
    session.rollback()
    session.create("Shot", {"name": "sh010", "parent": project})
    session.commit()


def test_a_closed_session_refuses_local_changes(server, project):
    with new_session(server) as other:
        shot = other.create("Shot", {"name": "sh020", "parent": other.get("Project", project["id"])})
        other.commit()
        children = other.get("Project", project["id"])["children"]
    assert other.closed
    for change in (
        lambda: shot.__setitem__("name", "renamed"),
        lambda: other.create("Shot", {"name": "late"}),
        lambda: other.delete(shot),
        lambda: children.append(shot),
    ):
        with pytest.raises(exception.ConnectionClosedError) as error:
            change()
        assert str(error.value).startswith("Connection closed.")
    assert shot["name"] == "sh020"


def test_ensure_matches_entity_values_by_reference(session, project):
    first = session.ensure("Shot", {"name": "sh030", "parent": project})
    requests = requests_made(session)
    again = session.ensure("Shot", {"name": "sh030", "parent": project})
    assert again is first
    assert requests_made(session) == requests + 1  # one query, no commit
    shots = session.query(f'Shot where name is "sh030" and parent.id is "{project["id"]}"').all()
    assert shots == [first]


@pytest.mark.parametrize("supported", [True, False])
def test_the_users_expression_is_sent_only_to_servers_that_take_it(fake_server, supported):
    import clapboard
    from clapboard.transport import MockTransport

    fake_server.server_information["query_user_expression"] = supported
    with clapboard.Session("http://clapboard.test", "key", "user", transport=MockTransport(fake_server),
                           schema_cache_path=False) as session:
        session.query('Task where name is "x"').all()
    operation = fake_server.batches[-1][0]
    assert operation["expression"].startswith("select ") and operation["expression"].endswith(" offset 0 limit 500")
    if supported:
        assert operation["user_expression"] == 'Task where name is "x"'
    else:
        assert "user_expression" not in operation  # e.g. an ftrack server: nothing it does not know
