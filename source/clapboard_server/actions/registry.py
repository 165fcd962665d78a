"""Where action handlers register themselves."""

from __future__ import annotations

from typing import Any, Callable, Dict

HANDLERS: Dict[str, Callable[..., Any]] = {}
WRITE_ACTIONS = set()


def action(name: str, writes: bool = False) -> Callable:
    """Register the decorated function as the handler of action ``name``."""
    def decorator(function: Callable) -> Callable:
        HANDLERS[name] = function
        if writes:
            WRITE_ACTIONS.add(name)
        return function
    return decorator
