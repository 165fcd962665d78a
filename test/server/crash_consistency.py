"""A server killed in the middle of a large commit: all or nothing, and a consistent database.

Used by the short kill test of the suite and by ``bench/kill.py`` (many trials).
"""

import random
import threading
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa
from server_api import create, ref
from server_process import ServerProcess

SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"


def tree_batch(project_schema, entities):
    """Create operations for a project and ``entities`` - 1 contexts below it (10 shots a sequence)."""
    name = f"kill-{uuid.uuid4().hex[:10]}"
    project = create("Project", name=name, full_name=name, project_schema=project_schema)
    batch = [project]
    while len(batch) < entities:
        sequence = create("Sequence", name=f"sq{len(batch):05d}", parent=ref(project))
        batch.append(sequence)
        for shot_index in range(10):
            if len(batch) >= entities:
                break
            shot = create("Shot", name=f"sh{shot_index:02d}", parent=ref(sequence))
            batch.append(shot)
            tasks = min(8, entities - len(batch))
            batch += [create("Task", name=f"t{task:02d}", parent=ref(shot)) for task in range(tasks)]
    return name, batch


def database_url(data_dir, database):
    if database:
        return database.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{Path(data_dir) / 'clapboard.db'}"


def consistency_problems(data_dir, database):
    """Every inconsistency the database and the data folder show, as sentences."""
    problems = []
    engine = sa.create_engine(database_url(data_dir, database))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                verdict = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
                if verdict != "ok":
                    problems.append(f"SQLite integrity_check: {verdict}")
            parents = dict(connection.exec_driver_sql("SELECT id, parent_id FROM context").fetchall())
            stored = {}
            for context_id, ancestor_id, depth in connection.exec_driver_sql(
                "SELECT context_id, ancestor_id, depth FROM context_ancestor"
            ):
                stored.setdefault(context_id, set()).add((ancestor_id, depth))
            for context_id, parent_id in parents.items():
                expected, parent, depth = set(), parent_id, 1
                while parent is not None:
                    expected.add((parent, depth))
                    parent, depth = parents.get(parent), depth + 1
                if stored.get(context_id, set()) != expected:
                    problems.append(f"ancestry of {context_id} does not match its parent links")
            orphans = set(stored) - set(parents)
            if orphans:
                problems.append(f"{len(orphans)} ancestry rows for contexts that do not exist")
            located = {row[0] for row in connection.exec_driver_sql(
                "SELECT resource_identifier FROM component_location WHERE location_id = "
                f"'{SERVER_LOCATION_ID}'")}
            components = {row[0] for row in connection.exec_driver_sql("SELECT id FROM component")}
    finally:
        engine.dispose()
    files = {path.name for path in (Path(data_dir) / "files").rglob("*")
             if path.is_file() and not path.name.startswith(".") and path.suffix != ".json"}
    for missing in sorted(located - files):
        problems.append(f"component {missing} is in ftrack.server but has no file")
    for orphan in sorted(files - components):
        problems.append(f"file {orphan} belongs to no component")
    return problems


def kill_trial(data_dir, database=None, entities=5000, rng=None, duration=None):
    """Send a ``entities``-context batch, SIGKILL the server part-way, restart it and check.

    Returns ``(applied, problems, seconds)``: whether the batch is stored (all of it), the
    problems found, and how long the batch took when it was not interrupted (``duration``
    None: the first trial measures it and is not killed).
    """
    rng = rng or random.Random()
    server = ServerProcess(data_dir, database=database)
    headers = {"ftrack-user": "admin", "ftrack-api-key": server.api_key}
    http = requests.Session()
    schema = http.post(f"{server.url}/api", headers=headers, timeout=60,
                       json=[{"action": "query", "expression": "select id from ProjectSchema"}]).json()[0]["data"][0]
    name, batch = tree_batch(schema, entities)
    answers = []

    def send():
        try:
            answers.append(http.post(f"{server.url}/api", json=batch, headers=headers, timeout=600).json())
        except requests.RequestException as error:
            answers.append(error)

    sender = threading.Thread(target=send)
    started = time.perf_counter()
    sender.start()
    if duration is not None:
        time.sleep(rng.uniform(0.05, 0.95) * duration)  # a random moment of the commit
        server.kill()
    sender.join(600)
    seconds = time.perf_counter() - started
    if duration is None:
        server.stop()
    restarted = ServerProcess(data_dir, database=database)
    try:
        rows = http.post(f"{restarted.url}/api", headers=headers, timeout=60, json=[
            {"action": "query", "expression": f'select id from Project where name is "{name}"'},
            {"action": "query", "expression": f'select id from TypedContext where project.name is "{name}"'},
        ]).json()
    finally:
        restarted.stop()
    stored = len(rows[0]["data"]) + len(rows[1]["data"])
    problems = consistency_problems(data_dir, database)
    if stored not in (0, len(batch)):
        problems.append(f"partial batch: {stored} of {len(batch)} entities stored")
    if stored == 0 and isinstance(answers[0], list):
        problems.append("the server answered the batch but did not store it")
    return stored == len(batch), problems, seconds
