"""``column IN (many ids)`` with the whole set of ids bound as one parameter.

SQLAlchemy's expanding ``IN`` renders one parameter per value, so the 10,000 ids of a deleted
subtree took twenty statements of 500 parameters each, per table and column they were looked
up in, and rendering those parameters cost more than running the statements. Here the ids
are one parameter: a JSON array read with ``json_each`` on SQLite, an array compared with
``= ANY`` on PostgreSQL. Columns of other types than text keep the expanding ``IN``, in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

#: Ids per statement where they are rendered one parameter each.
CHUNK = 500


def whole(column: sa.ColumnElement) -> bool:
    """Whether a set of ids compared with ``column`` is bound as one parameter."""
    return isinstance(column.type, sa.String)


def one_of(column: sa.ColumnElement, name: str, dialect: sa.Dialect) -> sa.ColumnElement:
    """``column`` is one of the ids bound to ``name`` (pass them through :func:`parameters`)."""
    if not whole(column):
        return column.in_(sa.bindparam(name, expanding=True))
    if dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Text)))
    values = sa.func.json_each(sa.bindparam(name, type_=sa.Text)).table_valued("value")
    return column.in_(sa.select(values.c.value))


def parameters(column: sa.ColumnElement, ids: Sequence[Any], dialect: sa.Dialect) -> Iterator[Any]:
    """The values to bind for ``ids`` in :func:`one_of`: one for the whole set, else one per chunk."""
    if not whole(column):
        for start in range(0, len(ids), CHUNK):
            yield list(ids[start:start + CHUNK])
    elif dialect.name == "postgresql":
        yield [str(value) for value in ids]
    else:
        yield json.dumps([str(value) for value in ids])
