"""Compiled queries, reused for every query of the same shape read by the same grants.

Queries that differ only in their quoted values (``... where id is "X"``) share a shape. The
first one builds its SELECT with a unique stand-in for each quoted value; when every stand-in
reaches the statement unchanged as a bound value (and nowhere else), the stand-ins become
named parameters and the statement, its compiled SQL and its row plan are kept. Later queries
of that shape skip parsing, building and compiling: they bind their values and run.

A stand-in that a conversion changes or rejects (a quoted number compared with a number
column, a datetime) makes the shape ineligible: its queries are built one by one as before,
so every value meets the same conversions and errors.

The statement depends on the reader through the policy's row predicates, which depend only
on the reader's :class:`~clapboard_server.policy.Grants` (loaded per request): plans are kept
per grants (one set for all superusers), so a role change is seen by the next request.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ApiError
from ..limits import Limits
from . import ast, shape
from .compiled import CompiledSelect
from .parse_cache import ParseCache
from .parser import parse_with_values, split_values
from .select import Prepared, prepare

if TYPE_CHECKING:
    from ..policy import ReadRules
    from .scope import Catalog

#: Memory of a plan per character of its shape, and per plan (measured on typical queries).
BYTES_PER_CHARACTER = 400
BYTES_PER_PLAN = 16384


class Plan:
    """A prepared query compiled with its quoted values as parameters."""

    def __init__(self, query: ast.Query, prepared: Prepared, compiled: CompiledSelect) -> None:
        #: The query tree of the shape (its quoted values are stand-ins): for the limit checks.
        self.query = query
        self.prepared = prepared
        self.compiled = compiled
        #: The last limits the query met.
        self.checked: Limits | None = None

    def run(self, connection: sa.Connection, rules: ReadRules, values: list[str]) -> dict[str, Any]:
        return self.prepared.shape(connection, rules, self.compiled.rows(connection, values))


#: A shape whose queries are built one by one.
_INELIGIBLE = object()


class Plans:
    """The plans of one catalog, by shape and reader, within ``max_bytes`` (estimated)."""

    def __init__(self, catalog: Catalog, dialect: sa.Dialect, max_bytes: int) -> None:
        self.catalog = catalog
        self.dialect = dialect
        self.cache: ParseCache[Any] = ParseCache(max_bytes)

    def run(self, connection: sa.Connection, expression: str, rules: ReadRules, limits: Limits) -> dict[str, Any] | None:
        """The result of query ``expression`` through its shape's plan; None when the shape has
        none (the caller then parses and builds the query itself)."""
        found = self._find(expression, rules, limits, build=True)
        return None if found is None else found[0].run(connection, rules, found[1])

    def cached(self, expression: str, rules: ReadRules, limits: Limits) -> tuple[Plan, list[str]] | None:
        """The plan kept for the shape of ``expression`` read with ``rules``, and the query's
        values; None when none is kept (nothing is built)."""
        return self._find(expression, rules, limits, build=False)

    def _find(self, expression: str, rules: ReadRules, limits: Limits, build: bool) -> tuple[Plan, list[str]] | None:
        """The plan of ``expression``'s shape (built now when ``build``) and its values; None
        when the shape has none."""
        split = split_values(expression)
        if split is None:
            return None
        text, values = split
        key = (text, _reader(rules))
        if build:
            plan = self.cache.get(text, lambda _: self._build(text, len(values), rules, limits),
                                  key=key, cost=BYTES_PER_CHARACTER * len(text) + BYTES_PER_PLAN)
        else:
            plan = self.cache.peek(key)
        if plan is None or plan is _INELIGIBLE:
            return None
        if plan.checked is not limits:  # limits are immutable: checked once per plan and limits
            shape.check_query(plan.query, limits)
            plan.checked = limits
        return plan, values

    def _build(self, expression: str, count: int, rules: ReadRules, limits: Limits) -> Plan | object:
        token = secrets.token_hex(8)
        stand_ins = {f"clapboard-value-{token}-{n}": n for n in range(count)}
        try:
            query = parse_with_values(expression, list(stand_ins))
            shape.check_query(query, limits)
            prepared = prepare(self.catalog, query, rules)
        except ApiError:
            return _INELIGIBLE  # built one by one, the query gets its own error
        if prepared is None:
            return _INELIGIBLE
        compiled = CompiledSelect(prepared.statement, self.dialect, stand_ins)
        if not _only_in_parameters(compiled, token, count):
            return _INELIGIBLE
        return Plan(query, prepared, compiled)


def _reader(rules: ReadRules) -> Any:
    """What the row predicates of ``rules`` depend on: nothing for superusers, else the grants."""
    return True if rules.unrestricted else rules.grants


def _only_in_parameters(compiled: CompiledSelect, token: str, count: int) -> bool:
    """Whether every stand-in is a parameter of its own, and no stand-in is anywhere else."""
    bound = [parameter for parameter in compiled.parameters if type(parameter[1]) is int]
    if {parameter[1] for parameter in bound} != set(range(count)):
        return False
    constants = [parameter[2] for parameter in compiled.parameters if parameter[1] is None]
    return token not in compiled.sql and not any(token in repr(constant) for constant in constants)
