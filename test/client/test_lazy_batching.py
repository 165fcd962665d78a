"""Lazy loading in batches: an attribute read on one entity loads for its siblings too."""

import uuid

import pytest
from clapboard import batching
from clapboard.symbol import NOT_SET
from live_server import new_session


@pytest.fixture(scope="module")
def project(server):
    """A project of 3 sequences x 4 shots x 5 tasks (60 tasks, two statuses)."""
    with new_session(server) as setup:
        schema = setup.query("ProjectSchema").first()
        name = f"lazy_{uuid.uuid4().hex[:8]}"
        project = setup.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        statuses = [setup.query(f'Status where name is "{n}"').one() for n in ("Approved", "Not started")]
        for s in range(3):
            sequence = setup.create("Sequence", {"name": f"sq{s}", "parent": project})
            for h in range(4):
                shot = setup.create("Shot", {"name": f"sq{s}_sh{h}", "parent": sequence})
                for t in range(5):
                    setup.create("Task", {"name": f"t{t}", "parent": shot, "status": statuses[t % 2]})
        setup.commit()
        return name


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def shell_loop(tasks):
    return [(task["parent"]["name"], task["status"]["name"]) for task in tasks]


def test_shell_loop_costs_a_few_requests_not_two_per_task(server, session, project):
    tasks = session.query(f'Task where project.name is "{project}"').all()
    assert len(tasks) == 60
    before = session.transport.call_count
    lines = shell_loop(tasks)
    assert session.transport.call_count - before <= 4
    with new_session(server) as one_by_one:
        expected = {}
        for task in one_by_one.query(f'Task where project.name is "{project}"').all():
            expected[task["id"]] = (
                one_by_one.query(f'select name from Shot where id is "{task["parent_id"]}"').one()["name"],
                one_by_one.query(f'select name from Status where id is "{task["status_id"]}"').one()["name"],
            )
    assert lines == [expected[task["id"]] for task in tasks]


def test_collections_load_for_siblings(session, project):
    shots = session.query(f'Shot where project.name is "{project}"').all()
    before = session.transport.call_count
    sizes = [len(shot["children"]) for shot in shots]
    assert sizes == [5] * 12
    assert session.transport.call_count - before == 1


def test_local_values_of_siblings_are_kept(session, project):
    tasks = session.query(f'select name from Task where project.name is "{project}"').all()
    tasks[1]["description"] = "mine"
    assert tasks[0]["description"] in (None, "")
    assert tasks[1]["description"] == "mine"
    assert tasks[1]._local["description"] == "mine"


def test_batches_are_bounded(session, project, monkeypatch):
    monkeypatch.setattr(batching, "BATCH_SIZE", 7)
    tasks = session.query(f'select name from Task where project.name is "{project}"').all()
    tasks[10]["description"]
    loaded = [index for index, task in enumerate(tasks) if "description" in task._remote]
    assert loaded == list(range(10, 17))


def test_nothing_loads_without_auto_populate(session, project):
    tasks = session.query(f'select name from Task where project.name is "{project}"').all()
    before = session.transport.call_count
    with session.auto_populating(False):
        assert tasks[0]["description"] is NOT_SET
    assert session.transport.call_count == before
    assert all("description" not in task._remote for task in tasks)


def test_siblings_of_another_type_are_not_batched(session, project):
    root = session.query(f'Project where name is "{project}"').one()
    contexts = session.query(f'TypedContext where project_id is "{root["id"]}"').all()
    assert {context.entity_type for context in contexts} == {"Sequence", "Shot", "Task"}
    shot = next(context for context in contexts if context.entity_type == "Shot")
    assert shot["name"]
    batch = batching.lazy_batch(shot, "description")
    assert {entity.entity_type for entity in batch} == {"Shot"}
    assert len(batch) == 12
