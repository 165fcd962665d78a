"""The query language of the "Querying" documentation, checked on known data.

Builds a small project (one sequence, two shots, five tasks in two status
states, one timelog) and checks criteria through relationships, ``has`` and
``any`` (including ``not timelogs any ()``), the operators, nested
projections, ``order by`` and ``limit``/``offset``.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import arrow
import ftrack_api
import ftrack_api.symbol

# Tasks per shot: (task name, which of the two statuses it gets).
LAYOUT = {
    "sh_alpha": [("anim", "a"), ("comp", "b"), ("light", "a")],
    "sh_beta": [("anim", "b"), ("model", "a")],
}
LOGGED_TASK = ("sh_alpha", "comp")


def pick_statuses(project_schema, task_type):
    """Return two task statuses, *a* and *b*, whose states differ."""
    by_state = {}
    for status in project_schema.get_statuses("Task", task_type["id"]):
        by_state.setdefault(status["state"]["name"], status)
    assert len(by_state) >= 2, f"need task statuses in two states, got {sorted(by_state)}"
    (_, status_a), (_, status_b) = sorted(by_state.items())[:2]
    return {"a": status_a, "b": status_b}


def build(session, marker):
    """Create the project of :data:`LAYOUT`; return facts the checks need."""
    name = f"queries_{uuid.uuid4().hex}"
    project_schema = session.query("ProjectSchema").first()
    assert project_schema is not None, "the server has no ProjectSchema"
    task_type = project_schema.get_types("Task")[0]
    statuses = pick_statuses(project_schema, task_type)
    shot_status = project_schema.get_statuses("Shot")[0]

    project = session.create("Project", {
        "name": name, "full_name": name, "project_schema": project_schema,
    })
    sequence = session.create("Sequence", {"name": "seq_q", "parent": project})
    tasks = {}
    for shot_name, task_specs in sorted(LAYOUT.items()):
        shot = session.create("Shot", {
            "name": shot_name, "parent": sequence, "status": shot_status,
        })
        for task_name, status_key in task_specs:
            tasks[shot_name, task_name] = session.create("Task", {
                "name": task_name, "parent": shot, "type": task_type,
                "status": statuses[status_key],
            })
    session.commit()

    user = session.query(f'User where username is "{session.api_user}"').one()
    session.create("Timelog", {
        "user": user, "context": tasks[LOGGED_TASK], "start": arrow.now(),
        "duration": 3600, "comment": marker, "name": "work",
    })
    session.commit()
    return {
        "project_id": project["id"],
        "state_names": {key: status["state"]["name"] for key, status in statuses.items()},
        "status_ids": {key: status["id"] for key, status in statuses.items()},
    }


def expected(predicate):
    """Return the sorted (shot, task) pairs of :data:`LAYOUT` matching *predicate*."""
    return sorted(
        (shot, task)
        for shot, specs in LAYOUT.items()
        for task, status_key in specs
        if predicate(shot, task, status_key)
    )


ALL = expected(lambda shot, task, key: True)


class Checker:
    """Run task queries scoped to one project and compare (shot, task) pairs."""

    def __init__(self, session, project_id):
        self.session = session
        self.scope = f'project.id is "{project_id}"'

    def pairs(self, criteria=None, entity_type="Task"):
        """Return sorted (parent name, name) of *entity_type* matching *criteria*."""
        where = self.scope if criteria is None else self.scope + " and " + criteria
        query = f"select name, parent.name from {entity_type} where {where}"
        return sorted((e["parent"]["name"], e["name"]) for e in self.session.query(query))

    def check(self, criteria, wanted, entity_type="Task"):
        """Assert that *criteria* selects exactly *wanted*."""
        got = self.pairs(criteria, entity_type)
        print(f"{entity_type} where {criteria}: {got}")
        assert got == wanted, f"{entity_type} where {criteria}: expected {wanted}, got {got}"


def check_criteria(checker, facts, marker):
    """Criteria through relationships, operators, has and any."""
    state_a, state_b = facts["state_names"]["a"], facts["state_names"]["b"]
    assert checker.pairs() == ALL, f"project.id criteria: {checker.pairs()}"
    checker.check(f'status.state.name is "{state_a}"',
                  expected(lambda s, t, k: k == "a"))
    checker.check(f'status.state.name != "{state_a}"',
                  expected(lambda s, t, k: k != "a"))
    checker.check('parent.name like "sh_al%"', expected(lambda s, t, k: s == "sh_alpha"))
    checker.check('parent.name not_like "sh_al%"', expected(lambda s, t, k: s != "sh_alpha"))
    checker.check('name in ("anim", "model")', expected(lambda s, t, k: t in ("anim", "model")))
    checker.check('name not_in ("anim", "model")',
                  expected(lambda s, t, k: t not in ("anim", "model")))
    checker.check(
        f'(name is "comp" or name is "model") and status.state.name is "{state_a}"',
        [("sh_beta", "model")],
    )
    status_b = facts["status_ids"]["b"]
    checker.check(f'status has (state.name is "{state_b}" and id is "{status_b}")',
                  expected(lambda s, t, k: k == "b"))
    checker.check(f'not status has (state.name is "{state_b}")',
                  expected(lambda s, t, k: k != "b"))
    checker.check('children any (name is "model")', [("seq_q", "sh_beta")], "Shot")
    checker.check('children any (name is "anim")',
                  [("seq_q", "sh_alpha"), ("seq_q", "sh_beta")], "Shot")
    checker.check(f'timelogs any (duration > 1800 and comment is "{marker}")',
                  [LOGGED_TASK])
    checker.check('timelogs any (duration > 7200)', [])
    checker.check(f'timelogs.comment is "{marker}"', [LOGGED_TASK])
    checker.check("timelogs any ()", [LOGGED_TASK])
    checker.check("not timelogs any ()", [pair for pair in ALL if pair != LOGGED_TASK])


def check_projections(session, facts):
    """Nested projections are loaded by the query itself."""
    query = "select name, parent.name, status.state.name from Task where " + (
        f'project.id is "{facts["project_id"]}"'
    )
    tasks = session.query(query).all()
    assert len(tasks) == len(ALL)
    status_of = {(s, t): k for s, specs in LAYOUT.items() for t, k in specs}
    with session.auto_populating(False):
        for task in tasks:
            values = (task["name"], task["parent"]["name"], task["status"]["state"]["name"])
            assert ftrack_api.symbol.NOT_SET not in values, f"projection not loaded: {values}"
            key = status_of[values[1], values[0]]
            assert values[2] == facts["state_names"][key], values


def check_order_and_paging(checker):
    """order by (asc, desc, dotted, several keys), limit and offset."""
    session = checker.session

    def names(query):
        return [(e["parent"]["name"], e["name"]) for e in session.query(query)]

    base = "select name, parent.name from Task where " + checker.scope
    ascending = names(base + " order by name asc")
    assert [n for _, n in ascending] == sorted(n for _, n in ALL), ascending
    descending = names(base + " order by name descending")
    assert [n for _, n in descending] == sorted((n for _, n in ALL), reverse=True), descending
    by_parent = names(base + " order by parent.name desc, name")
    by_name = sorted(ALL, key=lambda pair: pair[1])
    assert by_parent == sorted(by_name, key=lambda pair: pair[0], reverse=True), by_parent

    ordered = base + " order by parent.name, name"
    full = names(ordered)
    assert full == ALL, full
    assert names(ordered + " limit 2") == ALL[:2]
    assert names(ordered + " offset 1 limit 3") == ALL[1:4]
    assert names(ordered + " limit 3 offset 1") == ALL[1:4]
    assert names(ordered + " offset 3") == ALL[3:]
    assert names(ordered + " limit 0") == []
    first = session.query(ordered).first()
    assert (first["parent"]["name"], first["name"]) == ALL[0]
    assert len(session.query(ordered + " limit 4", page_size=3).all()) == 4


def main():
    marker = f"timelog_{uuid.uuid4().hex}"
    with ftrack_api.Session() as session:
        facts = build(session, marker)
    print("states:", facts["state_names"])
    with ftrack_api.Session() as session:
        checker = Checker(session, facts["project_id"])
        check_criteria(checker, facts, marker)
        check_order_and_paging(checker)
    with ftrack_api.Session() as session:
        check_projections(session, facts)
    print("queries: ok")


if __name__ == "__main__":
    main()
