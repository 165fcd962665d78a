"""Bad input gets a clear error and leaves the database unchanged."""

import pytest
from server_api import create, ref


def count(api, expression):
    return len(api.query(expression))


@pytest.fixture
def snapshot(api):
    """Counts of a few types, to check that a failed call changed nothing."""

    def take():
        return {t: count(api, f"select id from {t}") for t in ("Project", "TypedContext", "User", "Status")}

    return take


def test_malformed_query_names_the_problem_and_position(api):
    error = api.error({"action": "query", "expression": "select name Task where"})
    assert error["exception"] == "ParseError"
    assert "character" in error["content"] and "select name Task" in error["content"]


def test_unbalanced_parenthesis(api):
    error = api.error({"action": "query", "expression": 'Task where (name is "a"'})
    assert error["exception"] == "ParseError"


def test_unknown_type(api):
    error = api.error({"action": "query", "expression": "select id from Spaceship"})
    assert error["exception"] == "ValidationError"
    assert "Spaceship" in error["content"]


def test_unknown_attribute_in_criteria_and_projection(api):
    error = api.error({"action": "query", "expression": 'select id from Task where colour is "red"'})
    assert "Task has no attribute 'colour'" in error["content"]
    error = api.error({"action": "query", "expression": "select status.colour from Task"})
    assert "Status has no attribute 'colour'" in error["content"]


def test_following_a_scalar_is_explained(api):
    error = api.error({"action": "query", "expression": 'Task where name.first is "x"'})
    assert "not a relationship" in error["content"]


def test_wrong_api_key(server, api):
    error = api.error({"action": "query_server_information"},
                      headers={"ftrack-user": server.api_user, "ftrack-api-key": "not-the-key"})
    assert error["exception"] == "InvalidCredentialsError"


def test_unknown_user(server, api):
    error = api.error({"action": "query_server_information"},
                      headers={"ftrack-user": "nobody", "ftrack-api-key": server.api_key})
    assert error["exception"] == "InvalidCredentialsError"


def test_missing_auth_headers(api):
    error = api.error({"action": "query_server_information"}, headers={})
    assert error["exception"] == "InvalidCredentialsError"
    assert "ftrack-api-key" in error["content"]


def test_strict_mode_uses_http_status(server, api):
    response = api.http.post(api.url, json=[{"action": "query_server_information"}],
                             headers={"ftrack-strict-api": "true"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["exception"] == "InvalidCredentialsError"


def test_unknown_action(api):
    error = api.error({"action": "fly_to_the_moon"})
    assert "Invalid action u'fly_to_the_moon'" in error["content"]


def test_body_must_be_json(api):
    result = api.raw(b"[not json")
    assert result["exception"] == "ValidationError"


def test_create_missing_required_attribute_changes_nothing(api, snapshot, project_schema):
    before = snapshot()
    ok = create("Project", name="should-not-exist", full_name="x", project_schema=ref(project_schema))
    missing = create("Project", name="no-schema", full_name="no schema")
    error = api.error(ok, missing)
    assert error["exception"] == "ValidationError"
    assert "project_schema_id" in error["content"]
    assert snapshot() == before
    assert api.query('select id from Project where name is "should-not-exist"') == []


def test_value_of_wrong_type_changes_nothing(api, snapshot, make_project):
    project = make_project()
    before = snapshot()
    sequence = create("Sequence", name="sq", parent=ref(project))
    task = create("Task", name="t", parent=ref(sequence), bid="three days")
    error = api.error(sequence, task)
    assert error["exception"] == "ValidationError"
    assert "'bid'" in error["content"] and "number" in error["content"]
    assert snapshot() == before


def test_unknown_attribute_on_create(api, make_project):
    project = make_project()
    error = api.error(create("Sequence", name="sq", parent=ref(project), flavour="mint"))
    assert "Sequence has no attribute 'flavour'" in error["content"]


def test_creating_an_abstract_type_is_refused(api):
    error = api.error(create("TypedContext", name="x"))
    assert "abstract" in error["content"] and "Task" in error["content"]


def test_failed_update_rolls_back_earlier_operations(api, make_project):
    project = make_project()
    rename = {"action": "update", "entity_type": "Project", "entity_key": [project["entity_data"]["id"]],
              "entity_data": {"__entity_type__": "Project", "full_name": "renamed"}}
    missing = {"action": "update", "entity_type": "Task", "entity_key": ["00000000-0000-0000-0000-000000000000"],
               "entity_data": {"__entity_type__": "Task", "name": "x"}}
    error = api.error(rename, missing)
    assert error["exception"] == "NotFoundError"
    stored = api.one(f'select full_name from Project where id is "{project["entity_data"]["id"]}"')
    assert stored["full_name"] == project["entity_data"]["full_name"]


def test_duplicate_sibling_name_is_a_duplicate_entry(api, make_project):
    project = make_project()
    error = api.error(create("Sequence", name="same", parent=ref(project)),
                      create("Sequence", name="same", parent=ref(project)))
    assert error["exception"] == "DuplicateEntryError"
    assert "IntegrityError" in error["content"]


def test_unknown_routes_answer_json(api, server):
    response = api.http.get(f"{server.server_url}/nothing-here", timeout=30)
    assert response.status_code == 404
    assert response.json()["exception"] == "NotFoundError"
    response = api.http.get(api.url, timeout=30)
    assert response.status_code == 405 and "exception" in response.json()
