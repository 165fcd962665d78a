"""Latency of a relationship-filtered query with projections, against hand-written SQL.

Builds 100 projects x 10 sequences x 10 shots x 10 tasks (100,000 tasks) in a SQLite
database, then times

    select name, status.name, parent.name from Task
    where project.name is "pNN" and status.state.short is "DONE"

through the HTTP API of an embedded server and in-process (no HTTP), and the same rows
fetched by hand-written SQL with the sqlite3 module on the same database file. Prints the
medians and their ratios to the hand-written SQL.

Then the same query, on the projects of a Project Manager granted 10 of the projects, in
process as that Project Manager and as the administrator (whose queries carry no permission
predicate): the ratio is what the policy's row predicates cost (target <= 1.2x).

    python bench/server_query.py [--projects 100] [--repeat 60]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa
from clapboard_server import embedded
from clapboard_server.schema.tables import ANCESTRY_TABLE
from clapboard_server.server import Server
from clapboard_server.values import utc_now

TASK = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
SHOT = "bad911de-3bd6-47b9-8b46-3476e237cb36"
SEQUENCE = "e5139355-61da-4c8f-9db4-3abc870166bc"
PRIORITY = "9661b320-3a0c-11e2-81c1-0800200c9a66"

QUERY = ('select name, status.name, parent.name from Task '
         'where project.name is "{project}" and status.state.short is "DONE"')

HAND_WRITTEN_SQL = """
    SELECT t.id, t.name, t.context_type, t.object_type_id, t.project_id,
           s.id, s.name, p.id, p.name, p.context_type, p.object_type_id
    FROM context AS t
    JOIN context AS pr ON pr.id = t.project_id
    JOIN status AS s ON s.id = t.status_id
    JOIN state AS st ON st.id = s.state_id
    LEFT JOIN context AS p ON p.id = t.parent_id
    WHERE t.context_type = 'task' AND t.object_type_id = ? AND pr.name = ? AND st.short = ?
    ORDER BY t.id
"""


def build(server: Server, projects: int) -> None:
    """Insert the tree with bulk statements (the benchmark is about reading)."""
    database = server.database
    context = database.tables["context"]
    ancestry = database.tables[ANCESTRY_TABLE]
    with database.engine.connect() as connection:
        schema_id = connection.execute(sa.text("select id from project_schema")).scalar()
        statuses = [r[0] for r in connection.execute(sa.text(
            "select s.id from status s join workflow_schema_status w on w.status_id = s.id "
            "join project_schema ps on ps.task_workflow_schema_id = w.workflow_schema_id"))]
        task_type = connection.execute(sa.text("select id from type order by sort limit 1")).scalar()
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
        project_row = {"id": project_id, "name": f"p{p}", "full_name": f"Project {p}", "context_type": "show",
                       "project_id": project_id, "project_schema_id": schema_id, "status": "active",
                       "is_global": False, "created_at": now}
        rows, links = [], []
        for s in range(10):
            sequence = node(f"sq{s:03d}", SEQUENCE, project_id, project_id)
            rows.append(sequence)
            links.append((sequence["id"], project_id, 1))
            for h in range(10):
                shot = node(f"sh{h:03d}", SHOT, sequence["id"], project_id, status_id=statuses[0])
                rows.append(shot)
                links += [(shot["id"], sequence["id"], 1), (shot["id"], project_id, 2)]
                for t in range(10):
                    task = node(f"task{t:02d}", TASK, shot["id"], project_id,
                                status_id=rng.choice(statuses), type_id=task_type)
                    rows.append(task)
                    links += [(task["id"], shot["id"], 1), (task["id"], sequence["id"], 2), (task["id"], project_id, 3)]
        with database.transaction() as connection:
            connection.execute(context.insert(), [project_row])
            connection.execute(context.insert(), rows)
            connection.execute(ancestry.insert(), [{"context_id": c, "ancestor_id": a, "depth": d} for c, a, d in links])
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


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


def median_ms(function, repeat: int) -> float:
    function(0)  # warm up
    timings = []
    for index in range(repeat):
        started = time.perf_counter()
        function(index)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=60)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clapboard-bench-") as folder:
        data_dir = Path(folder)
        server = Server(data_dir)
        server.prepare()
        started = time.perf_counter()
        build(server, arguments.projects)
        server.close()
        print(f"Built {arguments.projects * 1000:,} tasks in {arguments.projects} projects "
              f"in {time.perf_counter() - started:.1f} s (SQLite, {data_dir / 'clapboard.db'})")

        def project(index: int) -> str:
            return f"p{(index * 37) % arguments.projects}"

        sql = sqlite3.connect(data_dir / "clapboard.db")
        counts = []

        def hand_written(index: int) -> None:
            rows = sql.execute(HAND_WRITTEN_SQL, (TASK, project(index), "DONE")).fetchall()
            counts.append(len(rows))

        with embedded.start(data_dir=data_dir) as handle:
            http = requests.Session()
            http.headers.update({"ftrack-user": handle.api_user, "ftrack-api-key": handle.api_key})
            url = f"{handle.server_url}/api"
            user_id = handle.server.authenticator.authenticate(handle.api_user, handle.api_key)
            sizes = []

            def through_http(index: int) -> None:
                body = [{"action": "query", "expression": QUERY.format(project=project(index))}]
                sizes.append(len(http.post(url, json=body, timeout=60).json()[0]["data"]))

            def in_process(index: int) -> None:
                body = [{"action": "query", "expression": QUERY.format(project=project(index))}]
                handle.server.call(body, user_id)

            sql_ms = median_ms(hand_written, arguments.repeat)
            process_ms = median_ms(in_process, arguments.repeat)
            http_ms = median_ms(through_http, arguments.repeat)

            granted = [f"p{i}" for i in range(0, arguments.projects, max(1, arguments.projects // 10))][:10]
            manager_id, granted_ids = project_manager(handle.server, user_id, granted)
            answers: dict[str, list[int]] = {}

            def as_user(who: str, acting: str, expressions: list[str]):
                def run(index: int) -> None:
                    body = [{"action": "query", "expression": expressions[index % len(expressions)]}]
                    answers.setdefault(who, []).append(len(handle.server.call(body, acting)[0]["data"]))
                return run

            by_name = [QUERY.format(project=name) for name in granted]
            by_id = [QUERY_BY_ID.format(project_id=i) for i in granted_ids]
            admin_ms, manager_ms = paired_median_ms(
                as_user("admin", user_id, by_name), as_user("manager", manager_id, by_name), arguments.repeat)
            admin_id_ms, manager_id_ms = paired_median_ms(
                as_user("admin by id", user_id, by_id), as_user("manager by id", manager_id, by_id), arguments.repeat)
        assert sizes[1:] == counts[1:len(sizes)], "the API and the SQL returned different row counts"
        assert answers["admin"] == answers["manager"], "the Project Manager saw other rows than the administrator"
        assert answers["admin by id"] == answers["manager by id"], "the Project Manager saw other rows"

    print(f"\nQuery: {QUERY.format(project='pNN')}")
    print(f"Rows per query: median {statistics.median(counts):.0f}")
    print(f"{'hand-written SQL (sqlite3)':<34}{sql_ms:8.2f} ms   1.00x")
    print(f"{'clapboard in process (no HTTP)':<34}{process_ms:8.2f} ms   {process_ms / sql_ms:.2f}x")
    print(f"{'clapboard over HTTP /api':<34}{http_ms:8.2f} ms   {http_ms / sql_ms:.2f}x   (target <= 3x)")
    print(f"\nSame query on the {len(granted)} projects granted to a Project Manager, in process "
          "(the two users timed alternately):")
    print(f"{'as the administrator':<34}{admin_ms:8.2f} ms   1.00x")
    print(f"{'as the Project Manager':<34}{manager_ms:8.2f} ms   {manager_ms / admin_ms:.2f}x   (target <= 1.2x)")
    print(f"\nThe same filtered by project_id (an index serves both users), in process:\n{QUERY_BY_ID}")
    print(f"{'as the administrator':<34}{admin_id_ms:8.2f} ms   1.00x")
    print(f"{'as the Project Manager':<34}{manager_id_ms:8.2f} ms   {manager_id_ms / admin_id_ms:.2f}x")


if __name__ == "__main__":
    main()
