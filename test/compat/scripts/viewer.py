"""A Viewer using the real ftrack client reads a project it is granted but cannot commit to it.

Run as the administrator, who creates the project, the Viewer and the grant, and checks that
the refused commit changed nothing.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import os
import uuid

import ftrack_api
import ftrack_api.exception


def main():
    admin = ftrack_api.Session(auto_connect_event_hub=False)
    name = f"viewed-{uuid.uuid4().hex[:8]}"
    schema = admin.query("ProjectSchema").first()
    project = admin.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    sequence = admin.create("Sequence", {"name": "sq010", "parent": project})
    shot = admin.create("Shot", {"name": "sh010", "parent": sequence})
    viewer_user = admin.create("User", {"username": f"viewer-{uuid.uuid4().hex[:8]}", "is_active": True})
    viewer_role = admin.query('SecurityRole where name is "Viewer"').one()
    admin.create("UserSecurityRole", {"user": viewer_user, "security_role": viewer_role, "projects": [project]})
    admin.commit()
    key = admin.reset_remote("api_key", viewer_user)["api_key"]

    viewer = ftrack_api.Session(
        server_url=os.environ["FTRACK_SERVER"], api_user=viewer_user["username"], api_key=key,
        auto_connect_event_hub=False,
    )
    seen = viewer.query(f'select name, parent.name from Shot where project.name is "{name}"').one()
    assert seen["name"] == "sh010" and seen["parent"]["name"] == "sq010"
    print("viewer reads:", seen["name"])

    seen["name"] = "renamed"
    viewer.create("Note", {"content": "cannot write this", "parent": seen})
    try:
        viewer.commit()
    except ftrack_api.exception.ServerError as error:
        message = str(error)
        assert "Permission denied" in message and "Shot" in message and "contexts.update" in message, message
        print("viewer commit refused:", message)
    else:
        raise AssertionError("the Viewer's commit was accepted")

    check = ftrack_api.Session(auto_connect_event_hub=False)
    stored = check.get("Shot", shot["id"])
    assert stored["name"] == "sh010", stored["name"]
    assert check.query('Note where parent_id is "{}"'.format(shot["id"])).all() == []


if __name__ == "__main__":
    main()
