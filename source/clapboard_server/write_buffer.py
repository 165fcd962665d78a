"""Inserts and deletes of one batch, held back and sent per statement with ``executemany``.

A batch of creates would otherwise send one ``INSERT`` per row (and build one statement per
row). :class:`BufferedConnection` wraps the batch's connection: :meth:`add` queues a row, and
anything that runs SQL through the wrapper (a read, an update, a delete, the end of the batch)
first flushes the queue, one prebuilt ``INSERT`` per table with every row's parameters. So
every statement still sees every row inserted before it, exactly as with immediate inserts.
Prebuilt deletes by key (a cascade's rows, links and ancestry) are queued the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

#: Called with the failed flush's error and the names of the entity types it held.
OnConflict = Callable[[sa.exc.IntegrityError, list[str]], Exception]


class BufferedConnection:
    """A connection whose inserts wait until the next statement (or :meth:`flush`)."""

    def __init__(self, connection: sa.Connection, on_conflict: OnConflict) -> None:
        self.wrapped = connection
        self._on_conflict = on_conflict
        #: Table name -> (table, rows, entity type names), in order of first insert.
        self._queued: dict[str, tuple[sa.Table, list[dict[str, Any]], list[str]]] = {}
        self._statements: dict[str, sa.Insert] = {}
        #: Prebuilt DELETE statement -> parameters of each queued run. Deletes commute with each
        #: other, so they are grouped per statement; inserts are sent before any delete is queued.
        self._deletes: dict[Any, list[dict[str, Any]]] = {}

    def delete(self, statement: sa.Delete, parameters: dict[str, Any]) -> None:
        """Queue a prebuilt DELETE (its result is not needed)."""
        if self._queued:
            self._send_inserts()
        self._deletes.setdefault(statement, []).append(parameters)

    def _send_deletes(self) -> None:
        while self._deletes:
            statement = next(iter(self._deletes))
            self.wrapped.execute(statement, self._deletes.pop(statement))

    def add(self, table: sa.Table, values: dict[str, Any], type_name: str) -> None:
        """Queue one row of ``table`` (columns it lacks are NULL, as in a single insert)."""
        if self._deletes:
            self._send_deletes()
        queued = self._queued.get(table.name)
        if queued is None:
            queued = self._queued[table.name] = (table, [], [])
        queued[1].append({column.key: values.get(column.key) for column in table.columns})
        queued[2].append(type_name)

    def add_many(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Queue rows that name every column of ``table`` (ancestry links)."""
        if self._deletes:
            self._send_deletes()
        queued = self._queued.get(table.name)
        if queued is None:
            queued = self._queued[table.name] = (table, [], [])
        queued[1].extend(rows)
        queued[2].extend([table.name] * len(rows))

    def flush(self) -> None:
        """Send every queued statement."""
        self._send_inserts()
        self._send_deletes()

    def _send_inserts(self) -> None:
        while self._queued:
            name = next(iter(self._queued))
            table, rows, type_names = self._queued.pop(name)
            statement = self._statements.get(name)
            if statement is None:
                statement = self._statements[name] = table.insert()
            try:
                self.wrapped.execute(statement, rows)
            except sa.exc.IntegrityError as error:
                self._queued.clear()
                raise self._on_conflict(error, list(dict.fromkeys(type_names))) from None

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.wrapped.execute(statement, *args, **kwargs)

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.wrapped.scalar(statement, *args, **kwargs)

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.wrapped.scalars(statement, *args, **kwargs)

    def exec_driver_sql(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.wrapped.exec_driver_sql(statement, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
