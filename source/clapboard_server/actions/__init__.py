"""The ``/api`` actions: one handler per action name, run in order inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidActionError, ValidationError
from . import files, jobs, media, read, write  # noqa: F401  (registers handlers)
from .context import CallContext
from .registry import HANDLERS, WRITE_ACTIONS


def run(context: CallContext, operation: Any) -> Any:
    """Run one operation of a batch and return its result element."""
    if not isinstance(operation, dict):
        raise ValidationError(
            f"Each operation must be an object with an 'action', not {type(operation).__name__}."
        )
    action = operation.get("action")
    if not isinstance(action, str):
        raise ValidationError(f"An operation's 'action' must be a string, not {type(action).__name__}.")
    handler: Callable[[CallContext, dict[str, Any]], Any] = HANDLERS.get(action)
    if handler is None:
        raise InvalidActionError(action)
    return handler(context, operation)


__all__ = ["HANDLERS", "WRITE_ACTIONS", "CallContext", "ValidationError", "run"]
