"""The event envelope: the seven keys ftrack clients accept, filled and checked by the server."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from clapboard.event import expression

from .errors import EventError

#: The only keys an event may carry on the wire (the Python client drops events with others).
WIRE_KEYS = ("id", "topic", "data", "source", "target", "sent", "inReplyToEvent")
#: Key the server adds (between its processes only) naming the connection that published an event.
PUBLISHER_KEY = "_publisher"
#: The ``ftrack.*`` topics clients may publish; the others are the server's own.
CLIENT_FTRACK_TOPICS = frozenset({
    "ftrack.meta.reply",
    "ftrack.location.component-added",
    "ftrack.location.component-removed",
    "ftrack.action.discover",
    "ftrack.action.launch",
})
#: ``source.applicationId`` of the events the server publishes.
SERVER_APPLICATION_ID = "clapboard.server"
#: Prefix of ``source.id`` of the events the server publishes.
SERVER_SOURCE_PREFIX = "clapboard-server-"


class EnvelopeError(EventError):
    """An event object the hub cannot accept."""


def normalise(raw: Any) -> dict[str, Any]:
    """A wire event built from ``raw``: missing keys filled, extra keys dropped, types checked.

    ``in_reply_to_event`` (the Python client's internal name) is accepted for ``inReplyToEvent``.
    """
    if not isinstance(raw, dict):
        raise EnvelopeError(f"An event must be a JSON object, not {type(raw).__name__}.")
    topic = raw.get("topic")
    if not isinstance(topic, str) or not topic:
        raise EnvelopeError("An event needs a non-empty string 'topic'.")
    source = raw.get("source") or {}
    if not isinstance(source, dict):
        raise EnvelopeError("An event's 'source' must be an object.")
    target = raw.get("target") or ""
    if not isinstance(target, str):
        raise EnvelopeError("An event's 'target' must be an expression string.")
    if target.strip():
        try:
            expression.parse(target)
        except expression.ParseError as error:
            raise EnvelopeError(f"Invalid target: {error.message}") from None
    reply_to = raw.get("inReplyToEvent", raw.get("in_reply_to_event"))
    event_id = raw.get("id")
    return {
        "id": str(event_id) if event_id not in (None, "") else uuid.uuid4().hex,
        "topic": topic,
        "data": raw.get("data", {}),
        "source": source,
        "target": target,
        "sent": raw.get("sent"),
        "inReplyToEvent": str(reply_to) if reply_to not in (None, "") else None,
    }


def check_client_event(event: dict[str, Any]) -> None:
    """Refuse an event a client may not publish: a server topic, or the server as its source."""
    topic = event["topic"]
    if topic.startswith("ftrack.") and topic not in CLIENT_FTRACK_TOPICS:
        raise EnvelopeError(f"Only the server publishes {topic!r}: ftrack.* topics are reserved "
                            f"(clients may publish {', '.join(sorted(CLIENT_FTRACK_TOPICS))}).")
    source = event["source"]
    source_id = source.get("id")
    if source.get("applicationId") == SERVER_APPLICATION_ID or (
            isinstance(source_id, str) and source_id.startswith(SERVER_SOURCE_PREFIX)):
        raise EnvelopeError("An event's source may not claim to be the server.")


def wire(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with only the keys sent to clients (without the server's own)."""
    return {key: event[key] for key in WIRE_KEYS if key in event}


def stamp(event: dict[str, Any], user_id: str | None, username: str | None) -> dict[str, Any]:
    """Fill ``sent`` and set ``source.user`` to the authenticated user (no impersonation)."""
    if event.get("sent") is None:
        event["sent"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    if username is not None:
        source = dict(event.get("source") or {})
        user = dict(source.get("user") or {}) if isinstance(source.get("user"), dict) else {}
        user["username"] = username
        if user_id is not None:
            user["id"] = user_id
        source["user"] = user
        event["source"] = source
    return event


def candidate(event: dict[str, Any]) -> dict[str, Any]:
    """What subscriptions are matched against: the event, also under the client's key names."""
    view = wire(event)
    view["in_reply_to_event"] = event.get("inReplyToEvent")
    return view
