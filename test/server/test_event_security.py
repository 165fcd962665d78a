"""Event hub hardening: server-only topics and source, replies only to the original publisher."""

import uuid

import pytest
from clapboard_server.events.envelope import CLIENT_FTRACK_TOPICS, WIRE_KEYS
from server_api import Api
from server_process import server_process
from socketio_client import Client


@pytest.fixture
def connect(server):
    clients = []

    def make(target=None):
        client = Client(target or server).connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def topic():
    return f"test.{uuid.uuid4().hex}"


def emit(client, topic_name, **fields):
    event = {"id": uuid.uuid4().hex, "topic": topic_name, "data": {"forged": True},
             "source": {"id": client.hub_id}, "target": "", **fields}
    return event, client.emit(event)


@pytest.mark.parametrize("reserved", ["ftrack.update", "ftrack.meta.connected", "ftrack.api.session.ready",
                                      "ftrack.anything"])
def test_clients_cannot_publish_server_topics(connect, reserved):
    listener, forger = connect(), connect()
    listener.subscribe(f"topic={reserved}")
    _, answer = emit(forger, reserved)
    assert answer["success"] is False and "reserved" in answer["message"]
    listener.barrier()
    assert listener.events(reserved) == []


@pytest.mark.parametrize("source", [{"applicationId": "clapboard.server"}, {"id": "clapboard-server-0123"}])
def test_clients_cannot_claim_the_server_as_source(connect, source):
    listener, forger = connect(), connect()
    subject = topic()
    listener.subscribe(f"topic={subject}")
    _, answer = emit(forger, subject, source=source)
    assert answer["success"] is False and "server" in answer["message"]
    listener.barrier()
    assert listener.events(subject) == []


@pytest.mark.parametrize("allowed", sorted(CLIENT_FTRACK_TOPICS - {"ftrack.meta.reply"}))
def test_clients_may_publish_the_documented_client_topics(connect, allowed):
    listener, sender = connect(), connect()
    listener.subscribe(f"topic={allowed}")
    event, answer = emit(sender, allowed)
    assert answer == {"success": True}
    assert listener.wait_topic(allowed)["id"] == event["id"]


def test_server_updates_still_carry_the_server_source(server, connect, make_project):
    listener = connect()
    listener.subscribe("topic=ftrack.update")
    project = make_project()
    update = listener.wait_event(lambda e: e["topic"] == "ftrack.update" and any(
        entity["entityId"] == project["entity_data"]["id"] for entity in e["data"]["entities"]))
    assert update["source"]["applicationId"] == "clapboard.server"
    assert tuple(update) == WIRE_KEYS  # nothing of the server's own bookkeeping leaks


def _question(origin, responder):
    subject = topic()
    responder.subscribe(f"topic={subject}")
    question = origin.publish(subject, {"question": 42})
    received = responder.wait_topic(subject)
    assert tuple(received) == WIRE_KEYS
    return question


@pytest.mark.parametrize("targeted", [True, False])
def test_reply_reaches_only_the_publisher_not_a_claimed_subscriber_id(connect, targeted):
    origin, responder, thief = connect(), connect(), connect()
    origin.subscribe("topic=ftrack.meta.reply", {"id": origin.hub_id})
    thief.subscribe("topic=ftrack.meta.reply", {"id": origin.hub_id})  # claims the origin's id
    question = _question(origin, responder)
    target = f"id={origin.hub_id}" if targeted else ""
    reply = responder.publish("ftrack.meta.reply", {"answer": "yes"}, target=target, inReplyToEvent=question["id"])
    assert origin.wait_topic("ftrack.meta.reply")["id"] == reply["id"]
    thief.barrier()
    assert thief.events("ftrack.meta.reply") == []


def test_reply_to_an_unknown_event_reaches_nobody(connect):
    listener, sender = connect(), connect()
    listener.subscribe("topic=ftrack.meta.reply", {"id": "anyone"})
    sender.publish("ftrack.meta.reply", {"answer": "?"}, target="id=anyone", inReplyToEvent=uuid.uuid4().hex)
    listener.barrier()
    assert listener.events("ftrack.meta.reply") == []


def test_a_targeted_event_that_is_not_a_reply_still_reaches_its_target(connect):
    receiver, sender = connect(), connect()
    subject = topic()
    receiver.subscribe(f"topic={subject}", {"id": "receiver-1"})
    event = sender.publish(subject, target="id=receiver-1")
    assert receiver.wait_topic(subject)["id"] == event["id"]


@pytest.mark.backends("postgresql")
def test_reply_routing_across_server_processes(backend, server, server_factory, tmp_path_factory):
    with server_factory("postgresql") as first, server_process(
        first.server.database.url, tmp_path_factory.mktemp("replies") / "data", first.data_dir / "admin-api-key"
    ) as second, Client(first) as origin, Client(second) as responder, Client(second) as thief:
        origin.subscribe("topic=ftrack.meta.reply", {"id": origin.hub_id})
        thief.subscribe("topic=ftrack.meta.reply", {"id": origin.hub_id})
        question = _question(origin, responder)
        reply = responder.publish("ftrack.meta.reply", {"answer": "yes"}, target=f"id={origin.hub_id}",
                                  inReplyToEvent=question["id"])
        assert origin.wait_topic("ftrack.meta.reply")["id"] == reply["id"]
        thief.barrier()
        assert thief.events("ftrack.meta.reply") == []
        assert Api(second).call({"action": "query_server_information"})
