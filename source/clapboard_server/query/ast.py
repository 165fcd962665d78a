"""The syntax tree of a parsed query expression.

The parser (:mod:`clapboard_server.query.parser`) produces these nodes; the compiler
(:mod:`clapboard_server.query.select`) turns them into SQL. Nodes are immutable so a parsed
expression can be cached and shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A literal value: quoted strings stay ``str``; bare words become ``int``, ``float``, ``bool``,
#: ``None`` or ``str``.
Value = str | int | float | bool | None


@dataclass(frozen=True)
class Segment:
    """One step of a dotted path: an attribute name, optionally cast to a subtype."""

    name: str
    cast: str | None = None  # ``parent[Project]`` -> Segment("parent", "Project")


@dataclass(frozen=True)
class Path:
    """A dotted attribute path such as ``status.state.short``."""

    segments: tuple[Segment, ...]
    position: int = 0  # character offset of the path in the expression, for error messages

    def __str__(self) -> str:
        return ".".join(
            f"{s.name}[{s.cast}]" if s.cast else s.name for s in self.segments
        )


@dataclass(frozen=True)
class Comparison:
    """``path <operator> value``; operator is one of ``= != > < >= <= like not_like``.

    Synonyms are normalised by the parser: ``is`` -> ``=``, ``is_not`` -> ``!=``,
    ``after``/``greater_than`` -> ``>``, ``before``/``less_than`` -> ``<``.
    """

    path: Path
    operator: str
    value: Value


@dataclass(frozen=True)
class Membership:
    """``path in (values)`` / ``path not_in (values)`` or the same with a sub-query."""

    path: Path
    negated: bool
    values: tuple[Value, ...] = ()
    subquery: Query | None = None


@dataclass(frozen=True)
class Related:
    """``path has (criteria)`` or ``path any (criteria)``; criteria may be empty (``any ()``)."""

    path: Path
    operator: str  # "has" or "any"
    criteria: Criteria | None = None


@dataclass(frozen=True)
class And:
    items: tuple[Criteria, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Criteria, ...]


@dataclass(frozen=True)
class Not:
    item: Criteria


Criteria = Comparison | Membership | Related | And | Or | Not


@dataclass(frozen=True)
class Aggregate:
    """``count(id)`` and friends in a projection."""

    function: str  # count, sum, avg, min, max
    path: Path


@dataclass(frozen=True)
class OrderItem:
    path: Path
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A whole query expression."""

    entity_type: str
    projections: tuple[Path | Aggregate, ...] = ()  # empty: use default projections
    criteria: Criteria | None = None
    group_by: tuple[Path, ...] = ()
    order_by: tuple[OrderItem, ...] = ()
    offset: int | None = None
    limit: int | None = None
