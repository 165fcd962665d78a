"""A SELECT compiled once for one database and run on the driver's cursor.

SQLAlchemy spends longer preparing a small statement's execution (its cache key, an
execution context, a result object) than SQLite or PostgreSQL spend answering it. A
:class:`CompiledSelect` does that work once: its SQL text, the order of its parameters, their
conversions to the driver's form and the conversions of its result columns are kept, and each
run is one ``cursor.execute`` in the caller's transaction.

Parameters whose value is a *stand-in* (a unique string given to the constructor) take the
value of the same position in the list passed to :meth:`rows`; every other parameter keeps the
value it had when the statement was built.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

#: One parameter: (name, source, constant value, conversion); the source is the index of its value
#: in a run's list, a function computing it at each run (``bindparam(callable_=...)``: the time
#: now), or None for a constant.
_Parameter = tuple[str, "int | Callable[[], Any] | None", Any, "Callable[[Any], Any] | None"]


class CompiledSelect:
    """``statement`` compiled for ``dialect``, with ``stand_ins`` (value -> position) to bind per run."""

    def __init__(self, statement: sa.Select, dialect: sa.Dialect, stand_ins: Mapping[str, int] | None = None) -> None:
        stand_ins = stand_ins or {}
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.statement = statement
        self.sql = str(compiled)
        self._dialect = dialect
        values = compiled.construct_params()
        names = compiled.positiontup if dialect.positional else list(values)
        processors = compiled._bind_processors
        parameters: list[_Parameter] = []
        for name in names:
            value = values[name]
            processor = processors.get(name)
            bind = compiled.binds.get(name)
            if bind is not None and bind.callable is not None:
                parameters.append((name, bind.callable, None, processor))
            elif type(value) is str and value in stand_ins:
                parameters.append((name, stand_ins[value], None, processor))
            else:
                parameters.append((name, None, value if processor is None else processor(value), None))
        #: The parameters in order (see ``_Parameter``).
        self.parameters = parameters
        self._positional = bool(dialect.positional)
        #: The constant parameters in the driver's form, for runs without values.
        self._constant = self._bind(()) if all(p[1] is None for p in parameters) else None
        self._types = [column[3] for column in compiled._result_columns]
        self._converters: list[tuple[int, Callable[[Any], Any]]] | None = None
        self._error = dialect.loaded_dbapi.Error

    def _bind(self, values: Any) -> Any:
        bound = []
        for _, source, constant, processor in self.parameters:
            if source is None:
                bound.append(constant)
                continue
            value = values[source] if type(source) is int else source()
            bound.append(value if processor is None else processor(value))
        if self._positional:
            return tuple(bound)
        return {parameter[0]: value for parameter, value in zip(self.parameters, bound)}

    def rows(self, connection: sa.Connection, values: Any = ()) -> list[Any]:
        """The rows of one run on ``connection`` (inside its transaction), values converted as
        SQLAlchemy converts them.

        A connection holding back writes (:class:`~clapboard_server.write_buffer.BufferedConnection`)
        sends them first, so the statement sees them.
        """
        parameters = self.parameters_of(values)
        if type(connection) is not sa.Connection:
            connection.flush()
            connection = connection.wrapped
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(self.sql, parameters)
            return self.converted(cursor.fetchall(), cursor)
        except self._error as error:
            raise sa.exc.DBAPIError.instance(self.sql, parameters, error, self._error) from error
        finally:
            cursor.close()

    def parameters_of(self, values: Any) -> Any:
        """The driver's parameters for a run with ``values``."""
        return self._constant if self._constant is not None else self._bind(values)

    def converted(self, rows: list[Any], cursor: Any) -> list[Any]:
        """``rows`` fetched from ``cursor`` with their columns converted as SQLAlchemy converts
        them (the cursor's description, costly on psycopg, is read on the first run only)."""
        converters = self._converters
        if converters is None:
            converters = self._converters = self._result_converters(cursor.description)
        if converters:
            rows = [_converted(row, converters) for row in rows]
        return rows

    def _result_converters(self, description: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        converters = []
        for index, (kind, column) in enumerate(zip(self._types, description)):
            converter = kind._cached_result_processor(self._dialect, column[1])
            if converter is not None:
                converters.append((index, converter))
        return converters


def _converted(row: tuple, converters: list[tuple[int, Callable[[Any], Any]]]) -> list:
    values = list(row)
    for index, converter in converters:
        values[index] = converter(values[index])
    return values


def pipelined(connection: sa.Connection, runs: list[tuple[CompiledSelect, Any]]) -> list[list[Any]]:
    """The rows of each run of ``runs`` ((statement, values), in order), all sent to PostgreSQL in
    one round trip (psycopg's pipeline mode; see :func:`can_pipeline`)."""
    driver = connection.connection.driver_connection
    cursors = []
    try:
        with driver.pipeline():
            for compiled, values in runs:
                cursor = driver.cursor()
                cursors.append(cursor)
                cursor.execute(compiled.sql, compiled.parameters_of(values))
        return [compiled.converted(cursor.fetchall(), cursor) for (compiled, _), cursor in zip(runs, cursors)]
    except connection.dialect.loaded_dbapi.Error as error:
        sql = ";\n".join(compiled.sql for compiled, _ in runs)
        raise sa.exc.DBAPIError.instance(sql, None, error, connection.dialect.loaded_dbapi.Error) from error
    finally:
        for cursor in cursors:
            cursor.close()


def can_pipeline(connection: Any) -> bool:
    """Whether :func:`pipelined` runs on ``connection``: a plain connection to PostgreSQL through
    a libpq that has pipeline mode (14 and later)."""
    if type(connection) is not sa.Connection or connection.dialect.name != "postgresql":
        return False
    pipeline = getattr(connection.connection.driver_connection, "pipeline", None)
    return pipeline is not None and _pipeline_supported()


@functools.cache
def _pipeline_supported() -> bool:
    import psycopg  # only reached on PostgreSQL, where the driver is installed

    return bool(psycopg.Pipeline.is_supported())
