"""A raw socket.io 0.9 client for event hub tests: frames in, frames out, nothing hidden.

A reader thread collects every frame the server sends; tests wait on conditions over them
(never on sleeps). Heartbeats are answered like the Python ftrack client does (``2:::``)
unless ``answer_heartbeats`` is False.
"""

import json
import threading
import uuid
from urllib.parse import urlsplit

import requests
import websocket

DEFAULT_TIMEOUT = 15


def handshake(server_url, user, key, use_query=False):
    """GET the handshake; return the response."""
    parts = urlsplit(server_url)
    url = f"{parts.scheme}://{parts.netloc}/socket.io/1/"
    if use_query:
        return requests.get(url, params={"api_user": user, "api_key": key}, timeout=DEFAULT_TIMEOUT)
    return requests.get(url, headers={"ftrack-user": user, "ftrack-api-key": key}, timeout=DEFAULT_TIMEOUT)


def socket_url(server_url, session_id, query=""):
    parts = urlsplit(server_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/socket.io/1/websocket/{session_id}{query}"


class Client:
    """One connection to the hub of ``server`` (an embedded server handle or anything with
    ``server_url``, ``api_user`` and ``api_key``)."""

    def __init__(self, server, answer_heartbeats=True, user=None, key=None, handshake_server=None):
        self.server_url = server.server_url
        #: Where the handshake goes (another process of the same database, to test that
        #: sessions do not live in one process's memory).
        self.handshake_url = (handshake_server or server).server_url
        self.user = user or server.api_user
        self.key = key or server.api_key
        self.answer_heartbeats = answer_heartbeats
        self.hub_id = uuid.uuid4().hex
        self.frames = []
        self.closed = False
        self._condition = threading.Condition()
        self._next_id = 0
        self._socket = None
        self._thread = None

    # -- connection ------------------------------------------------------------------------

    def connect(self):
        response = handshake(self.handshake_url, self.user, self.key)
        assert response.status_code == 200, response.text
        session_id = response.text.split(":")[0]
        self._socket = websocket.create_connection(socket_url(self.server_url, session_id), timeout=DEFAULT_TIMEOUT)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def _read(self):
        while True:
            try:
                frame = self._socket.recv()
            except Exception:  # noqa: BLE001 - any failure ends the connection
                frame = None
            if frame == "2::" and self.answer_heartbeats:
                try:
                    self.send_frame("2:::")
                except websocket.WebSocketConnectionClosedException:
                    frame = None  # closed meanwhile (the server stopped, or close()): the connection ended
            with self._condition:
                if frame is None or frame == "":
                    self.closed = True
                else:
                    self.frames.append(frame)
                self._condition.notify_all()
            if frame is None or frame == "":
                return

    def send_frame(self, frame):
        self._socket.send(frame)

    def close(self):
        if self._socket is not None:
            self._socket.close()
        if self._thread is not None:
            self._thread.join(DEFAULT_TIMEOUT)

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc_info):
        self.close()

    # -- waiting ----------------------------------------------------------------------------

    def wait_for(self, predicate, timeout=DEFAULT_TIMEOUT, what="a frame"):
        """Return the first collected frame satisfying ``predicate``, waiting if needed."""

        def find():
            return next((frame for frame in self.frames if predicate(frame)), None)

        with self._condition:
            self._condition.wait_for(lambda: find() is not None or self.closed, timeout)
            match = find()
        assert match is not None, f"no {what} within {timeout} s (closed={self.closed}); got {self.frames!r}"
        return match

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        with self._condition:
            assert self._condition.wait_for(lambda: self.closed, timeout), "the server did not close the socket"

    # -- events -----------------------------------------------------------------------------

    def emit(self, event, ack=True):
        """Send an event packet as the Python client does (``5:<n>+::``); return the ack data."""
        if not ack:
            self.send_frame("5:::" + json.dumps({"name": "ftrack.event", "args": [event]}))
            return None
        self._next_id += 1
        message_id = self._next_id
        self.send_frame(f"5:{message_id}+::" + json.dumps({"name": "ftrack.event", "args": [event]}))
        return self.ack(message_id)

    def ack(self, message_id):
        prefix = f"6:::{message_id}+"
        frame = self.wait_for(lambda f: f.startswith(prefix), what=f"ack {message_id}")
        data = json.loads(frame[len(prefix):])
        assert isinstance(data, list) and len(data) == 1, frame
        return data[0]

    def subscribe(self, subscription, subscriber=None):
        """Register a subscriber; return its metadata (a fresh id unless given)."""
        subscriber = dict(subscriber or {})
        subscriber.setdefault("id", uuid.uuid4().hex)
        answer = self.emit({"topic": "ftrack.meta.subscribe", "data": {"subscriber": subscriber,
                                                                        "subscription": subscription}})
        assert answer == {"success": True}, answer
        return subscriber

    def unsubscribe(self, subscriber_id):
        return self.emit({"topic": "ftrack.meta.unsubscribe", "data": {"subscriber": {"id": subscriber_id}}})

    def publish(self, topic, data=None, **fields):
        """Publish an event with a fresh id and this hub as source; return the event sent."""
        event = {"id": uuid.uuid4().hex, "topic": topic, "data": data if data is not None else {},
                 "source": {"id": self.hub_id, "user": {"username": self.user}}, "target": "",
                 "sent": None, "inReplyToEvent": None, **fields}
        answer = self.emit(event)
        assert answer == {"success": True}, answer
        return event

    def events(self, topic=None):
        """Events received so far (optionally of one topic), decoded."""
        with self._condition:
            frames = list(self.frames)
        decoded = [_decode_event(frame) for frame in frames if frame.startswith("5:")]
        return [event for event in decoded if topic is None or event["topic"] == topic]

    def wait_event(self, predicate, timeout=DEFAULT_TIMEOUT, what="an event"):
        frame = self.wait_for(lambda f: f.startswith("5:") and predicate(_decode_event(f)), timeout, what)
        return _decode_event(frame)

    def wait_topic(self, topic, timeout=DEFAULT_TIMEOUT):
        return self.wait_event(lambda event: event["topic"] == topic, timeout, f"event on {topic}")

    def barrier(self):
        """Publish to a private topic and wait for it: everything routed earlier has arrived.

        Events reach one connection in the order they were published through one server, so
        a test can assert that an earlier event was *not* delivered once the barrier is back.
        """
        topic = f"test.barrier.{uuid.uuid4().hex}"
        self.subscribe(f"topic={topic}")
        self.publish(topic)
        self.wait_topic(topic)


def _decode_event(frame):
    body = json.loads(frame.split(":", 3)[3])
    assert body["name"] == "ftrack.event" and len(body["args"]) == 1, frame
    return body["args"][0]
