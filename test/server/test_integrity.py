"""Integrity rules of stored data: each refusal names the problem and leaves the database unchanged.

Project names are unique; required attributes are never empty (checked when the batch ends);
custom attribute values fit their configuration and are stored typed; references point at
existing rows of the right type; statuses belong to the project schema's workflow.
"""

import concurrent.futures
import hashlib
import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from server_api import Api, create, ref

SOURCE = str(Path(__file__).resolve().parents[2] / "source")
TASK_OBJECT_TYPE = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"


def update(entity_type, key, **data):
    key = key if isinstance(key, list) else [key]
    return {"action": "update", "entity_type": entity_type, "entity_key": key,
            "entity_data": {"__entity_type__": entity_type, **data}}


def delete(entity_type, entity_id):
    return {"action": "delete", "entity_type": entity_type, "entity_key": [entity_id]}


def snapshot(server):
    """A digest of every row of every table of the server's database."""
    database = server.server.database
    digests = {}
    with database.engine.connect() as connection:
        for name, table in sorted(database.tables.items()):
            rows = sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
            digests[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def refusal(api, server, *operations):
    """Send a batch that must fail; assert the database is unchanged; return the error."""
    before = snapshot(server)
    error = api.error(*operations)
    assert snapshot(server) == before, f"the refused batch changed the database: {error}"
    return error


@pytest.fixture
def refused(api, server):
    """``refused(*operations)``: :func:`refusal` on the shared server."""
    return lambda *operations: refusal(api, server, *operations)


@pytest.fixture
def names(api):
    """Status, type and object type ids by name."""
    return {
        "status": {s["name"]: s for s in api.query("select id, name from Status")},
        "type": {t["name"]: t for t in api.query("select id, name from Type")},
        "object_type": {o["name"]: o for o in api.query("select id, name from ObjectType")},
        "attribute_type": {t["name"]: t for t in api.query("select id, name from CustomAttributeType")},
    }


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# -- project names -----------------------------------------------------------------------------

def test_project_names_are_unique(api, make_project, project_schema, refused):
    project = make_project()
    name = project["entity_data"]["name"]
    sequence = create("Sequence", name="sq", parent=ref(project))
    twin = create("Project", name=name, full_name="twin", project_schema=ref(project_schema))
    error = refused(sequence, twin)
    assert error["exception"] == "DuplicateEntryError"
    assert f"a Project named {name!r} already exists" in error["content"]
    assert "IntegrityError" in error["content"]
    assert len(api.query(f'select id from Project where name is "{name}"')) == 1


def test_two_projects_of_one_name_in_one_batch_are_refused(project_schema, refused):
    name = unique("twins")
    first = create("Project", name=name, full_name=name, project_schema=ref(project_schema))
    second = create("Project", name=name, full_name=name, project_schema=ref(project_schema))
    error = refused(first, second)
    assert f"a Project named {name!r} already exists" in error["content"]


def test_concurrent_projects_of_one_name_store_one(server, project_schema):
    """Batches racing to create the same project name: one wins, the others are refused."""
    name = unique("race")
    barrier = threading.Barrier(4)

    def attempt(_):
        client = Api(server)
        operation = create("Project", name=name, full_name=name, project_schema=ref(project_schema))
        barrier.wait()
        return client.raw([operation])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    accepted = [r for r in results if isinstance(r, list)]
    refusals = [r for r in results if isinstance(r, dict)]
    assert len(accepted) == 1, results
    assert all(r["exception"] == "DuplicateEntryError" and "IntegrityError" in r["content"] for r in refusals)
    assert len(Api(server).query(f'select id from Project where name is "{name}"')) == 1


def test_renaming_a_project_to_a_taken_name_is_refused(api, make_project, refused):
    taken = make_project()["entity_data"]["name"]
    other = make_project()
    error = refused(update("Project", other["entity_data"]["id"], name=taken))
    assert error["exception"] == "DuplicateEntryError"
    assert f"a Project named {taken!r} already exists" in error["content"]
    api.call(update("Project", other["entity_data"]["id"], name=unique("renamed")))


def test_the_database_refuses_duplicate_project_names_itself(server, make_project):
    """The unique index holds even for writes that bypass the server's own check."""
    project = make_project()
    database = server.server.database
    context = database.tables["context"]
    row = {"id": str(uuid.uuid4()), "name": project["entity_data"]["name"], "context_type": "show"}
    with pytest.raises(sa.exc.IntegrityError), database.transaction() as connection:
        connection.execute(context.insert().values(row))
    # Other kinds of context may share a project's name.
    sibling = {"id": str(uuid.uuid4()), "name": project["entity_data"]["name"], "context_type": "task",
               "parent_id": project["entity_data"]["id"]}
    with database.transaction() as connection:
        connection.execute(context.insert().values(sibling))
        connection.execute(context.delete().where(context.c.id == sibling["id"]))


@pytest.mark.backends("sqlite")
def test_the_demo_run_twice_reuses_its_project(tmp_path, backend):
    environment = {"PYTHONPATH": SOURCE, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "clapboard.cli", "demo", "--data-dir", str(tmp_path / "data")]
    outputs = []
    for _ in range(2):
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "exists already" not in outputs[0]
    assert "The project 'demo' exists already (an earlier run): showing it." in outputs[1]
    for output in outputs:
        assert "Totals: 2 sequences, 6 shots, 18 tasks" in output
        assert [line.split()[:1] for line in output.splitlines()].count(["sq001_sh0010"]) == 1


# -- required attributes -----------------------------------------------------------------------

def test_a_required_attribute_cannot_be_set_to_none(api, make_project, refused):
    project = make_project()
    shot = create("Shot", name="sh010", parent=ref(project))
    task = create("Task", name="layout", parent=ref(shot))
    api.call(shot, task)
    task_id = task["entity_data"]["id"]
    error = refused(update("Task", task_id, description="changed"), update("Task", task_id, name=None))
    assert error["exception"] == "ValidationError"
    assert "required attribute 'name' is missing" in error["content"]
    assert "Task" in error["content"] and task_id in error["content"]
    error = refused(update("Task", task_id, status=None))
    assert "required attribute 'status" in error["content"]
    stored = api.one(f'select name, description, link from Task where id is "{task_id}"')
    assert stored["name"] == "layout" and stored["description"] in (None, "")
    assert stored["link"][-1]["name"] == "layout"


def test_a_required_attribute_set_later_in_the_batch_is_accepted(api):
    """Issue 11: required attributes are checked when the batch ends, not per operation."""
    location = create("Location", description="named later")
    scope = create("Scope")
    name = unique("location")
    api.call(location, scope, update("Location", location["entity_data"]["id"], name=name),
             update("Scope", scope["entity_data"]["id"], name=unique("scope")))
    assert api.one(f'select name from Location where id is "{location["entity_data"]["id"]}"')["name"] == name


def test_a_required_attribute_still_missing_when_the_batch_ends_is_refused(refused):
    location = create("Location", description="never named")
    scope = create("Scope", name=unique("scope"))
    error = refused(location, scope)
    assert error["exception"] == "ValidationError"
    assert "Location" in error["content"] and "required attribute 'name' is missing" in error["content"]


def test_a_required_attribute_cleared_later_in_the_batch_is_refused(refused):
    location = create("Location", name=unique("location"))
    other = create("Scope", name=unique("scope"))
    error = refused(location, other, update("Location", location["entity_data"]["id"], name=None))
    assert "required attribute 'name' is missing" in error["content"]


# -- references --------------------------------------------------------------------------------

def test_a_reference_to_a_missing_row_is_refused(api, make_project, refused):
    project = make_project()
    missing = str(uuid.uuid4())
    asset_type = api.one('select id from AssetType where short is "geo"')
    asset = create("Asset", name="hero", parent=ref(project), type=ref(asset_type))
    api.call(asset)
    error = refused(create("Sequence", name="sq", parent=ref(project)),
                    create("AssetVersion", asset=ref(asset), task={"__entity_type__": "Task", "id": missing}))
    assert error["exception"] == "ValidationError"
    assert f"'task' refers to Task {missing}, which does not exist" in error["content"]
    assert "Cannot save AssetVersion" in error["content"]


def test_a_reference_given_as_a_bare_id_is_checked_too(make_project, refused):
    project = make_project()
    missing = str(uuid.uuid4())
    error = refused(create("Sequence", name="sq", parent_id=project["entity_data"]["id"], priority_id=missing))
    assert "'priority' refers to Priority " + missing in error["content"]


def test_a_reference_to_a_row_of_another_type_is_refused(api, make_project, names, refused):
    project = make_project()
    shot = create("Shot", name="sh010", parent=ref(project))
    api.call(shot)
    animation = names["type"]["Animation"]
    task = create("Task", name="t", parent=ref(shot), status_id=animation["id"])
    error = refused(task)
    assert f"'status' refers to Status {animation['id']}, which does not exist" in error["content"]
    note_parent = create("Note", content="hello", parent_id=animation["id"], parent_type="Shot")
    error = refused(note_parent)
    assert f"'parent' refers to Shot {animation['id']}" in error["content"]


def test_a_reference_to_a_row_created_later_in_the_batch_is_accepted(api, make_project):
    project = make_project()
    thumbnail = create("FileComponent", name="thumbnail")
    sequence = create("Sequence", name="sq", parent=ref(project), thumbnail=ref(thumbnail))
    api.call(sequence, thumbnail)
    stored = api.one(f'select thumbnail.name from Sequence where id is "{sequence["entity_data"]["id"]}"')
    assert stored["thumbnail"]["name"] == "thumbnail"


def test_a_reference_to_a_row_deleted_in_the_batch_is_refused(api, make_project, refused):
    project = make_project()
    thumbnail = create("FileComponent", name="thumbnail")
    api.call(thumbnail)
    sequence = create("Sequence", name="sq", parent=ref(project), thumbnail=ref(thumbnail))
    error = refused(sequence, delete("FileComponent", thumbnail["entity_data"]["id"]))
    assert f"'thumbnail' refers to Component {thumbnail['entity_data']['id']}, which does not exist" in error["content"]


def test_a_reference_created_then_moved_off_a_row_deleted_in_the_batch_is_accepted(api, make_project):
    project = make_project()
    old, new = create("FileComponent", name="old"), create("FileComponent", name="new")
    api.call(old, new)
    sequence = create("Sequence", name="sq", parent=ref(project), thumbnail=ref(old))
    sequence_id = sequence["entity_data"]["id"]
    api.call(sequence, update("Sequence", sequence_id, thumbnail=ref(new)),
             delete("FileComponent", old["entity_data"]["id"]))
    stored = api.one(f'select thumbnail.name from Sequence where id is "{sequence_id}"')
    assert stored["thumbnail"]["name"] == "new"


def test_a_reference_created_then_moved_to_a_missing_row_is_refused(api, make_project, refused):
    project = make_project()
    thumbnail = create("FileComponent", name="thumbnail")
    api.call(thumbnail)
    missing = str(uuid.uuid4())
    sequence = create("Sequence", name="sq", parent=ref(project), thumbnail=ref(thumbnail))
    error = refused(sequence, update("Sequence", sequence["entity_data"]["id"],
                                     thumbnail={"__entity_type__": "FileComponent", "id": missing}))
    assert f"'thumbnail' refers to Component {missing}, which does not exist" in error["content"]


def test_many_rows_referring_to_one_missing_row_name_the_first(make_project, refused):
    project = make_project()
    missing = str(uuid.uuid4())
    sequences = [create("Sequence", name=f"sq{index}", parent=ref(project), priority_id=missing) for index in range(3)]
    error = refused(*sequences)
    assert f"Cannot save Sequence ['{sequences[0]['entity_data']['id']}']: 'priority' refers to Priority {missing}" \
        in error["content"]


def test_deleting_a_row_clears_optional_references_to_it(api, make_project):
    project = make_project()
    thumbnail = create("FileComponent", name="thumbnail")
    sequence = create("Sequence", name="sq", parent=ref(project), thumbnail=ref(thumbnail))
    api.call(thumbnail, sequence)
    component_id, sequence_id = thumbnail["entity_data"]["id"], sequence["entity_data"]["id"]
    api.call(delete("FileComponent", component_id))
    stored = api.one(f'select thumbnail_id from Sequence where id is "{sequence_id}"')
    assert stored["thumbnail_id"] is None


def test_deleting_a_row_a_required_reference_points_at_is_refused(api, make_project, refused):
    project = make_project()
    project_id = project["entity_data"]["id"]
    listing = create("TypedContextList", name=unique("list"), project=ref(project),
                     category=ref(api.query("select id from ListCategory")[0]))
    api.call(listing)
    error = refused(delete("Project", project_id))
    assert error["exception"] == "ValidationError"
    assert (f"Cannot delete Project {project_id}: TypedContextList {listing['entity_data']['id']} still "
            f"refers to it in 'project'. Change or delete that TypedContextList first.") in error["content"]
    api.call(delete("TypedContextList", listing["entity_data"]["id"]), delete("Project", project_id))
    assert api.query(f'select id from Project where id is "{project_id}"') == []


def test_a_parent_must_exist(make_project, refused):
    missing = str(uuid.uuid4())
    error = refused(create("Shot", name="orphan", parent={"__entity_type__": "Sequence", "id": missing}))
    assert f"'parent' refers to Context {missing}, which does not exist" in error["content"]


def test_collection_members_must_exist(api, make_project, refused):
    project = make_project()
    members = [str(uuid.uuid4())]
    listing = create("TypedContextList", name=unique("list"), project=ref(project),
                     category=ref(api.query("select id from ListCategory")[0]))
    api.call(listing)
    error = refused(update("TypedContextList", listing["entity_data"]["id"],
                           items=[{"__entity_type__": "Shot", "id": members[0]}]))
    assert members[0] in error["content"]


# -- statuses and workflows --------------------------------------------------------------------

def test_a_status_outside_the_object_types_workflow_is_refused(api, make_project, names, refused):
    project = make_project()
    in_progress = names["status"]["In progress"]  # a task status, not a shot status
    error = refused(create("Shot", name="sh010", parent=ref(project), status=ref({**in_progress, "__entity_type__": "Status"})))
    assert error["exception"] == "ValidationError"
    content = error["content"]
    assert "'In progress'" in content and "Shot" in content and "'VFX Scheme'" in content
    assert "'Normal', 'Omitted', 'On Hold'" in content


def test_a_type_must_be_allowed_for_the_object_type(api, make_project, names, refused):
    project = make_project()
    shot = create("Shot", name="sh", parent=ref(project))
    api.call(shot)
    character = names["type"]["Character"]  # an asset build type, not a task type
    error = refused(create("Task", name="t", parent=ref(shot), type_id=character["id"]))
    assert "Cannot set the type of Task 't' to 'Character'" in error["content"]
    assert "project schema 'VFX Scheme' for Task objects allows 'Generic'" in error["content"]
    error = refused(update("Shot", shot["entity_data"]["id"], type_id=character["id"]))
    assert "for Shot objects allows no type" in error["content"]
    build = create("AssetBuild", name="hero", parent=ref(project), type_id=character["id"])
    api.call(build)


def test_kinds_without_statuses_take_none(make_project, names, refused):
    project = make_project()
    error = refused(create("Sequence", name="sq", parent=ref(project), status_id=names["status"]["Normal"]["id"]))
    assert "Cannot set the status of Sequence 'sq' to 'Normal'" in error["content"]
    assert "for Sequence objects allows no status" in error["content"]


def test_a_task_status_must_be_in_the_task_workflow(api, make_project, names, refused):
    project = make_project()
    shot = create("Shot", name="sh010", parent=ref(project))
    task = create("Task", name="anim", parent=ref(shot))
    api.call(shot, task)
    omitted = names["status"]["Omitted"]
    error = refused(update("Task", task["entity_data"]["id"], status_id=omitted["id"]))
    assert "'Omitted'" in error["content"] and "tasks of type 'Generic'" in error["content"]
    assert "'Not started', 'In progress', 'Awaiting approval', 'Approved'" in error["content"]
    api.call(update("Task", task["entity_data"]["id"], status_id=names["status"]["Approved"]["id"]))


def test_an_asset_version_status_must_be_in_the_version_workflow(api, make_project, names, refused):
    project = make_project()
    asset_type = api.one('select id from AssetType where short is "geo"')
    asset = create("Asset", name="hero", parent=ref(project), type=ref(asset_type))
    api.call(asset)
    error = refused(create("AssetVersion", asset=ref(asset), status_id=names["status"]["Not started"]["id"]))
    assert "'Not started'" in error["content"] and "asset versions" in error["content"]
    assert "'Approved', 'Pending'" in error["content"] or "'Pending', 'Approved'" in error["content"]
    version = create("AssetVersion", asset=ref(asset), status_id=names["status"]["Pending"]["id"])
    api.call(version)


def test_task_type_overrides_choose_the_workflow(server_factory, backend):
    """A project schema overriding the workflow of one task type: its tasks take its statuses.

    On a server of its own: the new project schema must not become other tests' first one.
    """
    with server_factory(backend) as private:
        _check_task_type_overrides(Api(private), private)


def _check_task_type_overrides(api, server):
    names = {"status": {s["name"]: s for s in api.query("select id, name from Status")},
             "type": {t["name"]: t for t in api.query("select id, name from Type")}}

    def refused(*operations):
        return refusal(api, server, *operations)

    vfx = api.one('select task_workflow_schema_id, task_type_schema_id, asset_version_workflow_schema_id '
                  'from ProjectSchema where name is "VFX Scheme"')
    workflow = create("WorkflowSchema", name=unique("review only"))
    schema = create("ProjectSchema", name=unique("scheme"),
                    task_workflow_schema_id=vfx["task_workflow_schema_id"],
                    task_type_schema_id=vfx["task_type_schema_id"],
                    asset_version_workflow_schema_id=vfx["asset_version_workflow_schema_id"])
    approved, pending = names["status"]["Approved"], names["status"]["Pending"]
    links = [create("WorkflowSchemaStatus", entity_key=[workflow["entity_data"]["id"], s["id"]],
                    workflow_schema_id=workflow["entity_data"]["id"], status_id=s["id"]) for s in (pending, approved)]
    animation, modeling = names["type"]["Animation"], names["type"]["Modeling"]
    override = create("ProjectSchemaOverride", project_schema_id=schema["entity_data"]["id"],
                      type_id=animation["id"], workflow_schema_id=workflow["entity_data"]["id"])
    project = create("Project", name=unique("override"), full_name="o", project_schema=ref(schema))
    shot = create("Shot", name="sh", parent=ref(project))
    api.call(workflow, schema, *links, override, project, shot)
    animated = create("Task", name="anim", parent=ref(shot), type_id=animation["id"])
    modelled = create("Task", name="model", parent=ref(shot), type_id=modeling["id"],
                      status_id=names["status"]["In progress"]["id"])
    created = api.call(animated, modelled)
    assert created[0]["data"]["status_id"] in (pending["id"], approved["id"])
    error = refused(create("Task", name="anim2", parent=ref(shot), type_id=animation["id"],
                           status_id=names["status"]["In progress"]["id"]))
    assert "tasks of type 'Animation'" in error["content"] and "'In progress'" in error["content"]
    # Changing the type of a task moves it to another workflow: its status must follow.
    error = refused(update("Task", modelled["entity_data"]["id"], type_id=animation["id"]))
    assert "'In progress'" in error["content"]
    api.call(update("Task", modelled["entity_data"]["id"], type_id=animation["id"], status_id=approved["id"]))


def test_moving_to_a_project_of_another_schema_checks_the_subtree(server_factory, backend):
    """A shot moved with its task to a project whose schema lacks the task's status is refused."""
    with server_factory(backend) as private:
        api = Api(private)
        statuses = {s["name"]: s["id"] for s in api.query("select id, name from Status")}
        vfx = api.one('select task_workflow_schema_id, task_type_schema_id from ProjectSchema '
                      'where name is "VFX Scheme"')
        workflow = create("WorkflowSchema", name="approvals only")
        link = create("WorkflowSchemaStatus", entity_key=[workflow["entity_data"]["id"], statuses["Approved"]],
                      workflow_schema_id=workflow["entity_data"]["id"], status_id=statuses["Approved"])
        strict = create("ProjectSchema", name="strict", task_workflow_schema_id=workflow["entity_data"]["id"],
                        task_type_schema_id=vfx["task_type_schema_id"])
        target = create("Project", name="strict project", full_name="s", project_schema=ref(strict))
        source = create("Project", name="source", full_name="s",
                        project_schema=ref(api.one('select id from ProjectSchema where name is "VFX Scheme"')))
        folder = create("Folder", name="f", parent=ref(source))
        task = create("Task", name="t", parent=ref(folder), status_id=statuses["In progress"])
        api.call(workflow, link, strict, target, source, folder, task)
        error = refusal(api, private, update("Folder", folder["entity_data"]["id"], parent=ref(target)))
        assert "Cannot set the status of Task 't' to 'In progress'" in error["content"]
        assert "project schema 'strict'" in error["content"]
        api.call(update("Task", task["entity_data"]["id"], status_id=statuses["Approved"]),
                 update("Folder", folder["entity_data"]["id"], parent=ref(target)))


def test_a_status_fixed_later_in_the_batch_is_accepted(api, make_project, names):
    project = make_project()
    shot = create("Shot", name="sh", parent=ref(project), status_id=names["status"]["In progress"]["id"])
    other = create("Sequence", name="sq", parent=ref(project))
    api.call(shot, other, update("Shot", shot["entity_data"]["id"], status_id=names["status"]["Omitted"]["id"]))


# -- custom attribute values -------------------------------------------------------------------

@pytest.fixture
def attributes(api, names):
    """Task custom attributes of each type (keys unique to the test), by type name."""
    kinds = names["attribute_type"]
    configs = {
        "text": ("", {"markdown": False}),
        "number": (0, {"isdecimal": True}),
        "boolean": (False, None),
        "date": (None, None),
        "enumerator": ([], {"multiSelect": False, "data": json.dumps(
            [{"menu": "Red", "value": "red"}, {"menu": "Green", "value": "green"}])}),
        "multi": ([], {"multiSelect": True, "data": json.dumps(
            [{"menu": "Red", "value": "red"}, {"menu": "Green", "value": "green"}])}),
    }
    operations, created = [], {}
    for name, (default, config) in configs.items():
        kind = "enumerator" if name == "multi" else name
        data = {"key": unique(name), "label": name, "entity_type": "task", "object_type_id": TASK_OBJECT_TYPE,
                "type": ref({**kinds[kind], "__entity_type__": "CustomAttributeType"})}
        if default is not None:
            data["default"] = default
        if config is not None:
            data["config"] = json.dumps(config)
        operation = create("CustomAttributeConfiguration", **data)
        operations.append(operation)
        created[name] = operation["entity_data"]
    api.call(*operations)
    return created


@pytest.fixture
def task(api, make_project):
    project = make_project()
    shot = create("Shot", name="sh", parent=ref(project))
    task = create("Task", name="t", parent=ref(shot))
    api.call(shot, task)
    return task["entity_data"]


def set_value(configuration, entity_id, value, entity_type="ContextCustomAttributeValue"):
    return update(entity_type, [configuration["id"], entity_id], value=value)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("number", "abc", "must be of type number"),
    ("number", True, "must be of type number"),
    ("text", 8, "must be of type text"),
    ("boolean", "yes", "must be of type boolean"),
    ("date", "not a date", "must be of type date"),
    ("date", 5, "must be of type date"),
    ("enumerator", "red", "must be of type enumerator"),
    ("enumerator", ["blue"], "'blue' is not one of its values 'red', 'green'"),
    ("enumerator", ["red", "green"], "single-select"),
    ("multi", ["red", "blue"], "'blue' is not one of its values"),
])
def test_custom_attribute_values_must_fit_their_configuration(attributes, task, refused, name, value, expected):
    configuration = attributes[name]
    error = refused(set_value(configuration, task["id"], value))
    assert error["exception"] == "ValidationError"
    assert f"Custom attribute value for {configuration['key']!r}" in error["content"]
    assert expected in error["content"]
    assert f"Got {value!r}" in error["content"]


def test_valid_custom_attribute_values_come_back_as_sent(api, attributes, task):
    values = {
        "text": "8", "number": 12.5, "boolean": True, "multi": ["red", "green"], "enumerator": ["green"],
        "date": {"__type__": "datetime", "value": "2024-03-01T10:30:00+01:00"},
    }
    api.call(*(set_value(attributes[name], task["id"], value) for name, value in values.items()))
    stored = api.one(f'select custom_attributes from Task where id is "{task["id"]}"')["custom_attributes"]
    by_key = {v["key"]: v["value"] for v in stored}
    for name, value in values.items():
        expected = {"__type__": "datetime", "value": "2024-03-01T09:30:00"} if name == "date" else value
        assert by_key[attributes[name]["key"]] == expected, name
    api.call(set_value(attributes["number"], task["id"], 7))
    stored = api.query(f'select value from ContextCustomAttributeValue where entity_id is "{task["id"]}" '
                       f'and configuration_id is "{attributes["number"]["id"]}"')
    assert stored[0]["value"] == 7 and isinstance(stored[0]["value"], int)
    api.call(set_value(attributes["number"], task["id"], None))
    by_key = {v["key"]: v["value"] for v in api.one(
        f'select custom_attributes from Task where id is "{task["id"]}"')["custom_attributes"]}
    assert by_key[attributes["number"]["key"]] == 0  # back to the default


def test_custom_attribute_values_are_queried_by_their_type(api, attributes, make_project):
    project = make_project()
    shot = create("Shot", name="sh", parent=ref(project))
    tasks = [create("Task", name=f"t{i}", parent=ref(shot)) for i in range(4)]
    api.call(shot, *tasks)
    ids = [t["entity_data"]["id"] for t in tasks]
    text, number, boolean, choice = (attributes[k] for k in ("text", "number", "boolean", "enumerator"))
    api.call(
        set_value(text, ids[0], "8"), set_value(text, ids[1], "80"), set_value(text, ids[2], "abc"),
        set_value(number, ids[0], 8), set_value(number, ids[1], 9.5), set_value(number, ids[2], 12),
        set_value(number, ids[3], 100), set_value(boolean, ids[1], True), set_value(choice, ids[3], ["red"]),
    )

    def found(criteria):
        rows = api.query(f'select name from Task where parent.id is "{shot["entity_data"]["id"]}" '
                         f'and custom_attributes any ({criteria}) order by name')
        return [r["name"] for r in rows]

    assert found(f'key is "{text["key"]}" and value is "8"') == ["t0"]
    assert found(f'key is "{text["key"]}" and value like "8%"') == ["t0", "t1"]
    assert found(f'key is "{text["key"]}" and value in ("abc", "80")') == ["t1", "t2"]
    assert found(f'key is "{number["key"]}" and value > 10') == ["t2", "t3"]  # 100 > 12 > 10 > 9.5 > 8
    assert found(f'key is "{number["key"]}" and value <= 9.5') == ["t0", "t1"]
    assert found(f'key is "{number["key"]}" and value is 8') == ["t0"]
    assert found(f'key is "{number["key"]}" and value is "9.5"') == ["t1"]
    assert found(f'key is "{boolean["key"]}" and value is true') == ["t1"]
    assert found(f'key is "{choice["key"]}" and value is "red"') == ["t3"]
    generic = api.query(f'select entity_id from CustomAttributeValue where configuration.key is "{number["key"]}" '
                        f'and value >= 12')
    assert sorted(v["entity_id"] for v in generic) == sorted(ids[2:])


def test_custom_attribute_values_must_apply_to_an_existing_entity(api, attributes, make_project, refused):
    project = make_project()
    shot = create("Shot", name="sh", parent=ref(project))
    api.call(shot)
    missing = str(uuid.uuid4())
    error = refused(set_value(attributes["text"], missing, "x"))
    assert f"Context {missing} does not exist" in error["content"]
    error = refused(set_value(attributes["text"], shot["entity_data"]["id"], "x"))
    assert "applies to another object type" in error["content"] and "Shot" in error["content"]
    user = api.query("select id from User")[0]
    error = refused(set_value(attributes["text"], user["id"], "x", entity_type="CustomAttributeValue"))
    assert "TypedContext" in error["content"] and "does not exist" in error["content"]
    error = refused(update("ContextCustomAttributeValue", [str(uuid.uuid4()), shot["entity_data"]["id"]], value="x"))
    assert "configuration" in error["content"] and "does not exist" in error["content"]


def test_a_project_specific_attribute_applies_to_its_project_only(api, names, make_project, refused):
    kinds = names["attribute_type"]
    mine, other = make_project(), make_project()
    configuration = create("CustomAttributeConfiguration", key=unique("scoped"), label="scoped", entity_type="task",
                           object_type_id=TASK_OBJECT_TYPE, project_id=mine["entity_data"]["id"],
                           type=ref({**kinds["text"], "__entity_type__": "CustomAttributeType"}))
    task_ids, operations = {}, [configuration]
    for project in (mine, other):
        shot = create("Shot", name="sh", parent=ref(project))
        task = create("Task", name="t", parent=ref(shot))
        operations += [shot, task]
        task_ids[project["entity_data"]["id"]] = task["entity_data"]["id"]
    api.call(*operations)
    foreign = task_ids[other["entity_data"]["id"]]
    error = refused(set_value(configuration["entity_data"], foreign, "x"))
    assert "belongs to project" in error["content"] and foreign in error["content"]
    api.call(set_value(configuration["entity_data"], task_ids[mine["entity_data"]["id"]], "x"))


def test_custom_attribute_configurations_follow_the_documented_rules(api, names, make_project, refused):
    kinds = {k: ref({**v, "__entity_type__": "CustomAttributeType"}) for k, v in names["attribute_type"].items()}
    options = json.dumps({"multiSelect": False, "data": json.dumps([{"menu": "Foo", "value": "foo"}])})

    def configuration(kind, **data):
        return create("CustomAttributeConfiguration", key=unique(kind.replace(" ", "_")), label=kind,
                      entity_type="assetversion", type=kinds[kind], **data)

    error = refused(configuration("number", default="abc"))
    assert "must be of type number" in error["content"] and "Got 'abc'" in error["content"]
    error = refused(configuration("enumerator", default=["bar"], config=options))
    assert "'bar' is not one of its values 'foo'" in error["content"]
    error = refused(create("CustomAttributeConfiguration", key=unique("user"), label="u", entity_type="user",
                           type=kinds["text"], project_id=make_project()["entity_data"]["id"]))
    assert "user attribute: it cannot belong to a project" in error["content"]
    number = configuration("number", default=42)
    dated = configuration("date", default={"__type__": "datetime", "value": "2017-02-08T00:00:00"})
    api.call(number, dated, configuration("enumerator", default=["foo"], config=options), configuration("text"))
    number_id = number["entity_data"]["id"]
    error = refused(update("CustomAttributeConfiguration", number_id, type=kinds["text"]))
    assert "cannot change after its creation" in error["content"]
    error = refused(update("CustomAttributeConfiguration", number_id, project_id=make_project()["entity_data"]["id"]))
    assert "global and cannot become project specific" in error["content"]
    api.call(update("CustomAttributeConfiguration", number_id, default=43))
    assert api.one(f'select default from CustomAttributeConfiguration where id is "{number_id}"')["default"] == 43
