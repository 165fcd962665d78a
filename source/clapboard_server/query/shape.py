"""How big and how deep a parsed query is, checked against the server's limits before SQL is built."""

from __future__ import annotations

from dataclasses import dataclass

from ..limits import MAX_CLAUSE_TERMS, LimitExceededError, Limits, check
from . import ast


@dataclass
class Shape:
    """Measures of one query (sub-queries included)."""

    depth: int = 0  # sub-queries, has/any and not, nested
    conditions: int = 0  # comparisons, in, has/any
    values: int = 0  # literal values
    longest_path: int = 0  # segments of the longest path
    largest_range: int = 0  # largest limit or offset
    clause_terms: int = 0  # most projections, group by or order by terms of one select


def measure(query: ast.Query) -> Shape:
    """The :class:`Shape` of ``query``."""
    shape = Shape()
    _query(query, shape, 0)
    return shape


def check_query(query: ast.Query, limits: Limits) -> None:
    """Raise :class:`~clapboard_server.limits.LimitExceededError` if ``query`` is over a limit."""
    shape = measure(query)
    check(shape.depth, "max_query_depth", limits, f"The query nests sub-queries, has/any and not {shape.depth} deep")
    check(shape.conditions, "max_query_conditions", limits, f"The query has {shape.conditions:,} conditions")
    check(shape.values, "max_query_values", limits, f"The query has {shape.values:,} values")
    check(shape.longest_path, "max_path_segments", limits, f"A path of the query has {shape.longest_path} steps")
    check(shape.largest_range, "max_limit", limits, f"The query asks for limit or offset {shape.largest_range:,}")
    if shape.clause_terms > MAX_CLAUSE_TERMS:
        raise LimitExceededError(f"The query has {shape.clause_terms:,} projections, group by or order by terms",
                                 "terms per clause", MAX_CLAUSE_TERMS)


def _query(query: ast.Query, shape: Shape, depth: int) -> None:
    shape.depth = max(shape.depth, depth)
    shape.largest_range = max(shape.largest_range, query.limit or 0, query.offset or 0)
    shape.clause_terms = max(shape.clause_terms, len(query.projections), len(query.group_by), len(query.order_by))
    for projection in query.projections:
        _path(projection.path if isinstance(projection, ast.Aggregate) else projection, shape)
    for path in query.group_by:
        _path(path, shape)
    for item in query.order_by:
        _path(item.path, shape)
    if query.criteria is not None:
        _criteria(query.criteria, shape, depth)


def _path(path: ast.Path, shape: Shape) -> None:
    shape.longest_path = max(shape.longest_path, len(path.segments))


def _criteria(node: ast.Criteria, shape: Shape, depth: int) -> None:
    # An explicit stack: a long chain of 'not' must not exhaust Python's recursion.
    stack: list[tuple[ast.Criteria, int]] = [(node, depth)]
    while stack:
        node, depth = stack.pop()
        shape.depth = max(shape.depth, depth)
        if isinstance(node, (ast.And, ast.Or)):
            stack.extend((item, depth) for item in node.items)
            continue
        if isinstance(node, ast.Not):
            stack.append((node.item, depth + 1))
            continue
        shape.conditions += 1
        _path(node.path, shape)
        if isinstance(node, ast.Comparison):
            shape.values += 1
        elif isinstance(node, ast.Membership):
            shape.values += len(node.values)
            if node.subquery is not None:
                _query(node.subquery, shape, depth + 1)
        elif node.criteria is not None:  # has / any
            stack.append((node.criteria, depth + 1))
        else:
            shape.depth = max(shape.depth, depth + 1)
