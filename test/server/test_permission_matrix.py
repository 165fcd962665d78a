"""Every seeded role, on a granted and an ungranted project, against every kind of project data.

The expected outcome is the table below: for each role, what a user holding it on a project may
do there (``r`` read, ``c`` create, ``u`` update, ``d`` delete; for ``File``: ``r`` download,
``u`` upload, ``d`` remove; for ``ftrack.update``: ``r`` receive). On an ungranted project only
the all-project roles (Administrator, API) may do anything. ``Assigned`` is an ASSIGNED-type
role: it works on the task assigned to the user (and on what hangs from that task).
"""

import uuid

import pytest
import requests
from security_world import ALL_PROJECT_ROLES, ROLES, build_tree, grant, make_user, task_text_attribute
from server_api import create, ref
from socketio_client import Client

EXPECTED = """
role            | Project | Sequence | Shot | Task | TaskStatus | Note | AssetVersion | Component | File | Timelog | CustomAttributeValue | List | ftrack.update
Administrator   | rcud    | rcud     | rcud | rcud | u          | rcud | rcud         | rcud      | rud  | rcud    | rcud                 | rcud | r
API             | rcud    | rcud     | rcud | rcud | u          | rcud | rcud         | rcud      | rud  | rcud    | rcud                 | rcud | r
Project Manager | ru      | rcud     | rcud | rcud | u          | rcud | rcud         | rcud      | rud  | rcud    | rcud                 | rcud | r
Supervisor      | r       | rcu      | rcu  | rcu  | u          | rcud | rcud         | rcud      | rud  | rcud    | rcud                 | rcud | r
User            | r       | r        | r    | r    | u          | rcud | rcu          | rcu       | ru   | rcud    | rcu                  | r    | r
Viewer          | r       | r        | r    | r    | -          | r    | r            | r         | r    | r       | r                    | r    | r
Assigned        | -       | -        | -    | r    | u          | rcu  | rcu          | rcu       | ru   | rcu     | r                    | -    | r
"""


def expected_table():
    lines = [line for line in EXPECTED.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].split("|")]
    table = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split("|")]
        table[cells[0]] = {kind: cells[i].replace("-", "") for i, kind in enumerate(header) if i}
    return header[1:], table


KINDS, TABLE = expected_table()


def test_the_table_covers_every_seeded_role():
    assert tuple(TABLE) == ROLES


def expected(role, granted):
    if granted or role in ALL_PROJECT_ROLES:
        return TABLE[role]
    return {kind: "" for kind in KINDS}


@pytest.fixture(scope="module")
def setting(server, api, project_schema):
    """A custom attribute on tasks every seeded role may read and write, and a decoy project."""
    configuration = task_text_attribute(api, "Matrix")
    decoy = build_tree(api, project_schema)
    api.call(configuration)
    schema = api.one(f'select task_workflow_schema_id from ProjectSchema where id is "{project_schema["id"]}"')
    statuses = api.query(f'select status_id from WorkflowSchemaStatus where workflow_schema_id is '
                         f'"{schema["task_workflow_schema_id"]}"')
    return {"configuration": configuration["entity_data"]["id"], "decoy": decoy["Project"],
            "statuses": [s["status_id"] for s in statuses]}


class Attempts:
    """Runs one role's attempts on one project tree; records what was allowed."""

    def __init__(self, server, admin, me, key, tree, project_schema, setting):
        self.server, self.admin, self.me, self.key = server, admin, me, key
        self.tree, self.schema, self.setting = tree, project_schema, setting

    def allowed(self, *operations):
        """True when the batch succeeds, False when refused for lack of permission."""
        result = self.me.raw(list(operations))
        if isinstance(result, dict):
            assert result["exception"] == "PermissionError", result
            assert "Permission denied" in result["content"] and "missing permission" in result["content"] \
                or "themselves" in result["content"], result
            return False
        return True

    def readable(self, expression):
        rows = self.me.query(expression)
        assert len(rows) <= 1, rows
        return len(rows) == 1

    def victim(self, operation):
        """``operation``'s entity created by the administrator; return a delete of it as the user."""
        self.admin.call(operation)
        return {"action": "delete", "entity_type": operation["entity_type"],
                "entity_key": operation["entity_key"]}

    def update(self, kind, entity_id, **data):
        return {"action": "update", "entity_type": kind, "entity_key": [entity_id], "entity_data": data}

    def standard(self, kind, new, change, victim):
        """Read, create, update and delete an entity of ``kind``."""
        entity_id = self.tree[kind]
        outcome = ""
        outcome += "r" if self.readable(f'select id from {kind} where id is "{entity_id}"') else ""
        outcome += "c" if self.allowed(new()) else ""
        outcome += "u" if self.allowed(self.update(kind, entity_id, **change)) else ""
        outcome += "d" if self.allowed(self.victim(victim())) else ""
        return outcome

    def run(self):
        t = self.tree
        project, sequence, shot, task = (ref_to(k, t[k]) for k in ("Project", "Sequence", "Shot", "Task"))
        version, asset = ref_to("AssetVersion", t["AssetVersion"]), ref_to("Asset", t["Asset"])
        category = self.admin.query("select id from ListCategory")[0]
        outcome = {}
        outcome["Project"] = self.standard(
            "Project", lambda: new_project(self.schema), {"full_name": "renamed"}, lambda: new_project(self.schema))
        outcome["Sequence"] = self.standard(
            "Sequence", lambda: create("Sequence", name=unique("sq"), parent=project), {"name": unique("sq")},
            lambda: create("Sequence", name=unique("sq"), parent=project))
        outcome["Shot"] = self.standard(
            "Shot", lambda: create("Shot", name=unique("sh"), parent=sequence), {"name": unique("sh")},
            lambda: create("Shot", name=unique("sh"), parent=sequence))
        outcome["Task"] = self.standard(
            "Task", lambda: create("Task", name=unique("t"), parent=shot), {"name": unique("t")},
            lambda: create("Task", name=unique("t"), parent=shot))
        status = next(s for s in self.setting["statuses"] if s != self.status_of(t["Task"]))
        outcome["TaskStatus"] = "u" if self.allowed(self.update("Task", t["Task"], status_id=status)) else ""
        outcome["Note"] = self.standard(
            "Note", lambda: create("Note", content="more", parent=task), {"content": "edited"},
            lambda: create("Note", content="old", parent=task))
        outcome["AssetVersion"] = self.standard(
            "AssetVersion", lambda: create("AssetVersion", asset=asset, task=task), {"comment": "edited"},
            lambda: create("AssetVersion", asset=asset, task=task))
        outcome["Component"] = self.standard(
            "Component", lambda: create("FileComponent", name=unique("c"), version=version), {"name": unique("c")},
            lambda: create("FileComponent", name=unique("c"), version=version))
        outcome["File"] = self.files()
        outcome["Timelog"] = self.standard(
            "Timelog", lambda: timelog(task), {"comment": "edited"}, lambda: timelog(task))
        outcome["CustomAttributeValue"] = self.custom_attribute_values(shot)
        outcome["List"] = self.standard(
            "List", lambda: new_list(project, category), {"name": unique("l")}, lambda: new_list(project, category))
        return outcome

    def status_of(self, task_id):
        return self.admin.one(f'select status_id from Task where id is "{task_id}"')["status_id"]

    def files(self):
        component_id = self.tree["Component"]
        url = self.server.server_url
        params = {"id": component_id, "username": self.me.headers["ftrack-user"], "apiKey": self.key}
        outcome = ""
        response = requests.get(f"{url}/component/get", params=params, timeout=30)
        assert response.status_code in (200, 403), response.text
        if response.status_code == 200:
            assert response.content == b"frame data"
            outcome += "r"
        outcome += "u" if self.allowed({"action": "get_upload_metadata", "component_id": component_id,
                                        "file_name": "main.exr", "file_size": 3, "checksum": None}) else ""
        response = requests.get(f"{url}/component/remove", params=params, timeout=30)
        assert response.status_code in (200, 403), response.text
        outcome += "d" if response.status_code == 200 else ""
        return outcome

    def custom_attribute_values(self, shot):
        configuration = self.setting["configuration"]
        kind = "ContextCustomAttributeValue"

        def value(task_id, text):
            return {"action": "update", "entity_type": kind, "entity_key": [configuration, task_id],
                    "entity_data": {"value": text}}

        outcome = ""
        outcome += "r" if self.readable(f'select value from {kind} where entity_id is "{self.tree["Task"]}" '
                                        f'and configuration_id is "{configuration}"') else ""
        fresh = create("Task", name=unique("t"), parent=shot)
        other = create("Task", name=unique("t"), parent=shot)
        self.admin.call(fresh, other, value(other["entity_data"]["id"], "doomed"))
        outcome += "c" if self.allowed(value(fresh["entity_data"]["id"], "new")) else ""
        outcome += "u" if self.allowed(value(self.tree["Task"], "changed")) else ""
        outcome += "d" if self.allowed({"action": "delete", "entity_type": kind,
                                        "entity_key": [configuration, other["entity_data"]["id"]]}) else ""
        return outcome


def ref_to(kind, entity_id):
    return {"__entity_type__": kind, "id": entity_id}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_project(schema):
    name = unique("p")
    return create("Project", name=name, full_name=name, project_schema=ref(schema))


def timelog(task):
    return create("Timelog", duration=60, context=task, start="2024-01-02T10:00:00")


def new_list(project, category):
    return create("TypedContextList", name=unique("l"), project=project, category=ref(category), is_open=True)


def upload_as_admin(server, admin, component_id, data):
    answer = admin.call({"action": "get_upload_metadata", "component_id": component_id, "file_name": "main.exr",
                         "file_size": len(data), "checksum": None})[0]
    response = requests.put(answer["url"], data=data, headers=answer["headers"], timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("granted", [True, False], ids=["granted", "ungranted"])
@pytest.mark.parametrize("role", ROLES)
def test_role_on_project(server, api, project_schema, setting, role, granted):
    tree = build_tree(api, project_schema)
    configuration = setting["configuration"]
    api.call({"action": "update", "entity_type": "ContextCustomAttributeValue",
              "entity_key": [configuration, tree["Task"]], "entity_data": {"value": "set by admin"}})
    upload_as_admin(server, api, tree["Component"], b"frame data")
    projects = [tree["Project"] if granted else setting["decoy"]]
    user_id, me, key = make_user(server, api, role, projects=projects, all_projects=role in ALL_PROJECT_ROLES)
    if role == "Assigned":
        api.call(create("Appointment", type="assignment", context=ref_to("Task", tree["Task"]),
                        resource=ref_to("User", user_id)))
    with Client(server, user=me.headers["ftrack-user"], key=key).connect() as listener:
        listener.subscribe("topic=ftrack.update")
        attempts = Attempts(server, api, me, key, tree, project_schema, setting)
        outcome = attempts.run()
        if role not in ALL_PROJECT_ROLES and granted:
            victim = new_project(project_schema)  # deleting a granted project: grant the victim too
            api.call(victim)
            grant(api, user_id, role, [victim["entity_data"]["id"]])
            deleted = attempts.allowed({"action": "delete", "entity_type": "Project",
                                        "entity_key": victim["entity_key"]})
            outcome["Project"] = outcome["Project"].replace("d", "") + ("d" if deleted else "")
        outcome["ftrack.update"] = received_update(api, listener, tree["Task"])
    assert outcome == expected(role, granted)


def received_update(admin, listener, task_id):
    """Whether the listener receives the ftrack.update of a task renamed by the administrator."""
    admin.call({"action": "update", "entity_type": "Task", "entity_key": [task_id],
                "entity_data": {"description": unique("d")}})
    listener.barrier()
    return "r" if any(
        entity["entityId"] == task_id
        for event in listener.events("ftrack.update") for entity in event["data"]["entities"]
    ) else ""
