"""``clapboard demo``: start an embedded server, build a small project tree, query it back."""

from __future__ import annotations

import signal
import threading
import time

import clapboard


def run(data_dir: str | None = None, database: str | None = None, serve: bool = False) -> int:
    """Build and report on the demo project; with ``serve``, keep the server running until Ctrl+C."""
    from clapboard_server import embedded
    from clapboard_server.web import demo_login

    started = time.perf_counter()
    with embedded.start(data_dir=data_dir, database=database) as server:
        print(f"Embedded server at {server.server_url} (user {server.api_user!r}, data in {server.data_dir})")
        with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as session:
            build(session)
            report(session)
            requests = session.transport.call_count
        print(f"\n{requests} API calls, {time.perf_counter() - started:.2f} s including server start.")
        username, password = demo_login.ensure(server.server.database, "demo")
        print(f"\nWeb view: {server.server_url}/   log in as {username} with the password {password}")
        if not serve:
            print("The server stops now: run clapboard demo --serve to keep it open in a browser.")
            return 0
        print("Serving until Ctrl+C.", flush=True)
        stop = threading.Event()
        # Handlers of our own: Ctrl+C and SIGTERM stop the server even when this process was
        # started with SIGINT ignored (which Python then leaves ignored).
        previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            stop.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return 0


def build(session: clapboard.Session) -> None:
    """A project with two sequences of three shots of three tasks, committed at once.

    Project names are unique: when an earlier run left the project, it is shown again.
    """
    if session.query('select id from Project where name is "demo"').first() is not None:
        print("The project 'demo' exists already (an earlier run): showing it.")
        return
    schema = session.query('ProjectSchema where name is "VFX Scheme"').one()
    project = session.create("Project", {"name": "demo", "full_name": "Clapboard demo", "project_schema": schema})
    created = 1
    for s in range(1, 3):
        sequence = session.create("Sequence", {"name": f"sq{s:03d}", "parent": project})
        created += 1
        for h in range(1, 4):
            shot = session.create("Shot", {"name": f"sq{s:03d}_sh{h * 10:04d}", "parent": sequence})
            created += 1
            for name in ("layout", "animation", "lighting"):
                session.create("Task", {"name": name, "parent": shot})
                created += 1
    session.commit()
    print(f"Created {created} entities in one commit.")


def report(session: clapboard.Session) -> None:
    shots = session.query(
        'select name, parent.name, children[Task].name, children[Task].status.name '
        'from Shot where project.name is "demo" order by name'
    ).all()
    print(f"\n{'shot':<16}{'sequence':<10}tasks (status)")
    for shot in shots:
        tasks = ", ".join(f"{task['name']} ({task['status']['name']})" for task in shot["children"])
        print(f"{shot['name']:<16}{shot['parent']['name']:<10}{tasks}")
    task = session.query(
        'select link from Task where project.name is "demo" and name is "lighting" order by parent.name'
    ).first()
    assert task is not None, "build() made lighting tasks"
    print("\nA task's path: " + " / ".join(item["name"] for item in task["link"]))
    counts = {
        kind: len(session.query(f'select id from {kind} where project.name is "demo"').all())
        for kind in ("Sequence", "Shot", "Task")
    }
    print("Totals: " + ", ".join(f"{count} {kind.lower()}s" for kind, count in counts.items()))
