"""The server's event hub: sessions, subscriptions, publishing and ``ftrack.update``."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from typing import Any

from clapboard.event import expression

from ..auth import Authenticator, hash_key
from ..database import Database
from ..errors import InvalidCredentialsError
from ..limits import DEFAULT as DEFAULT_LIMITS
from ..limits import MAX_SUBSCRIPTION_LENGTH, LimitExceededError, Limits, check_query_text, current
from ..policy import Policy
from . import envelope
from .brokers import Broker, LocalBroker
from .connection import Connection, Subscriber, SubscriptionError
from .router import Router
from .sessions import Session, Sessions
from .updates import PLACES, UpdateBuilder
from .updates import TOPIC as UPDATE_TOPIC

log = logging.getLogger(__name__)

SUBSCRIBE = "ftrack.meta.subscribe"
UNSUBSCRIBE = "ftrack.meta.unsubscribe"
#: Key of the server's internal messages between its processes (never sent to clients).
INTERNAL_KEY = "_internal"
#: Longest a commit's answer waits for its ``ftrack.update`` to be published to other processes.
PUBLISH_WAIT = 10.0


def default_broker(database: Database) -> Broker:
    """In-process for SQLite; LISTEN/NOTIFY between processes for PostgreSQL."""
    if database.is_sqlite:
        return LocalBroker()
    from .postgres import PostgresBroker

    return PostgresBroker(database.url)


class EventHub:
    """Routes events between connected clients (and server processes) and publishes updates.

    ``heartbeat_interval``: seconds between ``2::`` packets; ``heartbeat_timeout``: a
    connection silent for longer is dropped (also announced in the handshake, with
    ``close_timeout``); ``limits``: a client with more than ``max_queued_event_bytes`` of frames
    waiting to be written is disconnected. Publishing is asynchronous: a background thread hands events to the
    broker in order, so callers never wait for the database.
    """

    def __init__(self, database: Database, authenticator: Authenticator, broker: Broker | None = None,
                 policy: Policy | None = None,
                 heartbeat_interval: float = 10.0, heartbeat_timeout: float = 60.0,
                 close_timeout: float = 60.0, limits: Limits | None = None) -> None:
        self.authenticator = authenticator
        self.broker = broker if broker is not None else default_broker(database)
        self.router = Router(visible=policy.visible_places if policy is not None else None)
        self.sessions = Sessions(database)
        self.updates = UpdateBuilder(database)
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.close_timeout = close_timeout
        #: The server's limits (JSON of events, and bytes of frames a connection may have waiting).
        self.limits = limits or DEFAULT_LIMITS
        self.max_queued_bytes = self.limits.max_queued_event_bytes
        self.source_id = f"{envelope.SERVER_SOURCE_PREFIX}{uuid.uuid4().hex}"
        self._outbox: queue.Queue[tuple[str, Any, threading.Event | None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the broker and the publishing thread (idempotent)."""
        if self._thread is not None:
            return
        self.broker.start(self._deliver)
        self._thread = threading.Thread(target=self._publish_forever, name="clapboard-events", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Publish what is queued, then stop and disconnect every client."""
        if self._thread is not None:
            self._outbox.put(None)
            self._thread.join(30)
            self._thread = None
        self.broker.close()
        self.disconnect_all()

    def disconnect_all(self) -> None:
        """Close every connection (sockets and open pages' streams); clients reconnect elsewhere."""
        for connection in self.router.connections():
            connection.close()

    # -- handshake -------------------------------------------------------------------------------

    def authenticate(self, username: str | None, api_key: str | None) -> str:
        """The user's id; :class:`InvalidCredentialsError` for bad credentials."""
        return self.authenticator.authenticate(username, api_key)

    def handshake(self, username: str | None, api_key: str | None) -> Session:
        """A single-use session for the user (see :meth:`authenticate`)."""
        user_id = self.authenticate(username, api_key)
        return self.sessions.issue(user_id, username or "", hash_key(api_key or ""))

    def still_valid(self, connection: Connection) -> bool:
        """Whether the credentials ``connection`` opened with still name an active user."""
        try:
            return self.authenticator.verify(connection.username, connection.key_hash) == connection.user_id
        except InvalidCredentialsError:
            return False

    def accounts_changed(self, user_ids: set[str] | None) -> None:
        """Re-check the open sockets of ``user_ids`` (None: all) in every server process."""
        self._submit("event", accounts_changed_event(user_ids))

    def revalidate(self, user_ids: list[str] | None) -> None:
        """Close the sockets (of ``user_ids``, or all) whose user was disabled, renamed or re-keyed."""
        for connection in self.router.connections():
            if (user_ids is None or connection.user_id in user_ids) and not self.still_valid(connection):
                log.info("Closing the event hub connection of %s: its credentials are no longer valid.",
                         connection.username)
                connection.close()

    def _deliver(self, event: dict[str, Any]) -> None:
        """Hand a published event to the router, or act on an internal message."""
        internal = event.get(INTERNAL_KEY)
        if isinstance(internal, dict):
            threading.Thread(target=self.revalidate, args=(internal.get("accounts"),),
                             name="clapboard-revalidate", daemon=True).start()
            return
        self.router.deliver(event)

    def handshake_text(self, session: Session) -> str:
        """``<session id>:<heartbeat timeout>:<close timeout>:<transports>``."""
        return f"{session.id}:{round(self.heartbeat_timeout)}:{round(self.close_timeout)}:websocket"

    # -- connections -----------------------------------------------------------------------------

    def attach(self, connection: Connection) -> None:
        self.router.attach(connection)

    def detach(self, connection: Connection) -> None:
        self.router.detach(connection)

    def receive(self, connection: Connection, raw: Any) -> None:
        """Handle an event a client sent: subscription requests, or anything to publish.

        Raises an :class:`~.errors.EventError` whose message is acknowledged to the client.
        """
        event = envelope.normalise(raw)
        if event["topic"] == SUBSCRIBE:
            connection.subscribe(_subscriber(event["data"]))
        elif event["topic"] == UNSUBSCRIBE:
            connection.unsubscribe(_subscriber_id(event["data"]))
        else:
            envelope.check_client_event(event)
            event = envelope.stamp(event, connection.user_id, connection.username)
            event[envelope.PUBLISHER_KEY] = connection.id
            self._submit("event", event)

    # -- publishing ------------------------------------------------------------------------------

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        """Publish a server-side event (any wire event object); return it as sent."""
        event = envelope.stamp(envelope.normalise(event), None, None)
        event["source"] = {"id": self.source_id, "applicationId": envelope.SERVER_APPLICATION_ID, **event["source"]}
        self._submit("event", event)
        return event

    def publish_changes(self, changes: list[dict[str, Any]], user_id: str | None) -> None:
        """Publish ``ftrack.update`` for the change records of a committed batch.

        With a broker shared between processes this returns once the update is on its way to
        every process (at most ``PUBLISH_WAIT`` seconds), so whatever the committing client does
        next, through any process, is seen after it. In one process the outbox's order does that.
        """
        if not changes:
            return
        published = threading.Event() if self.broker.shared else None
        self._submit("changes", (list(changes), user_id), published)
        if published is not None and not published.wait(PUBLISH_WAIT):
            log.warning("The ftrack.update of a commit was not published within %s s; answering anyway.",
                        PUBLISH_WAIT)

    def _submit(self, kind: str, payload: Any, done: threading.Event | None = None) -> None:
        if self._thread is None:
            log.debug("Event hub not started; dropping a %s.", kind)
            if done is not None:
                done.set()
            return
        self._outbox.put((kind, payload, done))

    def _publish_forever(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            kind, payload, done = item
            try:
                if kind == "event":
                    self.broker.publish(payload)
                else:
                    self._publish_update(*payload)
            except Exception:
                log.exception("Publishing a %s failed", kind)
            finally:
                if done is not None:
                    done.set()

    def _publish_update(self, changes: list[dict[str, Any]], user_id: str | None) -> None:
        if not self.broker.shared and not self.router.connections():
            return  # nobody could receive it: skip the look-ups
        data = self.updates.data(changes, user_id)
        if data is None:
            return
        username = data["user"]["name"]
        places = data.pop(PLACES)
        event = envelope.stamp(envelope.normalise({"topic": UPDATE_TOPIC, "data": data}), None, None)
        event[PLACES] = places
        event["source"] = {
            "id": self.source_id,
            "applicationId": envelope.SERVER_APPLICATION_ID,
            "user": {"id": user_id, "username": username},
        }
        self.broker.publish(event)


def accounts_changed_event(user_ids: set[str] | None) -> dict[str, Any]:
    """The internal message asking every server process to re-check the sockets of ``user_ids``."""
    accounts = None if user_ids is None else sorted(user_ids)
    return {"id": uuid.uuid4().hex, "topic": "clapboard.server.accounts-changed", INTERNAL_KEY: {"accounts": accounts}}


def _subscriber(data: Any) -> Subscriber:
    if not isinstance(data, dict):
        raise SubscriptionError("ftrack.meta.subscribe needs data with 'subscriber' and 'subscription'.")
    metadata = data.get("subscriber")
    text = data.get("subscription")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("id"), str) or not metadata["id"]:
        raise SubscriptionError("ftrack.meta.subscribe needs data.subscriber with a string 'id'.")
    if not isinstance(text, str):
        raise SubscriptionError("ftrack.meta.subscribe needs data.subscription, an expression string.")
    try:
        if len(text) > MAX_SUBSCRIPTION_LENGTH:
            raise LimitExceededError(f"The subscription has {len(text):,} characters", "subscription length",
                                     MAX_SUBSCRIPTION_LENGTH)
        check_query_text(text, current(), "The subscription")
        parsed = expression.parse(text)
    except LimitExceededError as error:
        raise SubscriptionError(f"Invalid subscription: {error.message}") from None
    except expression.ParseError as error:
        raise SubscriptionError(f"Invalid subscription: {error.message}") from None
    return Subscriber(metadata["id"], dict(metadata), parsed, text)


def _subscriber_id(data: Any) -> str:
    subscriber = data.get("subscriber") if isinstance(data, dict) else None
    subscriber_id = subscriber.get("id") if isinstance(subscriber, dict) else None
    if not isinstance(subscriber_id, str):
        raise SubscriptionError("ftrack.meta.unsubscribe needs data.subscriber with a string 'id'.")
    return subscriber_id
