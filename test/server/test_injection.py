"""Hostile text in values, attribute names and projections is data or an error, never SQL."""

import pytest
from server_api import create, ref

HOSTILE = [
    "x' or '1'='1",
    'x" or "1"="1',
    "x); drop table context; --",
    "') or 1=1 --",
    "a'; delete from resource; --",
    "/* comment */ name",
    "x\\\" or 1=1 --",
]


def test_hostile_values_round_trip_as_plain_text(api, make_project):
    project = make_project()
    operations = [create("Sequence", name=text, parent=ref(project)) for text in HOSTILE]
    api.call(*operations)
    project_id = project["entity_data"]["id"]
    stored = sorted(r["name"] for r in api.query(f"select name from Sequence where project_id is {project_id}"))
    assert stored == sorted(HOSTILE)
    for text in HOSTILE:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        rows = api.query(f'select name from Sequence where project_id is {project_id} and name is "{escaped}"')
        assert [r["name"] for r in rows] == [text]
    assert len(api.query("select id from Location")) >= 5  # nothing was dropped or deleted


@pytest.mark.parametrize("expression", [
    "select id from Task where name is x' or 1=1 --",
    "select id from Task where name is 'x') or 1=1 --",
    "select id from Task; drop table context",
    "select id from Task where name is \"x\"; delete from resource",
    "select id from Task where name is \"x\" -- comment",
    "select id from Task /* comment */",
])
def test_hostile_query_text_is_rejected(api, expression):
    error = api.error({"action": "query", "expression": expression})
    assert error["exception"] in ("ParseError", "ValidationError")
    assert len(api.query("select id from Location")) >= 5


@pytest.mark.parametrize("name", ["name; drop table context", "name--", "id) or (1=1", "\"name\"", "name/**/"])
def test_hostile_attribute_names_are_rejected(api, name):
    for expression in (f"select {name} from Task", f"select id from Task where {name} is 1",
                       f"select id from Task order by {name}"):
        error = api.error({"action": "query", "expression": expression})
        assert error["exception"] in ("ParseError", "ValidationError"), expression


def test_hostile_attribute_names_in_writes_are_rejected(api, make_project):
    project = make_project()
    error = api.error(create("Sequence", parent=ref(project), **{"name = 'x'; --": "y", "name": "ok"}))
    assert error["exception"] == "ValidationError"
    error = api.error(create("Context; drop table context", name="x"))
    assert error["exception"] == "ValidationError"
    assert len(api.query(f'select id from Project where id is "{project["entity_data"]["id"]}"')) == 1
