"""Subscriptions: which events a subscriber receives."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .expression import Expression

_CONDITION = re.compile(r"([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\s*(!=|>=|<=|=|>|<)\s*([^\s()'\"=!<>]+)")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_KEYWORDS = frozenset({"and", "or", "not"})


@functools.lru_cache(maxsize=2048)
def parse(text: str) -> Expression:
    """Return the :class:`~clapboard.event.expression.Expression` of *text*.

    Conditions joined by ``and`` (the usual ``topic=...``) are built directly; anything
    else goes through the full parser, whose grammar takes a while to build: session
    start-up and simple subscriptions never pay for it.
    """
    from . import expression

    parts = _AND.split(text.strip())
    conditions = []
    for part in parts:
        match = _CONDITION.fullmatch(part)
        if match is None or match[1].lower() in _KEYWORDS or match[3].lower() in _KEYWORDS:
            return expression.parse(text)
        conditions.append(expression.Condition(match[1], match[2], match[3]))
    return conditions[0] if len(conditions) == 1 else expression.All(conditions)


class Subscription:
    """Represent a subscription: an expression events are matched against."""

    def __init__(self, subscription: str) -> None:
        """Initialise with *subscription* expression; raise a parse error when it is invalid."""
        self._subscription = subscription
        self._expression = parse(subscription)

    def __str__(self) -> str:
        return self._subscription

    def includes(self, event: Mapping[str, Any]) -> bool:
        """Return whether subscription includes *event*."""
        return self._expression.match(event)
