"""Where action handlers register themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HANDLERS: dict[str, Callable[..., Any]] = {}
WRITE_ACTIONS = set()


def action(name: str, writes: bool = False) -> Callable:
    """Register the decorated function as the handler of action ``name``."""
    def decorator(function: Callable) -> Callable:
        HANDLERS[name] = function
        if writes:
            WRITE_ACTIONS.add(name)
        return function
    return decorator
