"""The event hub without a server: local dispatch, subscribers, packets, connection failures."""

import logging
import socket

import pytest
from clapboard import exception
from clapboard.event import expression, socketio
from clapboard.event.base import Event
from clapboard.event.hub import EventHub
from clapboard.event.subscription import Subscription, parse


@pytest.fixture
def hub():
    return EventHub("http://clapboard.test", "user", "key")


def test_event_is_a_mapping():
    event = Event(topic="a", data={"key": "value"})
    assert event["topic"] == "a" and event["data"] == {"key": "value"}
    assert set(event) == {"topic", "id", "data", "sent", "source", "target", "in_reply_to_event"}
    assert len(event["id"]) == 32 and event["target"] == "" and event["source"] == {}
    assert not event.is_stopped()
    event.stop()
    assert event.is_stopped()


def test_synchronous_publish_returns_results_in_priority_order(hub):
    hub.subscribe("topic=test-synchronous", lambda event: "B", priority=20)
    hub.subscribe("topic=test-synchronous", lambda event: "A", priority=10)
    hub.subscribe("topic=test-synchronous", lambda event: "C")  # default priority 100
    hub.subscribe("topic=other", lambda event: "D")
    assert hub.publish(Event(topic="test-synchronous"), synchronous=True) == ["A", "B", "C"]


def test_stopping_an_event(hub):
    calls = []

    def callback_a(event):
        calls.append("A")
        event.stop()

    hub.subscribe("topic=test-stop-event", callback_a, priority=10)
    hub.subscribe("topic=test-stop-event", lambda event: calls.append("B"), priority=20)
    hub.publish(Event(topic="test-stop-event"))
    assert calls == ["A"]


def test_unconnected_hub_handles_events_locally_with_replies_and_targets(hub):
    received = []
    hub.subscribe("topic=my-company.*", received.append, subscriber={"id": "mine"})
    hub.subscribe("topic=my-company.*", lambda event: {"success": True}, subscriber={"id": "other"})
    replies = []
    hub.publish(Event(topic="my-company.topic", target="id=mine"), on_reply=replies.append)
    assert len(received) == 1 and replies == []
    event = Event(topic="my-company.topic")
    hub.publish(event, on_reply=replies.append)
    assert [reply["data"] for reply in replies] == [{"success": True}]
    reply = replies[0]
    assert reply["topic"] == "ftrack.meta.reply" and reply["in_reply_to_event"] == event["id"]
    assert reply["target"] == f"id={hub.id}" and reply["source"]["id"] == "other"
    source = received[-1]["source"]
    assert source["id"] == hub.id and source["user"] == {"username": "user"} and source["host"]


def test_publish_keeps_a_given_source(hub):
    received = []
    hub.subscribe("topic=my-company.some-topic", received.append)
    hub.publish(Event(topic="my-company.some-topic", data={"key": "value"}, source={"applicationId": "maya"}))
    assert received[0]["source"]["applicationId"] == "maya" and received[0]["source"]["id"] == hub.id


def test_subscribers(hub):
    identifier = hub.subscribe("topic=a", print, subscriber={"id": "x", "applicationId": "maya"})
    assert identifier == "x"
    assert hub.get_subscriber_by_identifier("x").metadata["applicationId"] == "maya"
    assert hub.get_subscriber_by_identifier("missing") is None
    generated = hub.subscribe("topic=a", print)
    assert len(generated) == 32 and hub.get_subscriber_by_identifier(generated).metadata == {"id": generated}
    with pytest.raises(exception.NotUniqueError):
        hub.subscribe("topic=a", print, subscriber={"id": "x"})
    hub.unsubscribe("x")
    with pytest.raises(exception.NotFoundError):
        hub.unsubscribe("x")
    with pytest.raises(expression.ParseError):
        hub.subscribe("topic=", print)
    with pytest.raises(TypeError):
        hub.subscribe("topic=a", print, subscriber={"callback": print})  # metadata travels as JSON


def test_subscription_context_manager(hub):
    received = []
    with hub.subscription("topic=scoped", received.append) as identifier:
        hub.publish(Event(topic="scoped"))
        assert hub.get_subscriber_by_identifier(identifier) is not None
    hub.publish(Event(topic="scoped"))
    assert len(received) == 1 and hub.get_subscriber_by_identifier(identifier) is None


def test_callback_errors_are_logged_and_other_callbacks_run(hub, caplog):
    def broken(event):
        raise RuntimeError("boom")

    hub.subscribe("topic=a", broken, priority=1)
    hub.subscribe("topic=a", lambda event: "after")
    with caplog.at_level(logging.ERROR, logger="clapboard.event.hub"):
        assert hub.publish(Event(topic="a"), synchronous=True) == ["after"]
    assert "Error calling subscriber" in caplog.text and "boom" in caplog.text


def test_publish_errors_raise_unless_ignored(hub):
    with pytest.raises(expression.ParseError):
        hub.publish(Event(topic="a", target="id=("))
    assert hub.publish(Event(topic="a", target="id=("), on_error="ignore") is None


def test_not_connected(hub):
    assert not hub.connected
    with pytest.raises(exception.EventHubConnectionError):
        hub.disconnect()
    with pytest.raises(exception.EventHubConnectionError):
        hub.wait()  # would block forever
    hub.wait(0)  # a duration is fine
    assert hub.flush(0) is False
    assert hub.get_server_url() == "http://clapboard.test"
    assert hub.get_network_location() == "clapboard.test" and not hub.secure


@pytest.mark.parametrize(
    ("url", "server_url", "location"),
    [
        ("https://host", "https://host", "host"),
        ("https://example.org/path", "https://example.org", "example.org"),
        ("https://host:8443", "https://host:8443", "host:8443"),
        ("http://[::1]:9000", "http://[::1]:9000", "[::1]:9000"),
    ],
)
def test_server_url_adds_no_port_the_user_never_wrote(url, server_url, location):
    hub = EventHub(url, "u", "k")
    assert hub.get_server_url() == server_url
    assert hub.get_network_location() == location


@pytest.mark.parametrize("url", ["host.example.org", "https://", "//host", ""])
def test_server_url_without_scheme_or_host_is_refused(url):
    with pytest.raises(ValueError, match="scheme|hostname"):
        EventHub(url, "u", "k")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connect_failure_raises_and_leaves_the_hub_local():
    hub = EventHub(f"http://127.0.0.1:{free_port()}", "user", "key")
    with pytest.raises(exception.EventHubConnectionError, match="Failed to connect"):
        hub.connect()
    assert not hub.connected
    received = []
    hub.subscribe("topic=a", received.append)
    hub.publish(Event(topic="a"))
    assert len(received) == 1


def test_background_connection_gives_up_with_a_disconnected_event():
    hub = EventHub(f"http://127.0.0.1:{free_port()}", "user", "key")
    hub.reconnect_attempts, hub.reconnect_first_delay = 2, 0.01
    seen = []
    hub.subscribe("topic=ftrack.meta.disconnected", seen.append)
    hub.connect(background=True)
    hub.publish(Event(topic="queued"))  # held until connected, dropped when giving up
    hub.wait()  # returns once the hub gives up
    assert len(seen) == 1 and not hub.connected


def test_packets():
    assert socketio.decode_packet("2::") == ("2", "", "", "")
    assert socketio.decode_packet("5:::{\"a\": \"b:c\"}").data == '{"a": "b:c"}'
    with pytest.raises(exception.EventHubPacketError):
        socketio.decode_packet("2:")
    with pytest.raises(exception.EventHubPacketError):
        socketio.decode_packet("x::")
    event = Event("a", data={"é": 1}, in_reply_to_event="42")
    body = socketio.encode_event(event)
    assert '"inReplyToEvent": "42"' in body and "é" in body and "in_reply_to_event" not in body
    decoded = socketio.decode_event(socketio.decode_packet("5:::" + body))
    assert dict(decoded) == dict(event)
    assert socketio.decode_ack(socketio.decode_packet('6:::7+[{"success": true}]')) == (7, {"success": True})
    with pytest.raises(exception.EventHubPacketError):
        socketio.decode_event(socketio.decode_packet('5:::{"name": "other", "args": [{}]}'))


@pytest.mark.parametrize(
    "text",
    [
        "topic=ftrack.update",
        "topic = ftrack.*",
        "topic=ftrack.update and data.entity.id=42 AND source.user.username!=bot",
        "data.count>=5",
        "id=clapboard-server-1a2b",
    ],
)
def test_simple_subscriptions_parse_like_the_full_parser(text):
    assert parse(text) == expression.parse(text)


@pytest.mark.parametrize("text", ["topic=a or topic=b", "not topic=a", '(topic="a b")', "topic=and"])
def test_other_subscriptions_use_the_full_parser(text):
    assert parse(text) == expression.parse(text)
    assert Subscription(text).includes({"topic": "a"}) == expression.parse(text).match({"topic": "a"})
