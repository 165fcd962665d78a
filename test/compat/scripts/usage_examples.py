"""The "Usage examples" chapter of the ftrack API documentation, one function per heading.

Each function runs the chapter's code with ``api`` being ``ftrack_api`` (this file run as a
script in the ftrack client's environment: ``python usage_examples.py <heading>``) or
``clapboard`` (imported by test/client/test_docs_usage_examples.py), then checks the outcome
from a new session. Examples kept by other work (review sessions, thumbnails, encoding media,
publishing for web review, user security roles, invite user) live elsewhere.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY when run as a script; exits non-zero
when an assertion fails.
"""

import json
import os
import random
import sys
import tempfile
import uuid


class Context:
    """What an example needs: the client module, a session and a way to open new ones."""

    def __init__(self, api, new_session):
        self.api = api
        self.new_session = new_session
        self.session = new_session()
        self.folder = tempfile.mkdtemp(prefix="usage-")

    def close(self):
        self.session.close()

    def file(self, name, data=b"clapboard usage example"):
        path = os.path.join(self.folder, name)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def project(self, prefix="usage"):
        """A new committed project of the first schema, with a sequence, a shot and a task."""
        session = self.session
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        schema = session.query("ProjectSchema").first()
        project = session.create("Project", {"name": name, "full_name": name + "_full", "project_schema": schema})
        sequence = session.create("Sequence", {"name": "seq_1", "parent": project})
        shot = session.create("Shot", {"name": "010", "parent": sequence})
        task_type = schema.get_types("Task")[0]
        status = schema.get_statuses("Task", task_type["id"])[0]
        task = session.create("Task", {"name": "myTask", "parent": shot, "type": task_type, "status": status})
        session.commit()
        return project, shot, task

    def user(self):
        return self.session.query(f'User where username is "{self.session.api_user}"').one()

    def version(self, task):
        session = self.session
        asset_type = session.query('AssetType where name is "Geometry"').one()
        asset = session.create("Asset", {"name": f"asset_{uuid.uuid4().hex[:6]}", "type": asset_type,
                                         "parent": task["parent"]})
        version = session.create("AssetVersion", {"asset": asset, "task": task})
        session.commit()
        return version


# Working with projects --------------------------------------------------------------------------

def creating_a_project(ctx):
    session = ctx.session
    name = f"projectname_{uuid.uuid1().hex}"
    project_schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": name, "full_name": name + "_full", "project_schema": project_schema})
    default_shot_status = project_schema.get_statuses("Shot")[0]
    default_task_type = project_schema.get_types("Task")[0]
    default_task_status = project_schema.get_statuses("Task", default_task_type["id"])[0]
    for sequence_number in range(1, 5):
        sequence = session.create("Sequence", {"name": f"seq_{sequence_number}", "parent": project})
        for shot_number in range(1, 5):
            shot = session.create("Shot", {"name": f"{shot_number}0".zfill(3), "parent": sequence,
                                           "status": default_shot_status})
            for task_number in range(1, 5):
                session.create("Task", {"name": f"task_{task_number}", "parent": shot,
                                        "status": default_task_status, "type": default_task_type})
    session.commit()
    with ctx.new_session() as other:
        tasks = other.query(f'select name, status_id from Task where project.name is "{name}"').all()
        assert len(tasks) == 64
        assert {task["status_id"] for task in tasks} == {default_task_status["id"]}
        assert len(other.query(f'Shot where project.name is "{name}"').all()) == 16


# Working with components ------------------------------------------------------------------------

def working_with_components(ctx):
    session = ctx.session
    _, _, task = ctx.project()
    version = ctx.version(task)
    path = ctx.file("file_or_sequence.jpg")
    component = version.create_component(path)
    session.commit()
    origin = session.query('Location where name is "ftrack.origin"').one()
    assert origin.get_filesystem_path(component) == path
    with ctx.new_session() as other:
        stored = other.get("AssetVersion", version["id"])
        assert [(c["name"], c["file_type"]) for c in stored["components"]] == [("main", ".jpg")]


# Using metadata ---------------------------------------------------------------------------------

def using_metadata(ctx):
    session = ctx.session
    project, _, _ = ctx.project()
    new_sequence = session.create("Sequence", {"name": "seq_meta", "parent": project})
    new_sequence["metadata"] = {"frame_padding": "4", "focal_length": "70"}
    session.commit()
    with ctx.new_session() as other:
        sequence = other.get("Sequence", new_sequence["id"])
        assert sorted(sequence["metadata"].keys()) == ["focal_length", "frame_padding"]
        assert sorted(sequence["metadata"].items()) == [("focal_length", "70"), ("frame_padding", "4")]
        assert sequence["metadata"]["frame_padding"] == "4"
        sequence["metadata"]["frame_padding"] = "5"
        other.commit()
    with ctx.new_session() as other:
        sequence = other.get("Sequence", new_sequence["id"])
        assert sequence["metadata"]["frame_padding"] == "5"
        sequence["metadata"] = {"frame_padding": "4"}
        other.commit()
    with ctx.new_session() as other:
        sequence = other.get("Sequence", new_sequence["id"])
        assert dict(sequence["metadata"].items()) == {"frame_padding": "4"}
        found = other.query(
            f'Sequence where project_id is "{project["id"]}" and '
            'metadata any (key is "frame_padding" and value is "4")'
        ).all()
        assert [entity["id"] for entity in found] == [new_sequence["id"]]


# Using custom attributes ------------------------------------------------------------------------

def _configuration(session, key, type_name, entity_type="task", object_type=None, **extra):
    """A custom attribute configuration readable and writable by every security role."""
    custom_attribute_type = session.query(f'CustomAttributeType where name is "{type_name}"').one()
    roles = session.query("SecurityRole").all()
    data = {"entity_type": entity_type, "type": custom_attribute_type, "label": key, "key": key,
            "read_security_roles": roles, "write_security_roles": roles, **extra}
    if object_type is not None:
        data["object_type_id"] = session.query(f'ObjectType where name is "{object_type}"').one()["id"]
    configuration = session.create("CustomAttributeConfiguration", data)
    session.commit()
    return configuration


def using_custom_attributes(ctx):
    session = ctx.session
    key = f"my_text_field_{uuid.uuid4().hex[:6]}"
    _configuration(session, key, "text", object_type="Task", default="")
    _, _, task = ctx.project()
    with ctx.new_session() as other:
        task = other.get("Task", task["id"])
        assert key in task["custom_attributes"]
        task["custom_attributes"][key] = "some text"
        other.commit()
    with ctx.new_session() as other:
        task = other.get("Task", task["id"])
        assert task["custom_attributes"][key] == "some text"
        assert (key, "some text") in task["custom_attributes"].items()
        task["custom_attributes"][key] = "bar"
        other.commit()
        found = other.query(f'Task where custom_attributes any (key is "{key}" and value is "bar")').all()
        assert [entity["id"] for entity in found] == [task["id"]]


def set_attributes_on_new_entities(ctx):
    """Limitations: create the entity first, then set its custom attributes."""
    session = ctx.session
    key = f"new_field_{uuid.uuid4().hex[:6]}"
    _configuration(session, key, "text", object_type="Task", default="")
    _, shot, task = ctx.project()
    new_task = session.create("Task", {"name": "new", "parent": shot, "type": task["type"], "status": task["status"]})
    new_task["custom_attributes"][key] = "bar"
    session.commit()
    assert new_task["custom_attributes"][key] == "bar"
    with ctx.new_session() as other:
        assert other.get("Task", new_task["id"])["custom_attributes"][key] == "bar"


def hierarchical_attributes(ctx):
    """Read and written like others; a value set on a shot is stored on the shot only (the
    documentation reads None on its tasks; clapboard_server lets tasks inherit it on read)."""
    session = ctx.session
    key = f"my_attribute_{uuid.uuid4().hex[:6]}"
    configuration = _configuration(session, key, "text", is_hierarchical=True)
    _, shot, task = ctx.project()
    shot["custom_attributes"][key] = "foo"
    session.commit()
    with ctx.new_session() as other:
        assert other.get("Shot", shot["id"])["custom_attributes"][key] == "foo"
        assert other.get("Task", task["id"])["custom_attributes"][key] == "foo"  # inherited on read
        stored = other.query(f'CustomAttributeValue where configuration_id is "{configuration["id"]}"').all()
        assert [value["entity_id"] for value in stored] == [shot["id"]]


def validation(ctx):
    session = ctx.session
    key = f"fstart_{uuid.uuid4().hex[:6]}"
    _configuration(session, key, "number", object_type="Shot")
    _, shot, _ = ctx.project()
    shot["custom_attributes"][key] = "test"
    try:
        session.commit()
    except ctx.api.exception.ServerError as error:
        assert "must be of type number" in str(error), str(error)
        session.rollback()
    else:
        raise AssertionError("a text value of a number custom attribute was accepted")
    shot = session.get("Shot", shot["id"])
    shot["custom_attributes"][key] = 1001
    session.commit()
    with ctx.new_session() as other:
        assert other.get("Shot", shot["id"])["custom_attributes"][key] == 1001


# Managing custom attribute configurations -------------------------------------------------------

def managing_custom_attribute_configurations(ctx):
    session = ctx.session
    assert session.query("CustomAttributeConfiguration").all() is not None
    custom_attribute_type = session.query('CustomAttributeType where name is "text"').one()
    key = f"asset_version_text_attribute_{uuid.uuid4().hex[:6]}"
    session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion", "type": custom_attribute_type, "label": "Asset version text attribute",
        "key": key, "default": "bar", "config": json.dumps({"markdown": False}),
    })
    session.commit()
    with ctx.new_session() as other:
        stored = other.query(f'CustomAttributeConfiguration where key is "{key}"').one()
        assert (stored["entity_type"], stored["default"], json.loads(stored["config"])) == (
            "assetversion", "bar", {"markdown": False})


def global_or_project_specific(ctx):
    session = ctx.session
    my_project, _, _ = ctx.project()
    custom_attribute_type = session.query('CustomAttributeType where name is "text"').one()
    key = f"project_text_{uuid.uuid4().hex[:6]}"
    configuration = session.create("CustomAttributeConfiguration", {
        "project_id": my_project["id"], "entity_type": "assetversion", "type": custom_attribute_type,
        "label": "Asset version text attribute", "key": key, "default": "bar",
        "config": json.dumps({"markdown": False}),
    })
    session.commit()
    configuration["project_id"] = None
    session.commit()
    with ctx.new_session() as other:
        stored = other.query(f'CustomAttributeConfiguration where key is "{key}"').one()
        assert stored["project_id"] is None
        stored["project_id"] = my_project["id"]
        try:
            other.commit()
        except ctx.api.exception.ServerError:
            other.rollback()
        else:
            raise AssertionError("a global configuration was made project specific")


def entity_types(ctx):
    session = ctx.session
    custom_attribute_type = session.query('CustomAttributeType where name is "text"').one()
    object_type = session.query('ObjectType where name is "Folder"').one()
    key = f"foo_{uuid.uuid4().hex[:6]}"
    session.create("CustomAttributeConfiguration", {
        "entity_type": "task", "object_type_id": object_type["id"], "type": custom_attribute_type,
        "label": "Foo", "key": key, "default": "bar",
    })
    session.commit()
    project, _, _ = ctx.project()
    folder = session.create("Folder", {"name": "folder", "parent": project})
    session.commit()
    with ctx.new_session() as other:
        assert other.get("Folder", folder["id"])["custom_attributes"][key] == "bar"
        assert key not in other.get("Project", project["id"])["custom_attributes"]


def custom_attribute_configuration_types(ctx):
    session = ctx.session
    suffix = uuid.uuid4().hex[:6]
    enumerator = session.query('CustomAttributeType where name is "enumerator"').first()
    session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion", "type": enumerator, "label": "Enumerator attribute",
        "key": f"enumerator_attribute_{suffix}", "default": ["bar"],
        "config": json.dumps({"multiSelect": True, "data": json.dumps(
            [{"menu": "Foo", "value": "foo"}, {"menu": "Bar", "value": "bar"}])}),
    })
    number = session.query('CustomAttributeType where name is "number"').first()
    session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion", "type": number, "label": "Number attribute",
        "key": f"number_attribute_{suffix}", "default": 42, "config": json.dumps({"isdecimal": True}),
    })
    session.commit()
    with ctx.new_session() as other:
        found = other.query(f'CustomAttributeConfiguration where key like "%_attribute_{suffix}"').all()
        assert sorted((c["key"].split("_")[0], c["default"]) for c in found) == [
            ("enumerator", ["bar"]), ("number", 42)]


def changing_default(ctx):
    session = ctx.session
    key = f"number_default_{uuid.uuid4().hex[:6]}"
    custom_attribute_configuration = _configuration(session, key, "number", entity_type="assetversion", default=42)
    _, _, task = ctx.project()
    before = ctx.version(task)
    custom_attribute_configuration["default"] = 43
    session.commit()
    after = ctx.version(task)
    with ctx.new_session() as other:
        values = [other.get("AssetVersion", v["id"])["custom_attributes"][key] for v in (before, after)]
        assert values == [42, 43], values


def security_roles(ctx):
    session = ctx.session
    security_role = session.query("SecurityRole").first()
    custom_attribute_type = session.query('CustomAttributeType where name is "date"').first()
    key = f"date_attribute_{uuid.uuid4().hex[:6]}"
    session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion", "type": custom_attribute_type, "label": "Date attribute", "key": key,
        "default": ctx.api_arrow.Arrow(2017, 2, 8),
        "write_security_roles": [security_role], "read_security_roles": [security_role],
    })
    session.commit()
    with ctx.new_session() as other:
        stored = other.query(f'CustomAttributeConfiguration where key is "{key}"').one()
        assert [role["id"] for role in stored["read_security_roles"]] == [security_role["id"]]
        assert [role["id"] for role in stored["write_security_roles"]] == [security_role["id"]]


def custom_attribute_groups(ctx):
    session = ctx.session
    group = session.query("CustomAttributeGroup").first()
    if group is None:
        group = session.create("CustomAttributeGroup", {"name": f"group_{uuid.uuid4().hex[:6]}"})
    security_role = session.query("SecurityRole").first()
    custom_attribute_type = session.query('CustomAttributeType where name is "enumerator"').first()
    key = f"grouped_enumerator_{uuid.uuid4().hex[:6]}"
    session.create("CustomAttributeConfiguration", {
        "entity_type": "assetversion", "type": custom_attribute_type, "label": "Enumerator attribute",
        "key": key, "default": ["bar"],
        "config": json.dumps({"multiSelect": True, "data": json.dumps(
            [{"menu": "Foo", "value": "foo"}, {"menu": "Bar", "value": "bar"}])}),
        "group": group, "write_security_roles": [security_role], "read_security_roles": [security_role],
    })
    session.commit()
    with ctx.new_session() as other:
        stored = other.query(f'CustomAttributeConfiguration where key is "{key}"').one()
        assert stored["group"]["id"] == group["id"]


# Using link attributes --------------------------------------------------------------------------

def using_link_attributes(ctx):
    session = ctx.session
    project, shot, task = ctx.project()
    version = ctx.version(task)
    user = ctx.user()
    session.create("Timelog", {"user": user, "context": task, "start": ctx.api_arrow.utcnow(), "duration": 60})
    session.commit()
    with ctx.new_session() as other:
        task = other.query(f'select link from Task where name is "myTask" and project_id is "{project["id"]}"').first()
        names = [item["name"] for item in task["link"]]
        assert names[0] in (project["name"], project["full_name"]) and names[1:] == ["seq_1", "010", "myTask"], names
        entities = [other.get(item["type"], item["id"]) for item in task["link"]]
        assert [entity["id"] for entity in entities] == [project["id"], shot["parent"]["id"], shot["id"], task["id"]]
        timelogs = other.query(
            "select context.link, start, duration from Timelog "
            f'where user.username is "{other.api_user}" and context_id is "{task["id"]}"'
        ).all()
        assert [t["context"]["link"][-1]["id"] for t in timelogs] == [task["id"]]
        versions = other.query(f'select link from AssetVersion where user.username is "{other.api_user}" '
                               f'and id is "{version["id"]}"').all()
        assert versions[0]["link"][0]["id"] == project["id"]


# Using scopes -----------------------------------------------------------------------------------

def using_scopes(ctx):
    session = ctx.session
    name = f"London_{uuid.uuid4().hex[:6]}"
    session.create("Scope", {"name": name})
    _, _, task = ctx.project()
    scope = session.query(f'Scope where name is "{name}"')[0]
    if scope in task["scopes"]:
        task["scopes"].remove(scope)
    else:
        task["scopes"].append(scope)
    session.commit()
    with ctx.new_session() as other:
        tasks = other.query(f'Task where scopes.name is "{name}"').all()
        assert [t["id"] for t in tasks] == [task["id"]]
        task = other.get("Task", task["id"])
        scope = other.query(f'Scope where name is "{name}"')[0]
        task["scopes"].remove(scope)
        other.commit()
    with ctx.new_session() as other:
        assert not other.query(f'Task where scopes.name is "{name}"').all()


# Managing jobs ----------------------------------------------------------------------------------

def managing_jobs(ctx):
    session = ctx.session
    user = ctx.user()
    job = session.create("Job", {"user": user, "status": "running",
                                 "data": json.dumps({"description": "My custom job description."})})
    session.commit()
    with ctx.new_session() as other:
        stored = other.get("Job", job["id"])
        assert stored["status"] == "running"
        assert json.loads(stored["data"]) == {"description": "My custom job description."}
    job["status"] = "done"
    session.commit()
    with ctx.new_session() as other:
        assert other.get("Job", job["id"])["status"] == "done"


def job_attachments(ctx):
    session = ctx.session
    job = session.create("Job", {"user": ctx.user(), "status": "running"})
    session.commit()
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(ctx.file("report.txt", b"job report"), data={"name": "My file"},
                                          location=server_location)
    session.create("JobComponent", {"component_id": component["id"], "job_id": job["id"]})
    session.commit()
    with ctx.new_session() as other:
        server_location = other.query('Location where name is "ftrack.server"').one()
        urls = [server_location.get_url(job_component["component"])
                for job_component in other.get("Job", job["id"])["job_components"]]
        assert len(urls) == 1 and component["id"] in urls[0]
        assert _download(urls[0]) == b"job report"


def _download(url):
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


# Using notes ------------------------------------------------------------------------------------

def using_notes(ctx):
    session = ctx.session
    _, _, task = ctx.project()
    user = session.query("User").first()
    note = task.create_note("My new note", author=user)
    manual = session.create("Note", {"content": "My manual note", "author": user})
    task["notes"].append(manual)
    session.commit()
    first_note_on_task = task["notes"][0]
    first_note_on_task.create_reply("My new reply on note", author=user)
    reply = session.create("Note", {"content": "My manual reply", "author": user})
    first_note_on_task["replies"].append(reply)
    label = session.query('NoteLabel where name is "External Note"').first()
    labelled = task.create_note("New note with external category", author=user, labels=[label])
    manual_labelled = session.create("Note", {"content": "New note with external category", "author": user})
    session.create("NoteLabelLink", {"note_id": manual_labelled["id"], "label_id": label["id"]})
    task["notes"].append(manual_labelled)
    category = session.query('NoteCategory where name is "External Note"').first()
    categorised = task.create_note("New note with external category", author=user, category=category)
    john = session.create("User", {"username": f"john_{uuid.uuid4().hex[:6]}", "is_active": True})
    animation_group = session.create("Group", {"name": f"Animation_{uuid.uuid4().hex[:6]}"})
    with_recipients = task.create_note("Note with recipients", author=user, recipients=[john, animation_group])
    session.commit()
    with ctx.new_session() as other:
        notes_on_task = other.get("Task", task["id"])["notes"]
        queried = other.query(f'Note where parent_id is "{task["id"]}"').all()
        assert {n["id"] for n in notes_on_task} == {n["id"] for n in queried} == {
            note["id"], manual["id"], labelled["id"], manual_labelled["id"], categorised["id"], with_recipients["id"]}
        first = other.get("Note", first_note_on_task["id"])
        assert sorted(r["content"] for r in first["replies"]) == ["My manual reply", "My new reply on note"]
        for labelled_id in (labelled["id"], manual_labelled["id"]):
            assert [link["label_id"] for link in other.get("Note", labelled_id)["note_label_links"]] == [label["id"]]
        assert other.get("Note", categorised["id"])["category"]["name"] == "External Note"
        recipients = other.get("Note", with_recipients["id"])["recipients"]
        assert {r["resource_id"] for r in recipients} == {john["id"], animation_group["id"]}


def note_attachments(ctx):
    session = ctx.session
    _, _, task = ctx.project()
    note = task.create_note("With attachment", author=ctx.user())
    session.commit()
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(ctx.file("notes.txt", b"note data"), data={"name": "My file"},
                                          location=server_location)
    session.create("NoteComponent", {"component_id": component["id"], "note_id": note["id"]})
    session.commit()
    with ctx.new_session() as other:
        server_location = other.query('Location where name is "ftrack.server"').one()
        urls = [server_location.get_url(note_component["component"])
                for note_component in other.get("Note", note["id"])["note_components"]]
        assert len(urls) == 1 and _download(urls[0]) == b"note data"


# Using lists ------------------------------------------------------------------------------------

def using_lists(ctx):
    session = ctx.session
    project, _, task = ctx.project()
    asset_version = ctx.version(task)
    user = ctx.user()
    list_category = session.query("ListCategory").first()
    asset_version_list = session.create("AssetVersionList", {"owner": user, "project": project,
                                                             "category": list_category, "name": "versions"})
    task_list = session.create("TypedContextList", {"owner": user, "project": project,
                                                    "category": list_category, "name": "tasks"})
    asset_version_list["items"].append(asset_version)
    task_list["items"].append(task)
    session.commit()
    with ctx.new_session() as other:
        assert [i["id"] for i in other.get("AssetVersionList", asset_version_list["id"])["items"]] == [asset_version["id"]]
        assert [i["id"] for i in other.get("TypedContextList", task_list["id"])["items"]] == [task["id"]]
    asset_version_list["items"].remove(asset_version)
    task_list["items"].remove(task)
    session.commit()
    with ctx.new_session() as other:
        assert not other.get("AssetVersionList", asset_version_list["id"])["items"]
        assert not other.get("TypedContextList", task_list["id"])["items"]


# Using timers -----------------------------------------------------------------------------------

def using_timers(ctx):
    session = ctx.session
    _, _, task = ctx.project()
    user = ctx.user()
    for timer in session.query(f'Timer where user_id is "{user["id"]}"').all():
        session.delete(timer)
    session.commit()
    user.start_timer(task)
    with ctx.new_session() as other:
        assert [t["context_id"] for t in other.query(f'Timer where user_id is "{user["id"]}"').all()] == [task["id"]]
    try:
        user.start_timer(task)
    except ctx.api.exception.NotUniqueError:
        session.rollback()
    else:
        raise AssertionError("a second timer was started")
    user.start_timer(task, force=True)
    timelog = user.stop_timer()
    assert timelog["context_id"] == task["id"] and timelog["user_id"] == user["id"]
    with ctx.new_session() as other:
        assert other.get("Timelog", timelog["id"])["duration"] >= 0
        assert not other.query(f'Timer where user_id is "{user["id"]}"').all()


# Working with assignments and allocations -------------------------------------------------------

def working_with_assignments_and_allocations(ctx):
    session = ctx.session
    project, _, task = ctx.project()
    member = session.create("User", {"username": f"member_{uuid.uuid4().hex[:6]}", "is_active": True})
    group = session.create("Group", {"name": f"team_{uuid.uuid4().hex[:6]}"})
    session.create("Membership", {"group": group, "user": member})
    current_user = session.query(f"User where username is {session.api_user}").one()
    session.create("Appointment", {"context": project, "resource": group, "type": "allocation"})
    session.create("Appointment", {"context": project, "resource": current_user, "type": "allocation"})
    session.create("Appointment", {"context": task, "resource": current_user, "type": "assignment"})
    session.commit()
    with ctx.new_session() as other:
        project = other.get("Project", project["id"])
        project_team = set()
        for allocation in project["allocations"]:
            resource = allocation["resource"]
            if isinstance(resource, other.types["Group"]):
                for membership in resource["memberships"]:
                    project_team.add(membership["user"])
            else:
                project_team.add(resource)
        assert {user["id"] for user in project_team} == {member["id"], current_user["id"]}
        users = other.query("select first_name, last_name from User "
                            'where assignments any (context_id = "{}")'.format(task["id"])).all()
        assert [user["id"] for user in users] == [current_user["id"]]
        assigned_tasks = other.query("select link from Task "
                                     f'where assignments any (resource.username = "{other.api_user}")').all()
        paths = [" / ".join(item["name"] for item in t["link"][1:]) for t in assigned_tasks
                 if t["link"][0]["id"] == project["id"]]
        assert paths == ["seq_1 / 010 / myTask"], paths


# Using entity links -----------------------------------------------------------------------------

def using_entity_links(ctx):
    session = ctx.session
    project, shot, task = ctx.project()
    from_asset_version, to_asset_version = ctx.version(task), ctx.version(task)
    session.create("AssetVersionLink", {"from": from_asset_version, "to": to_asset_version})
    asset_build = session.create("AssetBuild", {"name": "character", "parent": project})
    session.create("TypedContextLink", {"from": asset_build, "to": shot})
    session.commit()
    with ctx.new_session() as other:
        links = [(link["from"]["id"], link["to"]["id"]) for link in other.get("Shot", shot["id"])["incoming_links"]]
        assert links == [(asset_build["id"], shot["id"])]
        outgoing = other.get("AssetBuild", asset_build["id"])["outgoing_links"]
        assert [link["to"]["id"] for link in outgoing] == [shot["id"]]
        version_links = other.get("AssetVersion", to_asset_version["id"])["incoming_links"]
        assert [link["from"]["id"] for link in version_links] == [from_asset_version["id"]]


def using_asset_version_link_shortcut(ctx):
    session = ctx.session
    _, _, task = ctx.project()
    model_version, rig_version = ctx.version(task), ctx.version(task)
    rig_version["uses_versions"].append(model_version)
    session.commit()
    with ctx.new_session() as other:
        model_version = other.get("AssetVersion", model_version["id"])
        assert [version["id"] for version in model_version["used_in_versions"]] == [rig_version["id"]]
        links = other.query(f'AssetVersionLink where to_id is "{rig_version["id"]}"').all()
        assert [link["from_id"] for link in links] == [model_version["id"]] or \
            [link["to_id"] for link in other.query(f'AssetVersionLink where from_id is "{rig_version["id"]}"').all()] \
            == [model_version["id"]]


# Publishing versions ----------------------------------------------------------------------------

def publishing_versions(ctx):
    session = ctx.session
    _, _, created_task = ctx.project()
    task = session.get("Task", created_task["id"])
    asset_parent = task["parent"]
    asset_type = session.query('AssetType where name is "Geometry"').one()
    asset = session.create("Asset", {"name": "My asset", "type": asset_type, "parent": asset_parent})
    asset_version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    asset_version.create_component(ctx.file("file.mov"), location="auto")
    asset_version.create_component(ctx.file("another-file.mov"), data={"name": "another"}, location="auto")
    session.commit()
    location = session.query('Location where name is "ftrack.unmanaged"').one()
    asset_version.create_component(ctx.file("named.mov"), data={"name": "foobar"}, location=location)
    session.commit()
    with ctx.new_session() as other:
        version = other.get("AssetVersion", asset_version["id"])
        assert version["task"]["id"] == task["id"] and version["asset"]["parent"]["id"] == asset_parent["id"]
        assert sorted(c["name"] for c in version["components"]) == ["another", "foobar", "main"]
        location = other.query('Location where name is "ftrack.unmanaged"').one()
        foobar = next(c for c in version["components"] if c["name"] == "foobar")
        assert location.get_component_availability(foobar) == 100.0


# Working with Task Templates --------------------------------------------------------------------

def query_task_templates(ctx):
    session = ctx.session
    project, _, _ = ctx.project()
    project = session.get("Project", project["id"])
    found = {}
    for task_template in project["project_schema"]["task_templates"]:
        found[task_template["name"]] = [item["task_type"]["name"] for item in task_template["items"]]
    assert found and all(found.values()), found


def apply_a_task_template(ctx):
    session = ctx.session
    project, _, _ = ctx.project()
    project = session.get("Project", project["id"])
    task_template = random.choice(project["project_schema"]["task_templates"])
    names = []
    for task_type in [t["task_type"] for t in task_template["items"]]:
        session.create("Task", {"name": task_type["name"], "type": task_type, "parent": project})
        names.append(task_type["name"])
    session.commit()
    with ctx.new_session() as other:
        tasks = other.query(f'Task where parent_id is "{project["id"]}"').all()
        assert sorted(t["name"] for t in tasks) == sorted(names)


# Sync users with LDAP ---------------------------------------------------------------------------

def write_ldap_directory(path, usernames):
    """The stand-in LDAP directory: an LDIF export of ``usernames`` (people of example.org)."""
    entries = [
        f"dn: uid={name},ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: {name}\n"
        f"mail: {name}@example.org\ngivenName: {name.title()}\nsn: Example\n"
        for name in usernames
    ]
    entries.append("dn: cn=artists,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: artists\n")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("version: 1\n\n" + "\n".join(entries))


def sync_users_with_ldap(ctx):
    """Run against the test's stand-in directory: an LDIF file named by the server's
    ``ldap.directory`` setting, holding the users of USAGE_LDAP_USERS."""
    session = ctx.session
    expected = os.environ["USAGE_LDAP_USERS"].split(",")
    result = session.call([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])
    job = result[0]["data"]
    assert job.entity_type == "Job", job
    assert job.get("status") == "done", job.get("data")
    with ctx.new_session() as other:
        for username in expected:
            user = other.query(f'User where username is "{username}"').one()
            assert (user["email"], user["first_name"], user["is_active"]) == (
                f"{username}@example.org", username.title(), True)
        assert not other.query('User where username is "artists"').all()


EXAMPLES = {function.__name__: function for function in (
    creating_a_project, working_with_components, using_metadata, using_custom_attributes,
    set_attributes_on_new_entities, hierarchical_attributes, validation, managing_custom_attribute_configurations,
    global_or_project_specific, entity_types, custom_attribute_configuration_types, changing_default,
    security_roles, custom_attribute_groups, using_link_attributes, using_scopes, managing_jobs, job_attachments,
    using_notes, note_attachments, using_lists, using_timers, working_with_assignments_and_allocations,
    using_entity_links, using_asset_version_link_shortcut, publishing_versions, query_task_templates,
    apply_a_task_template, sync_users_with_ldap,
)}


def run(api, arrow, new_session, name):
    """Run example ``name`` with client module ``api``."""
    ctx = Context(api, new_session)
    ctx.api_arrow = arrow
    try:
        EXAMPLES[name](ctx)
    finally:
        ctx.close()


def main():
    import arrow
    import ftrack_api
    import ftrack_api.exception

    run(ftrack_api, arrow, lambda: ftrack_api.Session(auto_connect_event_hub=False), sys.argv[1])


if __name__ == "__main__":
    main()
