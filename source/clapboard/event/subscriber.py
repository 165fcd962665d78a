"""Subscribers: a callback with its subscription and metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .subscription import Subscription


class Subscriber:
    """Represent event subscriber."""

    def __init__(
        self,
        subscription: str,
        callback: Callable[[Any], Any],
        metadata: dict[str, Any] | None = None,
        priority: int = 100,
    ):
        """Initialise subscriber."""
        self.subscription = Subscription(subscription)
        self.callback = callback
        self.metadata = metadata or {}
        self.priority = priority

    def __str__(self) -> str:
        return f"<{type(self).__name__} metadata={self.metadata} subscription={self.subscription}>"

    def interested_in(self, event: Any) -> bool:
        """Return whether subscriber interested in *event*."""
        return self.subscription.includes(event)
