"""The event hub: subscribe callbacks to topics and publish events.

This hub dispatches locally and synchronously; connecting to the server's
event endpoint is not available yet.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from .. import exception
from .base import Event
from .subscriber import Subscriber
from .subscription import Subscription

logger = logging.getLogger("clapboard.event.hub")


class EventHub:
    """Manage routing of events."""

    def __init__(self, server_url: str, api_user: str, api_key: str):
        """Initialise hub for the server at *server_url* with credentials."""
        self.id = uuid.uuid4().hex
        self.server_url = server_url
        self._api_user = api_user
        self._api_key = api_key
        self._subscribers: list[Subscriber] = []
        self._connected = False

    @property
    def connected(self) -> bool:
        """Return whether the hub is connected to the event server."""
        return self._connected

    def get_server_url(self) -> str:
        """Return URL to server."""
        return self.server_url

    def connect(self) -> None:
        """Connect to the event server (not available yet)."""
        raise exception.EventHubConnectionError(
            "Connecting to the event server is not available yet; local events work."
        )

    def disconnect(self, unsubscribe: bool = True) -> None:
        """Disconnect from the event server, forgetting subscribers if *unsubscribe*."""
        self._connected = False
        if unsubscribe:
            self._subscribers = []

    def wait(self, duration: float | None = None) -> None:
        """Wait for events for *duration* seconds (local events are dispatched at once)."""
        if duration:
            time.sleep(duration)

    def subscribe(
        self,
        subscription: str,
        callback: Callable[[Event], Any],
        subscriber: dict[str, Any] | None = None,
        priority: int = 100,
    ) -> str:
        """Register *callback* for events matching *subscription*; return subscriber id.

        Lower *priority* values are called first.
        """
        metadata = dict(subscriber or {})
        metadata.setdefault("id", uuid.uuid4().hex)
        if self.get_subscriber_by_identifier(metadata["id"]) is not None:
            raise exception.NotUniqueError(f"Subscriber with identifier {metadata['id']} already exists.")
        self._subscribers.append(Subscriber(subscription, callback, metadata, priority))
        self._subscribers.sort(key=lambda item: item.priority)
        return metadata["id"]

    def get_subscriber_by_identifier(self, identifier: str) -> Subscriber | None:
        """Return subscriber with matching *identifier*, or None."""
        for subscriber in self._subscribers:
            if subscriber.metadata.get("id") == identifier:
                return subscriber
        return None

    def unsubscribe(self, subscriber_identifier: str) -> None:
        """Unsubscribe subscriber with *subscriber_identifier*."""
        subscriber = self.get_subscriber_by_identifier(subscriber_identifier)
        if subscriber is None:
            raise exception.NotFoundError(f"Cannot unsubscribe missing subscriber {subscriber_identifier}.")
        self._subscribers.remove(subscriber)

    def publish(
        self,
        event: Event,
        synchronous: bool = False,
        on_reply: Callable[[Event], Any] | None = None,
        on_error: str = "raise",
    ) -> list[Any] | None:
        """Publish *event*; when *synchronous*, return the handlers' results.

        Handlers run locally, in priority order, until one stops the event.
        A handler's non-None result is passed to *on_reply* as a reply event.
        """
        event.setdefault("source", {}).setdefault("id", self.id)
        results = self._handle(event, on_error)
        if on_reply is not None:
            for result in results:
                if result is not None:
                    on_reply(Event("ftrack.meta.reply", data=result, in_reply_to_event=event["id"]))
        return results if synchronous else None

    def _handle(self, event: Event, on_error: str) -> list[Any]:
        results = []
        target = event.get("target") or ""
        target_subscription = Subscription(target) if target else None
        for subscriber in list(self._subscribers):
            if event.is_stopped():
                break
            if not subscriber.interested_in(event):
                continue
            if target_subscription is not None and not target_subscription.includes(subscriber.metadata):
                continue
            try:
                results.append(subscriber.callback(event))
            except Exception:
                if on_error == "raise":
                    raise
                logger.exception("Error calling subscriber %s for event %s.", subscriber, event)
        return results
