"""Inserts, updates and deletes of one batch, held back and sent per statement with ``executemany``.

A batch of creates would otherwise send one ``INSERT`` per row (and build one statement per
row), a status change of 10,000 tasks one ``UPDATE`` per row. :class:`BufferedConnection`
wraps the batch's connection: :meth:`~BufferedConnection.add` queues a row to insert,
:meth:`~BufferedConnection.update` a prebuilt ``UPDATE`` by key, :meth:`~BufferedConnection.delete`
a prebuilt ``DELETE`` by key. Anything that runs SQL through the wrapper (a read, another
statement, the end of the batch) first flushes the queue: one ``executemany`` per table (inserts)
or per statement and set of columns (updates and deletes). So every statement still sees every
write queued before it, exactly as with immediate writes.

Writes of one kind are sent before writes of another kind are queued, and an update of a row
already waiting in another group of updates sends the queued updates first: the database sees
the writes in the batch's order wherever the order could matter.

Queued parameters go to the driver's ``executemany`` as they are, through statements compiled
once (:class:`DriverStatement`): SQLAlchemy's per-row parameter processing cost as much as
SQLite storing the rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

#: Called with the failed flush's error and the names of the entity types it held.
OnConflict = Callable[[sa.exc.IntegrityError, list[str]], Exception]
#: Called with the error of a failed update flush; returns the error to raise.
OnUpdateConflict = Callable[[sa.exc.IntegrityError], Exception]


class BufferedConnection:
    """A connection whose inserts, updates and deletes wait until the next statement (or :meth:`flush`)."""

    def __init__(self, connection: sa.Connection, on_conflict: OnConflict) -> None:
        self.wrapped = connection
        self._on_conflict = on_conflict
        #: Table name -> (table, rows, entity type names), in order of first insert.
        self._queued: dict[str, tuple[sa.Table, list[dict[str, Any]], list[str]]] = {}
        #: (prebuilt UPDATE, columns set) -> (parameters of each queued row, what a conflict raises).
        self._updates: dict[tuple[Any, tuple[str, ...]], tuple[list[dict[str, Any]], OnUpdateConflict]] = {}
        #: Identity of each row with a queued update -> its group in ``_updates``.
        self._updated: dict[Any, tuple[Any, tuple[str, ...]]] = {}
        #: Prebuilt DELETE statement -> parameters of each queued run. Deletes commute with each
        #: other, so they are grouped per statement.
        self._deletes: dict[Any, list[dict[str, Any]]] = {}
        #: Called before a statement that may change rows other than through the queues runs.
        self.on_change: Callable[[], None] | None = None

    # -- queueing ----------------------------------------------------------------------------------

    def add(self, table: sa.Table, values: dict[str, Any], type_name: str) -> None:
        """Queue one row of ``table`` (columns it lacks are NULL, as in a single insert)."""
        if self._deletes or self._updates:
            self._send_updates_and_deletes()
        queued = self._queued.get(table.name)
        if queued is None:
            queued = self._queued[table.name] = (table, [], [])
        queued[1].append(dict(values))  # as it is now: the caller may change it later
        queued[2].append(type_name)

    def add_many(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Queue rows of ``table`` (ancestry links)."""
        if self._deletes or self._updates:
            self._send_updates_and_deletes()
        queued = self._queued.get(table.name)
        if queued is None:
            queued = self._queued[table.name] = (table, [], [])
        queued[1].extend(rows)
        queued[2].extend([table.name] * len(rows))

    def update(self, statement: sa.Update, parameters: dict[str, Any], row: Any, on_conflict: OnUpdateConflict) -> None:
        """Queue a prebuilt UPDATE of the row identified by ``row`` (its result is not needed).

        ``parameters`` name the columns to set and the key; ``on_conflict`` makes the error
        raised when the database refuses the new values.
        """
        if self._queued:
            self._send_inserts()
        if self._deletes:
            self._send_deletes()
        group = (statement, tuple(sorted(parameters)))
        earlier = self._updated.get(row)
        if earlier is not None and earlier != group:
            self._send_updates()
        queued = self._updates.get(group)
        if queued is None:
            queued = self._updates[group] = ([], on_conflict)
        queued[0].append(parameters)
        self._updated[row] = group

    def delete(self, statement: sa.Delete, parameters: dict[str, Any]) -> None:
        """Queue a prebuilt DELETE (its result is not needed)."""
        if self._queued:
            self._send_inserts()
        if self._updates:
            self._send_updates()
        if self.on_change is not None:
            self.on_change()
        self._deletes.setdefault(statement, []).append(parameters)

    # -- sending -----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send every queued statement (only one kind is ever queued at a time)."""
        self._send_inserts()
        self._send_updates_and_deletes()

    def _send_updates_and_deletes(self) -> None:
        self._send_updates()
        self._send_deletes()

    def _send_inserts(self) -> None:
        while self._queued:
            name = next(iter(self._queued))
            table, rows, type_names = self._queued.pop(name)
            try:
                DriverStatement.insert(table, self.wrapped.dialect).run(self.wrapped, rows)
            except sa.exc.IntegrityError as error:
                self._queued.clear()
                raise self._on_conflict(error, list(dict.fromkeys(type_names))) from None

    def _send_updates(self) -> None:
        self._updated.clear()
        while self._updates:
            group = next(iter(self._updates))
            rows, on_conflict = self._updates.pop(group)
            try:
                DriverStatement.of(group[0], group[1], self.wrapped.dialect).run(self.wrapped, rows)
            except sa.exc.IntegrityError as error:
                self._updates.clear()
                raise on_conflict(error) from None

    def _send_deletes(self) -> None:
        while self._deletes:
            statement = next(iter(self._deletes))
            rows = self._deletes.pop(statement)
            DriverStatement.of(statement, tuple(rows[0]), self.wrapped.dialect).run(self.wrapped, rows)

    # -- the connection's own methods --------------------------------------------------------------

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        self._changing(statement)
        return self.wrapped.execute(statement, *args, **kwargs)

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        self._changing(statement)
        return self.wrapped.scalar(statement, *args, **kwargs)

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        self._changing(statement)
        return self.wrapped.scalars(statement, *args, **kwargs)

    def exec_driver_sql(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        self._changing(None)
        return self.wrapped.exec_driver_sql(statement, *args, **kwargs)

    def _changing(self, statement: Any) -> None:
        """Tell :attr:`on_change` about a statement that is not a plain SELECT."""
        if self.on_change is not None and not isinstance(statement, sa.Select):
            self.on_change()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


#: Compiled statements: statement -> (parameter names, dialect name) -> driver statement.
_COMPILED: weakref.WeakKeyDictionary[Any, dict[tuple[tuple[str, ...], str], DriverStatement]] = \
    weakref.WeakKeyDictionary()


class DriverStatement:
    """A statement compiled once per set of parameter names, run with the driver's ``executemany``.

    Each parameter set is a mapping of bind names (column keys for an ``INSERT`` or an
    ``UPDATE``'s new values); a name it lacks is NULL. Values go through the binds' processors
    (SQLite's text datetimes, ...), as SQLAlchemy's own ``executemany`` would send them, without
    its per-row processing. A statement whose binds are not plainly its parameters' names is
    left to SQLAlchemy.
    """

    @classmethod
    def of(cls, statement: Any, names: tuple[str, ...], dialect: sa.Dialect) -> DriverStatement:
        """``statement`` run with parameters named ``names``, compiled for ``dialect`` on first use."""
        by_names = _COMPILED.get(statement)
        if by_names is None:
            by_names = _COMPILED[statement] = {}
        compiled = by_names.get((names, dialect.name))
        if compiled is None:
            compiled = by_names[(names, dialect.name)] = cls(statement, names, dialect)
        return compiled

    @classmethod
    def insert(cls, table: sa.Table, dialect: sa.Dialect) -> DriverStatement:
        """An ``INSERT`` of every column of ``table``."""
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS[table] = table.insert()
        return cls.of(statement, tuple(column.key for column in table.columns), dialect)

    def __init__(self, statement: Any, names: tuple[str, ...], dialect: sa.Dialect) -> None:
        self.statement = statement
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.positional = dialect.positional
        #: Bind names, in the order the driver takes them for positional styles (repeats included).
        self.keys = list(compiled.positiontup) if self.positional else list(compiled.binds)
        plain = not compiled.escaped_bind_names and set(self.keys) <= set(names)
        self.sql = str(compiled) if plain else None
        self.processors = []
        for index, key in enumerate(self.keys):
            processor = compiled.binds[key].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((index, processor))

    def run(self, connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
        if self.sql is None:
            connection.execute(self.statement, rows)
            return
        keys, processors = self.keys, self.processors
        parameters: list[Any] = []
        # A processor's last value and result: a batch's rows share many values (the batch's
        # time, defaults), which are converted once. None is NULL for every processor.
        last: list[tuple[Any, Any]] = [(None, None)] * len(processors)
        for row in rows:
            values = list(map(row.get, keys))
            for slot, (index, processor) in enumerate(processors):
                value = values[index]
                if value is None:
                    continue
                seen, converted = last[slot]
                if seen is not value:
                    converted = processor(value)
                    last[slot] = (value, converted)
                values[index] = converted
            parameters.append(tuple(values) if self.positional else dict(zip(keys, values)))
        connection.exec_driver_sql(self.sql, parameters)


#: The ``INSERT`` of every column, per table.
_INSERTS: weakref.WeakKeyDictionary[sa.Table, sa.Insert] = weakref.WeakKeyDictionary()
