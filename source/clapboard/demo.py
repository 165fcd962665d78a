"""``clapboard demo``: start an embedded server, build a small project tree, query it back."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests


class _Api:
    """Just enough of the wire protocol for the demo."""

    def __init__(self, server_url: str, api_user: str, api_key: str) -> None:
        self.url = f"{server_url}/api"
        self.http = requests.Session()
        self.http.headers.update({"ftrack-user": api_user, "ftrack-api-key": api_key,
                                  "content-type": "application/json"})
        self.calls = 0

    def call(self, operations: list[dict[str, Any]]) -> list[Any]:
        self.calls += 1
        result = self.http.post(self.url, json=operations, timeout=60).json()
        if isinstance(result, dict) and "exception" in result:
            raise RuntimeError(f"{result['exception']}: {result['content']}")
        return result

    def query(self, expression: str) -> list[dict[str, Any]]:
        return self.call([{"action": "query", "expression": expression}])[0]["data"]


def _create(entity_type: str, **data: Any) -> dict[str, Any]:
    data.setdefault("id", str(uuid.uuid4()))
    return {"action": "create", "entity_type": entity_type, "entity_key": [data["id"]],
            "entity_data": {"__entity_type__": entity_type, **data}}


def _ref(operation: dict[str, Any]) -> dict[str, str]:
    return {"__entity_type__": operation["entity_type"], "id": operation["entity_data"]["id"]}


def run(data_dir: str | None = None, database: str | None = None) -> int:
    from clapboard_server import embedded

    started = time.perf_counter()
    with embedded.start(data_dir=data_dir, database=database) as server:
        print(f"Embedded server at {server.server_url} (user {server.api_user!r}, data in {server.data_dir})")
        api = _Api(server.server_url, server.api_user, server.api_key)
        schema = api.query('select id, name from ProjectSchema where name is "VFX Scheme"')[0]
        project = _create("Project", name="demo", full_name="Clapboard demo",
                          project_schema={"__entity_type__": "ProjectSchema", "id": schema["id"]})
        batch = [project]
        for s in range(1, 3):
            sequence = _create("Sequence", name=f"sq{s:03d}", parent=_ref(project))
            batch.append(sequence)
            for h in range(1, 4):
                shot = _create("Shot", name=f"sq{s:03d}_sh{h * 10:04d}", parent=_ref(sequence))
                batch.append(shot)
                batch += [_create("Task", name=n, parent=_ref(shot)) for n in ("layout", "animation", "lighting")]
        api.call(batch)
        print(f"Created {len(batch)} entities in one commit.")
        shots = api.query('select name, parent.name, children[Task].name, children[Task].status.name '
                          'from Shot where project.name is "demo" order by name')
        print(f"\n{'shot':<16}{'sequence':<10}tasks (status)")
        for shot in shots:
            tasks = ", ".join(f"{t['name']} ({t['status']['name']})" for t in shot["children"])
            print(f"{shot['name']:<16}{shot['parent']['name']:<10}{tasks}")
        task = api.query('select link from Task where project.name is "demo" and name is "lighting" '
                         'order by parent.name limit 1')[0]
        print("\nA task's path: " + " / ".join(item["name"] for item in task["link"]))
        counts = {t: len(api.query(f'select id from {t} where project.name is "demo"')) for t in ("Sequence", "Shot", "Task")}
        print("Totals: " + ", ".join(f"{n} {t.lower()}s" for t, n in counts.items()))
        print(f"\n{api.calls} API calls, {time.perf_counter() - started:.2f} s including server start.")
    return 0
