"""The "Querying" documentation, against the embedded server."""

import uuid

import arrow
import pytest
from clapboard.query import QueryResult
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture(scope="module")
def data(server):
    """Two projects (one named like "%thrones"), tasks with timelogs, notes, metadata and users."""
    with new_session(server) as setup:
        suffix = uuid.uuid4().hex[:8]
        schema = setup.query("ProjectSchema").first()
        thrones = setup.create(
            "Project",
            {"name": f"game_{suffix}_thrones", "full_name": f"Game {suffix}", "project_schema": schema,
             "status": "active"},
        )
        other = setup.create(
            "Project",
            {"name": f"other_{suffix}", "full_name": f"Other {suffix}_thrones", "project_schema": schema,
             "status": "hidden"},
        )
        for owner, key, value in ((thrones, "some_key", "some_value"), (other, "some_key", "other_value"),
                                  (other, "other_key", "some_value")):
            setup.create("Metadata", {"parent_id": owner["id"], "parent_type": "Project", "key": key, "value": value})
        shot = setup.create("Shot", {"name": "010", "parent": thrones})
        done = setup.query('Status where name is "Approved"').one()
        pending = setup.query('Status where name is "Not started"').one()
        task_type = schema.get_types("Task")[0]
        jane = setup.create("User", {"username": f"jane_{suffix}", "first_name": "Jane", "last_name": "Doe"})
        john = setup.create("User", {"username": f"john_{suffix}", "first_name": "John", "last_name": "Doe"})
        idle = setup.create("User", {"username": f"idle_{suffix}", "first_name": "Idle"})
        tasks = []
        for index, status in enumerate([done, pending, done]):
            tasks.append(
                setup.create(
                    "Task",
                    {"name": f"task_{index}", "parent": shot, "status": status, "type": task_type, "bid": index * 10},
                )
            )
        setup.create("Timelog", {"context": tasks[0], "user": jane, "start": arrow.utcnow(), "duration": 60})
        setup.create(
            "Timelog", {"context": tasks[1], "user": john, "start": arrow.utcnow().shift(days=-10), "duration": 60}
        )
        tasks[0].create_note("by jane", jane)
        tasks[1].create_note("by john", john)
        setup.commit()
        return {
            "suffix": suffix,
            "thrones": thrones["id"],
            "other": other["id"],
            "tasks": [task["id"] for task in tasks],
            "jane": jane["id"],
            "idle": idle["id"],
        }


def ids(result):
    return {entity["id"] for entity in result}


def test_query_results_are_lazy(session, data):
    calls = session.transport.call_count
    projects = session.query("Project")
    assert isinstance(projects, QueryResult)
    assert session.transport.call_count == calls
    names = [project["name"] for project in projects]
    assert f"game_{data['suffix']}_thrones" in names
    assert ids(session.query("Project").all()) == ids(projects)


def test_criteria(session, data):
    assert data["thrones"] in ids(session.query("Project where status is active"))
    assert data["other"] not in ids(session.query("Project where status is active"))
    found = ids(session.query('Project where status is active and name like "%thrones"'))
    assert data["thrones"] in found and data["other"] not in found
    found = ids(
        session.query('Project where status is active and (name like "%thrones" or full_name like "%thrones")')
    )
    assert data["thrones"] in found and data["other"] not in found
    found = ids(session.query('Project where name like "%thrones" or full_name like "%thrones"'))
    assert {data["thrones"], data["other"]} <= found


def test_filtering_on_relationships(session, data):
    tasks_in_project = ids(session.query('Task where project.id is "{}"'.format(data["thrones"])))
    assert tasks_in_project == set(data["tasks"])
    # The documentation's "status.type.name" is "status.state.name" in the data model.
    completed = ids(
        session.query(
            'Task where project.id is "{}" and status.state.name is "Done"'.format(data["thrones"])
        )
    )
    assert completed == {data["tasks"][0], data["tasks"][2]}
    today = ids(session.query('Task where timelogs.start >= "{}"'.format(arrow.now().floor("day"))))
    assert data["tasks"][0] in today and data["tasks"][1] not in today


def test_has_and_any(session, data):
    by_jane = ids(session.query('Note where author has (first_name is "Jane" and last_name is "Doe")'))
    also_by_jane = ids(session.query('Note where author.first_name is "Jane" and author.last_name is "Doe"'))
    assert by_jane == also_by_jane
    assert len(by_jane) >= 1
    assert all(note["author"]["id"] == data["jane"] for note in session.query(
        'Note where author has (first_name is "Jane" and last_name is "Doe")') if note["author"]["username"].endswith(
        data["suffix"]))
    with_key = ids(session.query("Project where metadata any (key=some_key and value=some_value)"))
    assert data["thrones"] in with_key and data["other"] not in with_key
    without_any = ids(session.query("Project where metadata.key is some_key and metadata.value is some_value"))
    assert {data["thrones"], data["other"]} <= without_any
    idle = ids(session.query("User where not timelogs any ()"))
    assert data["idle"] in idle and data["jane"] not in idle


def test_operators(session, data):
    suffix = data["suffix"]
    project = f'project.id is "{data["thrones"]}"'
    assert len(session.query(f'User where username is "jane_{suffix}"')) == 1
    assert f"jane_{suffix}" not in [u["username"] for u in session.query(f'User where username is_not "jane_{suffix}"')]
    assert data["tasks"][0] in ids(session.query(f'Task where {project} and timelogs.start after "2015-06-01"'))
    assert ids(session.query(f'Task where {project} and timelogs.start before "2015-06-01"')) == set()
    assert ids(session.query(f"Task where {project} and bid >= 10")) == set(data["tasks"][1:])
    assert ids(session.query(f"Task where {project} and bid <= 10")) == set(data["tasks"][:2])
    assert ids(session.query(f"Task where {project} and bid > 10")) == {data["tasks"][2]}
    assert ids(session.query(f"Task where {project} and bid < 10")) == {data["tasks"][0]}
    assert ids(session.query(f'Task where {project} and status.state.name in ("In Progress", "Done")')) == {
        data["tasks"][0], data["tasks"][2]
    }
    assert ids(session.query(f'Task where {project} and status.name not_in ("Omitted", "Approved")')) == {
        data["tasks"][1]
    }
    assert data["thrones"] in ids(session.query('Project where name like "%thrones"'))
    assert data["thrones"] not in ids(session.query('Project where name not_like "%thrones"'))


def test_projections_avoid_further_requests(session, data):
    projects = session.query("select full_name, status, project_schema.name from Project")
    lines = []
    for project in projects:
        lines.append(f"{project['full_name']} - {project['project_schema']['name']})")
    calls = session.transport.call_count
    for project in projects:
        f"{project['full_name']} - {project['project_schema']['name']})"
    assert session.transport.call_count == calls
    assert f"Game {data['suffix']} - VFX Scheme)" in lines
