"""The server's write path against hand-written SQL storing the same rows, in the same run.

Batches, each sent to an embedded server's ``/api`` and timed inside the server (``Server.call``,
no HTTP) and over HTTP:

- the bench/client.py tree: 1 project, 10 sequences x 10 shots x 10 tasks (1,111 creates);
- 10,000 tasks under 100 shots of one project, in one batch;
- a status change of those 10,000 tasks, in one batch;
- the delete of that project (10,111 contexts and their ancestry).

The anchor for each create batch: the rows the server stored for it (every column of the
context rows, and the ancestry rows), read back, given fresh ids, and inserted by hand-written
``executemany`` statements into the same database in one transaction. Then the whole commit of
the 1,111-entity tree through clapboard's client and the real ftrack client (bench/client.py's
worker), and 10,000 creates committed by clapboard's client end to end.

    python bench/server_write.py [--repeat 3] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "test" / "compat"))

from clapboard_server import embedded
from clapboard_server.schema.tables import ANCESTRY_TABLE
from client import compile_clapboard, run_worker
from ftrack_harness import ftrack_python

#: Most the server's time for the 1,111-entity tree may be, in multiples of the hand-written SQL.
TREE_TARGET = 10.0
#: Most clapboard's whole commit of the tree may be, in multiples of the real ftrack client's.
COMMIT_TARGET = 0.15
#: Most 10,000 creates committed by clapboard's client may take, end to end, in seconds.
TEN_THOUSAND_TARGET = 1.0


def create(entity_type: str, **data: object) -> dict:
    data["id"] = str(uuid.uuid4())
    return {"action": "create", "entity_type": entity_type, "entity_key": [data["id"]],
            "entity_data": {"__entity_type__": entity_type, **data}}


def reference(operation: dict) -> dict:
    return {"__entity_type__": operation["entity_type"], "id": operation["entity_data"]["id"]}


def tree(schema: dict, sequences: int, shots: int, tasks: int) -> tuple[str, list[dict]]:
    name = f"write_{uuid.uuid4().hex[:8]}"
    project = create("Project", name=name, full_name=name, project_schema=schema)
    batch = [project]
    for s in range(sequences):
        sequence = create("Sequence", name=f"sq{s:03d}", parent=reference(project))
        batch.append(sequence)
        for h in range(shots):
            shot = create("Shot", name=f"sh{h:03d}", parent=reference(sequence))
            batch.append(shot)
            batch += [create("Task", name=f"t{t:03d}", parent=reference(shot)) for t in range(tasks)]
    return name, batch


class Bench:
    def __init__(self, handle) -> None:
        self.handle = handle
        self.server = handle.server
        self.user_id = self.server.authenticator.authenticate(handle.api_user, handle.api_key)
        self.engine = self.server.database.engine
        self.schema = self.call([{"action": "query", "expression": "select id from ProjectSchema"}])[0]["data"][0]

    def call(self, batch: list[dict]) -> list:
        return self.server.call(batch, self.user_id)

    def timed(self, batch: list[dict]) -> float:
        started = time.perf_counter()
        self.call(batch)
        return time.perf_counter() - started

    def stored_rows(self, project_name: str) -> tuple[list[dict], list[dict]]:
        """Every context row and ancestry row the server stored for the project."""
        with self.engine.connect() as connection:
            project_id = connection.execute(sa.text("select id from context where name = :name and context_type = 'show'"),
                                            {"name": project_name}).scalar()
            rows = [dict(row._mapping) for row in connection.execute(
                sa.text("select * from context where project_id = :id"), {"id": project_id})]
            ancestry = [dict(row._mapping) for row in connection.execute(
                sa.text(f"select a.* from {ANCESTRY_TABLE} a join context c on c.id = a.context_id "
                        "where c.project_id = :id"), {"id": project_id})]
        return rows, ancestry

    def hand_written(self, project_name: str) -> float:
        """Insert a copy of the project's rows (fresh ids and names) with executemany; return seconds."""
        rows, ancestry = self.stored_rows(project_name)
        fresh = {row["id"]: str(uuid.uuid4()) for row in rows}
        suffix = uuid.uuid4().hex[:6]
        copies = []
        for row in rows:
            copy = dict(row)
            for column in ("id", "parent_id", "project_id"):
                if copy.get(column) in fresh:
                    copy[column] = fresh[copy[column]]
            if copy["context_type"] == "show":
                copy["name"] = f"{copy['name']}_{suffix}"
            copies.append(copy)
        links = [{**link, "context_id": fresh[link["context_id"]], "ancestor_id": fresh[link["ancestor_id"]]}
                 for link in ancestry]
        context = self.server.database.tables["context"]
        table = self.server.database.tables[ANCESTRY_TABLE]
        columns = list(copies[0])
        insert_context = sa.text(f"insert into context ({', '.join(columns)}) values "
                                 f"({', '.join(':' + column for column in columns)})")
        insert_links = sa.text(f"insert into {table.name} ({', '.join(links[0])}) values "
                               f"({', '.join(':' + column for column in links[0])})")
        assert context is not None
        started = time.perf_counter()
        with self.engine.begin() as connection:
            connection.execute(insert_context, copies)
            connection.execute(insert_links, links)
        return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="PostgreSQL URL of an empty database (default: SQLite)")
    arguments = parser.parse_args()
    compile_clapboard()
    rows = []
    # 10,102 operations per big batch: over the default max_operations (10,000), so raised here.
    with embedded.start(database=arguments.database, max_operations=20_000) as handle:
        bench = Bench(handle)
        bench.call(tree(bench.schema, 2, 2, 2)[1])  # warm up
        for label, shape in (("1,111-entity tree (1 x 10 x 10 x 10)", (10, 10, 10)),
                             ("10,000 tasks under 100 shots", (1, 100, 100))):
            server_times, sql_times = [], []
            for _ in range(arguments.repeat):
                name, batch = tree(bench.schema, *shape)
                server_times.append(bench.timed(batch))
                sql_times.append(bench.hand_written(name))
            rows.append((label, median(server_times), median(sql_times)))
        name, batch = tree(bench.schema, 1, 100, 100)
        bench.call(batch)
        tasks = [operation for operation in batch if operation["entity_type"] == "Task"]
        task_statuses = 'select id from Status where name in ("Not started", "In progress", "Approved")'  # task workflow
        statuses = [row["id"] for row in bench.call([{"action": "query", "expression": task_statuses}])[0]["data"]]
        update = [{"action": "update", "entity_type": "Task", "entity_key": [task["entity_data"]["id"]],
                   "entity_data": {"status_id": statuses[index % 3]}} for index, task in enumerate(tasks)]
        update_seconds = bench.timed(update)
        project_id = batch[0]["entity_data"]["id"]
        delete_seconds = bench.timed([{"action": "delete", "entity_type": "Project", "entity_key": [project_id]}])

        environment = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "CLAPBOARD_"))}
        environment.update(FTRACK_SERVER=handle.server_url, FTRACK_API_USER=handle.api_user,
                           FTRACK_API_KEY=handle.api_key, PYTHONPATH=str(HERE.parent / "source"))
        commits = {}
        for module, python in (("clapboard", Path(sys.executable)), ("ftrack_api", ftrack_python())):
            env = dict(environment)
            if module == "ftrack_api":
                env.pop("PYTHONPATH")
            runs = [run_worker(python, module, env, "unit_of_work") for _ in range(arguments.repeat)]
            commits[module] = median([run["commit_seconds"] for run in runs])
        big = [run_worker(Path(sys.executable), "clapboard", environment, "unit_of_work", "1", "100", "100")
               for _ in range(arguments.repeat)]
        big_seconds = median([run["commit_seconds"] for run in big])

    backend = "PostgreSQL" if arguments.database else "SQLite"
    print(f"server-side time per batch ({backend}), median of {arguments.repeat}, next to hand-written SQL "
          "inserting the same rows")
    print(f"{'batch':<40}{'server':>12}{'SQL':>12}{'ratio':>9}")
    for label, server_seconds, sql_seconds in rows:
        ratio = server_seconds / sql_seconds
        target = f"   target <= {TREE_TARGET:g}x {'PASS' if ratio <= TREE_TARGET else 'MISS'}" if "tree" in label else ""
        print(f"{label:<40}{server_seconds * 1000:>9.1f} ms{sql_seconds * 1000:>9.1f} ms{ratio:>8.1f}x{target}")
    print(f"{'status change of 10,000 tasks':<40}{update_seconds * 1000:>9.1f} ms")
    print(f"{'delete of a project with 10,100 below':<40}{delete_seconds * 1000:>9.1f} ms")
    ratio = commits["clapboard"] / commits["ftrack_api"]
    print(f"\nwhole commit of the 1,111-entity tree: clapboard {commits['clapboard'] * 1000:.1f} ms, "
          f"ftrack 3.1.0 {commits['ftrack_api'] * 1000:.1f} ms, ratio {ratio:.3f}x   target <= {COMMIT_TARGET:g}x "
          f"{'PASS' if ratio <= COMMIT_TARGET else 'MISS'}")
    print(f"10,000 creates committed by clapboard's client, end to end: {big_seconds:.2f} s   "
          f"target <= {TEN_THOUSAND_TARGET:g} s {'PASS' if big_seconds <= TEN_THOUSAND_TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
