"""The event envelope: the seven keys ftrack clients accept, filled and checked by the server."""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from clapboard.event import expression

from .errors import EventError

#: The only keys an event may carry on the wire (the Python client drops events with others).
WIRE_KEYS = ("id", "topic", "data", "source", "target", "sent", "inReplyToEvent")


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
    view = dict(event)
    view["in_reply_to_event"] = event.get("inReplyToEvent")
    return view
