"""The expression language of event subscriptions and targets.

An expression filters a mapping (an event, or a subscriber's information)::

    topic=ftrack.update and (data.entity.id="42" or not source.user.username=bot)

Grammar (keywords case-insensitive; ``not`` binds tightest, then ``and``, then ``or``)::

    expression = and_expr { "or" and_expr }
    and_expr   = not_expr { "and" not_expr }
    not_expr   = "not" not_expr | "(" expression ")" | condition
    condition  = key operator value
    key        = name { "." name }             name: letters, digits, "_" and "-"
    operator   = "=" | "!=" | ">=" | "<=" | ">" | "<"
    value      = "quoted" | 'quoted' (backslash escapes) | unquoted
    unquoted   = one or more characters other than white space, quotes, parentheses and "=!<>"

Matching rules:

- a dotted key walks nested mappings; a missing key, or a step into anything that is not a
  mapping (lists included), makes the condition false;
- values are strings and compare with the candidate's value as is: the number ``5`` never equals
  ``"5"``, and ordering between different types is false;
- with ``=``, a value ending in ``*`` is a wildcard. By default (``CONTAINS``, as the ftrack
  Python client matches) the candidate must be a string containing the part before the ``*``;
  with ``PREFIX`` it must start with it (as the documentation describes ``topic=ftrack.*``).
  Containment is the superset of both, which is why a server routing for any client uses it.

Nodes are immutable and parsed expressions are cached, so both are safe to share between
threads. This module depends on nothing else in clapboard, so the server can use it alone.
"""

from __future__ import annotations

import functools
import operator as _operator
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from typing import Any as _Any

if TYPE_CHECKING:
    import pyparsing as pp  # imported when the first expression is parsed: it is slow to import

__all__ = [
    "CONTAINS",
    "PREFIX",
    "All",
    "Any",
    "Condition",
    "Expression",
    "Not",
    "ParseError",
    "Parser",
    "parse",
]

#: Wildcard modes: the candidate contains, or starts with, the part before the ``*``.
CONTAINS = "contains"
PREFIX = "prefix"
WILDCARD = "*"

_OPERATORS: dict[str, Callable[[_Any, _Any], bool]] = {
    "=": _operator.eq,
    "!=": _operator.ne,
    ">": _operator.gt,
    "<": _operator.lt,
    ">=": _operator.ge,
    "<=": _operator.le,
}
_SYMBOLS = {function: symbol for symbol, function in _OPERATORS.items()}


class ParseError(Exception):
    """An expression could not be parsed; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, expression: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.position = position


class Expression:
    """An immutable test of candidate mappings."""

    __slots__ = ()

    def match(self, candidate: Mapping[str, _Any]) -> bool:
        """Return whether ``candidate`` fulfils this expression."""
        raise NotImplementedError

    def _identity(self) -> tuple:
        return ()

    def __setattr__(self, name: str, value: _Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash((type(self), self._identity()))

    def __str__(self) -> str:
        return ""  # the base expression has no text (and str must not fall back to repr)

    def __repr__(self) -> str:
        text = str(self)
        return f"<{type(self).__name__} {text}>" if text else f"<{type(self).__name__}>"


class _Group(Expression):
    """Base of :class:`All` and :class:`Any`: a tuple of expressions joined by a keyword."""

    __slots__ = ("_expressions",)
    _expressions: tuple[Expression, ...]
    _keyword = ""

    def __init__(self, expressions: Iterable[Expression] | None = None) -> None:
        object.__setattr__(self, "_expressions", tuple(expressions or ()))

    @property
    def expressions(self) -> tuple[Expression, ...]:
        return self._expressions

    def _identity(self) -> tuple:
        return self._expressions

    def __str__(self) -> str:
        return f" {self._keyword} ".join(f"({expression})" for expression in self._expressions)


class All(_Group):
    """Match a candidate that matches every expression (always, when there are none)."""

    __slots__ = ()
    _keyword = "and"

    def match(self, candidate: Mapping[str, _Any]) -> bool:
        return all(expression.match(candidate) for expression in self._expressions)


class Any(_Group):
    """Match a candidate that matches at least one expression (never, when there are none)."""

    __slots__ = ()
    _keyword = "or"

    def match(self, candidate: Mapping[str, _Any]) -> bool:
        return any(expression.match(candidate) for expression in self._expressions)


class Not(Expression):
    """Match a candidate that does not match ``expression``."""

    __slots__ = ("_expression",)
    _expression: Expression

    def __init__(self, expression: Expression) -> None:
        object.__setattr__(self, "_expression", expression)

    @property
    def expression(self) -> Expression:
        return self._expression

    def match(self, candidate: Mapping[str, _Any]) -> bool:
        return not self._expression.match(candidate)

    def _identity(self) -> tuple:
        return (self._expression,)

    def __str__(self) -> str:
        return f"not ({self._expression})"


class Condition(Expression):
    """Compare the value at ``key`` (dotted for nested mappings) with ``value``.

    ``operator`` is a symbol (``=``, ``!=``, ``>``, ``<``, ``>=``, ``<=``) or the matching
    function of the :mod:`operator` module. ``wildcard`` is :data:`CONTAINS` or :data:`PREFIX`.
    """

    __slots__ = ("_key", "_operator", "_path", "_value", "_wildcard")
    _key: str
    _operator: str
    _path: tuple[str, ...]
    _value: _Any
    _wildcard: str

    def __init__(self, key: str, operator: str | Callable[[_Any, _Any], bool], value: _Any,
                 wildcard: str = CONTAINS) -> None:
        symbol = _SYMBOLS.get(operator, operator) if callable(operator) else operator
        if symbol not in _OPERATORS:
            raise ValueError(f"Unknown operator {operator!r}; use one of {', '.join(_OPERATORS)}.")
        if wildcard not in (CONTAINS, PREFIX):
            raise ValueError(f"Unknown wildcard mode {wildcard!r}; use {CONTAINS!r} or {PREFIX!r}.")
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_path", tuple(key.split(".")))
        object.__setattr__(self, "_operator", symbol)
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_wildcard", wildcard)

    @property
    def key(self) -> str:
        return self._key

    @property
    def operator(self) -> str:
        return self._operator

    @property
    def value(self) -> _Any:
        return self._value

    def match(self, candidate: Mapping[str, _Any]) -> bool:
        found = candidate
        for part in self._path:
            if not isinstance(found, Mapping):
                return False
            try:
                found = found[part]
            except KeyError:
                return False
        expected = self._value
        if self._operator == "=" and isinstance(expected, str) and expected.endswith(WILDCARD):
            if not isinstance(found, str):
                return False
            stem = expected[:-1]
            return found.startswith(stem) if self._wildcard == PREFIX else stem in found
        try:
            return bool(_OPERATORS[self._operator](found, expected))
        except TypeError:
            return False

    def _identity(self) -> tuple:
        return (self._key, self._operator, self._value, self._wildcard)

    def __str__(self) -> str:
        value = self._value
        if isinstance(value, str):
            plain = value and not any(c.isspace() or c in "()'\"=!<>" for c in value)
            if not plain:
                value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{self._key}{self._operator}{value}"


def _build_grammar(wildcard: str) -> pp.ParserElement:
    """The pyparsing grammar producing :class:`Expression` nodes with ``wildcard`` conditions."""
    import pyparsing as pp

    and_, or_, not_ = (pp.CaselessKeyword(word) for word in ("and", "or", "not"))
    key = pp.Regex(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*").set_name("key")
    operator = pp.one_of(list(_OPERATORS)).set_name("operator (= != > < >= <=)")
    quoted = (pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\"))
    unquoted = pp.Regex(r"[^\s()'\"=!<>]+")
    value = (quoted | unquoted).set_name("value")
    condition = (key + operator - value).set_name("condition")
    condition.set_parse_action(lambda tokens: Condition(tokens[0], tokens[1], tokens[2], wildcard))

    expression = pp.Forward()
    expression.set_name("expression")
    group = pp.Suppress("(") - expression - pp.Suppress(")").set_name("')'")
    negation = pp.Forward()
    negated = (pp.Suppress(not_) + negation).set_parse_action(lambda tokens: Not(tokens[0]))
    negation <<= (negated | group | condition).set_name("a condition, 'not' or '('")
    conjunction = negation + pp.ZeroOrMore(pp.Suppress(and_) - negation)
    conjunction.set_parse_action(lambda tokens: tokens[0] if len(tokens) == 1 else All(tokens))
    disjunction = conjunction + pp.ZeroOrMore(pp.Suppress(or_) - conjunction)
    disjunction.set_parse_action(lambda tokens: tokens[0] if len(tokens) == 1 else Any(tokens))
    expression <<= disjunction
    return expression + pp.StringEnd().set_name("'and', 'or' or the end of the expression")


_grammars: dict[str, pp.ParserElement] = {}
_lock = threading.Lock()


def parse(expression: str, wildcard: str = CONTAINS) -> Expression:
    """Parse ``expression`` into an :class:`Expression`; :class:`ParseError` when invalid.

    Results are cached: parsing the same text again returns the same (immutable) node.
    """
    return _parse(expression, wildcard)


@functools.lru_cache(maxsize=2048)
def _parse(expression: str, wildcard: str) -> Expression:
    if not isinstance(expression, str):
        raise ParseError(f"An expression must be a string, not {type(expression).__name__}.", str(expression))
    if not expression.strip():
        raise ParseError("The expression is empty: expected a condition such as topic=ftrack.update.",
                         expression, 0)
    import pyparsing as pp

    with _lock:  # parse calls are rare (results are cached); keep pyparsing single-threaded
        grammar = _grammars.get(wildcard)
        if grammar is None:
            if wildcard not in (CONTAINS, PREFIX):
                raise ValueError(f"Unknown wildcard mode {wildcard!r}; use {CONTAINS!r} or {PREFIX!r}.")
            grammar = _grammars[wildcard] = _build_grammar(wildcard)
        try:
            return grammar.parse_string(expression)[0]
        except pp.ParseBaseException as error:
            raise _parse_error(expression, error) from None


def _parse_error(expression: str, error: pp.ParseBaseException) -> ParseError:
    position = error.loc
    found = expression[position:position + 20]
    found_text = f"found {found!r}" if found else "found the end of the expression"
    reason = error.msg[0].lower() + error.msg[1:] if error.msg else "invalid syntax"
    message = (
        f"Cannot parse expression {expression!r} at position {position}: {reason}, {found_text}.\n"
        f"    {expression}\n    {' ' * position}^"
    )
    return ParseError(message, expression, position)


class Parser:
    """Parse string expressions into :class:`Expression` instances."""

    def __init__(self, wildcard: str = CONTAINS) -> None:
        self.wildcard = wildcard

    def parse(self, expression: str) -> Expression:
        """Return the :class:`Expression` of ``expression``; raise :class:`ParseError` if invalid."""
        return parse(expression, self.wildcard)
