"""``clapboard query EXPRESSION``: run a query and print the results."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ._connection import add_connection_arguments, connect
from ._output import FORMATS, path_value, write_rows

_SELECT = re.compile(r"\s*select\s+(?P<projections>.+?)\s+from\s+(?P<type>\w+)", re.IGNORECASE | re.DOTALL)


def columns_of(session: Any, expression: str) -> list[str]:
    """Return the attribute paths to print for *expression*: its projections or the type's defaults."""
    match = _SELECT.match(expression)
    if match is not None:
        return [projection.strip() for projection in match.group("projections").split(",")]
    entity_type = expression.split(None, 1)[0]
    cls = session.types.get(entity_type)
    return list(getattr(cls, "default_projections", None) or ["id"])


def _run(arguments: argparse.Namespace) -> int:
    with connect(arguments) as session:
        results = session.query(arguments.expression)
        columns = columns_of(session, arguments.expression)
        with session.auto_populating(False):  # print what the query loaded, nothing more
            rows = [[path_value(entity, column) for column in columns] for entity in results]
        write_rows(rows, columns, arguments.format, sys.stdout)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``query`` to the ``clapboard`` command."""
    parser = commands.add_parser(
        "query",
        help="run a query and print the results",
        description="Run a query expression, e.g. 'Task where status.name is \"Done\"' or "
        "'select name, parent.name from Shot', and print one row per entity: the selected "
        "attributes, or the type's default ones.",
    )
    parser.add_argument("expression", metavar="EXPRESSION", help="query expression (quote it for the shell)")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (aligned text, the default), json or csv")
    add_connection_arguments(parser)
    parser.set_defaults(run=_run)
