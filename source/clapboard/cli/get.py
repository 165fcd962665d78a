"""``clapboard get TYPE ID``: print one entity's attributes."""

from __future__ import annotations

import argparse
import json
import sys

from ..exception import NotFoundError
from ._connection import add_connection_arguments, connect
from ._output import to_json, to_text


def _run(arguments: argparse.Namespace) -> int:
    with connect(arguments) as session:
        key = arguments.id[0] if len(arguments.id) == 1 else arguments.id
        entity = session.get(arguments.type, key)
        if entity is None:
            raise NotFoundError(f"No {arguments.type} with primary key {' '.join(arguments.id)!r}.")
        values = dict(entity.items())  # every attribute, loaded in one request
        if arguments.format == "json":
            data = {"__entity_type__": entity.entity_type, **{name: to_json(value) for name, value in values.items()}}
            json.dump(data, sys.stdout, indent=2, sort_keys=True)
            sys.stdout.write("\n")
        else:
            width = max(len(name) for name in values)
            print(entity.entity_type)
            for name in sorted(values):
                print(f"  {name.ljust(width)}  {to_text(values[name])}".rstrip())
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``get`` to the ``clapboard`` command."""
    parser = commands.add_parser(
        "get",
        help="print the attributes of one entity",
        description="Print every attribute of the entity of type TYPE with primary key ID (the "
        "values of each key attribute, in order, for composite keys such as Metadata's). "
        "References print as Type(id); collections as lists of references.",
    )
    parser.add_argument("type", metavar="TYPE", help="entity type, e.g. Task")
    parser.add_argument("id", metavar="ID", nargs="+",
                        help="primary key value, e.g. the id (several for types with a composite key)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (the default) or json")
    add_connection_arguments(parser)
    parser.set_defaults(run=_run)
