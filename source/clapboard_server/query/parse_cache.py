"""A least-recently-used cache of parsed queries, bounded by an estimate of their memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

#: The type of the cached values (what ``parse`` returns).
T = TypeVar("T")

#: Memory of a parsed query per character of its text, measured on typical and long queries
#: (long ``or`` chains cost about 27 bytes a character), plus a fixed cost per entry.
BYTES_PER_CHARACTER = 32
BYTES_PER_ENTRY = 2048


def estimated_bytes(text: str) -> int:
    return BYTES_PER_CHARACTER * len(text) + BYTES_PER_ENTRY


class ParseCache(Generic[T]):
    """``cache.get(text, parse)``: ``parse(text)``, remembered while the budget allows.

    An entry larger than a quarter of the budget is never kept, so one huge query cannot
    flush the cache. Thread-safe; ``parse`` runs outside the lock. ``key`` (default: the
    text) and ``cost`` (default: :func:`estimated_bytes` of the text) let other values of a
    text share the same budget rules.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max_bytes
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def peek(self, key: Hashable) -> T | None:
        """The value kept for ``key``, or None (nothing is parsed)."""
        entry = self._used(key)
        return None if entry is None else entry[0]

    def get(self, text: str, parse: Callable[[str], T], key: Hashable = None, cost: int | None = None) -> T:
        key = text if key is None else key
        entry = self._used(key)
        if entry is not None:
            return entry[0]
        value = parse(text)
        cost = estimated_bytes(text) if cost is None else cost
        if cost * 4 <= self.max_bytes:
            with self._lock:
                if key not in self._entries:
                    self._entries[key] = (value, cost)
                    self.bytes += cost
                    self._evict()
        return value

    def _used(self, key: Hashable) -> tuple[T, int] | None:
        """The entry of ``key``, marked as the most recently used; None when there is none."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, (_, cost) = self._entries.popitem(last=False)
            self.bytes -= cost
