"""The query language end to end: operators, paths, projections, ordering and paging."""

import uuid

import pytest
from server_api import create, ref


@pytest.fixture(scope="module")
def tree(api, project_schema):
    """A project with 2 sequences x 2 shots x 3 tasks, timelogs, metadata and a version."""
    name = f"ql-{uuid.uuid4().hex[:8]}"
    statuses = {s["name"]: s for s in api.query("select id, name, state.short from Status")}
    project = create("Project", name=name, full_name="Query language", project_schema=ref(project_schema))
    operations, tasks = [project], {}
    for s in (1, 2):
        sequence = create("Sequence", name=f"sq{s}", parent=ref(project))
        operations.append(sequence)
        for h in (1, 2):
            shot = create("Shot", name=f"sq{s}_sh{h}", parent=ref(sequence), description=f"shot {s}{h}")
            operations.append(shot)
            for index, task_name in enumerate(("layout", "anim", "comp")):
                status = ("Not started", "In progress", "Approved")[index]
                task = create("Task", name=task_name, parent=ref(shot), bid=float(index * 3600 + s),
                              status=ref(statuses[status]))
                operations.append(task)
                tasks[(s, h, task_name)] = task
    user = api.one("select id from User where username is \"admin\"")
    operations.append(create("Timelog", user=ref(user), context=ref(tasks[(1, 1, "anim")]),
                             duration=1800.0, start={"__type__": "datetime", "value": "2024-03-01T09:00:00"}))
    other = create("Project", name=f"{name}-other", full_name="other", project_schema=ref(project_schema))
    other_sequence = create("Sequence", name="elsewhere", parent=ref(other))
    operations += [other, other_sequence,
                   create("Timelog", user=ref(user), context=ref(other_sequence), duration=60.0,
                          start={"__type__": "datetime", "value": "2023-01-01T09:00:00"})]
    comp_id = tasks[(2, 2, "comp")]["entity_data"]["id"]
    operations.append(create("Metadata", entity_key=[comp_id, "frames"], parent_id=comp_id,
                             parent_type="Task", key="frames", value="1001-1100"))
    api.call(*operations)
    return {"name": name, "project": project, "tasks": tasks}


def names(rows):
    return sorted(row["name"] for row in rows)


def ids(rows):
    return sorted(row["id"] for row in rows)


def test_relationship_criteria(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    assert len(api.query(f"select id from Task where project.id is {project_id}")) == 12
    assert len(api.query(f'select id from Task where project_id is "{project_id}" and status.state.short is "DONE"')) == 4
    rows = api.query(f'select name from Task where project.id is "{project_id}" and parent.name like "sq1%"')
    assert len(rows) == 6


@pytest.mark.parametrize("operator, value, expected", [
    ("=", "1.0", 2), ("is", "1", 2), ("!=", "1", 10), ("is_not", "1", 10),
    (">", "3600", 8), ("after", "3600", 8), ("greater_than", "3600", 8),
    ("<", "2", 2), ("before", "2", 2), ("less_than", "2", 2), (">=", "3601", 8), ("<=", "3601", 6),
])
def test_comparison_operators(api, tree, operator, value, expected):
    project_id = tree["project"]["entity_data"]["id"]
    assert len(api.query(f"select id from Task where project_id is {project_id} and bid {operator} {value}")) == expected


def test_in_and_not_in(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    base = f"select name from Task where project_id is {project_id} and "
    assert len(api.query(base + 'name in ("layout", "comp")')) == 8
    assert len(api.query(base + "name in (layout,comp)")) == 8
    assert len(api.query(base + 'name not_in ("layout", "comp")')) == 4
    assert api.query(base + "name in ()") == []
    assert len(api.query(base + 'status.name in (select name from Status where state.short is "DONE")')) == 4


def test_like_and_not_like(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    base = f"select name from Shot where project_id is {project_id} and "
    assert names(api.query(base + 'name like "%_sh1"')) == ["sq1_sh1", "sq2_sh1"]
    assert names(api.query(base + 'name not_like "sq1%"')) == ["sq2_sh1", "sq2_sh2"]


def test_has_and_any(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(f'select name from Task where project_id is {project_id} and status has (name is "Approved" and state.short is "DONE")')
    assert len(rows) == 4
    logged = api.query(f"select name from Task where project_id is {project_id} and timelogs any (duration > 1000)")
    assert names(logged) == ["anim"]
    assert len(api.query(f"select id from Task where project_id is {project_id} and not timelogs any ()")) == 11
    meta = api.query(f'select name from Task where project_id is {project_id} and metadata any (key is "frames" and value is "1001-1100")')
    assert names(meta) == ["comp"]
    assert api.query(f'select id from Task where project_id is {project_id} and metadata any (key is "frames" and value is "x")') == []


def test_collection_paths_match_any_member(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(f'select name from Task where project_id is {project_id} and timelogs.start >= "2024-03-01"')
    assert names(rows) == ["anim"]
    shots = api.query(f'select name from Shot where project_id is {project_id} and children.name is "comp"')
    assert len(shots) == 4


def test_boolean_logic_and_parentheses(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    base = f"select name from Task where project_id is {project_id} and "
    assert len(api.query(base + '(name is "layout" or name is "comp") and parent.name is "sq1_sh1"')) == 2
    assert len(api.query(base + 'not (name is "layout" or name is "comp")')) == 4
    assert len(api.query(base + 'not parent has (name is "sq1_sh1")')) == 9


def test_null_comparisons(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    assert len(api.query(f"select id from Shot where project_id is {project_id} and description is_not None")) == 4
    assert api.query(f"select id from Shot where project_id is {project_id} and parent is None") == []
    assert len(api.query(f'select id from Project where id is "{project_id}" and parent is None')) == 1


def test_abstract_targets_return_concrete_types(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(f"select name from Context where project_id is {project_id}")
    kinds = sorted({row["__entity_type__"] for row in rows})
    assert kinds == ["Project", "Sequence", "Shot", "Task"]
    typed = api.query(f"select name from TypedContext where project_id is {project_id}")
    assert len(typed) == 2 + 4 + 12


def test_nested_projections(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(
        f"select name, parent.name, parent.parent.name, status.state.short, timelogs.duration, "
        f"parent.children.name from Task where project_id is {project_id} and name is anim "
        f'and parent.name is "sq1_sh1"'
    )
    (task,) = rows
    assert task["parent"]["name"] == "sq1_sh1"
    assert task["parent"]["parent"]["name"] == "sq1"
    assert task["status"]["state"]["short"] == "IN_PROGRESS"
    assert [t["duration"] for t in task["timelogs"]] == [1800.0]
    assert names(task["parent"]["children"]) == ["anim", "comp", "layout"]
    assert task["__entity_type__"] == "Task" and task["parent"]["__entity_type__"] == "Shot"


def test_system_projections_come_with_every_entity(api, tree):
    task = api.query(f'select name from Task where project_id is {tree["project"]["entity_data"]["id"]} limit 1')[0]
    assert {"id", "name", "context_type", "object_type_id", "project_id"} <= set(task)


def test_default_projections_without_select(api, tree):
    rows = api.query(f'Shot where project_id is {tree["project"]["entity_data"]["id"]}')
    assert {"id", "name", "context_type"} <= set(rows[0])


def test_order_by_offset_limit_and_paging(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    base = f"select name, bid from Task where project_id is {project_id}"
    ascending = api.query(base + " order by bid ascending, name")
    assert [r["bid"] for r in ascending] == sorted(r["bid"] for r in ascending)
    descending = api.query(base + " order by bid desc")
    assert [r["bid"] for r in descending] == sorted((r["bid"] for r in descending), reverse=True)
    by_parent = api.query(base + " order by parent.name descending, name asc")
    assert by_parent[0]["name"] == "anim"
    page = api.call({"action": "query", "expression": base + " order by bid offset 4 limit 5"})[0]
    assert [r["id"] for r in page["data"]] == [r["id"] for r in api.query(base + " order by bid")[4:9]]
    assert page["metadata"]["next"]["offset"] == 9
    last = api.call({"action": "query", "expression": base + " order by bid offset 10 limit 5"})[0]
    assert len(last["data"]) == 2 and last["metadata"]["next"]["offset"] is None
    assert api.query(base + " limit 0") == []


def test_link_and_computed_attributes(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    task = api.one(f'select link, time_logged, bid, bid_time_logged_difference, ancestors.name from Task '
                   f'where project_id is {project_id} and name is anim and parent.name is "sq1_sh1"')
    assert [item["name"] for item in task["link"]] == [tree["name"], "sq1", "sq1_sh1", "anim"]
    assert [item["type"] for item in task["link"]] == ["Project", "TypedContext", "TypedContext", "TypedContext"]
    assert task["time_logged"] == 1800.0
    assert task["bid_time_logged_difference"] == task["bid"] - 1800.0
    assert names(task["ancestors"]) == ["sq1", "sq1_sh1"]
    sequence = api.one(f'select time_logged, descendants.name from Sequence where project_id is {project_id} and name is sq1')
    assert sequence["time_logged"] == 1800.0
    assert len(sequence["descendants"]) == 2 + 6
    project = api.one(f'select descendants.id from Project where id is "{project_id}"')
    assert len(project["descendants"]) == 18
    assert len(api.query(f'select id from Task where ancestors any (name is "sq2") and project_id is {project_id}')) == 6


def test_group_by_aggregates(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(f"select count(id), name from Task where project_id is {project_id} group by name")
    assert sorted((r["name"], r["count_id"]) for r in rows) == [("anim", 4), ("comp", 4), ("layout", 4)]


def test_paths_through_casts(api, tree):
    project_id = tree["project"]["entity_data"]["id"]
    rows = api.query(f'select name from TypedContext where project_id is {project_id} and parent[Project].name is "{tree["name"]}"')
    assert names(rows) == ["sq1", "sq2"]
