"""The project tree page of the web view on a project of 5,000 tasks, against the same queries through /api.

Figures, each the median (and best) of ``--repeat`` runs, in one run on one embedded server:

- ``GET /projects/<id>``: the tree page's first page (50 rows), rendered, as a logged-in
  Administrator -- the count, the page, the filters' choices and the page's assignees;
- the anchor: the same query batch (and the assignees query) POSTed to ``/api`` by the same
  user, answered as JSON (no HTML);
- the same for a few other views of the tree (sorted by status, filtered by kind and name,
  the last page).

The target is a first page under 300 ms on the server. Both figures are measured from the
client over the loopback interface, so they include the HTTP round trip (about 1 ms).

    python bench/web.py [--tasks 5000] [--repeat 15] [--postgres ADMIN_URL]

With ``--postgres`` the bench creates a database of its own through that server (and drops it
at the end); without, it runs on SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import requests
from clapboard_server import admin, embedded
from clapboard_server.web import passwords
from clapboard_server.web.pages.tree import TreeView
from fixtures import populate

TARGET_MS = 300.0
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def timed(operation: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Median and best milliseconds of ``repeat`` runs of ``operation`` (after one warm-up run)."""
    operation()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), min(timings)


def logged_in(server_url: str, username: str, password: str) -> requests.Session:
    client = requests.Session()
    client.headers["Origin"] = server_url
    token = _TOKEN.search(client.get(f"{server_url}/login", timeout=60).text).group(1)
    answer = client.post(f"{server_url}/login", timeout=60, allow_redirects=False,
                         data={"username": username, "password": password, "csrf_token": token, "next": "/"})
    assert answer.status_code == 303, answer.text[:300]
    return client


@contextlib.contextmanager
def own_database(admin_url: str | None) -> Iterator[str | None]:
    """A new PostgreSQL database made through ``admin_url`` (dropped afterwards), or None for SQLite."""
    if admin_url is None:
        yield None
        return
    import psycopg
    from psycopg import sql

    name = f"clapboard_bench_web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(scheme="postgresql+psycopg", path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def assign_some(server, project_id: str, user_id: str) -> None:
    """Assign the user to one task in ten (the page shows assignees)."""
    tasks = server.server.call([{"action": "query", "expression": (
        f'select id from Task where project_id is "{project_id}"')}], user_id)[0]["data"]
    server.server.call([{"action": "create", "entity_type": "Appointment", "entity_data": {
        "context_id": task["id"], "resource_id": user_id, "type": "assignment"}} for task in tasks[::10]], user_id)


def get_page(web: requests.Session, url: str) -> None:
    answer = web.get(url, timeout=60)
    assert answer.status_code == 200 and "<table" in answer.text, answer.text[:300]


def query_api(api: requests.Session, url: str, operations: list[dict]) -> None:
    """The page's queries through /api: its batch, then the users assigned on the page."""
    answers = api.post(url, json=operations, timeout=60).json()
    assert isinstance(answers, list), answers
    ids = sorted({a["resource_id"] for row in answers[1]["data"] for a in row["assignments"]})
    if ids:
        quoted = ", ".join(f'"{i}"' for i in ids)
        api.post(url, timeout=60, json=[{"action": "query", "expression": (
            f"select id, username, first_name, last_name from User where id in ({quoted})")}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", default=None,
                        help="a PostgreSQL server URL to create the bench's database through (default: SQLite)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir, own_database(arguments.postgres) as database_url, \
            embedded.start(data_dir=data_dir, database=database_url) as server:
        database = server.server.database
        username, password = f"bench-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
        admin.add_user(database, username, [admin.RoleGrant("Administrator", ())])
        passwords.set_password(database, username, password)
        name = populate(server, arguments.tasks, prefix="web")
        user_id = server.server.call([{"action": "query", "expression": (
            f'select id from User where username is "{username}"')}], None)[0]["data"][0]["id"]
        project_id = server.server.call([{"action": "query", "expression": (
            f'select id from Project where name is "{name}"')}], user_id)[0]["data"][0]["id"]
        assign_some(server, project_id, user_id)

        web = logged_in(server.server_url, username, password)
        api = requests.Session()
        api.headers.update({"ftrack-user": server.api_user, "ftrack-api-key": server.api_key})
        total = server.server.call([{"action": "query", "expression": (
            f'select count(id) from TypedContext where project_id is "{project_id}"')}], user_id)[0]["data"][0]
        backend = "PostgreSQL" if database_url else "SQLite"
        print(f"{backend}: project {name}: {total['count_id']:,} contexts ({arguments.tasks:,} tasks); "
              f"median (best) of {arguments.repeat} runs\n")
        print(f"{'view':<34}{'web page ms':>16}{'/api ms':>16}{'web / api':>11}")
        views = {
            "first page (the target)": {},
            "sorted by status": {"sort": "status"},
            "tasks named like 't0', by bid": {"kind": "Task", "name": "t0", "sort": "bid", "order": "desc"},
            "page 20 of 200 rows": {"size": "200", "page": "20"},
        }
        first = None
        for label, params in views.items():
            view = TreeView.from_params(project_id, params)
            page_url = server.server_url + view.url(page=view.page)

            page = functools.partial(get_page, web, page_url)
            through_api = functools.partial(query_api, api, f"{server.server_url}/api", view.operations())
            web_ms, web_best = timed(page, arguments.repeat)
            api_ms, api_best = timed(through_api, arguments.repeat)
            first = first if first is not None else web_ms
            print(f"{label:<34}{web_ms:>9.1f} ({web_best:5.1f}){api_ms:>9.1f} ({api_best:5.1f}){web_ms / api_ms:>10.2f}x")
        verdict = "under" if first < TARGET_MS else "OVER"
        print(f"\nThe first page took {first:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target.")


if __name__ == "__main__":
    main()
