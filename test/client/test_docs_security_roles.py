"""The "Working with user security roles" example, against the embedded server, and what the
grants it creates then allow the user to do."""

import uuid

import clapboard
import clapboard.exception
import pytest
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def user_session(server, session, user):
    key = session.reset_remote("api_key", user)["api_key"]
    return clapboard.Session(server.server_url, key, user["username"], schema_cache_path=False)


def make_projects(session, *names):
    schema = session.query("ProjectSchema").first()
    return [session.create("Project", {"name": n, "full_name": n, "project_schema": schema}) for n in names]


def test_working_with_user_security_roles(session, server, capsys):
    suffix = uuid.uuid4().hex[:8]
    user = session.create("User", {"username": f"artist-{suffix}", "is_active": True})
    project1, project2, other = make_projects(session, f"project1-{suffix}", f"project2-{suffix}", f"other-{suffix}")
    session.commit()

    # List all available security roles.
    security_roles = session.query('select name from SecurityRole where type is "PROJECT"')
    assert {"Administrator", "Project Manager", "Supervisor", "User", "Viewer"} <= {r["name"] for r in security_roles}

    # User security roles can be added to a user for certain projects only ...
    project_manager_role = session.query('SecurityRole where name is "Project Manager"').one()
    projects = session.query(
        f'Project where full_name is "{project1["full_name"]}" or full_name is "{project2["full_name"]}"'
    ).all()[:]
    session.create("UserSecurityRole", {"user": user, "security_role": project_manager_role, "projects": projects})
    session.commit()

    # To get all security roles from a user we can either use relations ...
    for user_security_role in user["user_security_roles"]:
        if user_security_role["is_all_projects"]:
            result_string = "all projects"
        else:
            result_string = ", ".join(sorted(project["full_name"] for project in user_security_role["projects"]))
        print('User has security role "{}" which is valid on {}.'.format(
            user_security_role["security_role"]["name"], result_string))
    assert capsys.readouterr().out == (
        f'User has security role "Project Manager" which is valid on '
        f'{project1["full_name"]}, {project2["full_name"]}.\n'
    )

    with user_session(server, session, user) as artist:
        # ... or query them directly.
        user_security_roles = artist.query(f'UserSecurityRole where user.username is "{artist.api_user}"').all()
        assert [r["security_role"]["name"] for r in user_security_roles] == ["Project Manager"]
        names = {p["name"] for p in artist.query("Project")}
        assert names >= {project1["name"], project2["name"]} and other["name"] not in names
        artist.create("Sequence", {"name": "sq010", "parent": artist.get("Project", project1["id"])})
        artist.commit()
        assert artist.get("Project", other["id"]) is None
        artist.create("Sequence", {"name": "sq011", "parent": artist.get("Project", project1["id"])})
        artist.create("Sequence", {"name": "sq020", "parent_id": other["id"]})
        with pytest.raises(clapboard.exception.ServerError, match="Permission denied: cannot create Sequence"):
            artist.commit()
    assert session.query(f'Sequence where project.id is "{project1["id"]}"').all()[0]["name"] == "sq010"
    assert len(session.query(f'Sequence where project.id in ("{project1["id"]}", "{other["id"]}")').all()) == 1

    # User security roles can also be added to a user for all projects.
    session.create("UserSecurityRole", {"is_all_projects": True, "user": user, "security_role": project_manager_role})
    session.commit()
    with user_session(server, session, user) as artist:
        assert artist.query(f'Project where id is "{other["id"]}"').one()["name"] == other["name"]
        artist.create("Sequence", {"name": "sq020", "parent": artist.get("Project", other["id"])})
        artist.commit()


def test_users_cannot_grant_themselves_roles(session, server):
    suffix = uuid.uuid4().hex[:8]
    user = session.create("User", {"username": f"climber-{suffix}", "is_active": True})
    session.commit()
    with user_session(server, session, user) as climber:
        administrator = climber.query('SecurityRole where name is "Administrator"').one()
        climber.create("UserSecurityRole", {"is_all_projects": True, "user": climber.get("User", user["id"]),
                                            "security_role": administrator})
        with pytest.raises(clapboard.exception.ServerError, match="cannot grant themselves roles"):
            climber.commit()
        admin = climber.query(f'User where username is "{server.api_user}"').one()
        with pytest.raises(clapboard.exception.ServerError, match="Permission denied"):
            climber.reset_remote("api_key", admin)
    assert session.query(f'UserSecurityRole where user.id is "{user["id"]}"').all() == []
