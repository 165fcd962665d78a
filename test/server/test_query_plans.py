"""Compiled query plans: queries of one shape share one compiled statement, with the same
answers, conversions and errors as a query built on its own."""

import uuid

import pytest
from clapboard_server.query import plans, select
from server_api import create, ref


def names(api, expression):
    return sorted(row["name"] for row in api.query(expression))


@pytest.mark.in_process
def test_queries_of_one_shape_share_one_plan(server, api, make_project, monkeypatch):
    projects = [make_project()["entity_data"]["name"] for _ in range(3)]
    built = []
    prepare = select.prepare
    monkeypatch.setattr(select, "prepare", lambda *args: built.append(args[1]) or prepare(*args))
    monkeypatch.setattr(plans, "prepare", select.prepare)
    for name in projects:
        assert names(api, f'select name from Project where name is "{name}" and status is "active"') == [name]
    assert len(built) == 1
    shapes = [key[0] for key in server.server.plans.cache._entries]
    assert 'select name from Project where name is "" and status is ""' in shapes
    assert not any(name in shape for name in projects for shape in shapes)


@pytest.mark.in_process
def test_short_values_and_queries_without_values_have_plans(server, api, make_project, monkeypatch):
    """A one-character value, an empty one, and a query with no quoted value at all reuse a plan."""
    one = chr(0x4E00 + uuid.uuid4().int % 20000)  # a project name of one character, new to this server
    make_project(name=one)
    limit = 100_000 + uuid.uuid4().int % 100_000  # shapes no other test has used
    built = []
    prepare = select.prepare
    monkeypatch.setattr(select, "prepare", lambda *args: built.append(args[1]) or prepare(*args))
    monkeypatch.setattr(plans, "prepare", select.prepare)
    for name, expected in ((one, [one]), ("", []), ("~", []), (one, [one])):
        assert names(api, f'select name from Project where name is "{name}" limit {limit}') == expected
    everything = names(api, f"select name from Project limit {limit}")
    assert one in everything and names(api, f"select name from Project limit {limit}") == everything
    assert len(built) == 2  # one plan per shape: built once each


def test_values_with_quotes_and_backslashes(api, make_project):
    tag = uuid.uuid4().hex[:8]
    first, second = make_project(name=f'say "{tag}"'), make_project(name=f"back\\slash's {tag}")
    for project in (first, second):
        name = project["entity_data"]["name"]
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        assert names(api, f'select name from Project where name is "{escaped}"') == [name]
    assert names(api, f"select name from Project where name is 'say \"{tag}\"'") == [first["entity_data"]["name"]]


def test_values_a_conversion_changes_are_checked_every_time(api, make_project):
    project = make_project()
    key = project["entity_data"]["id"]
    assert len(api.query(f'select id from Project where id is "{key}" and created_at after "2000-01-01"')) == 1
    assert api.query(f'select id from Project where id is "{key}" and created_at after "2999-01-01"') == []
    error = api.error({"action": "query",
                       "expression": f'select id from Project where id is "{key}" and created_at after "soon"'})
    assert error["exception"] == "ValidationError" and "created_at" in error["content"]
    error = api.error({"action": "query", "expression": 'select id from Task where bid is "lots"'})
    assert error["exception"] == "ValidationError" and "bid" in error["content"]
    assert api.query('select id from Task where bid is "12345.5"') == []


def test_stored_values_come_back_in_their_wire_form(api, make_project):
    project = make_project(is_private=False)
    for _ in range(2):  # built, then from the plan
        row = api.one(f'select is_private, created_at from Project where name is "{project["entity_data"]["name"]}"')
        assert row["is_private"] is False
        assert row["created_at"]["__type__"] == "datetime"


def test_a_query_in_a_write_batch_sees_the_batch_s_creates(api, project_schema):
    for _ in range(2):  # built, then from the plan
        project = create("Project", name=f"p-{uuid.uuid4().hex[:8]}", full_name="x", project_schema=ref(project_schema))
        name = project["entity_data"]["name"]
        answer = api.call(project, {"action": "query", "expression": f'select name from Project where name is "{name}"'})
        assert [row["name"] for row in answer[1]["data"]] == [name]


def test_limit_offset_and_paging_through_a_plan(api, make_project):
    tag = uuid.uuid4().hex[:8]
    made = sorted(make_project(name=f"{tag}-{n}")["entity_data"]["name"] for n in range(5))
    seen = []
    offset = 0
    while offset is not None:
        answer = api.call({"action": "query", "expression":
                           f'select name from Project where name like "{tag}%" order by name offset {offset} limit 2'})[0]
        seen += [row["name"] for row in answer["data"]]
        offset = answer["metadata"]["next"]["offset"]
    assert seen == made


@pytest.mark.parametrize("count", [1, 3, 33, 501])
def test_collections_of_any_number_of_owners(api, make_project, count):
    """Few owners use a statement compiled for their number; more run through SQLAlchemy; more
    than 500 are loaded in chunks."""
    project = make_project()
    folders = [create("Folder", name=f"f{n:03d}", parent=ref(project)) for n in range(count)]
    api.call(*folders)
    notes = [create("Note", content=f"on {folder['entity_data']['name']}", parent=ref(folder))
             for folder in folders[::2]]
    api.call(*notes)
    for _ in range(2):  # built, then from the plan
        rows = api.query(f'select name, notes.content from Folder where project.id is "{project["entity_data"]["id"]}"')
        assert sorted(row["name"] for row in rows) == [f"f{n:03d}" for n in range(count)]
        assert {row["name"]: [note["content"] for note in row["notes"]] for row in rows} == {
            f"f{n:03d}": [f"on f{n:03d}"] if n % 2 == 0 else [] for n in range(count)}


def test_empty_references_under_or_and_not_keep_their_rows(api, make_project):
    """References followed by a required comparison are inner joins; under 'or' and 'not' they
    stay outer joins, so rows whose reference is empty still match the other branch."""
    project = make_project()
    lonely = create("Folder", name="lonely", parent=ref(project))
    api.call(lonely)
    where = f'project.id is "{project["entity_data"]["id"]}"'
    for _ in range(2):  # built, then from the plan
        assert names(api, f'select name from Folder where {where} and status.name is "Nope"') == []
        assert names(api, f'select name from Folder where {where} and (status.name is "Nope" or name is "lonely")') \
            == ["lonely"]
        assert names(api, f'select name from Folder where {where} and not status.name is "Nope"') == ["lonely"]
        assert names(api, f'select name from Project where id is "{project["entity_data"]["id"]}" and '
                          'descendants any (status.name is "Nope" or name is "lonely")') \
            == [project["entity_data"]["name"]]
