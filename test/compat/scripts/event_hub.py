"""The ftrack client's event hub connected to clapboard_server, talking with a clapboard client.

Usage: ``event_hub.py PROJECT_NAME``. Connects the event hub (``auto_connect_event_hub``),
subscribes to ``compat.from-clapboard`` (answering with an automatic reply) and to
``ftrack.update``, then publishes ``compat.ftrack-ready``. The test, a clapboard client,
answers by publishing ``compat.from-clapboard`` and committing a project named
PROJECT_NAME; this script waits until it has received both and checks them.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import sys
import time

import ftrack_api
import ftrack_api.event.base

TIMEOUT = 60


def main(project_name):
    session = ftrack_api.Session(auto_connect_event_hub=True)
    hub = session.event_hub
    received = []
    projects = []

    def on_greeting(event):
        received.append(event)
        return {"seen_by": "ftrack", "greeting": event["data"]["greeting"]}

    def on_update(event):
        for entity in event["data"].get("entities", []):
            added = entity.get("entity_type") == "Project" and entity["action"] == "add"
            if added and entity["changes"]["name"]["new"] == project_name:
                projects.append(entity)

    hub.subscribe("topic=compat.from-clapboard", on_greeting)
    hub.subscribe("topic=ftrack.update", on_update)
    deadline = time.monotonic() + TIMEOUT
    while not hub.connected:  # the session connects in a background thread
        assert time.monotonic() < deadline, "the event hub did not connect"
        time.sleep(0.01)
    hub.publish(ftrack_api.event.base.Event("compat.ftrack-ready", data={"hub": hub.id}))
    print("published compat.ftrack-ready from hub", hub.id)

    while not (received and projects):
        assert time.monotonic() < deadline, f"received={received} projects={projects}"
        hub.wait(0.05)

    greeting = received[0]
    print("received:", dict(greeting))
    assert greeting["data"] == {"greeting": "hello"}, greeting
    assert greeting["source"]["applicationId"] == "clapboard.test", greeting
    assert greeting["source"]["user"]["username"] == session.api_user, greeting
    project = projects[0]
    print("ftrack.update:", project)
    assert project["entityType"] == "show", project
    assert project["parents"][0]["entityId"] == project["entityId"], project
    session.close()
    print("event_hub: ok")


if __name__ == "__main__":
    main(*sys.argv[1:])
