"""The "Working with user security roles" example, run as the administrator, then the grants it
made used by the user it made them for.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import os
import uuid

import ftrack_api
import ftrack_api.exception


def main():
    session = ftrack_api.Session(auto_connect_event_hub=False)
    suffix = uuid.uuid4().hex[:8]
    schema = session.query("ProjectSchema").first()
    names = [f"project1-{suffix}", f"project2-{suffix}", f"other-{suffix}"]
    for name in names:
        session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    user = session.create("User", {"username": f"artist-{suffix}", "is_active": True})
    session.commit()

    # List all available security roles like this:
    security_roles = session.query('select name from SecurityRole where type is "PROJECT"')
    print("project roles:", sorted(role["name"] for role in security_roles))

    project_manager_role = session.query('SecurityRole where name is "Project Manager"').one()

    # ... or for certain projects only like this:
    projects = session.query(
        f'Project where full_name is "{names[0]}" or full_name is "{names[1]}"'
    ).all()[:]
    session.create("UserSecurityRole", {
        "user": user,
        "security_role": project_manager_role,
        "projects": projects,
    })
    session.commit()

    # To get all security roles from a user we can either use relations like this:
    lines = []
    for user_security_role in user["user_security_roles"]:
        if user_security_role["is_all_projects"]:
            result_string = "all projects"
        else:
            result_string = ", ".join(
                sorted(project["full_name"] for project in user_security_role["projects"])
            )
        lines.append('User has security role "{}" which is valid on {}.'.format(
            user_security_role["security_role"]["name"], result_string
        ))
    print("\n".join(lines))
    assert lines == ['User has security role "Project Manager" which is valid on {}, {}.'.format(*names[:2])]

    key = session.reset_remote("api_key", user)["api_key"]
    artist = ftrack_api.Session(
        server_url=os.environ["FTRACK_SERVER"], api_user=user["username"], api_key=key,
        auto_connect_event_hub=False,
    )
    # ... or query them directly like this:
    user_security_roles = artist.query(
        f'UserSecurityRole where user.username is "{artist.api_user}"'
    ).all()
    assert [r["security_role"]["name"] for r in user_security_roles] == ["Project Manager"]
    visible = {project["name"] for project in artist.query("Project")}
    assert set(names[:2]) <= visible and names[2] not in visible, visible

    # User security roles can also be added to a user for all projects like this:
    session.create("UserSecurityRole", {
        "is_all_projects": True,
        "user": user,
        "security_role": project_manager_role,
    })
    session.commit()
    other = artist.query(f'Project where name is "{names[2]}"').one()
    artist.create("Sequence", {"name": "sq010", "parent": other})
    artist.commit()
    print("all projects grant works:", other["name"])


if __name__ == "__main__":
    main()
