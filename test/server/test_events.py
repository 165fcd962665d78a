"""The event hub: socket.io 0.9 handshake and socket, subscriptions, delivery, ftrack.update.

Every test talks to a real embedded server through raw frames (``socketio_client``); the
PostgreSQL tests also run a second server process on the same database.
"""

import json
import threading
import time
import uuid

import pytest
import websocket
from clapboard_server.events import packets
from clapboard_server.events.envelope import WIRE_KEYS, EnvelopeError, normalise
from clapboard_server.events.postgres import PAYLOAD_TABLE
from clapboard_server.events.updates import merge
from security_world import build_tree, make_user
from server_api import Api, create, ref
from server_process import server_process
from socketio_client import Client, handshake, socket_url


@pytest.fixture
def connect(server):
    """Return ``connect(**options)``: a connected client, closed after the test."""
    clients = []

    def make(target=None, **options):
        client = Client(target or server, **options).connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def hub_settings(server):
    """The hub of the shared server, with its heartbeat settings restored afterwards."""
    hub = server.server.events
    saved = hub.heartbeat_interval, hub.heartbeat_timeout
    yield hub
    hub.heartbeat_interval, hub.heartbeat_timeout = saved


def wait_until(predicate, timeout=15):
    """Check ``predicate`` every 10 ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        threading.Event().wait(0.01)


def topic():
    return f"test.{uuid.uuid4().hex}"


# -- handshake and socket -----------------------------------------------------------------------


def test_handshake_answers_session_timeouts_and_transports(server):
    response = handshake(server.server_url, server.api_user, server.api_key)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    session_id, heartbeat, close, transports = response.text.split(":")
    assert len(session_id) == 32 and int(heartbeat) == 60 and int(close) == 60
    assert "websocket" in transports.split(",")


def test_handshake_accepts_query_credentials_as_the_javascript_client_sends(server):
    response = handshake(server.server_url, server.api_user, server.api_key, use_query=True)
    assert response.status_code == 200 and response.text.endswith(":websocket")


def test_handshake_refuses_bad_credentials_with_a_json_error(server):
    # Cases loop inside the test: parametrizing would reorder tests across the backends.
    for key in ("wrong-key", ""):
        response = handshake(server.server_url, server.api_user, key)
        assert response.status_code == 401
        assert response.json()["exception"] == "InvalidCredentialsError"


def test_socket_needs_a_session_id_that_is_used_once(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(socket_url(server.server_url, "not-a-session"), timeout=10)
    assert refused.value.status_code == 403
    session_id = handshake(server.server_url, server.api_user, server.api_key).text.split(":")[0]
    first = websocket.create_connection(socket_url(server.server_url, session_id), timeout=10)
    try:
        assert first.recv() == "1::"
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(socket_url(server.server_url, session_id), timeout=10)
    finally:
        first.close()


def test_socket_accepts_query_credentials_instead_of_a_known_session(server):
    query = f"?api_user={server.api_user}&api_key={server.api_key}"
    sock = websocket.create_connection(socket_url(server.server_url, "from-elsewhere", query), timeout=10)
    try:
        assert sock.recv() == "1::"
    finally:
        sock.close()
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(socket_url(server.server_url, "x", f"?api_user={server.api_user}&api_key=bad"),
                                    timeout=10)


def test_connect_packet_comes_first(connect):
    client = connect()
    assert client.wait_for(lambda frame: True) == "1::"


# -- subscriptions and delivery -----------------------------------------------------------------


def test_subscriber_receives_published_event_with_the_wire_keys_only(connect, server):
    subject = topic()
    listener, publisher = connect(), connect()
    listener.subscribe(f"topic={subject}.*")
    sent = publisher.publish(f"{subject}.done", {"shot": "sh010", "text": "é ✓"},
                             source={"id": publisher.hub_id, "user": {"username": "impostor"}, "host": "ws-1"})
    received = listener.wait_topic(f"{subject}.done")
    assert tuple(received) == WIRE_KEYS
    assert received["id"] == sent["id"] and received["data"] == sent["data"]
    assert received["target"] == "" and received["inReplyToEvent"] is None
    assert received["sent"]  # filled by the server
    assert received["source"]["id"] == publisher.hub_id and received["source"]["host"] == "ws-1"
    assert received["source"]["user"]["username"] == server.api_user  # the authenticated user


def test_delivery_is_once_per_connection_and_includes_the_publisher(connect):
    subject = topic()
    client = connect()
    client.subscribe(f"topic={subject}")
    client.subscribe(f"topic={subject} or topic=other", {"id": "second"})
    event = client.publish(subject)
    client.wait_topic(subject)
    client.barrier()
    assert [e["id"] for e in client.events(subject)] == [event["id"]]


def test_connections_without_a_matching_subscriber_receive_nothing(connect):
    subject = topic()
    listener, bystander = connect(), connect()
    listener.subscribe(f"topic={subject}")
    bystander.subscribe(f"topic={subject}.other and data.x=1")
    listener.publish(subject, {"x": "1"})
    listener.wait_topic(subject)
    bystander.barrier()
    assert bystander.events(subject) == []


def test_subscriptions_match_nested_data_with_the_expression_language(connect):
    subject = topic()
    client = connect()
    client.subscribe(f'topic={subject} and data.entity.name="sh 010" and not data.entity.kind=asset')
    client.publish(subject, {"entity": {"name": "sh 010", "kind": "asset"}})
    wanted = client.publish(subject, {"entity": {"name": "sh 010", "kind": "shot"}})
    client.publish(subject, {"entity": {"name": "sh 020", "kind": "shot"}})
    client.wait_topic(subject)
    client.barrier()
    assert [e["id"] for e in client.events(subject)] == [wanted["id"]]


def test_unsubscribe_stops_delivery(connect):
    subject = topic()
    client = connect()
    subscriber = client.subscribe(f"topic={subject}")
    assert client.unsubscribe(subscriber["id"]) == {"success": True}
    client.publish(subject)
    client.barrier()
    assert client.events(subject) == []
    answer = client.unsubscribe(subscriber["id"])
    assert answer["success"] is False and "No subscriber" in answer["message"]


@pytest.mark.in_process
def test_subscriptions_end_with_the_connection_and_ids_can_be_reused(connect, server):
    router = server.server.events.router
    subject = topic()
    before = {connection.id for connection in router.connections()}
    first = connect()
    first.wait_for(lambda frame: frame == "1::")
    (server_side,) = [c for c in router.connections() if c.id not in before]
    first.subscribe(f"topic={subject}", {"id": "reused-id"})
    assert list(server_side.subscribers) == ["reused-id"]
    first.close()
    wait_until(lambda: server_side not in router.connections())
    second = connect()
    second.subscribe(f"topic={subject}", {"id": "reused-id"})
    second.publish(subject)
    second.wait_topic(subject)


def test_subscribing_again_with_the_same_request_is_accepted(connect):
    client = connect()
    subscriber = client.subscribe("topic=again", {"id": "same", "applicationId": "maya"})
    client.subscribe("topic=again", subscriber)  # the ftrack client may re-send on connect
    answer = client.emit({"topic": "ftrack.meta.subscribe",
                          "data": {"subscriber": subscriber, "subscription": "topic=different"}})
    assert answer["success"] is False and "already registered" in answer["message"]


REFUSED = [
    ({"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": "dup"}, "subscription": "topic=a"}},
     "already registered"),
    ({"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": "x"}, "subscription": "topic="}},
     "position 6"),
    ({"topic": "ftrack.meta.subscribe", "data": {"subscription": "topic=a"}}, "subscriber"),
    ({"topic": "ftrack.meta.unsubscribe", "data": {}}, "subscriber"),
    ({"data": {}}, "topic"),
    ({"topic": "a", "target": "id=="}, "Invalid target"),
    ({"topic": "a", "source": "me"}, "source"),
]


def test_refused_requests_are_acknowledged_with_a_message(connect):
    client = connect()
    client.subscribe("topic=never", {"id": "dup"})
    for event, words in REFUSED:
        answer = client.emit(event)
        assert answer["success"] is False, event
        assert words in answer["message"], answer


def test_bad_frames_get_error_packets_and_the_connection_survives(connect):
    client = connect()
    client.send_frame("5:::{not json")
    assert client.wait_for(lambda f: f.startswith("7:::")).startswith("7:::The event packet does not hold valid JSON")
    client.send_frame("5:::" + json.dumps({"name": "other", "args": [{}]}))
    client.wait_for(lambda f: "Expected an event named" in f)
    client.send_frame("x:::")
    client.wait_for(lambda f: "Unknown socket.io packet type" in f)
    client.send_frame("3:7::hello")  # a message packet: acknowledged, otherwise ignored
    client.wait_for(lambda f: f == "6:::7")
    client.barrier()


def test_events_without_an_id_or_ack_are_delivered(connect):
    subject = topic()
    client = connect()
    client.subscribe(f"topic={subject}")
    client.emit({"topic": subject, "data": "plain"}, ack=False)  # as the JavaScript client sends
    received = client.wait_topic(subject)
    assert received["data"] == "plain" and len(received["id"]) == 32


def test_server_side_publish_reaches_subscribers(connect, server):
    subject = topic()
    client = connect()
    client.subscribe(f"topic={subject}")
    sent = server.server.events.publish({"topic": subject, "data": {"from": "server"}})
    received = client.wait_topic(subject)
    assert received == sent and received["source"]["applicationId"] == "clapboard.server"


# -- targeting and replies ----------------------------------------------------------------------


def test_target_selects_subscribers_by_their_information(connect):
    subject = topic()
    maya, nuke, sender = connect(), connect(), connect()
    maya.subscribe(f"topic={subject}", {"id": "maya-1", "applicationId": "maya"})
    nuke.subscribe(f"topic={subject}", {"id": "nuke-1", "applicationId": "nuke"})
    to_nuke = sender.publish(subject, target="applicationId=nuke")
    to_maya = sender.publish(subject, target="id=maya-1")
    assert nuke.wait_topic(subject)["id"] == to_nuke["id"]
    assert maya.wait_topic(subject)["id"] == to_maya["id"]
    maya.barrier()
    nuke.barrier()
    assert [e["id"] for e in maya.events(subject)] == [to_maya["id"]]
    assert [e["id"] for e in nuke.events(subject)] == [to_nuke["id"]]


def test_target_is_matched_per_subscriber(connect):
    subject = topic()
    client, sender = connect(), connect()
    client.subscribe("topic=other", {"id": "wrong-topic", "role": "chosen"})
    client.subscribe(f"topic={subject}", {"id": "right-topic", "role": "bystander"})
    sender.publish(subject, target="role=chosen")
    client.barrier()
    assert client.events(subject) == []


def _replying(connect, target_original):
    subject = topic()
    origin, responder, other = connect(), connect(), connect()
    for client in (origin, other):
        client.subscribe("topic=ftrack.meta.reply", {"id": client.hub_id})
    responder.subscribe(f"topic={subject}")
    question = origin.publish(subject, {"question": 42})
    assert responder.wait_topic(subject)["source"]["id"] == origin.hub_id
    target = f"id={question['source']['id']}" if target_original else ""
    reply = responder.publish("ftrack.meta.reply", {"answer": "yes"}, target=target, inReplyToEvent=question["id"])
    received = origin.wait_topic("ftrack.meta.reply")
    assert received["id"] == reply["id"] and received["inReplyToEvent"] == question["id"]
    assert received["data"] == {"answer": "yes"}
    other.barrier()
    assert other.events("ftrack.meta.reply") == []


def test_reply_reaches_the_original_publisher_by_target(connect):
    _replying(connect, target_original=True)


def test_untargeted_reply_is_routed_to_the_original_publisher(connect):
    _replying(connect, target_original=False)


# -- heartbeats ------------------------------------------------------------------------------------


@pytest.mark.in_process
def test_heartbeats_are_sent_and_answers_keep_the_connection(connect, hub_settings):
    hub_settings.heartbeat_interval, hub_settings.heartbeat_timeout = 0.05, 2.0
    client = connect()
    client.wait_for(lambda f: sum(frame == "2::" for frame in client.frames) >= 5 and f == "2::")
    client.barrier()
    assert not client.closed


@pytest.mark.in_process
def test_silent_connections_are_dropped(connect, hub_settings):
    hub_settings.heartbeat_interval, hub_settings.heartbeat_timeout = 0.05, 0.3
    client = connect(answer_heartbeats=False)
    client.wait_closed()
    assert "0::" in client.frames and "2::" in client.frames


# -- ftrack.update ---------------------------------------------------------------------------------


def _updates_for(client, entity_id, action):
    def wanted(event):
        return event["topic"] == "ftrack.update" and any(
            e["entityId"] == entity_id and e["action"] == action for e in event["data"]["entities"])

    event = client.wait_event(wanted, what=f"ftrack.update {action} of {entity_id}")
    return event, next(e for e in event["data"]["entities"] if e["entityId"] == entity_id)


def test_commit_publishes_ftrack_update(connect, server, api, make_project):
    client = connect()
    client.subscribe("topic=ftrack.update")
    project = make_project()
    project_id = project["entity_data"]["id"]
    sequence = create("Sequence", name="sq010", parent=ref(project))
    shot = create("Shot", name="sh010", parent=ref(sequence))
    api.call(sequence, shot)
    shot_id, sequence_id = shot["entity_data"]["id"], sequence["entity_data"]["id"]

    event, added = _updates_for(client, shot_id, "add")
    assert tuple(event) == WIRE_KEYS and event["target"] == ""
    assert event["source"]["user"]["username"] == server.api_user
    user = api.one(f'select id from User where username is "{server.api_user}"')
    assert event["data"]["user"] == {"userid": user["id"], "name": server.api_user}
    assert added["entity_type"] == "Shot" and added["entityType"] == "task"
    assert added["objectTypeId"] and added["entityKey"] == {"id": shot_id}
    assert set(added["keys"]) >= {"name", "parent"}
    assert added["changes"]["name"] == {"old": None, "new": "sh010"}
    assert added["parentId"] == sequence_id
    assert [(p["entityId"], p["entityType"], p["entity_type"]) for p in added["parents"]] == [
        (shot_id, "task", "Shot"), (sequence_id, "task", "Sequence"), (project_id, "show", "Project")]
    assert added["parents"][1]["parentId"] == project_id and added["parents"][2]["parentId"] is None
    assert {shot_id, sequence_id, project_id} <= set(event["data"]["parents"])

    api.call({"action": "update", "entity_type": "Shot", "entity_key": [shot_id],
              "entity_data": {"name": "sh020", "description": None}})
    _, updated = _updates_for(client, shot_id, "update")
    assert updated["keys"] == ["name"]  # description did not change
    assert updated["changes"] == {"name": {"old": "sh010", "new": "sh020"}}

    api.call({"action": "delete", "entity_type": "Sequence", "entity_key": [sequence_id]})
    event, removed = _updates_for(client, shot_id, "remove")
    assert removed["parentId"] == sequence_id and removed["parents"][-1]["entityId"] == project_id
    assert any(e["entityId"] == sequence_id and e["action"] == "remove" for e in event["data"]["entities"])


def test_update_parents_reach_through_versions_and_components(connect, api, make_project):
    client = connect()
    client.subscribe("topic=ftrack.update")
    project = make_project()
    asset_type = api.query("select id from AssetType")[0]
    asset = create("Asset", name="hero", parent=ref(project), type=ref(asset_type))
    version = create("AssetVersion", asset=ref(asset))
    component = create("Component", name="main", version=ref(version))
    api.call(asset, version, component)
    _, entity = _updates_for(client, component["entity_data"]["id"], "add")
    assert [p["entity_type"] for p in entity["parents"]] == ["Component", "AssetVersion", "Asset", "Project"]
    assert entity["entityType"] == "component"


def test_changes_of_one_batch_fold_into_one_entity_record():
    def record(action, keys, row, previous=None):
        return {"action": action, "entity_type": "Shot", "key": {"id": "1"}, "keys": keys, "row": row,
                "previous": previous}

    added_then_updated = merge([record("add", ["name"], {"name": "a"}), record("update", ["status"], {"name": "b"})])
    assert added_then_updated == [record("add", ["name", "status"], {"name": "b"})]
    assert merge([record("add", ["name"], {}), record("remove", [], {})]) == []
    assert merge([record("update", ["name"], {"n": 2}, {"n": 1}), record("remove", [], {"n": 2})])[0]["previous"] == {
        "n": 1}


# -- envelope and packets ---------------------------------------------------------------------------


def test_envelope_keeps_the_seven_wire_keys():
    event = normalise({"topic": "t", "in_reply_to_event": "e1", "extra": 1})
    assert tuple(event) == WIRE_KEYS and event["inReplyToEvent"] == "e1" and event["data"] == {}
    with pytest.raises(EnvelopeError):
        normalise(["not", "an", "object"])


def test_packets_split_at_most_three_times():
    packet = packets.decode('5:3+::{"a": "b:c"}')
    assert (packet.type, packet.message_id, packet.wants_ack_data, packet.data) == (5, "3", True, '{"a": "b:c"}')
    assert packets.decode("2::") == packets.Packet(2)
    assert packets.encode_ack(packet, False, "no") == '6:::3+[{"success": false, "message": "no"}]'


# -- several server processes on PostgreSQL ---------------------------------------------------------


@pytest.fixture(scope="module")
def two_processes(server_factory, tmp_path_factory):
    """Two servers on one PostgreSQL database: an embedded one and a subprocess."""
    with server_factory("postgresql") as first, server_process(
        first.server.database.url, tmp_path_factory.mktemp("second") / "data", first.data_dir / "admin-api-key"
    ) as second:
        yield first, second


@pytest.mark.backends("postgresql")
def test_events_cross_server_processes(backend, connect, two_processes):
    first, second = two_processes
    subject = topic()
    on_first, on_second = connect(first), connect(second)
    on_first.subscribe(f"topic={subject}")
    on_second.subscribe(f"topic={subject}")
    from_second = on_second.publish(subject, {"via": "second"})
    from_first = on_first.publish(subject, {"via": "first"})
    for client in (on_first, on_second):
        for event in (from_first, from_second):
            client.wait_event(lambda e, wanted=event: e["id"] == wanted["id"])
    large = on_second.publish(subject, {"blob": "x" * 20_000, "text": "é" * 100})  # over NOTIFY's 8000 bytes
    assert on_first.wait_event(lambda e: e["id"] == large["id"])["data"] == large["data"]
    on_first.barrier()
    assert sorted(e["data"].get("via", "large") for e in on_first.events(subject)) == ["first", "large", "second"]
    with first.server.database.engine.connect() as connection:  # the large one went through the table
        assert connection.exec_driver_sql(f"SELECT count(*) FROM {PAYLOAD_TABLE}").scalar() >= 1


@pytest.mark.backends("postgresql")
def test_ftrack_update_reaches_subscribers_of_other_processes(backend, connect, two_processes):
    first, second = two_processes
    listener = connect(first)
    listener.subscribe("topic=ftrack.update")
    schema = Api(second).one('select id from ProjectSchema where name is "VFX Scheme"')
    project = create("Project", name=f"p-{uuid.uuid4().hex[:8]}", full_name="cross", project_schema=ref(schema))
    Api(second).call(project)
    _, entity = _updates_for(listener, project["entity_data"]["id"], "add")
    assert entity["entityType"] == "show" and entity["parents"][0]["entityId"] == project["entity_data"]["id"]


@pytest.mark.backends("postgresql")
def test_handshake_and_websocket_on_different_processes(backend, connect, two_processes):
    first, second = two_processes
    subject = topic()
    across = Client(second, handshake_server=first).connect()  # handshake on one process, socket on the other
    try:
        across.subscribe(f"topic={subject}")
        publisher = connect(first)
        sent = publisher.publish(subject, {"via": "first"})
        assert across.wait_event(lambda e: e["id"] == sent["id"])["data"] == {"via": "first"}
    finally:
        across.close()
    response = handshake(first.server_url, first.api_user, first.api_key)
    session_id = response.text.split(":")[0]
    websocket.create_connection(socket_url(second.server_url, session_id), timeout=15).close()
    with pytest.raises(websocket.WebSocketBadStatusException):  # a session is claimed once, whichever process
        websocket.create_connection(socket_url(first.server_url, session_id), timeout=15)



@pytest.mark.backends("postgresql")
def test_ftrack_update_is_filtered_for_users_of_other_processes(backend, connect, two_processes):
    """The entities' places travel with the event, so every process filters it for its users."""
    first, second = two_processes
    admin = Api(second)
    schema = admin.one('select id from ProjectSchema where name is "VFX Scheme"')
    granted, hidden = (build_tree(admin, schema) for _ in range(2))
    _, watcher, key = make_user(second, admin, "User", projects=[granted["Project"]], name="watcher")
    restricted = connect(first, user=watcher.headers["ftrack-user"], key=key)  # not the committing process
    everything = connect(first)
    for client in (restricted, everything):
        client.subscribe("topic=ftrack.update")
    admin.call(*({"action": "update", "entity_type": "Task", "entity_key": [tree["Task"]],
                  "entity_data": {"name": "renamed"}} for tree in (hidden, granted)))
    _, seen = _updates_for(everything, hidden["Task"], "update")
    assert seen["changes"]["name"]["new"] == "renamed"
    event, _ = _updates_for(restricted, granted["Task"], "update")
    assert [e["entityId"] for e in event["data"]["entities"]] == [granted["Task"]]
    restricted.barrier()
    assert not any(e["entityId"] == hidden["Task"] for event in restricted.events("ftrack.update")
                   for e in event["data"]["entities"])


@pytest.mark.backends("postgresql")
def test_events_keep_their_order_across_server_processes(backend, connect, two_processes):
    """A commit's update, then an event published through the other process: every subscriber,
    on either process, receives them in that order."""
    first, second = two_processes
    admin = Api(first)
    schema = admin.one('select id from ProjectSchema where name is "VFX Scheme"')
    subject = topic()
    listeners = [connect(first), connect(second)]
    for listener in listeners:
        listener.subscribe("topic=ftrack.update")
        listener.subscribe(f"topic={subject}")
    publisher = connect(second)
    names = []
    for round_number in range(5):
        project = create("Project", name=f"order-{uuid.uuid4().hex[:8]}", full_name="order",
                         project_schema=ref(schema))
        admin.call(project)  # answered once its update is on its way to every process
        names.append(publisher.publish(subject, {"after": project["entity_data"]["id"]})["id"])
    for listener in listeners:
        listener.wait_event(lambda e, last=names[-1]: e["id"] == last)
        seen = []
        for event in listener.events():
            if event["topic"] == subject:
                seen.append(("after", event["data"]["after"]))
            elif event["topic"] == "ftrack.update":
                seen.extend(("update", e["entityId"]) for e in event["data"]["entities"] if e["action"] == "add")
        for marker in [m for m in seen if m[0] == "after"]:
            assert seen.index(("update", marker[1])) < seen.index(marker), seen
