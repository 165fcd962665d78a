"""Mixed load from many client processes, then a check that nothing was lost or duplicated.

Starts ``clapboard server`` (one process on SQLite, or ``--workers N`` on PostgreSQL with
``--database``), creates a project with shots and a pool of tasks that every client updates,
and runs ``--clients`` processes of ``load_worker.py`` for ``--seconds``: creating tasks and
notes, changing statuses, querying with projections, uploading and downloading small files,
listening to ``ftrack.update``. Prints throughput, p50/p99 latency per operation and errors,
then verifies:

- every created task and note exists exactly once;
- every shared task's final status is one that some client wrote;
- every uploaded file downloads with its MD5;
- every client received an ``ftrack.update`` for every task and note any client created.

Exits non-zero when the verification finds a problem.

    python bench/load.py [--clients 20] [--seconds 60] [--workers 2 --database postgresql://...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "source"
sys.path.insert(0, str(HERE.parent / "test"))

from server_process import ServerProcess


class Api:
    def __init__(self, url: str, api_key: str) -> None:
        self.url = f"{url}/api"
        self.http = requests.Session()
        self.http.headers.update({"ftrack-user": "admin", "ftrack-api-key": api_key})

    def call(self, *operations: dict) -> list:
        answer = self.http.post(self.url, json=list(operations), timeout=600).json()
        if isinstance(answer, dict) and "exception" in answer:
            raise RuntimeError(f"the server refused a call: {answer['exception']}: {answer['content']}")
        return answer

    def query(self, expression: str) -> list[dict]:
        rows, offset = [], 0
        while offset is not None:
            result = self.call({"action": "query", "expression": f"{expression} offset {offset} limit 1000"})[0]
            rows += result["data"]
            offset = result["metadata"]["next"]["offset"]
        return rows


def create(entity_type: str, **data) -> dict:
    data.setdefault("id", str(uuid.uuid4()))
    return {"action": "create", "entity_type": entity_type, "entity_key": [data["id"]],
            "entity_data": {"__entity_type__": entity_type, **data}}


def reference(operation: dict) -> dict:
    return {"__entity_type__": operation["entity_type"], "id": operation["entity_data"]["id"]}


def set_up(api: Api, run: str) -> dict:
    """A project with 20 shots and 40 tasks every client updates."""
    schema = api.query("select id from ProjectSchema")[0]
    project = create("Project", name=f"load_{run}", full_name="load", project_schema=schema)
    shots = [create("Shot", name=f"sh{index:03d}", parent=reference(project)) for index in range(20)]
    tasks = [create("Task", name=f"shared{index:02d}", parent=reference(shots[index % 20])) for index in range(40)]
    api.call(project, *shots, *tasks)
    # One status of each state from the task workflow (the server refuses statuses outside it).
    statuses = [row["id"] for row in api.query('select id from Status where name in '
                                                '("Not started", "In progress", "Approved")')]
    return {"run": run, "shots": [shot["entity_data"]["id"] for shot in shots],
            "shared_tasks": [task["entity_data"]["id"] for task in tasks], "statuses": statuses}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def verify(api: Api, server_url: str, reports: list[dict], setup: dict) -> list[str]:
    """Every problem the run left behind, as sentences."""
    problems = []
    created = [entity_id for report in reports for entity_id in report["created"]]
    if len(created) != len(set(created)):
        problems.append("a client reported the same created id twice")
    stored = {row["id"] for row in api.query(f'select id from Task where project.name is "load_{setup["run"]}"')}
    stored |= {row["id"] for row in api.query(
        f'select id from Note where parent_id in (select id from Task where project.name is "load_{setup["run"]}")')}
    missing = set(created) - stored
    if missing:
        problems.append(f"{len(missing)} created entities are missing, e.g. {sorted(missing)[:3]}")
    written: dict[str, set[str]] = {}
    for report in reports:
        for task_id, status_id in report["writes"]:
            written.setdefault(task_id, set()).add(status_id)
    for row in api.query(f'select id, status_id from Task where project.name is "load_{setup["run"]}" '
                         f'and name like "shared%"'):
        if row["id"] in written and row["status_id"] not in written[row["id"]]:
            problems.append(f"task {row['id']} ended with status {row['status_id']}, which no client wrote")
    with client_session(server_url, api.http.headers["ftrack-api-key"]) as session:
        location = session.query('Location where name is "ftrack.server"').one()
        for report in reports:
            for component_id, digest in report["uploads"].items():
                if not api.call({"action": "query", "expression": f'select id from Component where id is "{component_id}"'}
                                )[0]["data"]:
                    problems.append(f"uploaded component {component_id} has no row")
                    continue
                handle = location.accessor.open(component_id, "rb")
                try:
                    if hashlib.md5(handle.read()).hexdigest() != digest:
                        problems.append(f"component {component_id} does not download with its MD5")
                finally:
                    handle.close()
    for index, report in enumerate(reports):
        if not report["got_sentinel"]:
            problems.append(f"client {index} never received the end-of-run event")
        unseen = set(created) - set(report["seen"])
        if unseen:
            problems.append(f"client {index} missed ftrack.update for {len(unseen)} created entities")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", help="PostgreSQL URL (default: SQLite in a temporary folder)")
    arguments = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="clapboard-load-") as folder:
        data_dir = Path(folder) / "data"
        workers = ("--workers", str(arguments.workers)) if arguments.workers > 1 else ()
        server = ServerProcess(data_dir, database=arguments.database, arguments=workers)
        try:
            api = Api(server.url, server.api_key)
            setup = set_up(api, run)
            setup_file = Path(folder) / "setup.json"
            setup_file.write_text(json.dumps(setup))
            environment = dict(os.environ, PYTHONPATH=str(SOURCE), CLAPBOARD_SERVER=server.url,
                               CLAPBOARD_API_USER="admin", CLAPBOARD_API_KEY=server.api_key)
            results = [Path(folder) / f"client-{index}.json" for index in range(arguments.clients)]
            clients = [
                subprocess.Popen([sys.executable, str(HERE / "load_worker.py"), str(result), str(setup_file),
                                  str(arguments.seconds), str(index)], env=environment)
                for index, result in enumerate(results)
            ]
            # Every client subscribed before anyone writes, so each should see every creation.
            while not all(Path(f"{result}.ready").exists() or client.poll() is not None
                          for result, client in zip(results, clients)):
                time.sleep(0.2)
            (Path(folder) / "go").touch()
            started = time.monotonic()
            while not all(Path(f"{result}.done").exists() or client.poll() is not None
                          for result, client in zip(results, clients)):
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            api.call({"action": "query", "expression": "select id from Priority limit 1"})
            publish_sentinel(server.url, server.api_key, run)
            for client in clients:
                client.wait(300)
            reports = [json.loads(result.read_text()) for result in results if result.exists()]
            print_figures(reports, elapsed, arguments)
            problems = verify(api, server.url, reports, setup)
            if len(reports) != arguments.clients:
                problems.append(f"{arguments.clients - len(reports)} clients did not report")
        finally:
            server.stop()
    complaints = [line.rstrip() for line in server.printed if " WARNING " in line or " ERROR " in line]
    for line in complaints[:20]:
        print(f"  server: {line}")
    errors = sum(len(report["errors"]) for report in reports)
    print(f"verification: {errors} errors, {len(problems)} problems")
    for problem in problems[:20]:
        print(f"  - {problem}")
    for report in reports:
        for error in report["errors"][:2]:
            print(f"  error: {error.strip()}")
    return 1 if problems or errors else 0


def client_session(server_url: str, api_key: str, events: bool = False):
    """A clapboard session as the admin."""
    sys.path.insert(0, str(SOURCE))
    import clapboard

    return clapboard.Session(server_url, api_key, "admin", auto_connect_event_hub=events, schema_cache_path=False)


def publish_sentinel(server_url: str, api_key: str, run: str) -> None:
    """Tell every client that all commits are done (events after it are not waited for)."""
    from clapboard.event.base import Event

    with client_session(server_url, api_key, events=True) as session:
        session.event_hub.flush(60)
        session.event_hub.publish(Event("bench.load.done", data={"run": run}))
        session.event_hub.flush(60)


def print_figures(reports: list[dict], elapsed: float, arguments: argparse.Namespace) -> None:
    latencies: dict[str, list[float]] = {}
    for report in reports:
        for name, values in report["latencies"].items():
            latencies.setdefault(name, []).extend(values)
    total = sum(len(values) for values in latencies.values())
    backend = f"PostgreSQL, {arguments.workers} workers" if arguments.database else "SQLite, 1 process"
    print(f"{arguments.clients} clients for {arguments.seconds:g} s against {backend}: "
          f"{total} operations, {total / elapsed:.1f} per second")
    print(f"{'operation':<16}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in sorted(latencies.items()):
        print(f"{name:<16}{len(values):>8}{statistics.median(values) * 1000:>10.1f}"
              f"{percentile(values, 0.99) * 1000:>10.1f}")


if __name__ == "__main__":
    sys.exit(main())
