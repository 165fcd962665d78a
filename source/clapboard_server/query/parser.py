"""Parse query expressions (wire protocol, section 6) into :mod:`clapboard_server.query.ast`.

``parse('select name from Task where status.name is "Done" limit 10')`` returns an
:class:`ast.Query`; malformed input raises :class:`ParseError` naming what was expected and
what was found, with the character position.

The grammar is built once at import from pyparsing elements and never mutated afterwards;
parse actions keep no state, so :func:`parse` is safe to call from several threads. Results
are cached (the AST is immutable and clients repeat the same expressions while paging), within
the ``parse_cache_bytes`` limit.

Choices where the specification leaves room:

* Keywords are case-insensitive. ``select``, ``from``, ``where``, ``and``, ``or`` and
  ``not`` are reserved: they cannot start a path or a type name. Every other keyword
  (``date``, ``group``, ``order``, ``type``, ``limit``...) is a valid attribute name where
  a path is expected.
* In quoted strings only ``\\"``, ``\\'`` and ``\\\\`` are unescaped; any other backslash
  is kept, so ``like "a\\%b%"`` reaches the compiler as ``a\\%b%``.
* Bare words follow Python's ``str()`` forms: ``5``/``-3`` -> int, ``1.5``/``1e-05`` ->
  float (a leading zero such as ``007`` keeps the word a string); ``true``/``false`` ->
  bool and ``none``/``null`` -> None in any letter case. The bare words ``and``, ``or``
  and ``not`` are never values (``name is not None`` is an error, not ``name = "not"``).
* A sub-query inside ``in (...)`` must start with ``select``; a bare ``(Type where ...)``
  is not accepted there.
* ``offset`` and ``limit`` may each appear once, in either order, after the other clauses.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple, NoReturn

import pyparsing as pp

from ..errors import ParseError
from ..limits import DEFAULT as DEFAULT_LIMITS
from . import ast
from .parse_cache import ParseCache

__all__ = ["parse", "parse_criteria"]

# --------------------------------------------------------------------------------------------
# Lexical helpers

_NAME = r"[^\W\d]\w*"
_SEGMENT = rf"{_NAME}(?:\[{_NAME}\])?"
# A reserved word is still an attribute name where nothing else could follow it: before
# '.' or '[' (``from.name``), before ',' or 'from' in a projection list (``select to, from
# from AssetVersionLink``) and before an operator (``where from is ...``).
_OPERATOR_AHEAD = r"\s*(?:[=!<>]|(?i:is_not|is|not_in|in|has|any|not_like|like|after|before|greater_than|less_than)(?!\w))"
_NOT_RESERVED = (
    r"(?!(?i:select|from|where|and|or|not)(?![\w.\[])"
    rf"(?!\s*,)(?!\s+(?i:from)(?!\w))(?!{_OPERATOR_AHEAD}))"
)
_BAREWORD_CHARS = r"[^\s\"'(),=!<>]"
_OPERATOR_CHARS = "=!<>"

_SEGMENT_RE = re.compile(rf"({_NAME})(?:\[({_NAME})\])?")
_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)")
_UNESCAPE_RE = re.compile(r"\\([\"'\\])")
_TOKEN_RE = re.compile(
    rf"\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?|[{_OPERATOR_CHARS}]+|{_BAREWORD_CHARS}+|.",
    re.DOTALL,
)
_WORD_RE = re.compile(_NAME)

#: Words that are never an operator; "Unknown operator" is reported for any other word.
_NOT_OPERATORS = {"and", "or", "not", "select", "from", "where", "order", "group", "by",
                  "offset", "limit"}

_OPERATORS = {
    "=": "=", "is": "=",
    "!=": "!=", "is_not": "!=",
    ">": ">", "after": ">", "greater_than": ">",
    "<": "<", "before": "<", "less_than": "<",
    ">=": ">=", "<=": "<=",
    "like": "like", "not_like": "not_like",
}

#: Stand-in for the literal None: a parse action returning None keeps its input tokens.
_NULL = object()
_WORDS = {"true": True, "false": False, "none": _NULL, "null": _NULL}

ParseAction = Callable[[str, int, pp.ParseResults], object]
Describe = Callable[[str, int], str]


def _drop(text: str, loc: int, tokens: pp.ParseResults) -> list:
    """Parse action discarding the matched tokens (cheaper than wrapping in ``Suppress``)."""
    return []


def _keyword(pattern: str, keep: bool = False) -> pp.Regex:
    """A case-insensitive keyword (spaces in ``pattern`` match any whitespace)."""
    regex = pattern.replace(" ", r"\s+")
    keyword = pp.Regex(rf"(?<!\w)(?i:{regex})(?!\w)").set_name(repr(pattern))
    return keyword if keep else keyword.set_parse_action(_drop)


def _found(text: str, loc: int) -> str:
    """Describe the token at ``loc`` for an error message."""
    if loc >= len(text):
        return "end of query"
    token = _TOKEN_RE.match(text, loc).group()
    return repr(token if len(token) <= 40 else token[:37] + "...")


def _previous(text: str, loc: int) -> str:
    """The token ending before ``loc`` (a path, operator or comma), for error messages."""
    end = len(text[:loc].rstrip())
    if end and text[end - 1] in "(),":
        return text[end - 1]
    start = end
    operator = end > 0 and text[end - 1] in _OPERATOR_CHARS
    while start > 0 and (text[start - 1] in _OPERATOR_CHARS) == operator and not (
        text[start - 1].isspace() or text[start - 1] in "\"'(),"
    ):
        start -= 1
    return text[start:end]


def _one_of(options: list[str]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]


class _Fail(pp.Token):
    """Matches nothing: stops the parse with a message naming what was expected.

    Used as the last alternative wherever the input is committed to one construct, so
    errors point at the offending token instead of wherever backtracking gave up.
    """

    def __init__(self, describe: Describe) -> None:
        super().__init__()
        self.describe = describe
        self.set_name("error")

    def parseImpl(self, instring: str, loc: int, do_actions: bool = True) -> NoReturn:
        raise pp.ParseFatalException(instring, loc, self.describe(instring, loc))


def _expected(what: str) -> _Fail:
    return _Fail(lambda text, loc: f"Expected {what}, found {_found(text, loc)}")


def _closing(what: str) -> _Fail:
    """Failure where ``')'`` is among the expected tokens."""

    def describe(text: str, loc: int) -> str:
        if loc >= len(text):
            return "Unbalanced parenthesis: missing ')'"
        return f"Expected {what}, found {_found(text, loc)}"

    return _Fail(describe)


def _end_of_query(what: str) -> _Fail:
    """Failure where the end of the input is among the expected tokens."""

    def describe(text: str, loc: int) -> str:
        if text.startswith(")", loc):
            return "Unbalanced parenthesis: unexpected ')'"
        return f"Expected {what}, found {_found(text, loc)}"

    return _Fail(describe)


def _describe_operator(text: str, loc: int) -> str:
    path = _previous(text, loc)
    match = _WORD_RE.match(text, loc)
    word = match.group() if match else ""
    if word.lower() == "by" and path.lower() in ("order", "group"):
        return f"Expected a condition, found '{path} {word}'"
    if word and word.lower() not in _NOT_OPERATORS:
        return f"Unknown operator {word!r} after {path!r}"
    return f"Expected an operator after {path!r}, found {_found(text, loc)}"


def _describe_value(text: str, loc: int) -> str:
    if text.startswith(("'", '"'), loc):
        return "Unterminated string"
    return f"Expected a value after {_previous(text, loc)!r}, found {_found(text, loc)}"


# --------------------------------------------------------------------------------------------
# Parse actions (all take the full (text, loc, tokens) signature: no arity guessing at runtime)


@dataclass(frozen=True)
class _Clause:
    """One clause of a query on its way to :class:`ast.Query` (``field`` names its field)."""

    field: str
    value: object


def _unwrap(value: object) -> ast.Value:
    return None if value is _NULL else value  # type: ignore[return-value]


def _make_path(text: str, loc: int, tokens: pp.ParseResults) -> ast.Path:
    if "[" not in tokens[0]:
        return ast.Path(tuple(ast.Segment(name) for name in tokens[0].split(".")), loc)
    segments = tuple(ast.Segment(*match.groups()) for match in _SEGMENT_RE.finditer(tokens[0]))
    return ast.Path(segments, loc)


def _make_value(text: str, loc: int, tokens: pp.ParseResults) -> object:
    """A quoted string (unescaped) or a bare word (converted as the module docstring says)."""
    word = tokens[0]
    if word[0] in "\"'":
        return _UNESCAPE_RE.sub(r"\1", word[1:-1])
    if _INT_RE.fullmatch(word):
        return int(word)
    if _FLOAT_RE.fullmatch(word):
        return float(word)
    return _WORDS.get(word.lower(), word)


def _make_operator(text: str, loc: int, tokens: pp.ParseResults) -> str:
    operator = _OPERATORS.get(tokens[0].lower())
    if operator is None:
        raise pp.ParseFatalException(text, loc, f"Unknown operator {tokens[0]!r}")
    return operator


def _lower(text: str, loc: int, tokens: pp.ParseResults) -> str:
    return tokens[0].lower()


def _make_condition(text: str, loc: int, tokens: pp.ParseResults) -> ast.Criteria:
    path, operator, *rest = tokens
    if operator in ("in", "not_in"):
        if rest and isinstance(rest[0], ast.Query):
            return ast.Membership(path, operator == "not_in", subquery=rest[0])
        return ast.Membership(path, operator == "not_in", tuple(_unwrap(v) for v in rest))
    if operator in ("has", "any"):
        return ast.Related(path, operator, rest[0] if rest else None)
    return ast.Comparison(path, operator, _unwrap(rest[0]))


def _combine(node: Callable[[tuple], ast.Criteria]) -> ParseAction:
    """Parse action building ``node(items)``, or the single item alone."""

    def action(text: str, loc: int, tokens: pp.ParseResults) -> ast.Criteria:
        return tokens[0] if len(tokens) == 1 else node(tuple(tokens))

    return action


def _make_not(text: str, loc: int, tokens: pp.ParseResults) -> ast.Not:
    return ast.Not(tokens[0])


def _clause(field: str, convert: Callable[[pp.ParseResults], object]) -> ParseAction:
    def action(text: str, loc: int, tokens: pp.ParseResults) -> _Clause:
        return _Clause(field, convert(tokens))

    return action


def _make_query(text: str, loc: int, tokens: pp.ParseResults) -> ast.Query:
    fields = {}
    entity_type = ""
    for token in tokens:
        if isinstance(token, _Clause):
            fields[token.field] = token.value
        else:
            entity_type = token
    return ast.Query(entity_type, **fields)


# --------------------------------------------------------------------------------------------
# Grammar

LPAR, RPAR, COMMA = (pp.Literal(c).set_parse_action(_drop) for c in "(),")
SELECT, FROM, WHERE, AND, OR, NOT = (
    _keyword(k) for k in ("select", "from", "where", "and", "or", "not")
)

PATH = pp.Regex(rf"{_NOT_RESERVED}{_SEGMENT}(?:\.{_SEGMENT})*").set_name("path")
PATH.set_parse_action(_make_path)
TYPE = pp.Regex(rf"{_NOT_RESERVED}{_NAME}").set_name("type name")
INTEGER = pp.Regex(r"[0-9]+").set_name("integer")
INTEGER.set_parse_action(lambda text, loc, tokens: int(tokens[0]))

VALUE = pp.Regex(
    r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"  # quoted strings
    rf"|(?!(?i:and|or|not)(?!{_BAREWORD_CHARS})){_BAREWORD_CHARS}+",  # bare words
    re.DOTALL,
).set_name("value")
VALUE.set_parse_action(_make_value)
EXPECT_VALUE = VALUE | _Fail(_describe_value)

COMPARE = pp.Regex(
    r"[=!<>]+|(?<!\w)(?i:is_not|is|after|greater_than|before|less_than|not_like|like)(?!\w)"
).set_name("operator")
COMPARE.set_parse_action(_make_operator)
IN = _keyword("not_in|in", keep=True).set_parse_action(_lower)
RELATED = _keyword("has|any", keep=True).set_parse_action(_lower)
AGGREGATE = _keyword("count|sum|avg|min|max", keep=True).set_parse_action(_lower)
DIRECTION = _keyword("ascending|asc|descending|desc", keep=True)

ORDER_ITEM = (PATH + pp.Opt(DIRECTION)).set_parse_action(
    lambda text, loc, tokens: ast.OrderItem(
        tokens[0], len(tokens) > 1 and tokens[1].lower().startswith("desc")
    )
)
PROJECTION = (
    AGGREGATE + LPAR + (PATH | _expected("a path after '('")) + (RPAR | _closing("')'"))
).set_parse_action(lambda text, loc, tokens: ast.Aggregate(tokens[0], tokens[1])) | PATH


def _path_list(keyword: str, item: pp.ParserElement) -> pp.ParserElement:
    """``keyword item {, item}`` for ``group by`` and ``order by``."""
    return _keyword(keyword) + (item | _expected(f"a path after {keyword!r}")) + (
        pp.ZeroOrMore(COMMA + (item | _expected(f"a path after ',' in {keyword!r}")))
    )


def _build_criteria() -> pp.Forward:
    """``criteria`` with ``in (select ...)`` sub-queries; and binds tighter than or."""
    criteria = pp.Forward().set_name("criteria")
    subquery = _build_query(criteria, RPAR, "')'", closing=True)

    values = pp.Opt(VALUE + pp.ZeroOrMore(COMMA + EXPECT_VALUE))
    membership = IN + (LPAR | _expected("'(' after 'in' or 'not_in'")) + (
        pp.FollowedBy(SELECT) + subquery | values + (RPAR | _closing("',' or ')' in value list"))
    )
    related = RELATED + (LPAR | _expected("'(' after 'has' or 'any'")) + (
        pp.FollowedBy(RPAR) | criteria | _expected("a condition or ')'")
    ) + (RPAR | _closing("'and', 'or' or ')'"))
    comparison = COMPARE + EXPECT_VALUE
    condition = (
        PATH + (comparison | membership | related | _Fail(_describe_operator))
    ).set_parse_action(_make_condition)

    group = LPAR + (criteria | _expected("a condition after '('")) + (
        RPAR | _closing("'and', 'or' or ')'")
    )
    negation = pp.Forward()
    negation <<= condition | group | (
        NOT + (negation | _expected("a condition after 'not'"))
    ).set_parse_action(_make_not)
    conjunction = (
        negation + pp.ZeroOrMore(AND + (negation | _expected("a condition after 'and'")))
    ).set_parse_action(_combine(ast.And))
    criteria <<= (
        conjunction + pp.ZeroOrMore(OR + (conjunction | _expected("a condition after 'or'")))
    ).set_parse_action(_combine(ast.Or))
    return criteria


class _ClauseSpec(NamedTuple):
    """A clause of :func:`_build_query`'s tail."""

    rank: int  # clauses come in increasing rank; clauses of equal rank in either order
    element: pp.ParserElement
    field: str  # the ast.Query field it sets...
    convert: Callable[[pp.ParseResults], object]  # ...to convert(tokens)
    label: str  # names the clause in error messages
    continuations: list[str]  # tokens that may extend the clause, for error messages


def _build_query(
    criteria: pp.ParserElement, end: pp.ParserElement, end_name: str, closing: bool
) -> pp.ParserElement:
    """A whole query followed by ``end``; clauses come in the order of section 6.1.

    The tail is a small state machine (one alternative per clause still allowed) so that a
    failure names exactly what may follow the last clause read.
    """
    def integer(keyword: str) -> pp.ParserElement:
        return _keyword(keyword) + (
            INTEGER | _expected(f"a non-negative integer after {keyword!r}")
        )

    first = itemgetter(0)
    clauses = {
        "where": _ClauseSpec(0, WHERE + (criteria | _expected("a condition after 'where'")),
                             "criteria", first, "criteria", ["'and'", "'or'"]),
        "group by": _ClauseSpec(1, _path_list("group by", PATH), "group_by", tuple,
                                "'group by' paths", ["','"]),
        "order by": _ClauseSpec(2, _path_list("order by", ORDER_ITEM), "order_by", tuple,
                                "'order by' paths", ["','"]),
        "offset": _ClauseSpec(3, integer("offset"), "offset", first, "'offset' value", []),
        "limit": _ClauseSpec(3, integer("limit"), "limit", first, "'limit' value", []),
    }
    elements = {
        name: pp.And([spec.element]).set_parse_action(_clause(spec.field, spec.convert))
        for name, spec in clauses.items()
    }
    fail = _closing if closing else _end_of_query
    states: dict[tuple[tuple[str, ...], str], pp.ParserElement] = {}

    def tail(allowed: tuple[str, ...], previous: str) -> pp.ParserElement:
        """What may follow clause ``previous`` when the clauses ``allowed`` are left."""
        if (allowed, previous) not in states:
            alternatives = []
            for name in allowed:
                rank = clauses[name].rank
                following = tuple(
                    other for other in allowed if other != name and clauses[other].rank >= rank
                )
                alternatives.append(elements[name] + tail(following, name))
            spec = clauses.get(previous)
            expected = (spec.continuations if spec else []) + [repr(name) for name in allowed]
            label = spec.label if spec else previous
            alternatives += [end, fail(f"{_one_of(expected + [end_name])} after {label}")]
            states[allowed, previous] = pp.MatchFirst(alternatives)
        return states[allowed, previous]

    projections = (
        PROJECTION + pp.ZeroOrMore(COMMA + (PROJECTION | _expected("a projection after ','")))
    ).set_parse_action(_clause("projections", tuple))
    select = SELECT + (projections | _expected("a projection after 'select'")) + (
        FROM | _expected("',' or 'from' after projection list")
    ) + (TYPE | _expected("a type name after 'from'"))
    query = (select | TYPE) + tail(tuple(clauses), "type name")
    return query.set_parse_action(_make_query)


_CRITERIA = _build_criteria()
_QUERY = (
    _build_query(_CRITERIA, pp.StringEnd(), "end of query", closing=False)
    | _expected("'select' or a type name")
).parse_with_tabs()
_CRITERIA_ONLY = (
    (_CRITERIA | _expected("a condition"))
    + (pp.StringEnd() | _end_of_query("'and', 'or' or end of criteria"))
).parse_with_tabs()


def _run(grammar: pp.ParserElement, expression: str) -> object:
    """Parse ``expression`` with ``grammar`` and return its single result node."""
    try:
        return grammar.parse_string(expression)[0]
    except pp.ParseBaseException as error:
        raise ParseError(error.msg, expression, error.loc) from None
    except RecursionError:
        raise ParseError("Query expression is nested too deeply", expression) from None


def _check(expression: object) -> None:
    if not isinstance(expression, str):
        raise ParseError(f"Query expression must be a string, not {type(expression).__name__}")
    if not expression.strip():
        raise ParseError("Empty query expression")


#: Parsed queries and criteria, process-wide; sized by the ``parse_cache_bytes`` limit.
CACHE: ParseCache[object] = ParseCache(DEFAULT_LIMITS.parse_cache_bytes)


def _parse(expression: str) -> ast.Query:
    return CACHE.get(expression, functools.partial(_run, _QUERY))  # type: ignore[return-value]


def _parse_criteria(text: str) -> ast.Criteria:
    # A distinct key: the same text may be valid criteria and an invalid query.
    return CACHE.get("\0where " + text, lambda _: _run(_CRITERIA_ONLY, text))  # type: ignore[return-value]


def parse(expression: str) -> ast.Query:
    """Parse a whole query expression; raise :class:`ParseError` if it is malformed.

    Results are cached (equal expressions return the same immutable :class:`ast.Query`), and
    so are their shapes: quoted strings are replaced by slots of the same length
    before parsing (so positions are unchanged), and the cached AST of that template gets the
    expression's strings. Queries differing only in their quoted values (an id, a name) parse
    once.
    """
    _check(expression)
    return CACHE.get("\0shaped " + expression, lambda _: _parse_by_shape(expression))  # type: ignore[return-value]


def _parse_by_shape(expression: str) -> ast.Query:
    found = _shape(expression)
    if found is None:
        return _parse(expression)
    template, literals = found
    try:
        shape = _parse(template)
    except ParseError:
        return _parse(expression)  # the error, worded from the text as written
    return _fill(shape, {_slot(n): value for n, value in enumerate(literals)})


def _shape(expression: str) -> tuple[str, list[str]] | None:
    """The template of ``expression`` (quoted values replaced by same-length slots) and its
    values (unescaped); None when it has no quoted value worth a slot."""
    literals: list[str] = []

    def slot(match: re.Match) -> str:
        raw = match.group()
        literals.append(_UNESCAPE_RE.sub(r"\1", raw[1:-1]))
        return '"' + _slot(len(literals) - 1).ljust(len(raw) - 2, _SLOT_MARK) + '"'

    found = [match.group() for match in _LITERAL_RE.finditer(expression)]
    if _SLOT_MARK in expression or not found or len(found) > _MAX_SLOTS or any(len(raw) < 4 for raw in found):
        return None
    return _LITERAL_RE.sub(slot, expression), literals


def split_values(expression: str) -> tuple[str, list[str]] | None:
    """The shape of ``expression`` (each quoted value replaced by ``""``) and its quoted values,
    unescaped; None when it has more quoted values than a shape takes.

    Expressions with the same shape parse to the same tree but for those values. A shape may
    have no value at all (``select id, name from Project``): its queries share one tree.
    """
    if _SLOT_MARK in expression:
        return None
    pieces: list[str] = []
    values: list[str] = []
    start = 0
    for match in _LITERAL_RE.finditer(expression):
        raw = match.group()
        pieces.append(expression[start:match.start()])
        values.append(_UNESCAPE_RE.sub(r"\1", raw[1:-1]) if "\\" in raw else raw[1:-1])
        start = match.end()
    if len(values) > _MAX_SLOTS:
        return None
    pieces.append(expression[start:])
    return '""'.join(pieces), values


def parse_with_values(shape: str, values: list[str]) -> ast.Query:
    """The tree of ``shape`` (as :func:`split_values` returns it) with ``values`` in place of
    its quoted values, in order; raise :class:`ParseError` if it is malformed."""
    numbers = iter(range(len(values)))
    template = _LITERAL_RE.sub(lambda match: '"' + _slot(next(numbers)) + '"', shape)
    return _fill(_parse(template), {_slot(n): value for n, value in enumerate(values)})


_SLOT_MARK = "\x00"
_MAX_SLOTS = 36
#: A quoted value, escapes included (the loop unrolled: a run of plain characters at a time).
_LITERAL_RE = re.compile(r"\"[^\"\\]*(?:\\.[^\"\\]*)*\"|'[^'\\]*(?:\\.[^'\\]*)*'", re.DOTALL)


def _slot(number: int) -> str:
    return _SLOT_MARK + "0123456789abcdefghijklmnopqrstuvwxyz"[number]


def _fill(node: object, values: dict[str, str]) -> Any:
    """``node`` with every slot string replaced by its value (slots are padded: strip them)."""
    if isinstance(node, str):
        return values.get(node.rstrip(_SLOT_MARK), node) if node.startswith(_SLOT_MARK) else node
    if isinstance(node, tuple):
        return tuple(_fill(item, values) for item in node)
    if dataclasses.is_dataclass(node):
        changes = {f.name: _fill(getattr(node, f.name), values) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)
    return node


def parse_criteria(text: str) -> ast.Criteria:
    """Parse criteria alone (what follows ``where``); raise :class:`ParseError` if malformed."""
    _check(text)
    return _parse_criteria(text)


# pyparsing streamlines a grammar lazily on first use, mutating its elements: do it now (and
# run every parse action once) so that concurrent calls from several threads only read it.
_QUERY.streamline()
_CRITERIA_ONLY.streamline()
_run(_QUERY, "select a, count(b) from T where c in (select d from E) and not f any () limit 1")
