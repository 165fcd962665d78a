"""Updating and deleting entities ("Working with entities"), checked from new sessions.

Renames a sequence and sets a task's bid (with auto-population off, as the
documentation shows), commits, and re-queries in a new session; then deletes a
task, a sequence with a shot below it, and the project, checking each is gone.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import ftrack_api
import ftrack_api.inspection
import ftrack_api.symbol


def build(session):
    """Create project > sequence > shot > task; return their ids."""
    name = f"update_delete_{uuid.uuid4().hex}"
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"
    task_type = project_schema.get_types("Task")[0]
    project = session.create("Project", {
        "name": name, "full_name": name, "project_schema": project_schema,
    })
    sequence = session.create("Sequence", {
        "name": "seq_original", "description": "before", "parent": project,
    })
    shot = session.create("Shot", {
        "name": "sh010", "parent": sequence,
        "status": project_schema.get_statuses("Shot")[0],
    })
    task = session.create("Task", {
        "name": "anim", "parent": shot, "type": task_type,
        "status": project_schema.get_statuses("Task", task_type["id"])[0],
    })
    session.commit()
    return {"project": project["id"], "sequence": sequence["id"],
            "shot": shot["id"], "task": task["id"]}


def update(ids):
    """Rename the sequence and set the task's bid; commit."""
    with ftrack_api.Session() as session:
        sequence = session.query('Sequence where id is "{}"'.format(ids["sequence"])).one()
        assert sequence["name"] == "seq_original"
        sequence["name"] = "seq_renamed"
        sequence["description"] = "after"
        assert ftrack_api.inspection.state(sequence) is ftrack_api.symbol.MODIFIED
        with session.auto_populating(False):
            task = session.query('Task where id is "{}"'.format(ids["task"])).first()
            task["bid"] = 8
        session.commit()
        assert sequence["name"] == "seq_renamed", "local value lost after commit"
        assert ftrack_api.inspection.state(sequence) is ftrack_api.symbol.NOT_SET


def check_updated(ids):
    """A new session sees the committed values."""
    with ftrack_api.Session() as session:
        sequence = session.get("Sequence", ids["sequence"])
        assert sequence["name"] == "seq_renamed", sequence["name"]
        assert sequence["description"] == "after", sequence["description"]
        assert session.get("Task", ids["task"])["bid"] == 8
        old = 'Sequence where name is "seq_original" and project.id is "{0}"'
        assert session.query(old.format(ids["project"])).first() is None


def delete(entity_type, entity_id):
    """Delete one entity in a session of its own."""
    with ftrack_api.Session() as session:
        entity = session.get(entity_type, entity_id)
        assert entity is not None, f"{entity_type} {entity_id} not found"
        session.delete(entity)
        assert ftrack_api.inspection.state(entity) is ftrack_api.symbol.DELETED
        session.commit()


def assert_gone(entity_type, entity_id):
    """A new session finds no *entity_type* with *entity_id*."""
    with ftrack_api.Session() as session:
        assert session.get(entity_type, entity_id) is None, f"{entity_type} still exists"
        query = f'{entity_type} where id is "{entity_id}"'
        assert len(session.query(query)) == 0, f"{entity_type} still found by query"


def main():
    with ftrack_api.Session() as session:
        ids = build(session)
    update(ids)
    check_updated(ids)

    delete("Task", ids["task"])
    assert_gone("Task", ids["task"])
    with ftrack_api.Session() as session:
        assert session.get("Shot", ids["shot"]) is not None, "deleting a task removed its shot"

    delete("Sequence", ids["sequence"])
    assert_gone("Sequence", ids["sequence"])
    assert_gone("Shot", ids["shot"])  # deleted along with its parent

    delete("Project", ids["project"])
    assert_gone("Project", ids["project"])
    print("update_delete: ok")


if __name__ == "__main__":
    main()
