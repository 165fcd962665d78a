"""One client process of ``bench/load.py``: a mixed workload, then a report of what it did.

    python load_worker.py RESULT_FILE SETUP_FILE SECONDS SEED

Reads the server and credentials from CLAPBOARD_SERVER / CLAPBOARD_API_USER /
CLAPBOARD_API_KEY, and the shared data (shots, statuses, tasks everyone updates) from
SETUP_FILE. Writes one JSON object to RESULT_FILE: operation latencies, errors, the ids it
created, the values it wrote, the files it uploaded with their MD5, and the ids of the
entities whose ``ftrack.update`` events it received.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

import clapboard


class Workload:
    def __init__(self, setup: dict, seed: int) -> None:
        self.rng = random.Random(seed)
        self.setup = setup
        self.session = clapboard.Session(auto_connect_event_hub=True, schema_cache_path=False)
        self.location = self.session.query('Location where name is "ftrack.server"').one()
        self.statuses = [self.session.get("Status", status_id) for status_id in setup["statuses"]]
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.created: list[str] = []
        self.writes: list[list[str]] = []
        self.uploads: dict[str, str] = {}
        self.seen: set[str] = set()
        self.sentinel = threading.Event()
        self.session.event_hub.subscribe("topic=ftrack.update", self._on_update)
        self.session.event_hub.subscribe(f"topic=bench.load.done and data.run={setup['run']}",
                                         lambda event: self.sentinel.set())
        self.folder = tempfile.mkdtemp(prefix="clapboard-load-")
        self.own_tasks: list = []
        if not self.session.event_hub.flush(60):
            raise RuntimeError("The event hub did not connect within 60 s.")

    def _on_update(self, event) -> None:
        for entity in event["data"].get("entities", []):
            if entity.get("action") == "add":
                self.seen.add(entity.get("entityId"))

    def create_task(self) -> None:
        shot = self.session.get("Shot", self.rng.choice(self.setup["shots"]))
        name = f"load-{uuid.uuid4().hex[:12]}"
        task = self.session.create("Task", {"name": name, "parent": shot})
        self.session.commit()
        self.created.append(task["id"])
        self.own_tasks.append(task)

    def create_note(self) -> None:
        if not self.own_tasks:
            return self.create_task()
        task = self.rng.choice(self.own_tasks)
        note = self.session.create("Note", {"content": "load", "parent_id": task["id"], "parent_type": "Task"})
        self.session.commit()
        self.created.append(note["id"])

    def update_status(self) -> None:
        task = self.session.get("Task", self.rng.choice(self.setup["shared_tasks"]))
        status = self.rng.choice(self.statuses)
        task["status"] = status
        self.session.commit()
        self.writes.append([task["id"], status["id"]])

    def query(self) -> None:
        shot_id = self.rng.choice(self.setup["shots"])
        tasks = self.session.query(
            f'select name, status.name, parent.name from Task where parent_id is "{shot_id}" limit 50'
        ).all()
        assert all(task["status"]["name"] for task in tasks)

    def upload(self) -> None:
        data = os.urandom(self.rng.randint(1_000, 64_000))
        path = os.path.join(self.folder, f"{uuid.uuid4().hex}.bin")
        with open(path, "wb") as handle:
            handle.write(data)
        component = self.session.create_component(path, location=self.location)
        self.uploads[component["id"]] = hashlib.md5(data).hexdigest()
        os.remove(path)

    def download(self) -> None:
        if not self.uploads:
            return self.upload()
        component_id = self.rng.choice(list(self.uploads))
        handle = self.location.accessor.open(component_id, "rb")
        try:
            digest = hashlib.md5(handle.read()).hexdigest()
        finally:
            handle.close()
        if digest != self.uploads[component_id]:
            raise AssertionError(f"component {component_id} downloaded with MD5 {digest}")

    OPERATIONS = (
        ("create_task", 3), ("create_note", 2), ("update_status", 3), ("query", 6), ("upload", 1), ("download", 1),
    )

    def run(self, seconds: float) -> None:
        names = [name for name, weight in self.OPERATIONS for _ in range(weight)]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            name = self.rng.choice(names)
            started = time.perf_counter()
            try:
                getattr(self, name)()
            except Exception:  # noqa: BLE001 - every failure is counted and reported
                self.errors.append(f"{name}: {traceback.format_exc(limit=3)}")
                self.session.rollback()
            self.latencies.setdefault(name, []).append(time.perf_counter() - started)
            self.session.event_hub.wait(0)

    def wait_for_sentinel(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.sentinel.is_set() and time.monotonic() < deadline:
            self.session.event_hub.wait(0.1)
        return self.sentinel.is_set()


def main() -> None:
    result_file, setup_file, seconds, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    with open(setup_file, encoding="utf-8") as handle:
        setup = json.load(handle)
    workload = Workload(setup, seed)
    Path(result_file + ".ready").touch()  # subscribed: the parent starts everyone together
    go = Path(setup_file).with_name("go")
    while not go.exists():
        time.sleep(0.05)
    workload.run(seconds)
    with open(result_file + ".done", "w", encoding="utf-8"):
        pass  # tells the parent this worker has finished committing
    got_sentinel = workload.wait_for_sentinel(120)
    report = {
        "latencies": workload.latencies, "errors": workload.errors, "created": workload.created,
        "writes": workload.writes, "uploads": workload.uploads, "seen": sorted(workload.seen),
        "got_sentinel": got_sentinel,
    }
    workload.session.close()
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
