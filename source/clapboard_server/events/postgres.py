"""A broker over PostgreSQL LISTEN/NOTIFY, for several server processes on one database.

Every process LISTENs on one channel with a dedicated connection in a background thread and
publishes with ``pg_notify`` from another connection. Every process, the publishing one included,
delivers events in the order its listener receives them. PostgreSQL delivers notifications in
the order their transactions committed, so all processes see all events in one order, and an
event published after another (by any process) is never delivered before it.

NOTIFY payloads must be shorter than 8000 bytes. An event whose notification would not fit is
written to the ``clapboard_event_payload`` table and the notification carries only the row id;
the insert and the NOTIFY share one transaction, so listeners (woken at commit) always find the
row. Rows are kept for ``payload_lifetime`` seconds, then removed by later large publications;
rows are never removed on read, because every process reads them. Events published while a
process's listener is reconnecting are missed by that process.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import psycopg
import sqlalchemy as sa

from .brokers import Broker, Deliver

log = logging.getLogger(__name__)

CHANNEL = "clapboard_events"
PAYLOAD_TABLE = "clapboard_event_payload"
#: Largest notification sent inline (PostgreSQL's limit is 8000 bytes, exclusive).
NOTIFY_LIMIT = 7900


def psycopg_url(url: str) -> str:
    """A libpq connection URL from a SQLAlchemy one (``postgresql+psycopg://`` and friends)."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def announce(url: str, event: dict[str, Any], channel: str = CHANNEL) -> None:
    """Deliver ``event`` to every server process listening on ``url``'s database (small events only)."""
    message = json.dumps({"e": event}, separators=(",", ":"))
    if len(message) > NOTIFY_LIMIT:
        raise ValueError("announce() sends small events only")
    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (channel, message))


class PostgresBroker(Broker):
    """Spreads events between all server processes using the same PostgreSQL database."""

    shared = True

    def __init__(self, url: str, channel: str = CHANNEL, poll_interval: float = 0.5,
                 payload_lifetime: float = 600.0) -> None:
        self.url = psycopg_url(url)
        self.channel = channel
        self.poll_interval = poll_interval
        self.payload_lifetime = payload_lifetime
        self._deliver: Deliver | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self._publisher: psycopg.Connection | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self, deliver: Deliver) -> None:
        """Create the payload table if needed and LISTEN (waits up to 10 s for the listener)."""
        self._deliver = deliver
        self._create_table()
        self._thread = threading.Thread(target=self._listen_forever, name="clapboard-events-listen", daemon=True)
        self._thread.start()
        if not self._listening.wait(10):
            log.warning("The event listener has not connected to PostgreSQL yet; it keeps trying.")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        self._deliver = None

    def _create_table(self) -> None:
        with psycopg.connect(self.url) as connection:  # one transaction, committed on exit
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (PAYLOAD_TABLE,))
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {PAYLOAD_TABLE} ("
                " id text PRIMARY KEY, payload text NOT NULL,"
                " created_at timestamptz NOT NULL DEFAULT now())"
            )

    # -- publishing ------------------------------------------------------------------------------

    def publish(self, event: dict[str, Any]) -> None:
        if self._deliver is None:
            return
        message = json.dumps({"e": event}, separators=(",", ":"))  # ASCII only
        for attempt in (1, 2):
            try:
                self._notify(message)
                return
            except psycopg.OperationalError as error:
                if self._publisher is not None:
                    self._publisher.close()
                self._publisher = None
                if attempt == 2:
                    log.error("Could not publish event %s to other server processes: %s", event.get("id"), error)
                    self._deliver(event)  # this process's subscribers still get it

    def _notify(self, message: str) -> None:
        if self._publisher is None or self._publisher.closed:
            self._publisher = psycopg.connect(self.url, autocommit=True)
        connection = self._publisher
        if len(message) <= NOTIFY_LIMIT:
            connection.execute("SELECT pg_notify(%s, %s)", (self.channel, message))
            return
        row_id = uuid.uuid4().hex
        with connection.transaction():
            connection.execute(
                f"DELETE FROM {PAYLOAD_TABLE} WHERE created_at < now() - make_interval(secs => %s)",
                (self.payload_lifetime,),
            )
            connection.execute(f"INSERT INTO {PAYLOAD_TABLE} (id, payload) VALUES (%s, %s)", (row_id, message))
            connection.execute("SELECT pg_notify(%s, %s)", (self.channel, json.dumps({"r": row_id})))

    # -- listening -------------------------------------------------------------------------------

    def _listen_forever(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                log.warning("Event listener lost its PostgreSQL connection (%s); reconnecting.", error)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)

    def _listen(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as listener, \
                psycopg.connect(self.url, autocommit=True) as reader:
            listener.execute(f'LISTEN "{self.channel}"')
            self._listening.set()
            while not self._stop.is_set():
                for notification in listener.notifies(timeout=self.poll_interval):
                    self._receive(reader, notification.payload)

    def _receive(self, reader: psycopg.Connection, payload: str) -> None:
        try:
            message = json.loads(payload)
            if "r" in message:
                row = reader.execute(f"SELECT payload FROM {PAYLOAD_TABLE} WHERE id = %s", (message["r"],)).fetchone()
                if row is None:
                    log.warning("Event payload %s expired before it was read.", message["r"])
                    return
                message = json.loads(row[0])
            event = message["e"]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("Ignoring a malformed notification on channel %s: %.200s", self.channel, payload)
            return
        deliver = self._deliver
        if deliver is not None:
            try:
                deliver(event)
            except Exception:
                log.exception("Delivering event %s failed", event.get("id") if isinstance(event, dict) else None)
