"""The "Creating a project" usage example, then checks of what it stored.

Creates a project with 4 sequences x 4 shots x 4 tasks in one commit, with the
shot and task statuses and the task type taken from the project schema
(``ProjectSchema.get_statuses`` / ``get_types``), then queries everything back
in a new session.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import ftrack_api


def create_project(session):
    """Run the documented example; return the ids of what it used."""
    # Create a unique name for the project.
    name = f"projectname_{uuid.uuid1().hex}"

    # Naively pick the first project schema. For this example to work the
    # schema must contain `Shot` and `Sequence` object types.
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"

    # Create the project with the chosen schema.
    project = session.create("Project", {
        "name": name,
        "full_name": name + "_full",
        "project_schema": project_schema,
    })

    # Retrieve default types.
    default_shot_status = project_schema.get_statuses("Shot")[0]
    default_task_type = project_schema.get_types("Task")[0]
    default_task_status = project_schema.get_statuses(
        "Task", default_task_type["id"]
    )[0]
    print("shot status:", default_shot_status["name"])
    print("task type:", default_task_type["name"])
    print("task status:", default_task_status["name"])

    # Create sequences, shots and tasks.
    for sequence_number in range(1, 5):
        sequence = session.create("Sequence", {
            "name": f"seq_{sequence_number}",
            "parent": project,
        })
        for shot_number in range(1, 5):
            shot = session.create("Shot", {
                "name": f"{shot_number}0".zfill(3),
                "parent": sequence,
                "status": default_shot_status,
            })
            for task_number in range(1, 5):
                session.create("Task", {
                    "name": f"task_{task_number}",
                    "parent": shot,
                    "status": default_task_status,
                    "type": default_task_type,
                })

    # Commit all changes to the server.
    session.commit()
    return {
        "name": name,
        "project": project["id"],
        "shot_status": default_shot_status["id"],
        "task_status": default_task_status["id"],
        "task_type": default_task_type["id"],
    }


def check_project(session, ids):
    """Query the created hierarchy back and check counts, names and links."""
    project = session.get("Project", ids["project"])
    assert project is not None, "project not found by id"
    assert project["name"] == ids["name"]
    assert project["full_name"] == ids["name"] + "_full"
    where = 'where project.id is "{}"'.format(ids["project"])

    sequences = session.query("select name, parent.id from Sequence " + where).all()
    assert sorted(s["name"] for s in sequences) == ["seq_1", "seq_2", "seq_3", "seq_4"]
    assert all(s["parent"]["id"] == ids["project"] for s in sequences)

    shots = session.query("select name, parent.name, status.id from Shot " + where).all()
    assert len(shots) == 16, f"expected 16 shots, got {len(shots)}"
    assert sorted(s["name"] for s in shots) == ["010"] * 4 + ["020"] * 4 + ["030"] * 4 + ["040"] * 4
    assert all(s["status"]["id"] == ids["shot_status"] for s in shots)
    assert sorted({s["parent"]["name"] for s in shots}) == ["seq_1", "seq_2", "seq_3", "seq_4"]

    tasks = session.query(
        "select name, parent.name, status.id, type.id from Task " + where
    ).all()
    assert len(tasks) == 64, f"expected 64 tasks, got {len(tasks)}"
    assert all(t["status"]["id"] == ids["task_status"] for t in tasks)
    assert all(t["type"]["id"] == ids["task_type"] for t in tasks)
    assert all(isinstance(t["parent"], session.types["Shot"]) for t in tasks)
    assert sorted({t["name"] for t in tasks}) == ["task_1", "task_2", "task_3", "task_4"]

    assert len(session.query("Task " + where + ' and parent.parent.name is "seq_2"')) == 16
    assert len(session.query("TypedContext " + where)) == 4 + 16 + 64


def main():
    with ftrack_api.Session() as session:
        ids = create_project(session)
    with ftrack_api.Session() as session:
        check_project(session, ids)
    print("creating_project: ok")


if __name__ == "__main__":
    main()
