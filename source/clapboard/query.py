"""Lazy, paged query results and helpers to write query expressions."""

from __future__ import annotations

import collections.abc
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import exception
from .batching import make_siblings
from .codec import is_datetime

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity
    from .session import Session

# A quoted string, or an offset/limit clause outside of quotes.
_CLAUSES = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\b(offset|limit)\s+(\d+)""", re.IGNORECASE
)


def split_paging(expression: str) -> tuple[str, int | None, int | None]:
    """Return *expression* without its first ``offset N`` and ``limit N``, and both values."""
    found = {}
    pieces = []
    position = 0
    for match in _CLAUSES.finditer(expression):
        keyword = (match.group(2) or "").lower()
        if not keyword or keyword in found:
            continue
        found[keyword] = int(match.group(3))
        pieces.append(expression[position : match.start()])
        position = match.end()
    pieces.append(expression[position:])
    stripped = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return stripped, found.get("offset"), found.get("limit")


def quote(value: Any) -> str:
    """Return *value* as a literal of the query language."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    if is_datetime(value):
        import arrow  # imported on first use: see clapboard.codec

        # The server stores neither microseconds nor time zones: compare naive UTC.
        value = arrow.get(value).to("utc").naive.replace(microsecond=0).isoformat()
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class QueryResult(collections.abc.Sequence):
    """Results from a query, fetched from the server on first access and by pages."""

    OFFSET_EXPRESSION = re.compile(r"(?P<offset>offset (?P<value>\d+))")
    LIMIT_EXPRESSION = re.compile(r"(?P<limit>limit (?P<value>\d+))")

    def __init__(self, session: Session, expression: str, page_size: int = 500):
        """Initialise result set for *expression*, run through *session*.

        *page_size* is the most records fetched in one request; any offset or
        limit in *expression* is honoured for the final result set. A limit
        smaller than *page_size* is used as page size.
        """
        super().__init__()
        self._session = session
        self._expression, self._offset, self._limit = split_paging(expression)
        self._page_size = page_size
        if self._limit is not None and self._limit < page_size:
            self._page_size = self._limit
        self._results: list[Entity] = []
        self._next_offset: int | None = self._offset or 0

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} ({self._expression!r})>"

    def _can_fetch_more(self) -> bool:
        if self._next_offset is None:
            return False
        return self._limit is None or len(self._results) < self._limit

    def _fetch_more(self) -> None:
        page_size = self._page_size
        if self._limit is not None:
            page_size = min(page_size, self._limit - len(self._results))
        expression = f"{self._expression} offset {self._next_offset} limit {page_size}"
        records, next_offset = self._session._query(expression)
        make_siblings(records)
        self._results.extend(records)
        if self._limit is not None and len(self._results) >= self._limit:
            del self._results[self._limit :]
            next_offset = None
        if page_size == 0:
            next_offset = None
        self._next_offset = next_offset

    def _fetch_all(self) -> None:
        while self._can_fetch_more():
            self._fetch_more()

    def __getitem__(self, index: Any) -> Any:
        self._fetch_all()
        return self._results[index]

    def __len__(self) -> int:
        self._fetch_all()
        return len(self._results)

    def __iter__(self) -> Iterator[Entity]:
        index = 0
        while True:
            while index < len(self._results):
                yield self._results[index]
                index += 1
            if not self._can_fetch_more():
                return
            self._fetch_more()

    def all(self) -> list[Entity]:
        """Fetch and return all data."""
        self._fetch_all()
        return list(self._results)

    def one(self) -> Entity:
        """Return exactly one single result from query by applying a limit.

        Raise :exc:`ValueError` if the expression has a limit or an offset;
        :exc:`~clapboard.exception.MultipleResultsFoundError` if more than one
        result was available, :exc:`~clapboard.exception.NoResultFoundError`
        if none.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")
        if self._offset is not None:
            raise ValueError("Expression contains an offset clause which does not make sense when selecting a single item.")
        records, _ = self._session._query(f"{self._expression} limit 2")
        if not records:
            raise exception.NoResultFoundError()
        if len(records) > 1:
            raise exception.MultipleResultsFoundError()
        return records[0]

    def first(self) -> Entity | None:
        """Return first matching result from query by applying a limit, or None.

        Raise :exc:`ValueError` if the expression has a limit.
        """
        if self._limit is not None:
            raise ValueError("Expression already contains a limit clause.")
        expression = self._expression
        if self._offset:
            expression += f" offset {self._offset}"
        records, _ = self._session._query(f"{expression} limit 1")
        return records[0] if records else None
