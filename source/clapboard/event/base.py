"""Events."""

from __future__ import annotations

import collections.abc
import uuid
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any


class Event(collections.abc.MutableMapping):
    """Represent a single event."""

    def __init__(
        self,
        topic: str,
        id: str | None = None,
        data: dict[str, Any] | None = None,
        sent: Any = None,
        source: dict[str, Any] | None = None,
        target: str = "",
        in_reply_to_event: str | None = None,
    ):
        """Initialise event.

        *topic* is the required topic; *data* the payload; *source* who sent
        it; *target* an expression selecting subscribers; *in_reply_to_event*
        the id of the event this one answers.
        """
        super().__init__()
        self._data: dict[str, Any] = {
            "topic": topic,
            "id": id if id is not None else uuid.uuid4().hex,
            "data": data if data is not None else {},
            "sent": sent,
            "source": source if source is not None else {},
            "target": target,
            "in_reply_to_event": in_reply_to_event,
        }
        self._stopped = False

    def stop(self) -> None:
        """Stop further processing of this event."""
        self._stopped = True

    def is_stopped(self) -> bool:
        """Return whether event has been stopped."""
        return self._stopped

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._data}>"

    def __str__(self) -> str:
        return repr(self)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # Faster than the mixin methods, which go through the methods above.

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of *key*, or *default*."""
        return self._data.get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return the value of *key*, setting it to *default* first if missing."""
        return self._data.setdefault(key, default)

    def keys(self) -> KeysView[str]:
        """Return the keys."""
        return self._data.keys()

    def items(self) -> ItemsView[str, Any]:
        """Return the items."""
        return self._data.items()

    def values(self) -> ValuesView[Any]:
        """Return the values."""
        return self._data.values()
