"""``Session.get``, ``Session.ensure`` and ``Session.populate``.

Creates a project with a few sequences, then: gets entities by id (and a
missing id); ensures a sequence (created the first time, found the next, then
updated); and populates ``name, description`` on entities queried with only
their ids, checking the values are loaded without further requests.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import ftrack_api
import ftrack_api.inspection
import ftrack_api.symbol

NOT_SET = ftrack_api.symbol.NOT_SET
DESCRIPTIONS = {f"seq_{n}": f"sequence number {n}" for n in range(1, 6)}


def build(session):
    """Create a project with the sequences of :data:`DESCRIPTIONS`; return its id and name."""
    name = f"get_ensure_populate_{uuid.uuid4().hex}"
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"
    project = session.create("Project", {
        "name": name, "full_name": name + "_full", "project_schema": project_schema,
    })
    for sequence_name, description in sorted(DESCRIPTIONS.items()):
        session.create("Sequence", {
            "name": sequence_name, "description": description, "parent": project,
        })
    session.commit()
    return project["id"], name


def check_get(project_id, name):
    """get() by id returns the entity, from the cache the second time; None if missing."""
    with ftrack_api.Session() as session:
        project = session.get("Project", project_id)
        assert project is not None, "get() did not find the project"
        assert project["id"] == project_id
        assert project["name"] == name
        assert isinstance(project, session.types["Project"])
        assert session.get("Project", project_id) is project, "get() bypassed the cache"
        assert session.get("Sequence", str(uuid.uuid4())) is None, "get() of a missing id"


def check_ensure(project_id):
    """ensure() creates once, then finds the same entity, then updates it."""
    data = {"name": "seq_ensured", "parent_id": project_id}
    with ftrack_api.Session() as session:
        created = session.ensure("Sequence", dict(data))
        assert ftrack_api.inspection.state(created) is NOT_SET, "ensure() did not commit"
        created_id = created["id"]

    with ftrack_api.Session() as session:
        found = session.ensure("Sequence", dict(data))
        assert found["id"] == created_id, "ensure() created a second entity"
        updated = session.ensure(
            "Sequence", dict(data, description="ensured"),
            identifying_keys=["name", "parent_id"],
        )
        assert updated["id"] == created_id, "ensure() with identifying_keys missed it"
        assert updated["description"] == "ensured"

    with ftrack_api.Session() as session:
        query = 'Sequence where name is "seq_ensured" and project.id is "{0}"'
        matches = session.query(query.format(project_id)).all()
        assert [entity["id"] for entity in matches] == [created_id], matches
        assert matches[0]["description"] == "ensured", "ensure() did not update"


def check_populate(project_id, name):
    """populate() loads the given attributes of many entities, or of one."""
    with ftrack_api.Session() as session:
        query = 'select id from Sequence where project.id is "{0}" and name like "seq_%"'
        sequences = session.query(query.format(project_id)).all()
        assert len(sequences) == len(DESCRIPTIONS) + 1, len(sequences)
        with session.auto_populating(False):
            assert all(sequence["description"] is NOT_SET for sequence in sequences), (
                "description loaded before populate()"
            )
        session.populate(sequences, "name, description")
        with session.auto_populating(False):
            loaded = {sequence["name"]: sequence["description"] for sequence in sequences}
        wanted = dict(DESCRIPTIONS, seq_ensured="ensured")
        assert loaded == wanted, f"populate() loaded {loaded}"

        project = session.query(f'select id from Project where id is "{project_id}"').one()
        session.populate(project, "full_name")
        with session.auto_populating(False):
            assert project["full_name"] == name + "_full", project["full_name"]

        users = session.query(f'User where username is "{session.api_user}"')
        session.populate(users, "first_name, last_name")
        with session.auto_populating(False):
            assert len(users) == 1
            assert users[0]["first_name"] is not NOT_SET, "first_name not populated"
            assert users[0]["last_name"] is not NOT_SET, "last_name not populated"


def main():
    with ftrack_api.Session() as session:
        project_id, name = build(session)
    check_get(project_id, name)
    check_ensure(project_id)
    check_populate(project_id, name)
    print("get_ensure_populate: ok")


if __name__ == "__main__":
    main()
