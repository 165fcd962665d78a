"""The ftrack Python API tutorial, run as written against the configured server.

Follows the documentation's "Tutorial": list the entity types, query projects
and their keys, narrow with criteria, follow ``children``/``parent``, create
sequences both ways the tutorial shows, commit, and use a session as a context
manager. The tutorial assumes a project exists, so one is created first.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import arrow
import ftrack_api
import ftrack_api.collection
import ftrack_api.exception

TUTORIAL_TYPES = (
    "TypedContext", "ObjectType", "Priority", "Project", "Sequence",
    "Shot", "Task", "Status", "Type", "Timelog", "User",
)


def create_project(session, name):
    """Create and commit a project called *name* ending tomorrow."""
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"
    today = arrow.utcnow().floor("day")
    project = session.create("Project", {
        "name": name,
        "full_name": name + "_full",
        "project_schema": project_schema,
        "start_date": today,
        "end_date": today.shift(days=1),
    })
    session.commit()
    return project


def main():
    name = f"tutorial_{uuid.uuid4().hex}"
    session = ftrack_api.Session()  # configured from the environment

    print(len(session.types), "entity types, e.g.", sorted(session.types.keys())[:5])
    missing = [type_ for type_ in TUTORIAL_TYPES if type_ not in session.types]
    assert not missing, f"entity types missing: {missing}"

    create_project(session, name)

    projects = session.query("Project")
    names = [project["name"] for project in projects]
    print("projects:", names)
    assert name in names, "new project not returned by query('Project')"
    keys = list(projects[0].keys())
    print("project keys:", keys)
    for key in ("id", "name", "full_name", "status", "start_date", "end_date",
                "root", "is_global", "context_type"):
        assert key in keys, f"Project has no key {key!r}"

    active = session.query("Project where status is active")
    assert name in [project["name"] for project in active], "new project not active"

    next_week = arrow.now().shift(weeks=+1)
    ending_soon = session.query(
        f'Project where status is active and end_date before "{next_week}"'
    )
    assert name in [project["name"] for project in ending_soon], (
        "project ending tomorrow not found by 'end_date before next week'"
    )
    ending_later = session.query(
        f'Project where status is active and end_date after "{next_week}"'
    )
    assert name not in [project["name"] for project in ending_later], (
        "project ending tomorrow found by 'end_date after next week'"
    )

    project = session.query(f'Project where name is "{name}"').one()
    new_sequence = session.create("Sequence", {"name": "Starlord Reveal"})
    new_sequence["description"] = "First hero character reveal."
    new_sequence["parent"] = project  # first way: set the parent
    session.commit()
    session.close()

    # Second way, in a new session so that the project's children are loaded
    # fresh: relationships are not kept in sync locally, and the append sends
    # the whole collection.
    with ftrack_api.Session() as session:
        project = session.query(f'Project where name is "{name}"').one()
        other_sequence = session.create("Sequence", {"name": "Groot Reveal"})
        project["children"].append(other_sequence)  # second way: append to children
        session.commit()

    with ftrack_api.Session() as check:
        project = check.query(f'Project where name is "{name}"').one()
        children = project["children"]
        print("children:", children)
        assert isinstance(children, ftrack_api.collection.Collection)
        assert sorted(child["name"] for child in children) == [
            "Groot Reveal", "Starlord Reveal",
        ], "unexpected children: {}".format([child["name"] for child in children])
        child = children[0]
        assert child["parent"] is project, "child['parent'] is not the project instance"
        starlord = next(c for c in children if c["name"] == "Starlord Reveal")
        assert starlord["description"] == "First hero character reveal."
        assert isinstance(starlord, check.types["Sequence"])

        results = check.query(f'Context where parent.name like "{name[:-6]}%"')
        found = sorted((entity.entity_type, entity["name"]) for entity in results)
        print("Context where parent.name like:", found)
        assert found == [("Sequence", "Groot Reveal"), ("Sequence", "Starlord Reveal")]

    with ftrack_api.Session() as session:
        user = session.query("User").first()
        print("first user:", user)
        assert user is not None, "no User on the server"
    assert session.closed, "session not closed by its context manager"
    try:
        session.query("Project").first()
    except ftrack_api.exception.ConnectionClosedError:
        pass
    else:
        raise AssertionError("query on a closed session did not raise")
    print("tutorial: ok")


if __name__ == "__main__":
    main()
