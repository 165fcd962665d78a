"""Building blocks of the security tests: users holding roles, and a small project tree."""

import uuid

from server_api import Api, create, ref

ROLES = ("Administrator", "API", "Project Manager", "Supervisor", "User", "Viewer", "Assigned")
ALL_PROJECT_ROLES = ("Administrator", "API")


def role_id(api, name):
    return api.one(f'select id from SecurityRole where name is "{name}"')["id"]


def make_user(server, api, role=None, projects=(), all_projects=False, name="u"):
    """A new user (holding ``role`` on ``projects`` or on all projects) and an Api acting as them."""
    user = create("User", username=f"{name}-{uuid.uuid4().hex[:8]}", is_active=True)
    api.call(user)
    user_id = user["entity_data"]["id"]
    if role is not None:
        grant(api, user_id, role, projects, all_projects)
    key = api.call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                    "entity_key": [user_id]})[0]["data"]["api_key"]
    return user_id, Api(server, user=user["entity_data"]["username"], key=key), key


def grant(api, user_id, role, projects=(), all_projects=False):
    """A UserSecurityRole as the docs' "Working with user security roles" example creates it."""
    data = {"user": {"__entity_type__": "User", "id": user_id},
            "security_role": {"__entity_type__": "SecurityRole", "id": role_id(api, role)}}
    if all_projects:
        data["is_all_projects"] = True
    else:
        data["projects"] = [{"__entity_type__": "Project", "id": p} for p in projects]
    operation = create("UserSecurityRole", **data)
    api.call(operation)
    return operation["entity_data"]["id"]


def task_text_attribute(api, label, roles=None):
    """A text custom attribute configuration on tasks (not yet sent), readable and writable by
    ``roles`` (security role references; every role by default)."""
    if roles is None:
        roles = [{"__entity_type__": "SecurityRole", "id": r["id"]} for r in api.query("select id from SecurityRole")]
    text = api.one('select id from CustomAttributeType where name is "text"')
    task_type = api.one('select id from ObjectType where name is "Task"')
    return create("CustomAttributeConfiguration", key=f"{label.lower()}_{uuid.uuid4().hex[:6]}", label=label,
                  entity_type="task", object_type=ref(task_type), type=ref(text), default="", config="{}",
                  read_security_roles=roles, write_security_roles=roles)


def build_tree(api, project_schema, name=None):
    """Project > sequence > shot > task, an asset with a version and component, a note and a
    time log on the task, and a list: ``{kind: id}``."""
    name = name or f"sec-{uuid.uuid4().hex[:8]}"
    project = create("Project", name=name, full_name=name, project_schema=ref(project_schema))
    sequence = create("Sequence", name="sq010", parent=ref(project))
    shot = create("Shot", name="sh010", parent=ref(sequence))
    task = create("Task", name="comp", parent=ref(shot))
    asset_type = api.query("select id from AssetType")[0]
    asset = create("Asset", name="plate", parent=ref(shot), type=ref(asset_type))
    version = create("AssetVersion", asset=ref(asset), task=ref(task))
    component = create("FileComponent", name="main", version=ref(version))
    note = create("Note", content="looks good", parent=ref(task))
    timelog = create("Timelog", duration=3600, context=ref(task),
                     start="2024-01-01T10:00:00")
    category = api.query("select id from ListCategory")[0]
    lst = create("TypedContextList", name="dailies", project=ref(project), category=ref(category),
                 is_open=True)
    api.call(project, sequence, shot, task, asset, version, component, note, timelog, lst)
    items = {"Project": project, "Sequence": sequence, "Shot": shot, "Task": task, "Asset": asset,
             "AssetVersion": version, "Component": component, "Note": note, "Timelog": timelog,
             "List": lst}
    return {kind: operation["entity_data"]["id"] for kind, operation in items.items()}
