"""The "Handling events" documentation, each example against the embedded server's event hub.

Sessions connect with ``auto_connect_event_hub=True``; events travel through the server and
callbacks run in ``EventHub.wait``. Tests wait on conditions (``event_support.wait_for``),
and prove that something did *not* happen with a barrier: an event published after it and
handled, as one connection handles events in the order they were published.
"""

import time
import uuid

import clapboard
import clapboard.event.base
import pytest
from clapboard import exception
from event_support import wait_for
from live_server import new_session


@pytest.fixture
def connect(server):
    """Return ``connect()``: a new session whose event hub is connected; closed after the test."""
    sessions = []

    def make(**options):
        session = new_session(server, auto_connect_event_hub=True, **options)
        sessions.append(session)
        assert session.event_hub.flush(15), "the event hub did not connect"
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def session(connect):
    return connect()


def unique(prefix="test"):
    return f"{prefix}.{uuid.uuid4().hex}"


def barrier(hub):
    """Publish an event to *hub* itself and handle events until it arrives."""
    topic = unique("barrier")
    seen = []
    with hub.subscription(f"topic={topic}", seen.append):
        assert hub.flush(15)
        hub.publish(clapboard.event.base.Event(topic=topic))
        wait_for(hub, lambda: seen, what="the barrier event")


def create_project(server):
    with new_session(server) as other:
        schema = other.query("ProjectSchema").first()
        name = unique("project").replace(".", "_")
        project = other.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        other.commit()
        return project["id"]


def test_subscribing_to_updates(session, server):
    received = []

    def my_callback(event):
        """Event callback printing all new or updated entities."""
        for entity in event["data"].get("entities", []):
            # Print data for the entity.
            print(entity)
            received.append(entity)

    session.event_hub.subscribe("topic=ftrack.update", my_callback)
    assert session.event_hub.flush(15)
    project_id = create_project(server)
    entity = wait_for(session.event_hub, lambda: next((e for e in received if e["entityId"] == project_id), None))
    assert entity["action"] == "add" and entity["entity_type"] == "Project"

    started = time.monotonic()
    session.event_hub.wait(duration=0.2)  # only wait and process events for 0.2 seconds
    assert time.monotonic() - started >= 0.2


def test_subscriber_information(session, connect):
    received = []
    identifier = unique("my-unique-subscriber-id")
    assert session.event_hub.subscribe(
        "topic=my-company.info", received.append, subscriber={"id": identifier, "applicationId": "maya"}
    ) == identifier
    assert session.event_hub.get_subscriber_by_identifier(identifier).metadata["applicationId"] == "maya"
    publisher = connect().event_hub
    assert session.event_hub.flush(15)
    publisher.publish(clapboard.event.base.Event(topic="my-company.info", target="applicationId=nuke"))
    publisher.publish(clapboard.event.base.Event(topic="my-company.info", target="applicationId=maya", data={"n": 2}))
    wait_for(session.event_hub, lambda: received)
    barrier(session.event_hub)
    assert [event["data"] for event in received] == [{"n": 2}]


def test_sending_and_handling_replies(session, connect):
    def on_event(event):
        # Send following data in automatic reply.
        return {"success": True, "message": "Cool!"}

    session.event_hub.subscribe("topic=test-reply", on_event)
    assert session.event_hub.flush(15)
    publisher = connect().event_hub
    replies = []

    def handle_reply(event):
        replies.append(event)

    event = clapboard.event.base.Event(topic="test-reply")
    publisher.publish(event, on_reply=handle_reply)
    # The subscriber handles the event, then the publisher its reply.
    wait_for([session.event_hub, publisher], lambda: replies, what="the reply")
    reply = replies[0]
    assert reply["data"] == {"success": True, "message": "Cool!"}
    assert reply["in_reply_to_event"] == event["id"] and reply["topic"] == "ftrack.meta.reply"


def test_every_local_subscriber_replies(session, connect):
    session.event_hub.subscribe("topic=test-two-replies", lambda event: "first")
    session.event_hub.subscribe("topic=test-two-replies", lambda event: "second")
    publisher = connect().event_hub
    assert session.event_hub.flush(15)
    replies = []
    publisher.publish(clapboard.event.base.Event(topic="test-two-replies"), on_reply=replies.append)
    wait_for([session.event_hub, publisher], lambda: len(replies) == 2, what="two replies")
    barrier(publisher)
    assert sorted(reply["data"] for reply in replies) == ["first", "second"]


def test_stopping_events(session, capsys):
    def callback_a(event):
        """Stop the event!"""
        print("Callback A")
        event.stop()

    def callback_b(event):
        """Never run."""
        print("Callback B")

    session.event_hub.subscribe("topic=test-stop-event", callback_a, priority=10)
    session.event_hub.subscribe("topic=test-stop-event", callback_b, priority=20)
    session.event_hub.publish(clapboard.event.base.Event(topic="test-stop-event"))
    wait_for(session.event_hub, lambda: "Callback A" in capsys.readouterr().out or None)
    barrier(session.event_hub)
    assert "Callback B" not in capsys.readouterr().out


def test_publishing_events(session, connect):
    received = []
    session.event_hub.subscribe("topic=my-company.some-topic", received.append)
    assert session.event_hub.flush(15)
    publisher = connect().event_hub
    event = clapboard.event.base.Event(topic="my-company.some-topic", data={"key": "value"})
    publisher.publish(event)
    publisher.publish(clapboard.event.base.Event(
        topic="my-company.some-topic",
        data={"key": "value"},
        source={"applicationId": "maya"},
    ))
    wait_for(session.event_hub, lambda: len(received) == 2)
    plain, from_maya = received
    assert plain["data"] == {"key": "value"} and plain["id"] == event["id"]
    assert plain["source"]["id"] == publisher.id and plain["source"]["user"]["username"] == publisher._api_user
    assert from_maya["source"]["applicationId"] == "maya" and from_maya["source"]["id"] == publisher.id
    assert plain["sent"]  # stamped by the server


def test_publish_synchronously(session):
    def callback_a(event):
        return "A"

    def callback_b(event):
        return "B"

    session.event_hub.subscribe("topic=test-synchronous", callback_a, priority=10)
    session.event_hub.subscribe("topic=test-synchronous", callback_b, priority=20)
    results = session.event_hub.publish(clapboard.event.base.Event(topic="test-synchronous"), synchronous=True)
    assert results == ["A", "B"]


def test_targeting_events(session, connect):
    other_session = connect()
    targeted, others = [], []
    identifier = unique("my-custom-subscriber-id")
    session.event_hub.subscribe("topic=my-company.topic", targeted.append, subscriber={"id": identifier})
    session.event_hub.subscribe("topic=my-company.topic", others.append)
    other_session.event_hub.subscribe("topic=my-company.topic", others.append)
    assert session.event_hub.flush(15) and other_session.event_hub.flush(15)
    session.event_hub.publish(
        clapboard.event.base.Event(topic="my-company.topic", data={"key": "value"}, target=f"id={identifier}")
    )
    wait_for(session.event_hub, lambda: targeted)
    barrier(session.event_hub)
    barrier(other_session.event_hub)
    assert len(targeted) == 1 and others == []


def test_expressions(session, connect):
    added, everything = [], []
    session.event_hub.subscribe("topic=ftrack.location.component-added and data.locationId=london", added.append)
    session.event_hub.subscribe("topic=my-studio.*", everything.append)
    assert session.event_hub.flush(15)
    publisher = connect().event_hub
    for topic, data in [
        ("ftrack.location.component-added", {"locationId": "paris"}),
        ("ftrack.location.component-added", {"locationId": "london"}),
        ("ftrack.location.component-added", {}),
        ("my-studio.render-done", {}),
        ("my-studio.publish.started", {}),
        ("other-studio.render-done", {}),
    ]:
        publisher.publish(clapboard.event.base.Event(topic=topic, data=data))
    wait_for(session.event_hub, lambda: len(everything) == 2 and added)
    barrier(session.event_hub)
    assert [event["data"] for event in added] == [{"locationId": "london"}]
    assert [event["topic"] for event in everything] == ["my-studio.render-done", "my-studio.publish.started"]


def test_unsubscribe_and_disconnect(session, server):
    hub = session.event_hub
    received = []
    identifier = hub.subscribe("topic=test-unsubscribe", received.append)
    hub.unsubscribe(identifier)
    hub.publish(clapboard.event.base.Event(topic="test-unsubscribe"))
    barrier(hub)
    assert received == []

    kept = hub.subscribe("topic=test-reconnect", received.append)
    hub.disconnect(unsubscribe=False)
    assert not hub.connected and hub.get_subscriber_by_identifier(kept) is not None
    hub.publish(clapboard.event.base.Event(topic="test-reconnect", data={"via": "local"}))
    assert [event["data"] for event in received] == [{"via": "local"}]  # a disconnected hub is local
    hub.connect()
    with pytest.raises(exception.EventHubConnectionError):
        hub.connect()
    hub.publish(clapboard.event.base.Event(topic="test-reconnect", data={"via": "server"}))
    wait_for(hub, lambda: len(received) == 2)  # resubscribed on connect
    hub.reconnect(attempts=3, delay=0.1)
    hub.publish(clapboard.event.base.Event(topic="test-reconnect", data={"via": "reconnected"}))
    wait_for(hub, lambda: len(received) == 3)

    hub.disconnect()
    assert hub.get_subscriber_by_identifier(kept) is None
    assert hub.get_subscriber_by_identifier(hub.id) is not None  # the reply subscriber stays


def test_connected_event_and_close(server):
    session = new_session(server, auto_connect_event_hub=True)
    seen = []
    session.event_hub.subscribe("topic=ftrack.meta.connected", seen.append)
    wait_for(session.event_hub, lambda: seen)
    session.close()
    assert not session.event_hub.connected


def test_events_published_while_connecting_are_sent_once_connected(server):
    with new_session(server, auto_connect_event_hub=True) as session:
        received = []
        session.event_hub.subscribe("topic=test-early", received.append)
        session.event_hub.publish(clapboard.event.base.Event(topic="test-early"))  # likely still connecting
        wait_for(session.event_hub, lambda: received)
        assert session.event_hub.connected


@pytest.fixture
def fast_heartbeats(server_factory, tmp_path):
    """A server of its own that sends heartbeats every 50 ms and drops a connection silent for 0.5 s."""
    with server_factory(data_dir=tmp_path / "data", heartbeat=(0.05, 0.5)) as server:
        yield server


def test_heartbeats_are_answered(fast_heartbeats, caplog):
    """Answering the server's heartbeats keeps the connection for longer than the server's timeout."""
    with new_session(fast_heartbeats, auto_connect_event_hub=True) as session:
        hub = session.event_hub
        assert hub.flush(15)
        connected_at = time.monotonic()
        wait_for(hub, lambda: time.monotonic() - connected_at > 1.5, what="1.5 s connected")
        barrier(hub)
        assert hub.connected
        assert "Lost the connection" not in caplog.text


def test_publishing_and_subscribing_from_many_threads(session, connect):
    """The hub is thread-safe: events published by several threads at once all arrive once."""
    import threading

    received = []
    session.event_hub.subscribe("topic=test.threads", received.append)
    publisher = connect().event_hub
    assert session.event_hub.flush(15)
    late = []

    def publish(thread):
        for index in range(200):
            publisher.publish(clapboard.event.base.Event(topic="test.threads", data={"thread": thread, "i": index}))
        session.event_hub.subscribe(f"topic=test.threads and data.thread={thread}", late.append)

    threads = [threading.Thread(target=publish, args=(str(n),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(session.event_hub, lambda: len(received) == 800, what="800 events")
    assert {(event["data"]["thread"], event["data"]["i"]) for event in received} == {
        (str(n), index) for n in range(4) for index in range(200)}
    assert publisher.flush(15) and session.event_hub.flush(15)
    late.clear()  # subscribed locally at once, the late subscribers saw some of the 800
    publisher.publish(clapboard.event.base.Event(topic="test.threads", data={"thread": "2", "i": -1}))
    wait_for(session.event_hub, lambda: late)
    assert [event["data"]["i"] for event in late] == [-1]
