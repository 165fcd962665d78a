"""Logging helpers. Loggers are named ``clapboard.<module>``."""

from __future__ import annotations

import logging as _logging
from typing import Any


class LazyLogMessage:
    """A log message formatted only when emitted.

    Prefer logging's own lazy ``%`` arguments; this exists for code written
    for the ftrack client.
    """

    def __init__(self, message: str, *args: Any, **kwargs: Any):
        """Initialise with *message* format string and arguments."""
        self.message = message
        self.args = args
        self.kwargs = kwargs

    def __str__(self) -> str:
        return self.message.format(*self.args, **self.kwargs)


def get_logger(name: str) -> _logging.Logger:
    """Return the logger ``clapboard.<name>``."""
    return _logging.getLogger(name if name.startswith("clapboard") else f"clapboard.{name}")
