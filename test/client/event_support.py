"""Helpers of the event tests: waiting on conditions, never on sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 15.0


def wait_for(hubs: Any, predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "the condition") -> Any:
    """Handle the events of *hubs* (one hub or several) until *predicate* returns something true.

    Return what it returned; fail after *timeout* seconds.
    """
    hubs = hubs if isinstance(hubs, (list, tuple)) else [hubs]

    def pump() -> None:
        for hub in hubs:
            hub.wait(0.01 / len(hubs))

    return _poll(predicate, pump, timeout, what)


def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "the condition") -> Any:
    """Check *predicate* every 10 ms until it returns something true; return it."""
    return _poll(predicate, lambda: time.sleep(0.01), timeout, what)


def _poll(predicate: Callable[[], Any], pause: Callable[[], None], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        pause()
