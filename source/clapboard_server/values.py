"""Conversion of attribute values between the wire, query literals and SQL columns."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from typing import Any

from .errors import ValidationError

_UTC = _dt.timezone.utc


def parse_datetime(text: str) -> _dt.datetime:
    """Parse any ISO 8601 variant the clients send into a naive UTC datetime (microseconds kept)."""
    try:
        value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or datetime") from None
    if value.tzinfo is not None:
        value = value.astimezone(_UTC).replace(tzinfo=None)
    return value


def _to_datetime(value: Any) -> _dt.datetime:
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        value = value.get("value")
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, _dt.datetime):
        return parse_datetime(value.isoformat())
    raise ValueError("expected a datetime")


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError("expected an integer")


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("expected a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError("expected a number")


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError("expected a boolean")


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError("expected a string")


def _to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "datetime": _to_datetime,
    "json": _to_json,
    "variable": _to_json,
}

_TYPE_WORDS = {
    "string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
    "datetime": "a datetime", "json": "a JSON value", "variable": "a JSON value",
}


def to_column(data_type: str, value: Any, owner: str, attribute: str) -> Any:
    """Convert a wire value to what the column stores; a clear error when it does not fit."""
    if value is None:
        return None
    try:
        return _CONVERTERS[data_type](value)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(
            f"Attribute {attribute!r} of {owner} must be {_TYPE_WORDS[data_type]}; "
            f"got {value!r} of type {type(value).__name__}."
        ) from None


def to_query_value(data_type: str, value: Any, owner: str, attribute: str) -> Any:
    """Convert a query literal for comparison with a column of ``data_type``."""
    if data_type in ("json", "variable"):
        return value if isinstance(value, str) else json.dumps(value)
    return to_column(data_type, value, owner, attribute)


def encode_datetime(value: _dt.datetime) -> dict[str, str]:
    return {"__type__": "datetime", "value": value.isoformat()}


def from_column(data_type: str, value: Any) -> Any:
    """Convert a stored column value to its wire form."""
    if value is None:
        return None
    if data_type == "datetime":
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        return encode_datetime(value)
    if data_type in ("json", "variable"):
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value
    if data_type == "number" and isinstance(value, float) and value.is_integer():
        return value
    return value


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_UTC).replace(tzinfo=None)
