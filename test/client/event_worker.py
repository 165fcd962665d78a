"""A client process of the cross-process event test: ``python event_worker.py ROLE TASK_ID``.

Reads CLAPBOARD_SERVER, CLAPBOARD_API_USER and CLAPBOARD_API_KEY. Prints ``READY`` once its
event hub is connected and subscribed, then one line of JSON with what it observed.

- ``listen``: subscribes to ``ftrack.update`` and notes when the task's update arrives;
  answers ``test.task-check`` events with what it saw (an automatic reply), then exits.
- ``commit``: renames the task, commits, then publishes ``test.task-check`` and waits for
  the replies.
"""

import json
import sys
import time

import clapboard
from clapboard.event.base import Event

TIMEOUT = 60


def listen(session, task_id):
    hub = session.event_hub
    seen = {}
    answered = []

    def on_update(event):
        for entity in event["data"].get("entities", []):
            if entity.get("entity_type") == "Task" and entity["entityId"] == task_id and entity["action"] == "update":
                seen.setdefault("received", time.time())
                seen["changes"] = entity["changes"]

    def on_check(event):
        answered.append(event["source"]["id"])
        return {"task_id": event["data"]["task_id"], "seen": dict(seen)}

    hub.subscribe("topic=ftrack.update", on_update)
    hub.subscribe("topic=test.task-check", on_check)
    assert hub.flush(TIMEOUT), "not connected"
    print("READY", flush=True)
    deadline = time.monotonic() + TIMEOUT
    while not answered and time.monotonic() < deadline:
        hub.wait(0.01)
    hub.flush(TIMEOUT)  # the reply is on its way before the connection closes
    return {"seen": seen, "answered": answered}


def commit(session, task_id):
    hub = session.event_hub
    assert hub.flush(TIMEOUT), "not connected"
    print("READY", flush=True)
    task = session.get("Task", task_id)
    task["name"] = "renamed"
    started = time.time()
    session.commit()
    committed = time.time()
    replies = []
    hub.publish(Event("test.task-check", data={"task_id": task_id}), on_reply=replies.append)
    deadline = time.monotonic() + TIMEOUT
    while not replies and time.monotonic() < deadline:
        hub.wait(0.01)
    return {"hub": hub.id, "started": started, "committed": committed, "replies": [dict(r) for r in replies]}


def main(role, task_id):
    with clapboard.Session(auto_connect_event_hub=True, schema_cache_path=False) as session:
        result = (listen if role == "listen" else commit)(session, task_id)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
