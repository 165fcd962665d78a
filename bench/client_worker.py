"""One client's measurements, run in that client's own interpreter by ``bench/client.py``.

    python client_worker.py clapboard|ftrack_api MEASUREMENT

Reads the server and credentials from FTRACK_SERVER / FTRACK_API_USER / FTRACK_API_KEY and
prints one JSON object. Both clients share this code: clapboard's API is ftrack's. Time spent
inside ``requests`` (network and server) is measured separately, so the figures can be split
into the client's own cost and the server's.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
import tracemalloc
import uuid

QUERY = "select name, status.name, parent.name from Task where project.name is \"{project}\""


class RequestTimer:
    """Wraps ``requests.Session.request`` to add up the time spent in HTTP calls."""

    def __init__(self) -> None:
        import requests

        self.spent = 0.0
        self.calls = 0
        original = requests.Session.request

        def timed(session, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(session, *args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started
                self.calls += 1

        requests.Session.request = timed


def start(module_name: str, schema_cache: str | None):
    """Import the client and start a session; return (module, session, seconds)."""
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    session = module.Session(auto_connect_event_hub=False, schema_cache_path=schema_cache or False)
    return module, session, time.perf_counter() - started


def measure_start(module_name: str, schema_cache: str) -> dict:
    timer = RequestTimer()
    _, session, seconds = start(module_name, schema_cache)
    session.close()
    return {"seconds": seconds, "http_seconds": timer.spent, "requests": timer.calls}


def check(tasks: list) -> None:
    """Check the selected values of the first ten tasks."""
    names = [(task["name"], task["status"]["name"], task["parent"]["name"]) for task in tasks[:10]]
    assert names and all(all(values) for values in names)


def measure_query(module_name: str, project: str) -> dict:
    """Time the query in one session, then measure its memory in a fresh session.

    tracemalloc slows allocation-heavy code several times over, so it is on
    only for the second run, which the time does not include.
    """
    timer = RequestTimer()
    schema_cache = os.environ.get("BENCH_SCHEMA_CACHE")
    module, session, _ = start(module_name, schema_cache)
    gc.collect()
    http_before, calls_before = timer.spent, timer.calls
    started = time.perf_counter()
    tasks = session.query(QUERY.format(project=project)).all()
    seconds = time.perf_counter() - started
    http_seconds, calls = timer.spent - http_before, timer.calls - calls_before
    check(tasks)
    count = len(tasks)
    del tasks
    session.close()
    del session
    gc.collect()

    session = module.Session(auto_connect_event_hub=False, schema_cache_path=schema_cache or False)
    gc.collect()
    tracemalloc.start()
    before_memory = tracemalloc.get_traced_memory()[0]
    tasks = session.query(QUERY.format(project=project)).all()
    check(tasks)
    memory = tracemalloc.get_traced_memory()[0] - before_memory
    tracemalloc.stop()
    return {
        "entities": count, "seconds": seconds, "http_seconds": http_seconds,
        "requests": calls, "memory_bytes": memory, "memory_entities": len(tasks),
    }


def measure_unit_of_work(module_name: str, sequences: str = "10", shots: str = "10", tasks: str = "10") -> dict:
    """Build a project tree of ``sequences`` x ``shots`` x ``tasks`` in one session, then commit it."""
    timer = RequestTimer()
    _, session, _ = start(module_name, os.environ.get("BENCH_SCHEMA_CACHE"))
    schema = session.query("ProjectSchema").first()
    http_before, calls_before = timer.spent, timer.calls
    started = time.perf_counter()
    project = session.create("Project", {"name": f"uow-{uuid.uuid4().hex[:8]}", "full_name": "uow",
                                         "project_schema": schema})
    created = 1
    for s in range(int(sequences)):
        sequence = session.create("Sequence", {"name": f"sq{s:03d}", "parent": project})
        created += 1
        for h in range(int(shots)):
            shot = session.create("Shot", {"name": f"sh{h:03d}", "parent": sequence})
            created += 1
            for t in range(int(tasks)):
                session.create("Task", {"name": f"task{t:02d}", "parent": shot})
                created += 1
    build_seconds = time.perf_counter() - started
    commit_started = time.perf_counter()
    http_at_commit = timer.spent
    session.commit()
    commit_seconds = time.perf_counter() - commit_started
    commit_http = timer.spent - http_at_commit
    return {
        "entities": created, "build_seconds": build_seconds, "commit_seconds": commit_seconds,
        "commit_http_seconds": commit_http, "requests": timer.calls - calls_before,
        "http_seconds": timer.spent - http_before,
    }


def measure_round_trip(module_name: str, project: str, repeat: str = "200") -> dict:
    """Median time of a one-row query on a kept-alive connection (after a warm-up)."""
    _, session, _ = start(module_name, os.environ.get("BENCH_SCHEMA_CACHE"))
    expression = f'select id, name from Project where name is "{project}"'
    session.query(expression).one()
    timings = []
    for _ in range(int(repeat)):
        started = time.perf_counter()
        session.query(expression).one()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {"seconds": timings[len(timings) // 2], "p90_seconds": timings[int(len(timings) * 0.9)]}


def measure_lazy_loop(module_name: str, project: str) -> dict:
    """The shell user's loop: each task's parent and status name, loaded lazily one by one."""
    timer = RequestTimer()
    _, session, _ = start(module_name, os.environ.get("BENCH_SCHEMA_CACHE"))
    tasks = session.query(f'Task where project.name is "{project}"').all()
    calls_before = timer.calls
    started = time.perf_counter()
    lines = [(task["parent"]["name"], task["status"]["name"]) for task in tasks]
    seconds = time.perf_counter() - started
    assert len(lines) == len(tasks) and all(all(line) for line in lines)
    return {"seconds": seconds, "tasks": len(tasks), "requests": timer.calls - calls_before}


MEASUREMENTS = {
    "start": measure_start,
    "query": measure_query,
    "unit_of_work": measure_unit_of_work,
    "round_trip": measure_round_trip,
    "lazy_loop": measure_lazy_loop,
}


def main() -> None:
    module_name, measurement = sys.argv[1], sys.argv[2]
    if measurement not in MEASUREMENTS:
        raise SystemExit(f"unknown measurement {measurement!r}")
    result = MEASUREMENTS[measurement](module_name, *sys.argv[3:])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
