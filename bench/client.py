"""clapboard and ftrack-python-api 3.1.0 side by side, against one embedded server.

Each figure is measured for both clients in the same run, against the same server and
data, each client in its own interpreter (ftrack's in its own virtual environment, built as
the compatibility tests build it). Every measurement runs in a fresh process, several times;
the median is printed with the ratio clapboard / ftrack. Query figures are also compared
with ``json.loads`` of the same response bytes.

    python bench/client.py [--repeat 3]

Figures: import + session start (cold, and with a warm schema cache); query and materialise
1,000 and 10,000 tasks (``select name, status.name, parent.name from Task``), in total and
without the time spent in HTTP calls; building a 1,111-entity unit of work and the client
side of its commit; memory held per materialised entity (measured in a second run of the
query, in a fresh session, as tracemalloc slows the code it traces). Each ratio is printed
with its target and PASS or MISS.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "test" / "compat"))

from clapboard_server import embedded
from fixtures import populate
from ftrack_harness import ftrack_python

#: Most the ratio clapboard / ftrack may be, per figure (from the performance issue).
TARGETS = {
    "start_warm": 0.5,
    "query_1000_client": 0.1,
    "query_10000_client": 0.1,
    "memory_1000": 0.5,
    "memory_10000": 0.5,
    "uow_build": 0.1,
}
#: Most clapboard's client side of a query may be, in multiples of ``json.loads`` of its bytes.
JSON_LOADS_TARGET = 10.0

QUERY = 'select name, status.name, parent.name from Task where project.name is "{project}"'


def json_loads_seconds(server, project: str) -> float:
    """``json.loads`` of the same pages the clients fetch (500 entities a page)."""
    http = requests.Session()
    http.headers.update({"ftrack-user": server.api_user, "ftrack-api-key": server.api_key})
    pages, offset = [], 0
    while offset is not None:
        expression = QUERY.format(project=project) + f" offset {offset} limit 500"
        body = http.post(f"{server.server_url}/api", json=[{"action": "query", "expression": expression}]).content
        pages.append(body)
        offset = json.loads(body)[0]["metadata"]["next"]["offset"]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        for body in pages:
            json.loads(body)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def compile_clapboard() -> None:
    """Compile clapboard's modules to bytecode, as installing it would.

    ftrack's virtual environment holds the bytecode pip compiled at install. A source
    checkout has none when ``PYTHONDONTWRITEBYTECODE`` is set, and every start would
    then compile each module again: start-up times would not be comparable.
    """
    compileall.compile_dir(ROOT / "source" / "clapboard", quiet=1)


def run_worker(python: Path, module: str, environment: dict, *arguments: str) -> dict:
    command = [str(python), str(HERE / "client_worker.py"), module, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    clients = {"clapboard": Path(sys.executable), "ftrack_api": ftrack_python()}
    compile_clapboard()

    with embedded.start() as server, tempfile.TemporaryDirectory() as caches:
        projects = {count: populate(server, count) for count in (1000, 10000)}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "CLAPBOARD_"))}
        base.update(FTRACK_SERVER=server.server_url, FTRACK_API_USER=server.api_user, FTRACK_API_KEY=server.api_key)
        base["PYTHONPATH"] = str(ROOT / "source")
        results: dict[str, dict] = {}
        for module, python in clients.items():
            environment = dict(base)
            if module == "ftrack_api":
                environment.pop("PYTHONPATH")
            cache = os.path.join(caches, module)
            os.makedirs(cache)
            environment["BENCH_SCHEMA_CACHE"] = cache
            figures = results[module] = {}
            cold = []
            for index in range(arguments.repeat):
                cold_cache = os.path.join(caches, f"{module}-cold-{index}")
                os.makedirs(cold_cache)
                cold.append(run_worker(python, module, environment, "start", cold_cache))
            run_worker(python, module, environment, "start", cache)  # fill the schema cache
            warm = [run_worker(python, module, environment, "start", cache) for _ in range(arguments.repeat)]
            figures["start_cold"] = median_of(cold, "seconds")
            figures["start_warm"] = median_of(warm, "seconds")
            figures["start_warm_requests"] = median_of(warm, "requests")
            for count, project in projects.items():
                runs = [run_worker(python, module, environment, "query", project) for _ in range(arguments.repeat)]
                figures[f"query_{count}"] = median_of(runs, "seconds")
                figures[f"query_{count}_client"] = statistics.median(r["seconds"] - r["http_seconds"] for r in runs)
                figures[f"memory_{count}"] = statistics.median(r["memory_bytes"] / r["memory_entities"] for r in runs)
            runs = [run_worker(python, module, environment, "unit_of_work") for _ in range(arguments.repeat)]
            figures["uow_build"] = median_of(runs, "build_seconds")
            figures["uow_commit_client"] = statistics.median(r["commit_seconds"] - r["commit_http_seconds"] for r in runs)
            figures["uow_commit"] = median_of(runs, "commit_seconds")
            figures["uow_requests"] = median_of(runs, "requests")
        loads = {count: json_loads_seconds(server, project) for count, project in projects.items()}

    ours, theirs = results["clapboard"], results["ftrack_api"]

    def verdict(ratio: float, target: float | None) -> str:
        if target is None:
            return ""
        return f"{'<=':>4} {target:<5g}{'PASS' if ratio <= target else 'MISS'}"

    def row(label, key, unit="ms", per=1, scale=1000.0):
        a, b = ours[key] * scale / per, theirs[key] * scale / per
        print(f"{label:<52}{a:12.2f} {unit:<5}{b:12.2f} {unit:<5}{a / b:8.3f}x{verdict(a / b, TARGETS.get(key))}")

    print(f"{'':<52}{'clapboard':>18}{'ftrack 3.1.0':>18}{'ratio':>9}{'target':>10}")
    row("import + session start, cold schema cache", "start_cold")
    row("import + session start, warm schema cache", "start_warm")
    print(f"{'  requests at warm start':<52}{ours['start_warm_requests']:12.0f}{'':6}{theirs['start_warm_requests']:12.0f}")
    for count in (1000, 10000):
        row(f"query + materialise {count:,} tasks (total)", f"query_{count}")
        row("  client side, per entity", f"query_{count}_client", unit="us", per=count, scale=1e6)
        row("  memory per entity", f"memory_{count}", unit="B", scale=1.0)
    row("build 1,111-entity unit of work, per entity", "uow_build", unit="us", per=1111, scale=1e6)
    row("commit of that unit of work, client side", "uow_commit_client")
    row("commit of that unit of work, total", "uow_commit")
    print()
    for count in (1000, 10000):
        ratio = ours[f"query_{count}_client"] / loads[count]
        print(f"clapboard client side / json.loads of the same bytes, {count:,} tasks: "
              f"{ours[f'query_{count}_client'] * 1000:.2f} ms / {loads[count] * 1000:.2f} ms = {ratio:.1f}x"
              f"{verdict(ratio, JSON_LOADS_TARGET)}")


if __name__ == "__main__":
    main()
