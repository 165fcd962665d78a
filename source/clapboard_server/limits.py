"""What one request may cost: the server's limits, their defaults and how to change them.

Every limit has a documented default (see ``doc/guide/limits.rst``) and can be changed, in
increasing order of precedence, by an environment variable ``CLAPBOARD_SERVER_<NAME>`` (for
example ``CLAPBOARD_SERVER_MAX_BODY_BYTES=1000000``), by ``clapboard server --limit
name=value`` and by keyword arguments of :func:`clapboard_server.embedded.start`.

A request over a limit gets a :class:`LimitExceededError` naming the limit and its value, is
logged in one line, and changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import re
from collections.abc import Mapping
from typing import Any

from .errors import ApiError

ENVIRONMENT_PREFIX = "CLAPBOARD_SERVER_"
MIB = 1024 * 1024

#: Tables one SELECT may join. SQLite refuses more than 64; a few are kept for the server's own
#: conditions. Not configurable: it is a property of the database, not a policy.
MAX_JOINED_TABLES = 60
#: Characters of one event-hub subscription (parsed subscriptions are cached by their text).
MAX_SUBSCRIPTION_LENGTH = 10_000
#: Projections, ``group by`` or ``order by`` terms of one query (SQLite refuses 2,000 and more).
MAX_CLAUSE_TERMS = 1000


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits of one server. Sizes are in bytes, times in seconds."""

    #: Largest ``/api`` request body; larger bodies are refused while streaming, unread.
    max_body_bytes: int = 32 * MIB
    #: Operations in one ``/api`` batch.
    max_operations: int = 10_000
    #: Nesting of arrays and objects in a request body.
    max_json_depth: int = 64
    #: Characters of one query expression.
    max_query_length: int = 1_000_000
    #: Nesting of one query: parentheses, sub-queries, ``has``/``any``, ``not`` and steps
    #: through collections, whichever is deeper. SQLite's parser gives up beyond about ten.
    max_query_depth: int = 8
    #: Conditions (comparisons, ``in``, ``has``/``any``) in one query, all ``or``/``and`` terms.
    max_query_conditions: int = 5_000
    #: Literal values in one query (``in`` lists included): each becomes a bound parameter.
    max_query_values: int = 20_000
    #: Steps of one attribute path (``parent.parent.name`` has three).
    max_path_segments: int = 16
    #: Largest ``limit`` and ``offset`` of a query.
    max_limit: int = 1_000_000_000
    #: Largest JSON response; larger answers are refused before they are fully built.
    max_response_bytes: int = 64 * MIB
    #: Memory for parsed queries kept for reuse, process-wide (estimated from their text).
    parse_cache_bytes: int = 32 * MIB
    #: Event frames waiting for one slow event-hub client; beyond it the client is disconnected.
    max_queued_event_bytes: int = 16 * MIB
    #: Time a client has to send a request's line and headers once it connected or began.
    header_timeout: float = 30.0
    #: Time a request body may stall (no byte received) before the connection is closed.
    body_timeout: float = 60.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limit {field.name} must be a positive number, not {value!r}.")

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in dataclasses.fields(cls)]

    @classmethod
    def resolve(cls, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, then ``CLAPBOARD_SERVER_*`` variables of ``environ``, then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            text = environ.get(ENVIRONMENT_PREFIX + field.name.upper())
            if text is not None:
                values[field.name] = _convert(field, text, ENVIRONMENT_PREFIX + field.name.upper())
        for name, value in (overrides or {}).items():
            if name not in cls.names():
                raise TypeError(f"Unknown server limit {name!r}; known limits: {', '.join(cls.names())}.")
            if isinstance(value, str):
                value = _convert(_field(name), value, name)
            values[name] = value
        return cls(**values)

    @classmethod
    def parse_assignment(cls, text: str) -> tuple[str, Any]:
        """``"name=value"`` (as given to ``--limit``) -> ``(name, converted value)``."""
        name, separator, value = text.partition("=")
        name = name.strip().replace("-", "_")
        if not separator or name not in cls.names():
            raise ValueError(f"Expected NAME=VALUE with NAME one of: {', '.join(cls.names())}; got {text!r}.")
        return name, _convert(_field(name), value.strip(), name)


DEFAULT = Limits()


def _field(name: str) -> dataclasses.Field:
    return next(field for field in dataclasses.fields(Limits) if field.name == name)


def _convert(field: dataclasses.Field, text: str, origin: str) -> int | float:
    try:
        return float(text) if field.type == "float" else int(text.replace("_", ""))
    except ValueError:
        raise ValueError(f"{origin} must be a number, not {text!r}.") from None


class LimitExceededError(ApiError):
    """A request asks for more than a limit allows; the message names the limit and its value."""

    exception_name = "LimitExceededError"
    status_code = 400

    def __init__(self, problem: str, name: str, value: float, status_code: int | None = None) -> None:
        super().__init__(f"{problem} (limit {name} = {value:,}).")
        self.limit = name
        if status_code is not None:
            self.status_code = status_code


_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("clapboard_limits", default=None)


def current() -> Limits:
    """The limits of the request being handled in this thread (the defaults outside one)."""
    return _CURRENT.get() or DEFAULT


def applied(limits: Limits) -> contextlib.AbstractContextManager[Limits]:
    """Make ``limits`` what :func:`current` returns inside the ``with`` block."""
    return _Applied(limits)


class _Applied:
    """:func:`applied` as a class: it wraps every API call, and a generator costs more."""

    __slots__ = ("_limits", "_token")

    def __init__(self, limits: Limits) -> None:
        self._limits = limits

    def __enter__(self) -> Limits:
        self._token = _CURRENT.set(self._limits)
        return self._limits

    def __exit__(self, *_: object) -> None:
        _CURRENT.reset(self._token)


def check(value: int, limit_name: str, limits: Limits, problem: str, status_code: int | None = None) -> None:
    """Raise :class:`LimitExceededError` with ``problem`` when ``value`` exceeds the limit."""
    maximum = getattr(limits, limit_name)
    if value > maximum:
        raise LimitExceededError(problem, limit_name, maximum, status_code)


# -- query text, before any parsing ----------------------------------------------------------

def check_query_text(expression: str, limits: Limits, subject: str = "The query expression") -> None:
    """Refuse a query that is too long or too deeply parenthesised, before it is parsed."""
    check(len(expression), "max_query_length", limits, f"{subject} has {len(expression):,} characters")
    if "(" not in expression:
        return  # no nesting (most queries): no need to scan
    depth = _parenthesis_depth(expression)
    check(depth, "max_query_depth", limits, f"{subject} nests parentheses {depth} deep")


def _parenthesis_depth(text: str) -> int:
    """The deepest nesting of parentheses outside quoted strings."""
    depth = deepest = 0
    for match in _PARENTHESIS.finditer(_QUOTED.sub("", text)):
        depth += 1 if match.group() == "(" else -1
        deepest = max(deepest, depth)
    return deepest


_QUOTED = re.compile(r"\"[^\"\\]*(?:\\.[^\"\\]*)*\"?|'[^'\\]*(?:\\.[^'\\]*)*'?", re.DOTALL)
_PARENTHESIS = re.compile(r"[()]")
