"""Data the benchmarks share: a project tree created through the raw API."""

from __future__ import annotations

import uuid

import requests


def populate(server, tasks: int, prefix: str = "bench") -> str:
    """Create a project with ``tasks`` tasks (10 per shot, 10 shots per sequence); return its name."""
    http = requests.Session()
    http.headers.update({"ftrack-user": server.api_user, "ftrack-api-key": server.api_key})
    url = f"{server.server_url}/api"

    def send(batch: list) -> list:
        answer = http.post(url, json=batch, timeout=600).json()
        assert isinstance(answer, list), answer
        return answer

    def create(entity_type: str, **data: object) -> dict:
        data["id"] = str(uuid.uuid4())
        return {"action": "create", "entity_type": entity_type, "entity_key": [data["id"]],
                "entity_data": {"__entity_type__": entity_type, **data}}

    def reference(operation: dict) -> dict:
        return {"__entity_type__": operation["entity_type"], "id": operation["entity_data"]["id"]}

    schema = send([{"action": "query", "expression": "select id from ProjectSchema"}])[0]["data"][0]
    name = f"{prefix}_{tasks}_{uuid.uuid4().hex[:6]}"
    project = create("Project", name=name, full_name=name, project_schema=schema)
    batch = [project]
    for index in range(max(1, tasks // 100)):
        sequence = create("Sequence", name=f"sq{index:03d}", parent=reference(project))
        batch.append(sequence)
        for shot_index in range(10):
            shot = create("Shot", name=f"sh{shot_index:03d}", parent=reference(sequence))
            batch.append(shot)
            batch += [create("Task", name=f"t{task:02d}", parent=reference(shot)) for task in range(10)]
        if len(batch) > 2000:
            send(batch)
            batch = []
    if batch:
        send(batch)
    return name
