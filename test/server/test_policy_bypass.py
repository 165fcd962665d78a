"""A corpus of queries trying to reach an ungranted project's data by every path of the language.

The secret project holds one of everything, each named or valued with a marker, and the granted
project points into it (links, list items). For each query, as a user granted only the other
project, no secret id and no marker may come back; as the administrator, the same query must
reveal the secret (so every query of the corpus really reaches it).
"""

import json
import uuid

import pytest
from security_world import build_tree, make_user, task_text_attribute
from server_api import create, ref

MARK = f"SECRET{uuid.uuid4().hex[:6]}"

CORPUS = [
    # roots, abstract types and plain filters
    "Project",
    'select name, full_name from Project where name like "%{mark}%"',
    'Context where name like "%{mark}%"',
    'select name from Context where project_id is "{project}"',
    'select name from TypedContext where project.name like "%{mark}%"',
    'select name from Task where project_id is "{project}"',
    'select name, link from Task where name like "%{mark}%"',
    # references, projections through references
    'select name, parent.name, project.name from Task where parent.name like "%{mark}%"',
    'select parent.parent.name from Task where id is "{task}"',
    'Sequence where project has (name like "%{mark}%")',
    'Task where parent has (name like "%{mark}%")',
    # collections: projections, any, EXISTS
    "select children.name from Project",
    "select descendants.name from Project",
    "select ancestors.name from Task",
    'Project where children any (name like "%{mark}%")',
    'Task where ancestors any (name like "%{mark}%")',
    "select assets.versions.components.name from Shot",
    "select notes.content from Task",
    "select timelogs.comment from Task",
    "select assignments.resource_id from Task",
    # sub-queries
    'Context where id in (select project_id from Task where name like "%{mark}%")',
    'Task where project_id in (select id from Project where name like "%{mark}%")',
    'select name from Task where parent_id in (select parent_id from Task where name like "%{mark}%")',
    'select name from Task where id in (select to_id from TypedContextLink)',
    # grouping and ordering
    "select name, count(id) from Task group by name",
    "select parent.name, count(id) from Task group by parent.name",
    "select name from Task order by project.name",
    "select name from Task order by parent.name descending",
    # notes and their parents
    'Note where content like "%{mark}%"',
    "select content, parent_id, parent_type from Note",
    'Note where parent_id is "{task}"',
    "select notes.content from AssetVersion",
    # versions, components, files
    'AssetVersion where asset.parent.project_id is "{project}"',
    "select comment, components.name from AssetVersion",
    'Component where name like "%{mark}%"',
    "select name, version.asset.name from Component",
    'select component.name from ComponentLocation where component.name like "%{mark}%"',
    'Asset where name like "%{mark}%"',
    "select versions.comment from Asset",
    # time logs, lists
    'Timelog where comment like "%{mark}%"',
    'List where name like "%{mark}%"',
    "select name, items.name from TypedContextList",
    "select entity_id from ListObject",
    "select lists.name from Task",
    # custom attribute values, metadata
    'ContextCustomAttributeValue where value like "%{mark}%"',
    "select custom_attributes from Task",
    'Task where custom_attributes any (value like "%{mark}%")',
    'Metadata where value like "%{mark}%"',
    "select metadata from Task",
    'Task where metadata any (value like "%{mark}%")',
    # links
    "TypedContextLink",
    'select to.name from TypedContextLink where to.name like "%{mark}%"',
    "select outgoing_links.to_id, incoming_links.from_id from Task",
    "select from_id, to_id from AssetVersionLink",
    "select uses_versions.comment from AssetVersion",
    # from shared definitions and users into project data
    "select tasks.name from Status",
    "select tasks.name from Type",
    "select tasks.name from ObjectType",
    "select timelogs.comment from User",
    # assignments, reviews, calendar, status history, grants
    'select context_id from Appointment where context.name like "%{mark}%"',
    'select name from ReviewSession where name like "%{mark}%"',
    'CalendarEvent where name like "%{mark}%"',
    'select parent_id from StatusChange where parent_id is "{task}"',
    "select status_changes.status_id from Task",
    "select project_id from UserSecurityRoleProject",
    "select user_security_role_projects.project_id from Project",
]

COUNTS = [
    'select count(id) from Task where name like "%{mark}%"',
    'select count(id) from Note where content like "%{mark}%"',
    'select count(id) from Context where project_id is "{project}"',
]


@pytest.fixture(scope="module")
def secret(server, api, project_schema):
    """The granted tree, the secret tree pointing at it and pointed at, and the secret ids."""
    granted = build_tree(api, project_schema)
    hidden = build_tree(api, project_schema, name=f"{MARK}-project-{uuid.uuid4().hex[:6]}")  # built once per server
    task = {"__entity_type__": "Task", "id": hidden["Task"]}
    version = {"__entity_type__": "AssetVersion", "id": hidden["AssetVersion"]}
    renames = [
        {"action": "update", "entity_type": kind, "entity_key": [hidden[kind]], "entity_data": {field: f"{MARK} {kind}"}}
        for kind, field in [("Sequence", "name"), ("Shot", "name"), ("Task", "name"), ("Asset", "name"),
                            ("AssetVersion", "comment"), ("Component", "name"), ("Note", "content"),
                            ("Timelog", "comment"), ("List", "name")]
    ]
    api.call(*renames)
    configuration = task_text_attribute(api, "Bypass")
    status = api.query("select id from Status")[0]
    category = api.query("select id from ListCategory")[0]
    user = api.one(f'select id from User where username is "{server.api_user}"')
    location = api.one('select id from Location where name is "ftrack.server"')
    api.call(
        {"action": "update", "entity_type": "Timelog", "entity_key": [hidden["Timelog"]],
         "entity_data": {"user": {"__entity_type__": "User", "id": user["id"]}}},
        configuration,
        {"action": "update", "entity_type": "ContextCustomAttributeValue",
         "entity_key": [configuration["entity_data"]["id"], hidden["Task"]], "entity_data": {"value": MARK}},
        create("Metadata", entity_key=[hidden["Task"], "secret"], parent_id=hidden["Task"], parent_type="Task",
               key="secret", value=MARK),
        create("TypedContextLink", **{"from": {"__entity_type__": "Task", "id": granted["Task"]}, "to": task}),
        create("AssetVersionLink", **{"from": {"__entity_type__": "AssetVersion", "id": granted["AssetVersion"]},
                                      "to": version}),
        create("TypedContextList", name="granted list with a secret item", is_open=True,
               project={"__entity_type__": "Project", "id": granted["Project"]}, category=ref(category),
               items=[task]),
        create("Appointment", type="assignment", context=task, resource={"__entity_type__": "User", "id": user["id"]}),
        create("Note", content=f"{MARK} on version", parent=version),
        create("ComponentLocation", component={"__entity_type__": "FileComponent", "id": hidden["Component"]},
               location=ref(location), resource_identifier=hidden["Component"]),
        create("ReviewSession", name=f"{MARK} review", description="", end_date="2030-01-01T00:00:00",
               project={"__entity_type__": "Project", "id": hidden["Project"]},
               created_by={"__entity_type__": "User", "id": user["id"]}),
        create("CalendarEvent", name=f"{MARK} shoot", start="2030-01-01T00:00:00", end="2030-01-02T00:00:00",
               project={"__entity_type__": "Project", "id": hidden["Project"]}),
        create("TypedContextStatusChange", parent_id=hidden["Task"], parent_type="TypedContext",
               status=ref(status)),
    )
    return granted, hidden


@pytest.fixture(scope="module", params=["Viewer", "Project Manager", "Assigned"])
def outsider(request, server, api, secret):
    """A user holding a role on the granted project only (an Assigned user is also assigned to
    the secret task, which their grant does not cover)."""
    granted, hidden = secret
    user_id, me, _ = make_user(server, api, request.param, projects=[granted["Project"]])
    api.call(create("Appointment", type="assignment", context={"__entity_type__": "Task", "id": hidden["Task"]},
                    resource={"__entity_type__": "User", "id": user_id}))
    # A grant (on the granted project) of the secret project's data for someone else.
    make_user(server, api, "Viewer", projects=[hidden["Project"]])
    return me


def fill(expression, hidden):
    return expression.format(mark=MARK, project=hidden["Project"], task=hidden["Task"])


def leaks(rows, hidden):
    text = json.dumps(rows)
    return [token for token in [MARK, *hidden.values()] if token in text]


def test_the_corpus_is_large_enough():
    assert len(CORPUS) + len(COUNTS) >= 40


@pytest.mark.parametrize("expression", CORPUS)
def test_query_reveals_nothing_of_an_ungranted_project(api, secret, outsider, expression):
    _, hidden = secret
    query = fill(expression, hidden)
    assert leaks(api.query(query), hidden), f"the administrator should reach the secret with {query!r}"
    assert leaks(outsider.query(query), hidden) == []


@pytest.mark.parametrize("expression", COUNTS)
def test_counts_see_nothing_of_an_ungranted_project(api, secret, outsider, expression):
    _, hidden = secret
    query = fill(expression, hidden)
    assert api.query(query)[0]["count_id"] > 0
    assert outsider.query(query) == [{"count_id": 0}]
