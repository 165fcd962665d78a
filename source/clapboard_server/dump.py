"""A portable dump of a server's database: every table's rows as JSON lines, read in one snapshot.

Used by :mod:`clapboard_server.backup` for PostgreSQL when ``pg_dump`` is not installed; it also
moves data between backends (a SQLite dump restores into PostgreSQL and back). Each line is
``{"table": name, "row": {column: value}}``; datetimes are ``{"$datetime": iso}`` and bytes
``{"$bytes": base64}``. Loading creates the server's tables, then inserts the rows in one
transaction.
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import invites
from .database import Database, normalise_url
from .schema import default_registry
from .web import tables as web_tables

BATCH = 1000


def _encode(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$datetime" in value:
            return _dt.datetime.fromisoformat(value["$datetime"])
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
    return value


def dump(database: str, destination: Path) -> int:
    """Write every row of *database* (a SQLAlchemy URL) to *destination* (gzip); return the row count."""
    engine = sa.create_engine(normalise_url(database))
    count = 0
    try:
        options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
        with engine.connect().execution_options(**options) as connection, connection.begin():
            metadata = sa.MetaData()
            metadata.reflect(bind=connection)
            with gzip.open(destination, "wt", encoding="utf-8") as out:
                for table in metadata.sorted_tables:
                    for row in connection.execute(sa.select(table)).mappings():
                        line = {"table": table.name, "row": {key: _encode(value) for key, value in row.items()}}
                        out.write(json.dumps(line) + "\n")
                        count += 1
    finally:
        engine.dispose()
    return count


def _lines(source: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            yield item["table"], {key: _decode(value) for key, value in item["row"].items()}


def load(source: Path, database: str, replace: bool = False) -> int:
    """Create the server's tables in *database* and insert the rows of *source*; return the row count.

    With *replace*, rows already there are deleted first (in the same transaction).
    """
    server_database = Database(database, default_registry())
    invites.define_table(server_database)  # the server-side tables a Server defines besides the schema's
    web_tables.define(server_database)
    try:
        server_database.create_schema()
        engine = server_database.engine
        with engine.begin() as connection:
            metadata = sa.MetaData()
            metadata.reflect(bind=connection)
            if replace:
                for table in reversed(metadata.sorted_tables):
                    connection.execute(table.delete())
            count = 0
            batch: list[dict[str, Any]] = []
            current: sa.Table | None = None
            for name, row in _lines(source):
                table = metadata.tables.get(name)
                if table is None:
                    raise ValueError(f"The dump has a table {name!r} this server does not know.")
                if table is not current and batch:
                    connection.execute(sa.insert(current), batch)
                    batch = []
                current = table
                batch.append(row)
                count += 1
                if len(batch) >= BATCH:
                    connection.execute(sa.insert(current), batch)
                    batch = []
            if batch:
                connection.execute(sa.insert(current), batch)
        return count
    finally:
        server_database.dispose()
