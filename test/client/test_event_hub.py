"""The local event hub and events."""

import pytest
from clapboard import exception
from clapboard.event.base import Event
from clapboard.event.hub import EventHub


@pytest.fixture
def hub():
    return EventHub("http://clapboard.test", "user", "key")


def test_event_is_a_mapping():
    event = Event(topic="a", data={"key": "value"})
    assert event["topic"] == "a" and event["data"] == {"key": "value"}
    assert set(event) == {"topic", "id", "data", "sent", "source", "target", "in_reply_to_event"}
    assert not event.is_stopped()
    event.stop()
    assert event.is_stopped()


def test_synchronous_publish_returns_results_in_priority_order(hub):
    hub.subscribe("topic=test-synchronous", lambda event: "A", priority=10)
    hub.subscribe("topic=test-synchronous", lambda event: "B", priority=20)
    hub.subscribe("topic=other", lambda event: "C")
    assert hub.publish(Event(topic="test-synchronous"), synchronous=True) == ["A", "B"]


def test_stopping_an_event(hub):
    calls = []

    def callback_a(event):
        calls.append("A")
        event.stop()

    hub.subscribe("topic=test-stop-event", callback_a, priority=10)
    hub.subscribe("topic=test-stop-event", lambda event: calls.append("B"), priority=20)
    hub.publish(Event(topic="test-stop-event"))
    assert calls == ["A"]


def test_wildcards_targets_and_replies(hub):
    received = []
    hub.subscribe("topic=my-company.*", received.append, subscriber={"id": "mine"})
    hub.subscribe("topic=my-company.*", lambda event: {"success": True}, subscriber={"id": "other"})
    replies = []
    hub.publish(Event(topic="my-company.topic", target="id=mine"), on_reply=replies.append)
    assert len(received) == 1 and replies == []
    hub.publish(Event(topic="my-company.topic"), on_reply=replies.append)
    assert replies[0]["data"] == {"success": True}
    assert received[-1]["source"]["id"] == hub.id


def test_subscribers(hub):
    identifier = hub.subscribe("topic=a", print, subscriber={"id": "x", "applicationId": "maya"})
    assert identifier == "x"
    assert hub.get_subscriber_by_identifier("x").metadata["applicationId"] == "maya"
    with pytest.raises(exception.NotUniqueError):
        hub.subscribe("topic=a", print, subscriber={"id": "x"})
    hub.unsubscribe("x")
    with pytest.raises(exception.NotFoundError):
        hub.unsubscribe("x")


def test_errors(hub):
    def broken(event):
        raise RuntimeError("boom")

    hub.subscribe("topic=a", broken)
    with pytest.raises(RuntimeError):
        hub.publish(Event(topic="a"))
    hub.publish(Event(topic="a"), on_error="ignore")
    with pytest.raises(exception.EventHubConnectionError):
        hub.connect()
    assert not hub.connected
    assert hub.get_server_url() == "http://clapboard.test"
