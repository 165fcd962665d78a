"""Server-side behaviours: defaults, numbering, computed values, relationships, cascades."""

import uuid

import pytest
from server_api import Api, create, ref


def update(entity_type, entity_id, **data):
    return {"action": "update", "entity_type": entity_type, "entity_key": [entity_id],
            "entity_data": {"__entity_type__": entity_type, **data}}


def delete(entity_type, entity_id):
    return {"action": "delete", "entity_type": entity_type, "entity_key": [entity_id]}


def test_create_returns_the_stored_entity_with_server_values(api, make_project, server):
    project = make_project()
    shot = create("Shot", name="sh010", parent=ref(project))
    task = create("Task", name="layout", parent=ref(shot))
    result = api.call(shot, task)
    stored = result[1]["data"]
    assert stored["__entity_type__"] == "Task"
    assert stored["project_id"] == project["entity_data"]["id"]
    assert stored["context_type"] == "task"
    assert stored["object_type_id"] == "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
    assert stored["status_id"] and stored["type_id"] and stored["priority_id"]
    assert stored["created_at"]["__type__"] == "datetime"
    admin = api.one(f'select id from User where username is "{server.api_user}"')
    assert stored["created_by_id"] == admin["id"]
    assert stored["parent"] == ref(shot)
    status = api.one(f'select name from Status where id is "{stored["status_id"]}"')
    assert status["name"] == "Not started"


def test_jsonclient_style_create_without_ids(api, make_project):
    project = make_project()
    result = api.call({"action": "create", "entity_type": "Sequence",
                       "entity_data": {"name": "no-id", "parent_id": project["entity_data"]["id"]}})
    assert uuid.UUID(result[0]["data"]["id"])


def test_datetimes_are_stored_in_utc_with_microseconds(api, make_project):
    project = make_project()
    task_parent = create("Sequence", name="sq", parent=ref(project),
                         description="d")
    task = create("Task", name="t", parent=ref(task_parent),
                  start_date={"__type__": "datetime", "value": "2024-03-01T10:30:00.123456+01:00"})
    api.call(task_parent, task)
    stored = api.one(f'select start_date from Task where id is "{task["entity_data"]["id"]}"')
    assert stored["start_date"] == {"__type__": "datetime", "value": "2024-03-01T09:30:00.123456"}
    found = api.query(f'select id from Task where id is "{task["entity_data"]["id"]}" and start_date after "2024-03-01T10:00:00+02:00"')
    assert len(found) == 1


def test_asset_versions_are_numbered_per_asset(api, make_project):
    project = make_project()
    asset_type = api.one('select id from AssetType where short is "geo"')
    asset = create("Asset", name="hero", parent=ref(project), type=ref(asset_type))
    versions = [create("AssetVersion", asset=ref(asset)) for _ in range(3)]
    result = api.call(asset, *versions)
    assert [r["data"]["version"] for r in result[1:]] == [1, 2, 3]
    other = create("Asset", name="other", parent=ref(project), type=ref(asset_type))
    first = create("AssetVersion", asset=ref(other))
    assert api.call(other, first)[1]["data"]["version"] == 1
    stored = api.one(f'select latest_version.version, versions.is_latest_version from Asset where id is "{asset["entity_data"]["id"]}"')
    assert stored["latest_version"]["version"] == 3
    assert sorted(v["is_latest_version"] for v in stored["versions"]) == [False, False, True]
    link = api.one(f'select link from AssetVersion where id is "{versions[0]["entity_data"]["id"]}"')["link"]
    assert link[-1]["name"] == "hero v001" and link[-1]["type"] == "AssetVersion"


def test_version_without_asset_is_refused(api):
    error = api.error(create("AssetVersion", comment="orphan"))
    assert "asset" in error["content"]


def test_setting_a_collection_replaces_its_membership(api, make_project):
    project = make_project()
    a = create("Sequence", name="a", parent=ref(project))
    b = create("Sequence", name="b", parent=ref(project))
    shot = create("Shot", name="s", parent=ref(a))
    api.call(a, b, shot)
    api.call(update("Sequence", b["entity_data"]["id"], children=[ref(shot)]))
    moved = api.one(f'select parent.name, link from Shot where id is "{shot["entity_data"]["id"]}"')
    assert moved["parent"]["name"] == "b"
    assert [item["name"] for item in moved["link"]][1:] == ["b", "s"]
    assert api.one(f'select children from Sequence where id is "{a["entity_data"]["id"]}"')["children"] == []


def test_moving_a_subtree_updates_project_and_ancestors(api, make_project):
    first, second = make_project(), make_project()
    sequence = create("Sequence", name="sq", parent=ref(first))
    shot = create("Shot", name="sh", parent=ref(sequence))
    task = create("Task", name="t", parent=ref(shot))
    api.call(sequence, shot, task)
    api.call(update("Sequence", sequence["entity_data"]["id"], parent=ref(second)))
    stored = api.one(f'select project_id, ancestors.name, link from Task where id is "{task["entity_data"]["id"]}"')
    assert stored["project_id"] == second["entity_data"]["id"]
    assert stored["link"][0]["id"] == second["entity_data"]["id"]
    error = api.error(update("Sequence", sequence["entity_data"]["id"], parent=ref(shot)))
    assert "below itself" in error["content"]


def test_deleting_a_project_removes_its_tree(api, make_project):
    project = make_project()
    sequence = create("Sequence", name="sq", parent=ref(project))
    task = create("Task", name="t", parent=ref(sequence))
    note = create("Note", content="hi", parent_id=task["entity_data"]["id"], parent_type="Task")
    api.call(sequence, task, note)
    api.call(delete("Project", project["entity_data"]["id"]))
    for entity_type, entity_id in (("TypedContext", sequence), ("TypedContext", task), ("Note", note)):
        assert api.query(f'select id from {entity_type} where id is "{entity_id["entity_data"]["id"]}"') == []


def test_deleting_a_task_removes_its_notes(api, make_project):
    project = make_project()
    sequence = create("Sequence", name="sq", parent=ref(project))
    task = create("Task", name="t", parent=ref(sequence))
    note = create("Note", content="hi", parent_id=task["entity_data"]["id"], parent_type="Task")
    api.call(sequence, task, note)
    assert api.one(f'select notes.content from Task where id is "{task["entity_data"]["id"]}"')["notes"][0]["content"] == "hi"
    api.call(delete("Task", task["entity_data"]["id"]))
    assert api.query(f'select id from Note where id is "{note["entity_data"]["id"]}"') == []
    assert len(api.query(f'select id from Sequence where id is "{sequence["entity_data"]["id"]}"')) == 1


def test_child_then_parent_delete_in_one_batch(api, make_project):
    project = make_project()
    sequence = create("Sequence", name="sq", parent=ref(project))
    api.call(sequence)
    api.call(delete("Sequence", sequence["entity_data"]["id"]), delete("Project", project["entity_data"]["id"]))
    project2 = make_project()
    sequence2 = create("Sequence", name="sq", parent=ref(project2))
    api.call(sequence2)
    api.call(delete("Project", project2["entity_data"]["id"]), delete("Sequence", sequence2["entity_data"]["id"]))


def test_update_echoes_changed_attributes(api, make_project):
    project = make_project()
    result = api.call(update("Project", project["entity_data"]["id"], full_name="Renamed", status="hidden"))
    data = result[0]["data"]
    assert data["full_name"] == "Renamed" and data["status"] == "hidden"
    assert data["id"] == project["entity_data"]["id"] and data["context_type"] == "show"


def test_schema_hash_matches_served_schemas(api):
    import hashlib
    import json
    info, schemas = api.call({"action": "query_server_information"}, {"action": "query_schemas"})
    assert info["schema_hash"] == hashlib.md5(json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert all(s["default_projections"] for s in schemas)
    assert not any("storage" in s or "storage" in str(s["properties"].values()) for s in schemas)
    children = next(s for s in schemas if s["id"] == "Context")["properties"]["children"]
    assert children["inverse"] == "parent"


def test_reset_remote_issues_a_new_key(server, api):
    from server_api import Api
    user = create("User", username=f"u-{uuid.uuid4().hex[:6]}", is_active=True)
    api.call(user)
    result = api.call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                       "entity_key": user["entity_data"]["id"]})
    key = result[0]["data"]["api_key"]
    other = Api(server, user=user["entity_data"]["username"], key=key)
    assert other.call({"action": "query_server_information"})[0]["version"]


def test_every_computed_attribute_is_implemented(server):
    from clapboard_server.query import computed_python, computed_sql

    missing = [
        f"{entity_type.name}.{prop.name} ({prop.computed})"
        for entity_type in server.server.registry.types.values()
        for prop in entity_type.properties.values()
        if prop.computed and not computed_sql.is_sql(prop.computed) and prop.computed not in computed_python.names()
    ]
    assert missing == []


def test_every_attribute_of_every_type_can_be_projected(api, server):
    for entity_type in server.server.registry.types.values():
        names = [p.name for p in entity_type.properties.values() if not p.restricted]
        api.query(f"select {', '.join(names)} from {entity_type.name} limit 3")


def test_custom_attributes_are_dense_and_inherited(api, make_project):
    project = make_project()
    kinds = {t["name"]: t for t in api.query("select id, name from CustomAttributeType")}
    shot_type = api.one('select id from ObjectType where name is "Shot"')
    fps = create("CustomAttributeConfiguration", key=f"fps_{uuid.uuid4().hex[:6]}", label="fps", entity_type="task",
                 type=ref(kinds["number"]), is_hierarchical=True, default=24)
    note = create("CustomAttributeConfiguration", key=f"note_{uuid.uuid4().hex[:6]}", label="note", entity_type="task",
                  object_type_id=shot_type["id"], type=ref(kinds["text"]), default="")
    sequence = create("Sequence", name="sq", parent=ref(project))
    shot = create("Shot", name="sh", parent=ref(sequence))
    api.call(fps, note, sequence, shot)
    fps_key, note_key = fps["entity_data"]["key"], note["entity_data"]["key"]
    api.call({"action": "update", "entity_type": "ContextCustomAttributeValue",
              "entity_key": [fps["entity_data"]["id"], sequence["entity_data"]["id"]],
              "entity_data": {"__entity_type__": "ContextCustomAttributeValue", "value": 25}})
    values = api.one(f'select custom_attributes from Shot where id is "{shot["entity_data"]["id"]}"')["custom_attributes"]
    by_key = {v["key"]: v["value"] for v in values}
    assert by_key[fps_key] == 25  # inherited from the sequence
    assert by_key[note_key] == ""
    seq_values = api.one(f'select custom_attributes from Sequence where id is "{sequence["entity_data"]["id"]}"')["custom_attributes"]
    assert note_key not in {v["key"] for v in seq_values}
    found = api.query(f'select id from Sequence where custom_attributes any (key is "{fps_key}" and value is 25)')
    assert [r["id"] for r in found] == [sequence["entity_data"]["id"]]


def test_metadata_collection_membership_by_composite_key(api, make_project):
    project = make_project()
    project_id = project["entity_data"]["id"]
    keep = create("Metadata", entity_key=[project_id, "keep"], parent_id=project_id, parent_type="Project",
                  key="keep", value="1")
    drop = create("Metadata", entity_key=[project_id, "drop"], parent_id=project_id, parent_type="Project",
                  key="drop", value="2")
    api.call(keep, drop)
    api.call(update("Project", project_id, metadata=[
        {"__entity_type__": "Metadata", "parent_id": project_id, "key": "keep"}]))
    stored = api.one(f'select metadata.key, metadata.value from Project where id is "{project_id}"')["metadata"]
    assert [(m["key"], m["value"]) for m in stored] == [("keep", "1")]
    assert api.query(f'select key from Metadata where parent_id is "{project_id}" and key is "drop"') == []


def test_inverse_hints_are_on_subtypes_too(api):
    schemas = {s["id"]: s for s in api.call({"action": "query_schemas"})[0]}
    assert schemas["Task"]["properties"]["parent"]["inverse"] == "children"
    assert schemas["FileComponent"]["properties"]["version"]["inverse"] == "components"


def test_members_may_belong_to_a_sequence_but_not_to_a_file(api):
    sequence = create("SequenceComponent", name="plate", padding=4)
    member = create("FileComponent", name="1", container=ref(sequence))
    api.call(sequence, member)
    stored = api.one(f'select members.name from SequenceComponent where id is "{sequence["entity_data"]["id"]}"')
    assert [m["name"] for m in stored["members"]] == ["1"]
    error = api.error(create("FileComponent", name="2", container=ref(member)))
    assert "must reference a ContainerComponent" in error["content"]


def test_references_come_back_with_the_concrete_type(api):
    sequence = create("SequenceComponent", name="plate", padding=4)
    member = create("FileComponent", name="1", container=ref(sequence))
    created = api.call(sequence, member)[1]["data"]
    assert created["container"] == {"__entity_type__": "SequenceComponent", "id": sequence["entity_data"]["id"]}
    queried = api.one(f'select container from FileComponent where id is "{member["entity_data"]["id"]}"')
    assert queried["container"]["__entity_type__"] == "SequenceComponent"


@pytest.mark.backends("sqlite")
def test_sqlite_statistics_follow_the_data(server_factory, backend):
    with server_factory("sqlite") as server:
        database = server.server.database
        api = Api(server)
        schema = api.one("select id from ProjectSchema")
        project = create("Project", name="stats", full_name="stats", project_schema=ref(schema))
        api.call(project, *(create("Sequence", name=f"sq{i}", parent=ref(project)) for i in range(1100)))
        database.wait_for_maintenance(timeout=60)
        with database.engine.connect() as connection:
            rows = connection.exec_driver_sql("select count(*) from sqlite_stat1 where tbl = 'context'").scalar()
        assert rows > 0


def test_datetime_wire_form_keeps_microseconds():
    import datetime

    from clapboard_server.values import encode_datetime, parse_datetime

    value = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)
    assert parse_datetime("2024-01-02T04:04:05.678901+01:00") == value
    assert encode_datetime(value) == {"__type__": "datetime", "value": "2024-01-02T03:04:05.678901"}
