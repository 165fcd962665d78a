"""Printing entities and values: aligned text tables, JSON and CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any

from ..codec import is_datetime
from ..symbol import NOT_SET

FORMATS = ("table", "json", "csv")


def is_entity(value: Any) -> bool:
    return getattr(value, "_identity", None) is not None and hasattr(value, "entity_type")


def path_value(entity: Any, path: str) -> Any:
    """Return the value at dotted *path* of *entity* (None when a step is missing).

    Through a collection, return the list of its members' values.
    """
    name, _, rest = path.partition(".")
    if not is_entity(entity) or name not in entity:
        return None
    value = entity[name]
    if value is NOT_SET:
        return None
    if not rest:
        return value
    if is_entity(value):
        return path_value(value, rest)
    if _is_collection(value):
        return [path_value(member, rest) for member in value]
    return None


def _is_collection(value: Any) -> bool:
    return hasattr(value, "collection") or type(value).__name__ == "Collection"


def reference(entity: Any) -> dict[str, Any]:
    """Return ``{"__entity_type__": ..., <primary key>: ...}`` for *entity*."""
    keys = dict(zip(entity.primary_key_attributes or (), entity._identity[1:]))
    return {"__entity_type__": entity.entity_type, **keys}


def to_json(value: Any) -> Any:
    """Return *value* as plain JSON data: entities as references, dates as ISO 8601 text."""
    if value is NOT_SET:
        return None
    if is_entity(value):
        return reference(value)
    if is_datetime(value):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) or _is_collection(value):
        return [to_json(item) for item in value]
    if hasattr(value, "keys"):  # mapped collections (metadata, custom attributes)
        return {str(key): to_json(value[key]) for key in list(value)}
    return value


def to_text(value: Any) -> str:
    """Return *value* as one line of text for a table cell."""
    if value is None or value is NOT_SET:
        return ""
    if is_entity(value):
        return f"{value.entity_type}({', '.join(str(part) for part in value._identity[1:])})"
    if is_datetime(value):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\n", " ")
    data = to_json(value)
    if isinstance(data, (list, dict)):
        return json.dumps(data, sort_keys=True)
    return str(data)


def write_rows(rows: Sequence[Sequence[Any]], columns: Sequence[str], output_format: str, out: IO[str]) -> None:
    """Write *rows* (values in the order of *columns*) to *out* in *output_format*."""
    if output_format == "json":
        data = [{column: to_json(value) for column, value in zip(columns, row)} for row in rows]
        json.dump(data, out, indent=2, sort_keys=False)
        out.write("\n")
    elif output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([to_text(value) for value in row])
    else:
        cells = [[to_text(value) for value in row] for row in rows]
        widths = [max([len(column)] + [len(row[index]) for row in cells]) for index, column in enumerate(columns)]
        out.write("  ".join(column.ljust(width) for column, width in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("-" * width for width in widths) + "\n")
        for row in cells:
            out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")
        out.write(f"({len(rows)} {'row' if len(rows) == 1 else 'rows'})\n")
