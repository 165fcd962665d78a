"""Request latency: clapboard's client, the real ftrack client, a fresh connection and the floor.

All against one embedded server, in the same run:

- the median round trip of a one-row query on a kept-alive connection, with clapboard's
  client and with ftrack-python-api 3.1.0 (each in its own interpreter, as bench/client.py
  runs them);
- the same request sent on a fresh connection each time (raw ``requests.post``);
- the floor: a minimal Starlette endpoint served by the same uvicorn configuration and the
  same kind of listening socket as the server, on a kept-alive connection;
- the interactive-shell loop ``for task in tasks: task["parent"]["name"], task["status"]["name"]``
  over 300 tasks, one lazy load per attribute, with both clients.

    python bench/latency.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "test" / "compat"))

from clapboard_server import embedded
from clapboard_server.sockets import listening_socket
from client import compile_clapboard, run_worker
from fixtures import populate
from ftrack_harness import ftrack_python

#: Most clapboard's kept-alive round trip may be, in multiples of the Starlette floor.
FLOOR_TARGET = 2.0
#: Most the 300-task lazy loop may take with clapboard's client, in seconds.
LAZY_LOOP_TARGET = 2.0


def median_round_trip(send, repeat: int) -> float:
    """Median seconds of ``send()`` over ``repeat`` calls, after one warm-up call."""
    send()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        send()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


class FloorServer:
    """A one-route Starlette app under the server's uvicorn configuration, in a thread.

    Its ``/api`` answers an empty result; given ``answer`` (an endpoint), that instead.
    """

    def __init__(self, answer=None) -> None:
        async def empty(request):
            await request.body()
            return JSONResponse([{"data": [], "metadata": {}}])

        app = Starlette(routes=[Route("/api", answer or empty, methods=["POST"])])
        self._socket = listening_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/api"
        self._server = uvicorn.Server(embedded.uvicorn_config(app))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> FloorServer:  # noqa: PYI034
        self._thread.start()
        while not self._server.started:
            self._thread.join(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="round trips per measurement")
    arguments = parser.parse_args()
    compile_clapboard()
    clients = {"clapboard": Path(sys.executable), "ftrack_api": ftrack_python()}

    with embedded.start() as server, FloorServer() as floor:
        project = populate(server, 300, prefix="latency")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "CLAPBOARD_"))}
        environment.update(FTRACK_SERVER=server.server_url, FTRACK_API_USER=server.api_user,
                           FTRACK_API_KEY=server.api_key, PYTHONPATH=str(HERE.parent / "source"))
        figures = {}
        for module, python in clients.items():
            env = dict(environment)
            if module == "ftrack_api":
                env.pop("PYTHONPATH")
            figures[module] = {
                "round_trip": run_worker(python, module, env, "round_trip", project, str(arguments.repeat)),
                "lazy_loop": run_worker(python, module, env, "lazy_loop", project),
            }

        headers = {"ftrack-user": server.api_user, "ftrack-api-key": server.api_key}
        body = [{"action": "query", "expression": f'select id, name from Project where name is "{project}"'}]
        api_url = f"{server.server_url}/api"
        fresh = median_round_trip(lambda: requests.post(api_url, json=body, headers=headers), arguments.repeat)
        kept_alive_http = requests.Session()
        raw = median_round_trip(lambda: kept_alive_http.post(api_url, json=body, headers=headers), arguments.repeat)
        floor_http = requests.Session()
        floor_seconds = median_round_trip(lambda: floor_http.post(floor.url, json=body), arguments.repeat)

    ours, theirs = figures["clapboard"], figures["ftrack_api"]
    ratio = ours["round_trip"]["seconds"] / floor_seconds
    print(f"one-row query round trip, median of {arguments.repeat}")
    print(f"  {'minimal Starlette endpoint, same uvicorn config (floor)':<58}{floor_seconds * 1000:8.3f} ms   1.00x")
    rows = [
        ("clapboard client, kept-alive connection", ours["round_trip"]["seconds"]),
        ("ftrack-python-api 3.1.0, kept-alive connection", theirs["round_trip"]["seconds"]),
        ("raw requests, kept-alive connection", raw),
        ("raw requests, fresh connection each time", fresh),
    ]
    for label, seconds in rows:
        print(f"  {label:<58}{seconds * 1000:8.3f} ms {seconds / floor_seconds:6.2f}x")
    print(f"  clapboard / floor = {ratio:.2f}x   target <= {FLOOR_TARGET:g}x   {'PASS' if ratio <= FLOOR_TARGET else 'MISS'}")
    print()
    print("lazy loop: task['parent']['name'], task['status']['name'] for each task")
    for label, figure in (("clapboard", ours["lazy_loop"]), ("ftrack-python-api 3.1.0", theirs["lazy_loop"])):
        print(f"  {label:<26}{figure['tasks']:5d} tasks {figure['requests']:5d} requests {figure['seconds']:8.3f} s")
    loop = ours["lazy_loop"]["seconds"]
    print(f"  clapboard loop {loop:.3f} s   target <= {LAZY_LOOP_TARGET:g} s   {'PASS' if loop <= LAZY_LOOP_TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
