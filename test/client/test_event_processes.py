"""Events between processes, and clients surviving a server restart."""

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import clapboard
import pytest
from clapboard.event.base import Event
from clapboard.event.hub import EventHub
from event_support import wait_for, wait_until

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "source"
TIMEOUT = 60


class Worker:
    """``event_worker.py`` in a subprocess; its output read by a thread."""

    def __init__(self, server, role, task_id):
        environment = dict(
            os.environ,
            CLAPBOARD_SERVER=server.server_url, CLAPBOARD_API_USER=server.api_user, CLAPBOARD_API_KEY=server.api_key,
            PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])),
        )
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "event_worker.py"), role, task_id], env=environment, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, predicate):
        """Return the first output line satisfying *predicate*."""
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail("worker silent for too long:\n" + "".join(self.output))
            if line is None:
                pytest.fail("worker exited:\n" + "".join(self.output))
            self.output.append(line)
            if predicate(line):
                return line

    def result(self):
        line = self.expect(lambda line: line.startswith("{"))
        assert self.process.wait(TIMEOUT) == 0, "".join(self.output)
        return json.loads(line)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def create_task(server):
    with clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False) as session:
        schema = session.query("ProjectSchema").first()
        name = f"events_{uuid.uuid4().hex[:10]}"
        project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        task_type = schema.get_types("Task")[0]
        task = session.create("Task", {
            "name": "anim", "parent": project, "type": task_type,
            "status": schema.get_statuses("Task", task_type["id"])[0],
        })
        session.commit()
        return task["id"]


def test_update_and_reply_between_two_client_processes(server):
    task_id = create_task(server)
    listener = Worker(server, "listen", task_id)
    committer = None
    try:
        listener.expect(lambda line: line.startswith("READY"))
        committer = Worker(server, "commit", task_id)
        committed = committer.result()
        listened = listener.result()
    finally:
        for worker in (listener, committer):
            if worker is not None:
                worker.kill()
    seen = listened["seen"]
    assert seen["changes"]["name"] == {"old": "anim", "new": "renamed"}
    assert seen["received"] - committed["committed"] < 1.0, "the update took more than a second"
    assert listened["answered"] == [committed["hub"]]
    (reply,) = committed["replies"]
    assert reply["data"]["task_id"] == task_id and reply["data"]["seen"]["changes"] == seen["changes"]


@pytest.fixture
def restartable(server_factory, tmp_path):
    """Return ``(start, stop)`` for a server on one data folder and port."""
    with contextlib.ExitStack() as servers:

        def start(port=0):
            return servers.enter_context(server_factory(data_dir=tmp_path / "data", port=port))

        def stop():
            servers.close()

        yield start, stop


def test_clients_reconnect_and_resubscribe_after_a_server_restart(restartable):
    start, stop = restartable
    server = start()
    session = clapboard.Session(
        server.server_url, server.api_key, server.api_user, auto_connect_event_hub=True, schema_cache_path=False
    )
    listener = session.event_hub
    publisher = EventHub(server.server_url, server.api_user, server.api_key)
    for hub in (listener, publisher):
        hub.reconnect_first_delay = 0.05
    publisher.connect()
    received, updates, states = [], [], []
    listener.subscribe("topic=test.after-restart", received.append)
    listener.subscribe("topic=ftrack.update", updates.append)
    listener.subscribe("topic=ftrack.meta.*", lambda event: states.append(event["topic"]))
    replies = []
    publisher.subscribe("topic=test.question", lambda event: "answer")
    assert listener.flush(15) and publisher.flush(15)

    stop()
    wait_until(lambda: not listener.connected and not publisher.connected, what="both clients noticing")
    listener.publish(Event("test.after-restart", data={"n": "queued"}))  # sent once reconnected
    server = start(port=server.port)
    assert listener.flush(30) and publisher.flush(30), "the clients did not reconnect"

    wait_for(listener, lambda: received, what="the event published during the outage")
    publisher.publish(Event("test.after-restart", data={"n": "after"}))
    wait_for(listener, lambda: len(received) == 2)
    assert [event["data"]["n"] for event in received] == ["queued", "after"]

    listener.publish(Event("test.question"), on_reply=replies.append)  # the publisher resubscribed too
    wait_for([listener, publisher], lambda: replies, what="a reply after the restart")
    assert replies[0]["data"] == "answer"

    project = session.create("Project", {
        "name": f"restart_{uuid.uuid4().hex[:8]}", "full_name": "restart",
        "project_schema": session.query("ProjectSchema").first(),
    })
    session.commit()
    wait_for(listener, lambda: any(
        entity["entityId"] == project["id"] for event in updates for entity in event["data"]["entities"]))
    assert states.count("ftrack.meta.connected") == 2 and "ftrack.meta.disconnected" not in states
    session.close()
    publisher.disconnect()
