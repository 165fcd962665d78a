"""Paged query results (``QueryResult``) over 2,000 tasks.

Creates 2,000 tasks under one shot, then iterates queries with
``page_size=500`` and checks that every task comes back exactly once, in
order when ordered, that embedded ``offset``/``limit`` are honoured across
pages, and that ``first()`` equals ``all()[0]``.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import ftrack_api

TASK_COUNT = 2000
PAGE_SIZE = 500
COMMIT_SIZE = 500


def build(session):
    """Create a project, a shot and :data:`TASK_COUNT` tasks; return shot id and task ids."""
    name = f"paging_{uuid.uuid4().hex}"
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"
    task_type = project_schema.get_types("Task")[0]
    task_status = project_schema.get_statuses("Task", task_type["id"])[0]
    project = session.create("Project", {
        "name": name, "full_name": name, "project_schema": project_schema,
    })
    sequence = session.create("Sequence", {"name": "seq", "parent": project})
    shot = session.create("Shot", {
        "name": "sh010", "parent": sequence,
        "status": project_schema.get_statuses("Shot")[0],
    })
    session.commit()

    task_ids = []
    for index in range(TASK_COUNT):
        task = session.create("Task", {
            "name": f"task_{index:04d}", "parent": shot,
            "type": task_type, "status": task_status,
        })
        task_ids.append(task["id"])
        if len(task_ids) % COMMIT_SIZE == 0:
            session.commit()
    session.commit()
    return shot["id"], task_ids


def count_requests(session):
    """Wrap *session*'s query call; return a list that grows by one per request."""
    calls = []
    original = session._query

    def counting_query(expression):
        calls.append(expression)
        return original(expression)

    session._query = counting_query
    return calls


def main():
    with ftrack_api.Session() as session:
        shot_id, task_ids = build(session)
    criteria = f'Task where parent.id is "{shot_id}"'
    names = [f"task_{index:04d}" for index in range(TASK_COUNT)]

    with ftrack_api.Session() as session:
        requests = count_requests(session)
        ids = [task["id"] for task in session.query(criteria, page_size=PAGE_SIZE)]
        print(f"requests for {len(ids)} tasks: {requests}")
        assert len(ids) == TASK_COUNT, f"got {len(ids)} results"
        assert len(set(ids)) == TASK_COUNT, "duplicates across pages"
        assert set(ids) == set(task_ids), "results differ from the created tasks"
        pages = TASK_COUNT // PAGE_SIZE
        assert len(requests) in (pages, pages + 1), f"expected paged requests: {requests}"

    with ftrack_api.Session() as session:
        ordered = "select name from " + criteria + " order by name"
        got = [task["name"] for task in session.query(ordered, page_size=PAGE_SIZE)]
        assert got == names, "ordered paging lost or reordered rows"
        descending = [task["name"] for task in session.query(
            "select name from " + criteria + " order by name desc", page_size=PAGE_SIZE
        )]
        assert descending == names[::-1]

        window = session.query(ordered + " offset 450 limit 600", page_size=PAGE_SIZE)
        assert [task["name"] for task in window] == names[450:1050]
        tail = session.query(ordered + " offset 1990", page_size=PAGE_SIZE)
        assert [task["name"] for task in tail] == names[1990:]
        assert len(session.query(criteria, page_size=PAGE_SIZE)) == TASK_COUNT

        for expression in (criteria, ordered):
            first = session.query(expression).first()
            everything = session.query(expression, page_size=PAGE_SIZE).all()
            assert first is not None and first["id"] == everything[0]["id"], (
                f"first() differs from all()[0] for {expression!r}"
            )
        assert session.query(ordered).first()["name"] == names[0]
    print("paging: ok")


if __name__ == "__main__":
    main()
