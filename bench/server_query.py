"""Common pipeline queries against the best hand-written SQL for each, on one database.

Builds projects x 10 sequences x 10 shots x 10 tasks (100 projects: 100,000 tasks) with bulk
statements, plus what common queries need: an asset per shot with 5 versions of 2 components
each, a note on every task, every task assigned to one of 50 users, a number custom attribute
(``fstart``) on every shot. Then ANALYZE, and times each query in process (``Server.call``, no
HTTP, on one of the server's API threads, as /api runs it) and over HTTP next to the
hand-written SQL a person would write for the same rows (the floor: looking a project up by
its name, reading tasks through ``project_id``, ...), on the same database in the same run.
Over HTTP, the anchor is the same SQL behind a minimal Starlette endpoint served by the
server's uvicorn configuration (bench/latency.py's floor, its rows answered as JSON): both pay a
loopback round trip, a worker thread and JSON. Target: every query <= 3x its SQL, in process
and over HTTP; the first one < 2 ms in process on SQLite.

Then the first query on the projects of a Project Manager granted 10 of the projects, as that
Project Manager and as the administrator (no permission predicate): the ratio is what the
policy's row predicates cost (target <= 1.2x).

    python bench/server_query.py [--projects 100] [--repeat 30]
    python bench/server_query.py --tasks 1000000 --database postgresql://.../bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import sqlalchemy as sa
from clapboard_server import embedded
from clapboard_server.schema.tables import ANCESTRY_TABLE
from clapboard_server.server import Server
from clapboard_server.values import utc_now
from latency import FloorServer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

TASK = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
SHOT = "bad911de-3bd6-47b9-8b46-3476e237cb36"
SEQUENCE = "e5139355-61da-4c8f-9db4-3abc870166bc"
PRIORITY = "9661b320-3a0c-11e2-81c1-0800200c9a66"
USERS = 50

QUERY = ('select name, status.name, parent.name from Task '
         'where project.name is "{project}" and status.state.short is "DONE"')


@dataclass
class Case:
    """One query, its best hand-written SQL, and how to pick the values of run ``index``."""

    title: str
    expression: str
    sql: str
    values: Callable[[int], dict[str, str]]
    target_ms: float | None = None


def cases(world: dict) -> list[Case]:
    projects, shots, tasks, assets, users = (world[k] for k in ("projects", "shots", "tasks", "assets", "users"))
    project = lambda i: {"project": f"p{(i * 37) % len(projects)}"}
    return [
        Case("the issue's query", QUERY, """
            SELECT t.id, t.name, t.context_type, t.object_type_id, t.project_id, s.id, s.name,
                   p.id, p.name, p.context_type, p.object_type_id, p.project_id
            FROM context AS pr JOIN context AS t ON t.project_id = pr.id
            JOIN status AS s ON s.id = t.status_id JOIN state AS st ON st.id = s.state_id
            LEFT JOIN context AS p ON p.id = t.parent_id
            WHERE pr.context_type = 'show' AND pr.name = :project AND t.context_type = 'task'
              AND t.object_type_id = :task AND st.short = 'DONE' ORDER BY t.id""", project, target_ms=2.0),
        Case("a project's tasks by status",
             'select name from Task where project.name is "{project}" and status.name is "{status}"', """
            SELECT t.id, t.name, t.context_type, t.object_type_id, t.project_id
            FROM context AS pr JOIN context AS t ON t.project_id = pr.id JOIN status AS s ON s.id = t.status_id
            WHERE pr.context_type = 'show' AND pr.name = :project AND t.context_type = 'task'
              AND t.object_type_id = :task AND s.name = :status ORDER BY t.id""",
             lambda i: {**project(i), "status": world["status_name"]}),
        Case("a shot's versions with components",
             'select version, components.name from AssetVersion where asset.parent.id is "{shot}"', """
            SELECT v.id, v.version, c.id, c.name FROM asset AS a JOIN asset_version AS v ON v.asset_id = a.id
            LEFT JOIN component AS c ON c.version_id = v.id WHERE a.context_id = :shot ORDER BY v.id, c.id""",
             lambda i: {"shot": shots[(i * 7919) % len(shots)]}),
        Case("an asset's latest versions",
             'select version, comment from AssetVersion where asset_id is "{asset}" '
             'order by version descending limit 3', """
            SELECT id, version, comment FROM asset_version WHERE asset_id = :asset
            ORDER BY version DESC LIMIT 3""", lambda i: {"asset": assets[(i * 7919) % len(assets)]}),
        Case("notes on a task", 'select content, author.username from Note where parent_id is "{task}"', """
            SELECT n.id, n.content, u.id, u.username FROM note AS n LEFT JOIN resource AS u ON u.id = n.user_id
            WHERE n.parent_id = :task ORDER BY n.id""", lambda i: {"task": tasks[(i * 7919) % len(tasks)]}),
        Case("a user's assigned tasks",
             'select name, parent.name from Task where assignments any (resource_id is "{user}") '
             'and project.name is "{project}"', """
            SELECT t.id, t.name, p.id, p.name FROM context AS pr JOIN context AS t ON t.project_id = pr.id
            JOIN appointment AS a ON a.context_id = t.id LEFT JOIN context AS p ON p.id = t.parent_id
            WHERE pr.context_type = 'show' AND pr.name = :project AND t.context_type = 'task'
              AND a.resource_id = :user AND a.type = 'assignment' ORDER BY t.id""",
             lambda i: {**project(i), "user": users[i % len(users)]}),
        Case("ancestors of a task", 'select name from TypedContext where descendants.id is "{task}"', """
            SELECT c.id, c.name, c.context_type, c.object_type_id FROM context_ancestor AS a
            JOIN context AS c ON c.id = a.ancestor_id WHERE a.context_id = :task AND c.context_type = 'task'
            ORDER BY c.id""", lambda i: {"task": tasks[(i * 7919) % len(tasks)]}),
        Case("descendants of a shot", 'select name from TypedContext where ancestors.id is "{shot}"', """
            SELECT c.id, c.name, c.context_type, c.object_type_id FROM context_ancestor AS a
            JOIN context AS c ON c.id = a.context_id WHERE a.ancestor_id = :shot AND c.context_type = 'task'
            ORDER BY c.id""", lambda i: {"shot": shots[(i * 7919) % len(shots)]}),
        Case("custom attribute filter",
             'select name from Shot where project.name is "{project}" '
             'and custom_attributes any (key is "fstart" and value > 1090)', """
            SELECT s.id, s.name FROM context AS pr JOIN context AS s ON s.project_id = pr.id
            JOIN custom_attribute_value AS v ON v.entity_id = s.id AND v.configuration_id = :configuration
            WHERE pr.context_type = 'show' AND pr.name = :project AND s.context_type = 'task'
              AND s.object_type_id = :shot_type AND v.value_number > 1090 ORDER BY s.id""",
             lambda i: {**project(i), "configuration": world["fstart"], "shot_type": SHOT}),
    ]


def setup(server: Server, admin_id: str) -> dict:
    """Users and the ``fstart`` custom attribute, created through the API."""
    kinds = {t["name"]: t["id"] for t in server.call(
        [{"action": "query", "expression": "select id, name from CustomAttributeType"}], admin_id)[0]["data"]}
    fstart = str(uuid.uuid4())
    operations = [{"action": "create", "entity_type": "CustomAttributeConfiguration", "entity_key": [fstart],
                   "entity_data": {"id": fstart, "key": "fstart", "label": "fstart", "entity_type": "task",
                                   "object_type_id": SHOT, "default": 1001,
                                   "type": {"__entity_type__": "CustomAttributeType", "id": kinds["number"]}}}]
    users = [str(uuid.uuid4()) for _ in range(USERS)]
    operations += [{"action": "create", "entity_type": "User", "entity_key": [user],
                    "entity_data": {"id": user, "username": f"artist{n:02d}", "is_active": True}}
                   for n, user in enumerate(users)]
    server.call(operations, admin_id)
    return {"fstart": fstart, "users": users}


def build(server: Server, projects: int, world: dict) -> None:
    """Insert the data with bulk statements (the benchmark is about reading), then ANALYZE."""
    database = server.database
    tables = database.tables
    with database.engine.connect() as connection:
        schema_id = connection.execute(sa.text("select id from project_schema")).scalar()
        statuses = [tuple(r) for r in connection.execute(sa.text(
            "select s.id, s.name from status s join workflow_schema_status w on w.status_id = s.id "
            "join project_schema ps on ps.task_workflow_schema_id = w.workflow_schema_id order by s.name"))]
        task_type = connection.execute(sa.text("select id from type order by sort limit 1")).scalar()
        asset_type = connection.execute(sa.text("select id from asset_type order by name limit 1")).scalar()
    world.update(projects=[], shots=[], tasks=[], assets=[], status_name=statuses[-1][1])
    users, fstart = world["users"], world["fstart"]
    now = utc_now()
    rng = random.Random(42)

    def node(name, kind, parent, project, **extra):
        row = {"id": str(uuid.uuid4()), "name": name, "context_type": "task", "object_type_id": kind,
               "parent_id": parent, "project_id": project, "priority_id": PRIORITY, "bid": 0.0, "sort": 0.0,
               "created_at": now, "status_id": None, "type_id": None}
        row.update(extra)
        return row

    for p in range(projects):
        project_id = str(uuid.uuid4())
        world["projects"].append(project_id)
        project_row = {"id": project_id, "name": f"p{p}", "full_name": f"Project {p}", "context_type": "show",
                       "project_id": project_id, "project_schema_id": schema_id, "status": "active",
                       "is_global": False, "created_at": now}
        rows: dict[str, list] = {name: [] for name in (
            "context", ANCESTRY_TABLE, "asset", "asset_version", "component", "note", "appointment",
            "custom_attribute_value")}
        for q in range(10):
            sequence = node(f"sq{q:03d}", SEQUENCE, project_id, project_id)
            rows["context"].append(sequence)
            rows[ANCESTRY_TABLE].append((sequence["id"], project_id, 1))
            for h in range(10):
                shot = node(f"sh{h:03d}", SHOT, sequence["id"], project_id, status_id=statuses[0][0])
                rows["context"].append(shot)
                world["shots"].append(shot["id"])
                rows[ANCESTRY_TABLE] += [(shot["id"], sequence["id"], 1), (shot["id"], project_id, 2)]
                rows["custom_attribute_value"].append({"configuration_id": fstart, "entity_id": shot["id"],
                                                       "value": str(1001 + rng.randrange(100)),
                                                       "value_number": float(1001 + rng.randrange(100))})
                rows["custom_attribute_value"][-1]["value_text"] = rows["custom_attribute_value"][-1]["value"]
                asset = {"id": str(uuid.uuid4()), "name": f"model{h}", "context_id": shot["id"], "type_id": asset_type}
                rows["asset"].append(asset)
                world["assets"].append(asset["id"])
                for t in range(10):
                    task = node(f"task{t:02d}", TASK, shot["id"], project_id,
                                status_id=rng.choice(statuses)[0], type_id=task_type)
                    rows["context"].append(task)
                    world["tasks"].append(task["id"])
                    rows[ANCESTRY_TABLE] += [(task["id"], shot["id"], 1), (task["id"], sequence["id"], 2),
                                             (task["id"], project_id, 3)]
                    rows["note"].append({"id": str(uuid.uuid4()), "content": f"note on {task['name']}",
                                         "parent_id": task["id"], "parent_type": "task", "date": now,
                                         "thread_activity": now, "is_todo": False, "user_id": rng.choice(users)})
                    rows["appointment"].append({"id": str(uuid.uuid4()), "context_id": task["id"],
                                                "resource_id": rng.choice(users), "type": "assignment"})
                    if t < 5:
                        version = {"id": str(uuid.uuid4()), "asset_id": asset["id"], "version": t + 1,
                                   "task_id": task["id"], "comment": f"v{t + 1}", "date": now,
                                   "is_published": True, "user_id": rng.choice(users)}
                        rows["asset_version"].append(version)
                        rows["component"] += [{"id": str(uuid.uuid4()), "name": name, "version_id": version["id"],
                                               "system_type": "file", "file_type": ".exr", "size": 0}
                                              for name in ("main", "proxy")]
        rows[ANCESTRY_TABLE] = [{"context_id": c, "ancestor_id": a, "depth": d} for c, a, d in rows[ANCESTRY_TABLE]]
        with database.transaction() as connection:
            connection.execute(tables["context"].insert(), [project_row])
            for name, table_rows in rows.items():
                connection.execute(tables[name].insert(), table_rows)
    database.analyze()


QUERY_BY_ID = ('select name, status.name, parent.name from Task '
               'where project_id is "{project_id}" and status.state.short is "DONE"')


def project_manager(server: Server, admin_id: str, projects: list[str]) -> tuple[str, list[str]]:
    """A user holding Project Manager on ``projects`` (names); return its id and the projects' ids."""
    ids = [row["id"] for row in server.call(
        [{"action": "query", "expression": f"select id from Project where name in ({', '.join(map(repr, projects))})"}],
        admin_id)[0]["data"]]
    role = server.call([{"action": "query", "expression": 'select id from SecurityRole where name is "Project Manager"'}],
                       admin_id)[0]["data"][0]
    user_id = str(uuid.uuid4())
    server.call([
        {"action": "create", "entity_type": "User", "entity_key": [user_id],
         "entity_data": {"id": user_id, "username": f"pm-{user_id[:8]}", "is_active": True}},
        {"action": "create", "entity_type": "UserSecurityRole", "entity_key": [str(uuid.uuid4())],
         "entity_data": {"user": {"__entity_type__": "User", "id": user_id},
                         "security_role": {"__entity_type__": "SecurityRole", "id": role["id"]},
                         "projects": [{"__entity_type__": "Project", "id": i} for i in ids]}},
    ], admin_id)
    return user_id, ids


def paired_median_ms(first, second, repeat: int) -> tuple[float, float]:
    """Medians of two functions timed alternately, so load on the machine affects both alike."""
    first(0)
    second(0)
    timings: tuple[list[float], list[float]] = ([], [])
    for index in range(repeat):
        for function, bucket in zip((first, second), timings):
            started = time.perf_counter()
            function(index)
            bucket.append(time.perf_counter() - started)
    return statistics.median(timings[0]) * 1000, statistics.median(timings[1]) * 1000


def interleaved_medians_ms(functions: list[Callable[[int], object]], repeat: int) -> list[float]:
    """Medians of functions timed in turn on the same inputs, so load affects them alike; each
    round starts with the next function, so none always follows the same one (an HTTP call's
    tail in the server's threads)."""
    for function in functions:
        function(0)
    timings: list[list[float]] = [[] for _ in functions]
    for index in range(repeat):
        for turn in range(len(functions)):
            position = (index + turn) % len(functions)
            started = time.perf_counter()
            functions[position](index)
            timings[position].append(time.perf_counter() - started)
    return [statistics.median(bucket) * 1000 for bucket in timings]


def on_api_thread(server: Server, function: Callable, *arguments: object):
    """``function(*arguments)`` run on one of ``server``'s API threads."""
    return server.workers.submit(function, *arguments).result()


def sql_endpoint(run: Callable[[str, dict], list]) -> FloorServer:
    """The floor over HTTP: a minimal endpoint running the hand-written SQL posted to it
    (``{"sql": ..., "values": ...}``) in a worker thread, answering its rows as JSON."""
    async def answer(request):
        posted = json.loads(await request.body())
        rows = await run_in_threadpool(run, posted["sql"], posted["values"])
        return Response(json.dumps([list(row) for row in rows], default=str), media_type="application/json")
    return FloorServer(answer)


def hand_written(server: Server) -> Callable[[str, dict], list]:
    """Run SQL with the database driver itself (no SQLAlchemy), named parameters ``:name``.

    Each statement is its own transaction, the cheapest way to read: SQLite's connections are
    in autocommit (see ``database._configure_sqlite``); on PostgreSQL the driver's autocommit
    saves the ``BEGIN`` and ``COMMIT`` round trips (2.6x the time of a small query otherwise).
    The server's PostgreSQL reads run in autocommit too.
    """
    raw = server.database.engine.raw_connection()
    postgres = not server.database.is_sqlite
    if postgres:
        raw.driver_connection.autocommit = True

    def run(sql: str, values: dict) -> list:
        cursor = raw.cursor()
        if postgres:
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
        cursor.execute(sql, values)
        return cursor.fetchall()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--tasks", type=int, help="total tasks (sets --projects to tasks / 1000)")
    parser.add_argument("--database", help="a PostgreSQL URL (its tables are created; use an empty database)")
    parser.add_argument("--repeat", type=int, default=100)
    arguments = parser.parse_args()
    projects = arguments.tasks // 1000 if arguments.tasks else arguments.projects

    with tempfile.TemporaryDirectory(prefix="clapboard-bench-") as folder:
        data_dir = Path(folder)
        server = Server(data_dir, database_url=arguments.database)
        server.prepare()
        admin_id = server.authenticator.authenticate(server.admin_user, (data_dir / "admin-api-key").read_text().strip())
        world = setup(server, admin_id)
        started = time.perf_counter()
        build(server, projects, world)
        backend = "SQLite" if server.database.is_sqlite else "PostgreSQL"
        print(f"Built {projects * 1000:,} tasks in {projects} projects ({backend}) in {time.perf_counter() - started:.1f} s")
        server.close()

        with contextlib.ExitStack() as stack:
            handle = stack.enter_context(embedded.start(data_dir=data_dir, database=arguments.database))
            http = requests.Session()
            http.headers.update({"ftrack-user": handle.api_user, "ftrack-api-key": handle.api_key})
            url = f"{handle.server_url}/api"
            user_id = handle.server.authenticator.authenticate(handle.api_user, handle.api_key)
            sql = hand_written(handle.server)
            floor = stack.enter_context(sql_endpoint(sql))
            results = []
            for case in cases(world):
                counts: dict[str, list[int]] = {"sql": [], "process": [], "http": [], "sql over http": []}

                def body(index: int, case: Case = case) -> list:
                    return [{"action": "query", "expression": case.expression.format(**case.values(index))}]

                def by_sql(index: int, case: Case = case, counts: dict = counts) -> None:
                    rows = sql(case.sql, {"task": TASK, **case.values(index)})
                    counts["sql"].append(len({row[0] for row in rows}))

                def in_process(index: int, body=body, counts: dict = counts) -> None:
                    counts["process"].append(len(handle.server.call(body(index), user_id)[0]["data"]))

                def over_http(index: int, body=body, counts: dict = counts) -> None:
                    counts["http"].append(len(http.post(url, json=body(index), timeout=60).json()[0]["data"]))

                def sql_over_http(index: int, case: Case = case, counts: dict = counts) -> None:
                    posted = {"sql": case.sql, "values": {"task": TASK, **case.values(index)}}
                    rows = http.post(floor.url, json=posted, timeout=60).json()
                    counts["sql over http"].append(len({row[0] for row in rows}))

                # Timed on one of the server's API threads, where /api runs its calls (SQLite:
                # with the thread's own read connection). The in-process pair and the HTTP pair are
                # timed apart: an HTTP call's tail in the server's threads (sending the answer,
                # closing the request) would otherwise hold the GIL during in-process calls.
                timings = on_api_thread(handle.server, interleaved_medians_ms, [by_sql, in_process],
                                        arguments.repeat)
                timings += on_api_thread(handle.server, interleaved_medians_ms, [sql_over_http, over_http],
                                         arguments.repeat)
                assert counts["sql"] == counts["process"] == counts["http"] == counts["sql over http"], \
                    f"{case.title}: different rows {counts}"
                results.append((case, statistics.median(counts["sql"]), timings))

            granted = [f"p{i}" for i in range(0, projects, max(1, projects // 10))][:10]
            manager_id, granted_ids = project_manager(handle.server, user_id, granted)
            answers: dict[str, list[int]] = {}

            def as_user(who: str, acting: str, expressions: list[str]):
                def run(index: int) -> None:
                    body = [{"action": "query", "expression": expressions[index % len(expressions)]}]
                    answers.setdefault(who, []).append(len(handle.server.call(body, acting)[0]["data"]))
                return run

            by_name = [QUERY.format(project=name) for name in granted]
            by_id = [QUERY_BY_ID.format(project_id=i) for i in granted_ids]
            admin_ms, manager_ms = on_api_thread(handle.server, paired_median_ms, as_user("admin", user_id, by_name),
                                                 as_user("manager", manager_id, by_name), arguments.repeat)
            admin_id_ms, manager_id_ms = on_api_thread(
                handle.server, paired_median_ms, as_user("admin by id", user_id, by_id),
                as_user("manager by id", manager_id, by_id), arguments.repeat)
        assert answers["admin"] == answers["manager"], "the Project Manager saw other rows than the administrator"
        assert answers["admin by id"] == answers["manager by id"], "the Project Manager saw other rows"

    print(f"\nEach query against its best hand-written SQL ({backend}, driver cursor, autocommit), medians of "
          f"{arguments.repeat} runs timed in turn. In process: the server's Server.call against the SQL. "
          "Over HTTP: clapboard's /api against the same SQL behind a minimal Starlette endpoint. "
          "Target: both <= 3x.")
    print(f"{'query':<36}{'rows':>5}{'SQL ms':>8}{'process':>9}{'ratio':>7}"
          f"{'SQL+HTTP':>10}{'/api ms':>9}{'ratio':>7}  verdict")
    for case, rows, (sql_ms, process_ms, floor_ms, http_ms) in results:
        met = process_ms <= 3 * sql_ms and http_ms <= 3 * floor_ms
        if case.target_ms is not None and backend == "SQLite":
            met = met and process_ms < case.target_ms
        verdict = "PASS" if met else "MISS"
        extra = f" (and < {case.target_ms:g} ms in process)" if case.target_ms and backend == "SQLite" else ""
        print(f"{case.title:<36}{rows:>5.0f}{sql_ms:>8.2f}{process_ms:>9.2f}{process_ms / sql_ms:>6.1f}x"
              f"{floor_ms:>10.2f}{http_ms:>9.2f}{http_ms / floor_ms:>6.1f}x  {verdict}{extra}")
    print("\nQueries:")
    for case in results:
        print(f"  {case[0].title}: {case[0].expression}")
    print(f"\nThe issue's query on the {len(granted)} projects granted to a Project Manager, in process "
          "(the two users timed alternately):")
    print(f"{'as the administrator':<34}{admin_ms:8.2f} ms   1.00x")
    print(f"{'as the Project Manager':<34}{manager_ms:8.2f} ms   {manager_ms / admin_ms:.2f}x   (target <= 1.2x)")
    print(f"\nThe same filtered by project_id, in process:\n{QUERY_BY_ID}")
    print(f"{'as the administrator':<34}{admin_id_ms:8.2f} ms   1.00x")
    print(f"{'as the Project Manager':<34}{manager_id_ms:8.2f} ms   {manager_id_ms / admin_id_ms:.2f}x")


if __name__ == "__main__":
    main()
