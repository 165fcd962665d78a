"""Subscriptions: which events a subscriber receives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Subscription:
    """Represent a subscription: an expression events are matched against."""

    def __init__(self, subscription: str):
        """Initialise with *subscription* expression."""
        from . import expression  # the parser loads on first use, keeping imports light

        self._subscription = subscription
        self._expression = expression.parse(subscription)

    def __str__(self) -> str:
        return self._subscription

    def includes(self, event: Mapping[str, Any]) -> bool:
        """Return whether subscription includes *event*."""
        return self._expression.match(event)
