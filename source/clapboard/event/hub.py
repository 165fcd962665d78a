"""The event hub: subscribe callbacks to topics and publish events, locally or through the server.

A hub starts *local*: an asynchronous :meth:`EventHub.publish` calls this hub's matching
callbacks at once, in the publishing thread. Once :meth:`EventHub.connect` is called, events
travel through the event server instead: a background thread reads the server's frames,
answers heartbeats and queues the events received, and :meth:`EventHub.wait` calls the
callbacks of queued events in the thread that waits. Synchronous publishing always stays
local. A lost connection is re-established in the background (every subscriber is
subscribed again, and events published meanwhile are sent once connected).

All methods may be called from any thread.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import platform
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import exception
from . import expression
from .base import Event
from .socketio import (
    HEARTBEAT,
    HEARTBEAT_ANSWER,
    Connection,
    ServerDetails,
    SocketIoSession,
    decode_ack,
    decode_event,
    decode_packet,
    encode_event,
    event_frame,
    network_location,
    server_details,
)
from .subscriber import Subscriber
from .subscription import parse

__all__ = ["EventHub", "ServerDetails", "SocketIoSession"]

logger = logging.getLogger("clapboard.event.hub")

SUBSCRIBE_TOPIC = "ftrack.meta.subscribe"
UNSUBSCRIBE_TOPIC = "ftrack.meta.unsubscribe"
REPLY_TOPIC = "ftrack.meta.reply"
CONNECTED_TOPIC = "ftrack.meta.connected"
DISCONNECTED_TOPIC = "ftrack.meta.disconnected"

_DISCONNECTED, _CONNECTING, _CONNECTED = "disconnected", "connecting", "connected"
#: How many ``on_reply`` callbacks are remembered (oldest forgotten first).
_REPLY_CALLBACKS = 10_000


class EventHub:
    """Manage routing of events."""

    #: Automatic reconnection: attempts, first delay (doubled after each failure) and longest delay.
    reconnect_attempts = 30
    reconnect_first_delay = 0.1
    reconnect_max_delay = 10.0

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> None:
        """Initialise hub for the server at *server_url*, authenticating as *api_user* with *api_key*.

        *headers* and *cookies* are sent with the connection requests. Raise
        :exc:`ValueError` when *server_url* lacks a scheme or a host.
        """
        self.id = uuid.uuid4().hex
        self.server_url = server_url
        self._server_details: ServerDetails | None = server_details(server_url)
        self._api_user = api_user
        self._api_key = api_key
        self._headers = dict(headers or {})
        self._cookies = dict(cookies or {})
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._subscribers: list[Subscriber] = []
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._reply_callbacks: OrderedDict[str, Callable[[Event], Any]] = OrderedDict()
        self._state = _DISCONNECTED
        self._generation = 0  # bumped by connect, disconnect and reconnect: older threads stop
        self._connection: Connection | None = None
        self._thread: threading.Thread | None = None
        self._outbox: list[tuple[str, str]] = []  # (event id, body) published while (re)connecting
        self._acks: dict[int, tuple[str, str]] = {}  # message id: (action, what) awaiting acknowledgement
        self._message_id = 0
        self._add_subscriber(f"topic={REPLY_TOPIC}", self._handle_reply, {"id": self.id})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self._state} {self.server_url}>"

    # Server ------------------------------------------------------------------------------------

    @property
    def _server(self) -> ServerDetails:
        if self._server_details is None:
            self._server_details = server_details(self.server_url)
        return self._server_details

    def get_server_url(self) -> str:
        """Return URL to server."""
        return f"{self._server.scheme}://{self.get_network_location()}"

    def get_network_location(self) -> str:
        """Return network location of the server: ``host:port``, or ``host`` when the URL gave no port."""
        return network_location(self._server)

    @property
    def secure(self) -> bool:
        """Return whether secure connection used."""
        return self._server.scheme == "https"

    @property
    def connected(self) -> bool:
        """Return if connected."""
        return self._state == _CONNECTED

    # Connection --------------------------------------------------------------------------------

    def connect(self, background: bool = False) -> None:
        """Initialise connection to server.

        Raise :exc:`~clapboard.exception.EventHubConnectionError` if already connected or
        connection fails. With *background*, return at once and connect in a background
        thread, retrying as after a lost connection; events published meanwhile are sent
        once connected.
        """
        with self._lock:
            if self._state == _CONNECTED:
                raise exception.EventHubConnectionError("Already connected.")
            if self._state == _CONNECTING:
                if not background:
                    self._changed.wait_for(lambda: self._state != _CONNECTING)
                    if self._state != _CONNECTED:
                        raise exception.EventHubConnectionError("Connecting to the event server failed.")
                return
            self._generation += 1
            generation = self._generation
            self._state = _CONNECTING
        if background:
            self._start_thread(self._run, generation, None)
            return
        try:
            connection = self._open()
        except exception.EventHubConnectionError:
            self._fail(generation, "connection refused", notify=False)
            raise
        if not self._install(connection, generation):
            connection.close()
            self._fail(generation, "connection lost while subscribing", notify=False)
            raise exception.EventHubConnectionError("Lost the event server connection while subscribing.")
        self._start_thread(self._run, generation, connection)

    def disconnect(self, unsubscribe: bool = True) -> None:
        """Disconnect from server.

        Raise :exc:`~clapboard.exception.EventHubConnectionError` if not currently connected
        (or connecting). If *unsubscribe* is True then unsubscribe all current subscribers
        automatically before disconnecting.
        """
        with self._lock:
            if self._state == _DISCONNECTED:
                raise exception.EventHubConnectionError("Not currently connected.")
            connection, thread = self._connection, self._thread
            if unsubscribe:
                for subscriber in list(self._subscribers):
                    if subscriber.metadata["id"] != self.id:
                        self.unsubscribe(subscriber.metadata["id"])
            self._reset(_DISCONNECTED)
        if connection is not None:
            connection.close()
        self._join(thread)

    def reconnect(self, attempts: int = 10, delay: float = 5) -> None:
        """Reconnect to server, making *attempts* attempts *delay* seconds apart.

        All current subscribers are subscribed again after reconnection. Raise
        :exc:`~clapboard.exception.EventHubConnectionError` if all attempts fail.
        """
        with self._lock:
            connection, thread = self._connection, self._thread
            self._reset(_CONNECTING)
            generation = self._generation
        if connection is not None:
            connection.close()
        self._join(thread)
        connection = self._establish(generation, attempts, lambda attempt: delay)
        if connection is None:
            raise exception.EventHubConnectionError(f"Failed to reconnect to the event server after {attempts} attempts.")
        self._start_thread(self._run, generation, connection)

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until connected and the server acknowledged everything sent so far.

        Once it returns True, the server knows every subscriber and has received every
        event published before the call. Return False after *timeout* seconds, or at once
        when the hub is not connected nor connecting.
        """
        with self._changed:
            return self._changed.wait_for(
                lambda: self._state == _DISCONNECTED or (self._state == _CONNECTED and not self._acks), timeout
            ) and self._state == _CONNECTED

    def wait(self, duration: float | None = None) -> None:
        """Wait for events and handle as they arrive.

        If *duration* is specified, then only process events until duration is reached.
        *duration* is in seconds though float values can be used for smaller values.
        Without *duration*, return once the hub gave up reconnecting; raise
        :exc:`~clapboard.exception.EventHubConnectionError` when it is not connected at all.
        """
        deadline = None if duration is None else time.monotonic() + duration
        if deadline is None and self._state == _DISCONNECTED and self._queue.empty():
            raise exception.EventHubConnectionError(
                "The event hub is not connected: only synchronous and local events can be handled."
            )
        while True:
            remaining = 1.0 if deadline is None else deadline - time.monotonic()
            try:
                event = self._queue.get(timeout=max(remaining, 0))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return
                continue
            self._handle(event)
            if event["topic"] == DISCONNECTED_TOPIC or (deadline is not None and time.monotonic() >= deadline):
                return

    # Subscribers -------------------------------------------------------------------------------

    def get_subscriber_by_identifier(self, identifier: str) -> Subscriber | None:
        """Return subscriber with matching *identifier*, or None."""
        with self._lock:
            return next((s for s in self._subscribers if s.metadata.get("id") == identifier), None)

    def subscribe(
        self,
        subscription: str,
        callback: Callable[[Event], Any],
        subscriber: Mapping[str, Any] | None = None,
        priority: int = 100,
    ) -> str:
        """Register *callback* for events matching *subscription*; return the subscriber id.

        Callbacks are called in order of *priority*, lowest first (0 is the first), among
        this hub's callbacks. A callback may call :meth:`Event.stop` to prevent the later
        ones from running. *subscriber* is information about the subscriber that event
        targets are matched against; an ``id`` is generated unless given.

        Raise :exc:`~clapboard.exception.NotUniqueError` if a subscriber with the same
        identifier already exists.
        """
        added = self._add_subscriber(subscription, callback, subscriber, priority)
        with self._lock:
            if self._state == _CONNECTED:
                with contextlib.suppress(exception.EventHubConnectionError):  # resubscribed on reconnection
                    self._send_subscribe(added)
        return added.metadata["id"]

    @contextlib.contextmanager
    def subscription(
        self,
        subscription: str,
        callback: Callable[[Event], Any],
        subscriber: Mapping[str, Any] | None = None,
        priority: int = 100,
    ) -> Iterator[str]:
        """Return a context manager subscribing *callback* while the block runs."""
        identifier = self.subscribe(subscription, callback, subscriber=subscriber, priority=priority)
        try:
            yield identifier
        finally:
            self.unsubscribe(identifier)

    def unsubscribe(self, subscriber_identifier: str) -> None:
        """Unsubscribe subscriber with *subscriber_identifier*.

        The subscriber is removed locally even when the server cannot be told. Raise
        :exc:`~clapboard.exception.NotFoundError` if there is no such subscriber.
        """
        with self._lock:
            subscriber = self.get_subscriber_by_identifier(subscriber_identifier)
            if subscriber is None:
                raise exception.NotFoundError(
                    f"Cannot unsubscribe missing subscriber with identifier {subscriber_identifier}."
                )
            self._subscribers.remove(subscriber)
            if self._state == _CONNECTED:
                event = Event(UNSUBSCRIBE_TOPIC, data={"subscriber": {"id": subscriber_identifier}})
                with contextlib.suppress(exception.EventHubConnectionError):
                    self._send(self._encode(event), ("unsubscribe", subscriber_identifier))

    def _add_subscriber(
        self, subscription: str, callback: Callable[[Event], Any], metadata: Mapping[str, Any] | None,
        priority: int = 100,
    ) -> Subscriber:
        metadata = dict(metadata or {})
        metadata.setdefault("id", uuid.uuid4().hex)
        subscriber = Subscriber(subscription, callback, metadata, priority)
        self._encode(_subscribe_event(subscriber))  # metadata that cannot be sent fails here
        with self._lock:
            if self.get_subscriber_by_identifier(metadata["id"]) is not None:
                raise exception.NotUniqueError(f"Subscriber with identifier {metadata['id']} already exists.")
            index = bisect.bisect_right([s.priority for s in self._subscribers], priority)
            self._subscribers.insert(index, subscriber)
        return subscriber

    # Publishing --------------------------------------------------------------------------------

    def publish(
        self,
        event: Event,
        synchronous: bool = False,
        on_reply: Callable[[Event], Any] | None = None,
        on_error: str = "raise",
    ) -> list[Any] | None:
        """Publish *event*.

        If *synchronous* is True, call the local callbacks at once and return their results
        in a list; nothing is sent to the server. Otherwise send it to the server when
        connected (queue it while connecting), or call the local callbacks when the hub is
        not connected. *on_reply* is called with each reply event received in response (not
        when *synchronous*). If *on_error* is ``'ignore'``, errors raised while publishing
        are logged and ignored.
        """
        try:
            return self._publish(event, synchronous, on_reply)
        except Exception:
            if on_error != "ignore":
                raise
            logger.debug("Ignoring error publishing %s.", event, exc_info=True)
            return None

    def publish_reply(self, source_event: Event, data: Any, source: Mapping[str, Any] | None = None) -> None:
        """Publish a reply to *source_event* carrying *data*, from *source* if given."""
        source_id = (source_event.get("source") or {}).get("id")
        if source_id is None:
            logger.debug("Not replying to %s: it has no source id.", source_event)
            return
        reply = Event(
            REPLY_TOPIC, data=data, source=dict(source) if source else {},
            target=str(expression.Condition("id", "=", str(source_id))),
            in_reply_to_event=source_event["id"],
        )
        self.publish(reply)

    def _publish(self, event: Event, synchronous: bool, on_reply: Callable[[Event], Any] | None) -> list[Any] | None:
        self._prepare(event)
        if synchronous:
            return self._handle(event, synchronous=True)
        if event.get("target"):
            parse(event["target"])  # a bad target fails here, not on the server
        body = None if self._state == _DISCONNECTED else self._encode(event)
        with self._lock:
            if on_reply is not None:
                self._reply_callbacks[event["id"]] = on_reply
                while len(self._reply_callbacks) > _REPLY_CALLBACKS:
                    self._reply_callbacks.popitem(last=False)
            if self._state == _CONNECTED and body is not None:
                try:
                    self._send(body, ("publish", event["id"]))
                except exception.EventHubConnectionError:
                    self._outbox.append((event["id"], body))  # sent again once reconnected
                return None
            if self._state != _DISCONNECTED:
                self._outbox.append((event["id"], body if body is not None else self._encode(event)))
                return None
        self._handle(event)
        return None

    def _prepare(self, event: Event) -> None:
        source = event.get("source")
        if source is None:
            source = event["source"] = {}
        source.setdefault("id", self.id)
        source.setdefault("user", {"username": self._api_user})
        source.setdefault("host", _hostname())

    # Handling ----------------------------------------------------------------------------------

    def _handle(self, event: Event, synchronous: bool = False) -> list[Any]:
        """Call the callbacks of this hub's subscribers interested in and targeted by *event*."""
        target = event.get("target")
        try:
            target_expression = parse(target) if target else None
        except expression.ParseError:
            logger.exception("Cannot handle event %s: its target cannot be parsed.", event)
            return []
        with self._lock:
            subscribers = list(self._subscribers)
        results = []
        for subscriber in subscribers:
            if target_expression is not None and not target_expression.match(subscriber.metadata):
                continue
            if not subscriber.interested_in(event):
                continue
            try:
                response = subscriber.callback(event)
            except Exception:
                logger.exception("Error calling subscriber %s for event %s.", subscriber, event)
            else:
                results.append(response)
                if response is not None and not synchronous:
                    try:
                        self.publish_reply(event, response, source=subscriber.metadata)
                    except Exception:
                        logger.exception("Error replying %r from subscriber %s to %s.", response, subscriber, event)
            if event.is_stopped():
                logger.debug("Subscriber %s stopped event %s.", subscriber, event)
                break
        return results

    def _handle_reply(self, event: Event) -> None:
        with self._lock:
            callback = self._reply_callbacks.get(event.get("in_reply_to_event"))
        if callback is not None:
            callback(event)

    # Socket ------------------------------------------------------------------------------------

    def _open(self) -> Connection:
        try:
            details = self._server
        except ValueError as error:
            raise exception.EventHubConnectionError(f"Invalid server URL {self.server_url!r}: {error}") from None
        return Connection.open(details, self._api_user, self._api_key, self._headers, self._cookies)

    def _encode(self, event: Event) -> str:
        return encode_event(event)

    def _send(self, body: str, acknowledged: tuple[str, str]) -> None:
        """Send an event *body* asking for an acknowledgement; call with the lock held."""
        connection = self._connection
        if connection is None:
            raise exception.EventHubConnectionError("Not connected.")
        self._message_id += 1
        self._acks[self._message_id] = acknowledged
        try:
            connection.send(event_frame(self._message_id, body))
        except exception.EventHubConnectionError:
            self._acks.pop(self._message_id, None)
            connection.close()  # the reading thread notices and reconnects
            raise

    def _send_subscribe(self, subscriber: Subscriber) -> None:
        """Tell the server about *subscriber*; call with the lock held."""
        self._send(self._encode(_subscribe_event(subscriber)), ("subscribe", subscriber.metadata["id"]))

    def _install(self, connection: Connection, generation: int) -> bool:
        """Make *connection* current: subscribe everyone (replies first), send the outbox."""
        with self._lock:
            if generation != self._generation:
                return False
            self._connection = connection
            subscribers = sorted(self._subscribers, key=lambda s: s.metadata["id"] != self.id)
            try:
                for subscriber in subscribers:
                    self._send_subscribe(subscriber)
                while self._outbox:
                    event_id, body = self._outbox[0]
                    self._send(body, ("publish", event_id))
                    self._outbox.pop(0)
            except exception.EventHubConnectionError:
                self._connection = None
                self._acks.clear()
                return False
            self._state = _CONNECTED
            self._changed.notify_all()
        logger.debug("Connected to the event server at %s.", self.get_server_url())
        return True

    def _establish(self, generation: int, attempts: int, delay: Callable[[int], float]) -> Connection | None:
        """Open and install a connection, trying *attempts* times; None when given up or cancelled."""
        error: object = None
        for attempt in range(attempts):
            if attempt:
                with self._changed:
                    if self._changed.wait_for(lambda: generation != self._generation, delay(attempt)):
                        return None
            if generation != self._generation:
                return None
            try:
                connection = self._open()
            except exception.EventHubConnectionError as failure:
                error = failure
                logger.debug("Event server connection attempt %d failed: %s", attempt + 1, failure)
                continue
            if self._install(connection, generation):
                return connection
            connection.close()
            error = "connection lost while subscribing"
        self._fail(generation, error)
        return None

    def _fail(self, generation: int, error: object, notify: bool = True) -> None:
        """Give up connecting: become local again; tell ``wait()`` with a disconnected event."""
        with self._lock:
            if generation != self._generation:
                return
            self._reset(_DISCONNECTED)
        if notify:
            logger.error("Gave up connecting to the event server at %s: %s", self.get_server_url(), error)
            self._queue.put(Event(DISCONNECTED_TOPIC, data={"error": str(error)}))

    def _reset(self, state: str) -> None:
        """Forget the connection and start a new generation in *state*; call with the lock held."""
        if self._outbox and state == _DISCONNECTED:
            logger.warning("Dropping %d events that could not be sent to the event server.", len(self._outbox))
            self._outbox.clear()
        self._generation += 1
        self._state = state
        self._connection = None
        self._acks.clear()
        self._changed.notify_all()

    def _start_thread(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=f"clapboard-event-hub-{self.id[:8]}", daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()

    def _join(self, thread: threading.Thread | None) -> None:
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _run(self, generation: int, connection: Connection | None) -> None:
        """Read frames until disconnected; reconnect whenever the connection is lost."""
        while True:
            if connection is None:
                connection = self._establish(generation, self.reconnect_attempts, self._backoff)
                if connection is None:
                    return
            self._read(connection)
            connection.close()
            with self._lock:
                if generation != self._generation:
                    return  # disconnected on purpose
                self._connection = None
                self._state = _CONNECTING
                self._acks.clear()
                self._changed.notify_all()
            logger.warning("Lost the connection to the event server at %s; reconnecting.", self.get_server_url())
            connection = None

    def _backoff(self, attempt: int) -> float:
        return min(self.reconnect_first_delay * 2 ** (attempt - 1), self.reconnect_max_delay)

    def _read(self, connection: Connection) -> None:
        """Handle frames until the connection is lost."""
        while True:
            frame = connection.receive()
            if frame is None:
                return
            if frame == HEARTBEAT:
                with contextlib.suppress(exception.EventHubConnectionError):
                    connection.send(HEARTBEAT_ANSWER)
                continue
            try:
                packet = decode_packet(frame)
                if packet.type == "5":
                    self._queue.put(decode_event(packet))
                elif packet.type == "6":
                    message_id, answer = decode_ack(packet)
                    with self._lock:
                        acknowledged = self._acks.pop(message_id, None)
                        if not self._acks:
                            self._changed.notify_all()
                    if acknowledged is not None and answer.get("success") is False:
                        action, what = acknowledged
                        log = logger.error if action == "publish" else logger.warning
                        log("Server failed to %s %s: %s", action, what, answer.get("message"))
                elif packet.type == "1":
                    self._queue.put(Event(CONNECTED_TOPIC))
                elif packet.type == "0":
                    return
                elif packet.type == "7":
                    logger.warning("The event server reported an error: %s", packet.data)
                else:
                    logger.debug("Ignoring packet %r.", frame[:200])
            except exception.EventHubPacketError as error:
                logger.debug("Ignoring invalid packet: %s", error)


def _subscribe_event(subscriber: Subscriber) -> Event:
    return Event(SUBSCRIBE_TOPIC, data={"subscriber": subscriber.metadata, "subscription": str(subscriber.subscription)})


_host: list[str] = []


def _hostname() -> str:
    if not _host:
        _host.append(platform.node())
    return _host[0]
