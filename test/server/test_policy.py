"""Roles as data and the policy's rules beyond the permission matrix: new roles without code,
custom attribute security roles, moves between projects, whole-batch refusal, key resets,
profiles, and per-subscriber filtering of one ``ftrack.update``."""

import uuid

import pytest
from security_world import build_tree, grant, make_user, role_id, task_text_attribute
from server_api import create, ref
from socketio_client import Client


def update(kind, entity_id, **data):
    return {"action": "update", "entity_type": kind, "entity_key": [entity_id], "entity_data": data}


def count(api, expression):
    return len(api.query(expression))


@pytest.fixture(scope="module")
def trees(api, project_schema):
    return build_tree(api, project_schema), build_tree(api, project_schema)


def test_an_administrator_defines_a_new_role_without_code(server, api, trees):
    granted, _ = trees
    role = create("SecurityRole", name=f"Note taker {uuid.uuid4().hex[:6]}", type="PROJECT",
                  permissions=["contexts.read", "notes.*"])
    api.call(role)
    assert api.one(f'select permissions from SecurityRole where id is "{role["entity_data"]["id"]}"')[
        "permissions"] == ["contexts.read", "notes.*"]
    _, me, _ = make_user(server, api, role["entity_data"]["name"], projects=[granted["Project"]])
    task = {"__entity_type__": "Task", "id": granted["Task"]}
    assert count(me, f'Task where id is "{granted["Task"]}"') == 1
    assert count(me, f'AssetVersion where id is "{granted["AssetVersion"]}"') == 0  # no versions.read
    note = create("Note", content="written by a note taker", parent=task)
    me.call(note)
    me.call({"action": "delete", "entity_type": "Note", "entity_key": note["entity_key"]})
    error = me.error(update("Task", granted["Task"], name="renamed"))
    assert error["exception"] == "PermissionError"
    assert error["content"] == (f"Permission denied: cannot update Task {granted['Task']} in project "
                                f"{granted['Project']}: missing permission 'contexts.update'.")


def test_unknown_permissions_are_refused(api):
    error = api.error(create("SecurityRole", name="typo", type="PROJECT", permissions=["note.create"]))
    assert error["exception"] == "ValidationError" and "note.create" in error["content"]
    error = api.error(create("SecurityRole", name="typo", type="PROJECT", permissions="notes.read"))
    assert error["exception"] == "ValidationError"
    assert count(api, 'SecurityRole where name is "typo"') == 0


def test_a_refused_operation_rolls_the_whole_batch_back(server, api, trees):
    granted, other = trees
    _, me, _ = make_user(server, api, "User", projects=[granted["Project"]])
    allowed = create("Note", content="fine", parent={"__entity_type__": "Task", "id": granted["Task"]})
    refused = create("Note", content="not here", parent={"__entity_type__": "Task", "id": other["Task"]})
    error = me.error(allowed, refused)
    assert error["exception"] == "PermissionError" and "cannot create Note" in error["content"]
    assert "'notes.create'" in error["content"] and other["Project"] in error["content"]
    assert count(api, f'Note where id is "{allowed["entity_data"]["id"]}"') == 0


def test_moves_are_checked_where_an_entity_is_and_where_it_goes(server, api, project_schema, trees):
    granted, other = trees
    _, me, _ = make_user(server, api, "Project Manager", projects=[granted["Project"]])
    shot = create("Shot", name=f"move-{uuid.uuid4().hex[:6]}",
                  parent={"__entity_type__": "Sequence", "id": granted["Sequence"]})
    api.call(shot)
    shot_id = shot["entity_data"]["id"]
    error = me.error(update("Shot", shot_id, parent={"__entity_type__": "Sequence", "id": other["Sequence"]}))
    assert error["exception"] == "PermissionError" and other["Project"] in error["content"]
    assert api.one(f'select parent_id from Shot where id is "{shot_id}"')["parent_id"] == granted["Sequence"]
    api.call(update("Shot", shot_id, parent={"__entity_type__": "Sequence", "id": other["Sequence"]}))
    error = me.error(update("Shot", shot_id, parent={"__entity_type__": "Sequence", "id": granted["Sequence"]}))
    assert error["exception"] == "PermissionError"


def test_custom_attribute_security_roles_are_honoured(server, api, trees):
    granted, _ = trees
    viewer = {"__entity_type__": "SecurityRole", "id": role_id(api, "Viewer")}
    user = {"__entity_type__": "SecurityRole", "id": role_id(api, "User")}
    configuration = task_text_attribute(api, "Restricted", roles=[viewer])
    key = configuration["entity_data"]["key"]
    api.call(configuration)
    api.call({"action": "update", "entity_type": "ContextCustomAttributeValue",
              "entity_key": [configuration["entity_data"]["id"], granted["Task"]], "entity_data": {"value": "v"}})
    _, as_viewer, _ = make_user(server, api, "Viewer", projects=[granted["Project"]])
    _, as_user, _ = make_user(server, api, "User", projects=[granted["Project"]])

    def keys(who):
        return {v["key"] for v in who.one(f'select custom_attributes from Task where id is "{granted["Task"]}"')[
            "custom_attributes"]}

    assert key in keys(as_viewer) and key not in keys(as_user) and key in keys(api)
    value_query = f'ContextCustomAttributeValue where configuration.key is "{key}"'
    assert count(as_viewer, value_query) == 1 and count(as_user, value_query) == 0
    assert count(as_user, f'Task where custom_attributes any (key is "{key}")') == 0
    write = {"action": "update", "entity_type": "ContextCustomAttributeValue",
             "entity_key": [configuration["entity_data"]["id"], granted["Task"]], "entity_data": {"value": "w"}}
    assert as_user.error(write)["exception"] == "PermissionError"  # User is not among the write roles
    api.call(update("CustomAttributeConfiguration", configuration["entity_data"]["id"],
                    write_security_roles=[viewer, user]))
    as_user.call(write)


def test_key_resets_only_for_oneself_or_an_administrator(server, api):
    user_id, me, _ = make_user(server, api, "Project Manager", all_projects=True)
    admin = api.one(f'select id from User where username is "{server.api_user}"')
    error = me.error({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                      "entity_key": [admin["id"]]})
    assert error["exception"] == "PermissionError" and "API key" in error["content"]
    new_key = me.call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                       "entity_key": [user_id]})[0]["data"]["api_key"]
    assert new_key
    api.call({"action": "query_server_information"})  # the admin's key still works


def test_users_edit_their_profile_but_not_their_account(server, api):
    user_id, me, _ = make_user(server, api, "Viewer", projects=[])
    me.call(update("User", user_id, first_name="Ada", email="ada@example.com"))
    for data in ({"is_active": False}, {"username": "admin2"}):
        assert me.error(update("User", user_id, **data))["exception"] == "PermissionError"
    admin = api.one(f'select id from User where username is "{server.api_user}"')
    assert me.error(update("User", admin["id"], first_name="Mallory"))["exception"] == "PermissionError"
    error = me.error(create("User", username=f"x-{uuid.uuid4().hex[:6]}"))
    assert "'users.create'" in error["content"]
    assert me.error(create("Status", name=f"s-{uuid.uuid4().hex[:6]}"))["exception"] == "PermissionError"
    assert count(me, "Status") == count(api, "Status")  # shared definitions are readable


def test_an_assigned_role_reaches_only_the_assigned_task(server, api, project_schema, trees):
    granted, _ = trees
    user_id, me, _ = make_user(server, api, "Assigned", projects=[granted["Project"]])
    shot = {"__entity_type__": "Shot", "id": granted["Shot"]}
    mine, theirs = create("Task", name=f"a-{uuid.uuid4().hex[:6]}", parent=shot), \
        create("Task", name=f"b-{uuid.uuid4().hex[:6]}", parent=shot)
    api.call(mine, theirs, create("Appointment", type="assignment", context=ref(mine),
                                  resource={"__entity_type__": "User", "id": user_id}))
    assert [t["id"] for t in me.query(f'Task where parent_id is "{granted["Shot"]}"')] == [mine["entity_data"]["id"]]
    me.call(create("Timelog", duration=60, start="2024-01-01T09:00:00", context=ref(mine)))
    error = me.error(create("Timelog", duration=60, start="2024-01-01T09:00:00", context=ref(theirs)))
    assert error["exception"] == "PermissionError"


def test_one_update_event_is_filtered_per_subscriber(server, api, trees):
    granted, other = trees
    _, me, key = make_user(server, api, "Viewer", projects=[granted["Project"]])
    with Client(server, user=me.headers["ftrack-user"], key=key).connect() as listener, \
            Client(server).connect() as admin_listener:
        listener.subscribe("topic=ftrack.update")
        admin_listener.subscribe("topic=ftrack.update")
        api.call(update("Shot", granted["Shot"], description=uuid.uuid4().hex),
                 update("Shot", other["Shot"], description=uuid.uuid4().hex))
        admin_event = admin_listener.wait_event(
            lambda e: e["topic"] == "ftrack.update"
            and {x["entityId"] for x in e["data"]["entities"]} == {granted["Shot"], other["Shot"]})
        assert "__clapboard_places__" not in admin_event
        event = listener.wait_event(lambda e: e["topic"] == "ftrack.update"
                                    and granted["Shot"] in {x["entityId"] for x in e["data"]["entities"]})
        assert [x["entityId"] for x in event["data"]["entities"]] == [granted["Shot"]]
        assert other["Project"] not in event["data"]["parents"] and other["Shot"] not in str(event)
        api.call(update("Shot", other["Shot"], description=uuid.uuid4().hex))
        listener.barrier()
        assert all(other["Shot"] not in str(e) for e in listener.events("ftrack.update"))


def test_a_wrong_parent_type_does_not_move_a_note_out_of_its_project(server, api, trees):
    granted, other = trees
    _, me, _ = make_user(server, api, "User", projects=[granted["Project"]])
    for parent_type in ("User", "AssetVersion", "Nonsense"):
        spoofed = create("Note", content="spoofed", parent_id=other["Task"], parent_type=parent_type)
        assert me.error(spoofed)["exception"] == "PermissionError", parent_type
    assert count(api, f'Note where parent_id is "{other["Task"]}" and content is "spoofed"') == 0


def test_replies_are_placed_in_the_project_of_the_note_they_answer(server, api, trees):
    """A reply carries only ``in_reply_to`` (as ``note.create_reply`` sends it), no parent."""
    granted, other = trees
    notes = {tree["Project"]: create("Note", content="thread", parent={"__entity_type__": "Task", "id": tree["Task"]})
             for tree in (granted, other)}
    api.call(*notes.values())
    _, me, _ = make_user(server, api, "User", projects=[granted["Project"]])
    mine = create("Note", content="my reply", in_reply_to=ref(notes[granted["Project"]]))
    me.call(mine)
    assert me.one(f'select content from Note where in_reply_to_id is "{notes[granted["Project"]]["entity_data"]["id"]}"'
                  )["content"] == "my reply"
    assert count(me, f'Note where id is "{mine["entity_data"]["id"]}"') == 1
    refused = create("Note", content="not my project", in_reply_to=ref(notes[other["Project"]]))
    assert me.error(refused)["exception"] == "PermissionError"
    theirs = create("Note", content="their reply", in_reply_to=ref(notes[other["Project"]]))
    api.call(theirs)
    assert count(me, f'Note where id is "{theirs["entity_data"]["id"]}"') == 0
    assert count(me, f'Note where in_reply_to_id is "{notes[other["Project"]]["entity_data"]["id"]}"') == 0


@pytest.mark.backends("sqlite")
def test_a_database_from_before_roles_gains_them_and_its_admin_is_administrator(backend, tmp_path):
    import sqlalchemy as sa
    from clapboard_server.server import Server

    old = Server(tmp_path)
    old.prepare()
    with old.database.engine.begin() as connection:  # as an older version left it
        connection.exec_driver_sql("DELETE FROM user_security_role")
        connection.exec_driver_sql("DELETE FROM security_role WHERE name NOT IN ('API', 'Project Manager', 'Assigned')")
        connection.exec_driver_sql("ALTER TABLE security_role DROP COLUMN permissions")
    old.close()
    new = Server(tmp_path)
    new.prepare()
    try:
        with new.database.engine.connect() as connection:
            roles = dict(connection.execute(sa.text("select name, permissions from security_role")).all())
        assert set(roles) == {"Administrator", "API", "Project Manager", "Supervisor", "User", "Viewer", "Assigned"}
        assert all(roles.values())
        admin_id = new.authenticator.authenticate(new.admin_user, new.admin_key)
        with new.database.engine.connect() as connection:
            assert new.policy.grants(connection, admin_id).superuser
    finally:
        new.close()


def test_granting_and_revoking_take_effect_on_the_next_request(server, api, trees):
    granted, _ = trees
    user_id, me, _ = make_user(server, api, None)
    query = f'Project where id is "{granted["Project"]}"'
    assert count(me, query) == 0
    grant_id = grant(api, user_id, "Viewer", [granted["Project"]])
    assert count(me, query) == 1
    api.call({"action": "delete", "entity_type": "UserSecurityRole", "entity_key": [grant_id]})
    assert count(me, query) == 0


@pytest.mark.backends("postgresql")
@pytest.mark.in_process
def test_a_query_sent_with_the_grants_it_guessed_is_run_again_when_they_changed(server, api, trees, monkeypatch):
    """PostgreSQL reads the grants and a planned query in one round trip, the query built for
    the grants last read (see clapboard_server.actions.pipelined): its rows count only if the
    grants read with it are the same."""
    from clapboard_server.actions import pipelined

    granted, other = trees
    user_id, me, _ = make_user(server, api, "Viewer", projects=[granted["Project"]])
    sent = []  # the user's round trips with their grants

    def spy(connection, runs):
        sent.extend(1 for _, values in runs[:1] if values == (user_id,))
        return real(connection, runs)
    real = pipelined.pipelined
    monkeypatch.setattr(pipelined, "pipelined", spy)
    query = f'select id from Project where id in ("{granted["Project"]}", "{other["Project"]}")'
    assert count(me, query) == 1  # the shape's plan is built for these grants
    assert count(me, query) == 1 and len(sent) == 1  # one round trip
    second = grant(api, user_id, "Viewer", [other["Project"]])
    assert count(me, query) == 2 and len(sent) == 2  # guessed the old grants: run again
    assert count(me, query) == 2 and len(sent) == 3
    api.call({"action": "delete", "entity_type": "UserSecurityRole", "entity_key": [second]})
    assert count(me, query) == 1 and len(sent) == 4  # a revoked project is never read
