"""Lazy, paged query results and helpers to write query expressions."""

from __future__ import annotations

import collections.abc
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import display, exception
from .batching import make_siblings
from .codec import is_datetime
from .progress import ProgressOption, Reporter

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity
    from .session import Session

# A quoted string, or an offset/limit clause outside of quotes.
_CLAUSES = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\b(offset|limit)\s+(\d+)""", re.IGNORECASE
)


# A quoted string, or the start of an order by clause outside of quotes.
_ORDER_BY = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\border\s+by\b""", re.IGNORECASE)

# ``select <projections> from <Type><rest>``.
_SELECT = re.compile(r"\s*select\s+.+?\s+from\s+(\w+)(.*)$", re.IGNORECASE | re.DOTALL)


def without_order_by(expression: str) -> str:
    """Return *expression* without its ``order by`` clause (which runs to the end)."""
    for match in _ORDER_BY.finditer(expression):
        if match.group(1) is None:
            return expression[: match.start()].rstrip()
    return expression


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

        # The server stores naive UTC (with microseconds): compare in that form.
        value = arrow.get(value).to("utc").naive.isoformat()
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class QueryResult(collections.abc.Sequence):
    """Results from a query, fetched from the server on first access and by pages.

    A sequence: ``len()`` fetches every page and ``count(value)`` counts
    occurrences of *value* as for any sequence. :meth:`server_count` counts
    the matching rows on the server without loading them.
    """

    OFFSET_EXPRESSION = re.compile(r"(?P<offset>offset (?P<value>\d+))")
    LIMIT_EXPRESSION = re.compile(r"(?P<limit>limit (?P<value>\d+))")

    def __init__(
        self,
        session: Session,
        expression: str,
        page_size: int = 500,
        progress: ProgressOption = None,
        user_expression: str | None = None,
    ):
        """Initialise result set for *expression*, run through *session*.

        *page_size* is the most records fetched in one request; any offset or
        limit in *expression* is honoured for the final result set. A limit
        smaller than *page_size* is used as page size.

        *progress* reports the rows loaded, ``progress(loaded, total)``, after
        each page when the results take more than one page (the total is
        counted on the server then); True draws a bar, None (default) draws
        one in interactive sessions only (see :mod:`clapboard.progress`).

        *user_expression* is the text the user wrote, when *expression*
        completes it: the server points syntax errors into it.
        """
        super().__init__()
        self._session = session
        self._user_expression = user_expression
        self._expression, self._offset, self._limit = split_paging(expression)
        self._page_size = page_size
        if self._limit is not None and self._limit < page_size:
            self._page_size = self._limit
        self._results: list[Entity] = []
        self._next_offset: int | None = self._offset or 0
        self._fetched = False
        self._progress = progress
        self._reporter: Reporter | None = None
        self._total: int | None = None

    def __repr__(self) -> str:
        """Return the expression and how much is loaded; sends no request."""
        return f"<{type(self).__module__}.{type(self).__name__} ({self._expression!r}) {self._loaded_summary()}>"

    def _loaded_summary(self) -> str:
        loaded = len(self._results)
        if not self._fetched:
            return "not fetched yet"
        if self._can_fetch_more():
            return f"{loaded} loaded, more on the server"
        return f"all {loaded} loaded"

    def _first_page(self) -> None:
        if not self._fetched and self._can_fetch_more():
            self._fetch_more()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the expression, then the first loaded results one per line (IPython).

        Fetches the first page if nothing was fetched yet.
        """
        if cycle or display.nested(printer):
            printer.text(repr(self))
            return
        self._first_page()
        lines = [repr(self)]
        lines += [f"  {display.entity_summary(entity)}" for entity in self._results[: display.MAX_SHOWN]]
        hidden = len(self._results) - display.MAX_SHOWN
        if hidden > 0:
            lines.append(f"  … {hidden} more loaded")
        display.pretty_lines(printer, lines)

    def _repr_html_(self) -> str:
        """Return an HTML table of the loaded results (Jupyter); fetches the first page if needed."""
        self._first_page()
        return display.entities_html(self._results, f"{self._expression} — {self._loaded_summary()}")

    def server_count(self) -> int:
        """Return how many results the query has, counted by the server.

        One ``select count(...)`` request; no entity is loaded. Any offset and
        limit of the expression are honoured. (``count(value)``, as for every
        sequence, counts occurrences of *value* among the results.)
        """
        match = _SELECT.match(self._expression)
        if match is None:
            raise exception.ParseError(f"Cannot count the results of {self._expression!r}.")
        entity_type, rest = match.group(1), without_order_by(match.group(2))
        cls: Any = self._session.types.get(entity_type)
        key = (cls.primary_key_attributes or ["id"])[0] if cls is not None else "id"
        result = self._session.call(
            [{"action": "query", "expression": f"select count({key}) from {entity_type}{rest}"}]
        )[0]
        rows = result.get("data") or []
        count = int(rows[0].get(f"count_{key}") or 0) if rows else 0
        count = max(0, count - (self._offset or 0))
        return count if self._limit is None else min(count, self._limit)

    def _can_fetch_more(self) -> bool:
        if self._next_offset is None:
            return False
        return self._limit is None or len(self._results) < self._limit

    def _fetch_more(self) -> None:
        page_size = self._page_size
        if self._limit is not None:
            page_size = min(page_size, self._limit - len(self._results))
        expression = f"{self._expression} offset {self._next_offset} limit {page_size}"
        records, next_offset = self._session._query(expression, self._user_expression)
        make_siblings(records)
        self._results.extend(records)
        if self._limit is not None and len(self._results) >= self._limit:
            del self._results[self._limit :]
            next_offset = None
        if page_size == 0:
            next_offset = None
        self._next_offset = next_offset
        self._fetched = True
        self._report_paging()

    def _report_paging(self) -> None:
        """Report the rows loaded once the results take more than one page."""
        reporter = self._reporter
        if reporter is None:
            if not self._can_fetch_more():
                return
            reporter = self._reporter = Reporter(self._progress, "Fetching", unit="rows", leave=False)
            if reporter.active:
                try:
                    self._total = self.server_count()
                except exception.ServerError:
                    self._total = None
        if not reporter.active:
            return
        reporter(len(self._results), self._total)
        if not self._can_fetch_more():
            reporter.close()

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
        records, _ = self._session._query(f"{self._expression} limit 2", self._user_expression)
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
        records, _ = self._session._query(f"{expression} limit 1", self._user_expression)
        return records[0] if records else None
