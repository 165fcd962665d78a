"""The last ORDER BY term of a query: what tells rows with equal ordered values apart.

Paging needs a total order, so a query's ordering ends with a unique column of its root. On
PostgreSQL that is the primary key. On SQLite it is the row's ``rowid``, in the direction of
the query's last ordering term: every SQLite index ends with the rowid, so an index that
serves the query's ordering (``asset_id, version`` for an asset's versions by number) serves
the tiebreak too and SQLite reads the first rows in order and stops, where ordering by the
text primary key made it sort every matching row first. Rowids identify rows as long as they
exist (``VACUUM`` may renumber them, which reorders ties only).
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class _TieBreak(sa.sql.expression.ColumnElement):
    """The root's unique tiebreaker: ``key`` (its primary key column), or SQLite's rowid."""

    inherit_cache = True
    _traverse_internals: ClassVar[list] = [("key", InternalTraversal.dp_clauseelement)]

    def __init__(self, key: sa.ColumnElement) -> None:
        self.key = key
        self.type = key.type


@compiles(_TieBreak)
def _key(element: _TieBreak, compiler: Any, **options: Any) -> str:
    return compiler.process(element.key, **options)


@compiles(_TieBreak, "sqlite")
def _rowid(element: _TieBreak, compiler: Any, **options: Any) -> str:
    key = compiler.process(element.key, **options)
    table, _, _ = key.rpartition(".")
    return f"{table}.rowid" if table else "rowid"


def tiebreak(key: sa.ColumnElement, ordering: list[Any]) -> Any:
    """The tiebreaking term after ``ordering``: the primary key ascending when the query orders
    by nothing else (the same order on every database), else the unique tiebreaker in the
    direction of the last term."""
    if not ordering:
        return key.asc()
    last = ordering[-1]
    descending = getattr(last, "modifier", None) is sa.sql.operators.desc_op
    return _TieBreak(key).desc() if descending else _TieBreak(key).asc()
