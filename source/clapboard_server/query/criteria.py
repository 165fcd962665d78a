"""Compile the ``where`` part of a query into a SQLAlchemy condition.

References become outer joins of the enclosing scope; collections become correlated
``EXISTS`` sub-queries. Every value is a bound parameter: nothing from the query text
reaches SQL as text.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from ..errors import ValidationError
from ..schema import COLLECTION, REFERENCE, SCALAR, EntityType, Property
from ..values import to_query_value
from . import ast
from .scope import Scope, reference_value, scalar_value

Leaf = Callable[[Scope, EntityType, sa.Alias, Property], sa.ColumnElement]

_OPERATORS = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c.is_distinct_from(v),
    ">": lambda c, v: c > v,
    "<": lambda c, v: c < v,
    ">=": lambda c, v: c >= v,
    "<=": lambda c, v: c <= v,
    "like": lambda c, v: c.ilike(v, escape="\\"),
    "not_like": lambda c, v: sa.not_(sa.func.coalesce(c.ilike(v, escape="\\"), sa.false())),
}


def compile_criteria(scope: Scope, entity_type: EntityType, alias: sa.Alias, node: ast.Criteria,
                     required: bool = False) -> sa.ColumnElement:
    """The SQL condition for ``node`` evaluated on rows of ``alias``.

    ``required``: rows failing ``node`` are left out of the SELECT (``node`` is its WHERE or a
    conjunct of it). A reference that a required condition follows to compare a value
    is then joined with an inner join: a row whose reference is empty fails the comparison
    anyway, and an inner join leaves the planner free to start from the referenced table
    (find the statuses of a state first, then the tasks having them).
    """
    if isinstance(node, ast.And):
        return _balanced(sa.and_, [compile_criteria(scope, entity_type, alias, item, required) for item in node.items])
    if isinstance(node, ast.Or):
        return _balanced(sa.or_, [compile_criteria(scope, entity_type, alias, item) for item in node.items])
    if isinstance(node, ast.Not):
        inner = compile_criteria(scope, entity_type, alias, node.item)
        return sa.not_(sa.func.coalesce(inner, sa.false()))
    if isinstance(node, ast.Comparison):
        inner_joins = required and node.value is not None and node.operator in _REJECTING_EMPTY
        return _on_path(scope, entity_type, alias, node.path, node.path.segments, _comparison(node),
                        inner_joins=inner_joins)
    if isinstance(node, ast.Membership):
        inner_joins = required and not node.negated and (
            node.subquery is not None or (bool(node.values) and None not in node.values))
        return _on_path(scope, entity_type, alias, node.path, node.path.segments, _membership(node),
                        inner_joins=inner_joins)
    if isinstance(node, ast.Related):
        return _on_path(scope, entity_type, alias, node.path, node.path.segments, _related(node, required),
                        stop_at_relation=True, inner_joins=required)
    raise ValidationError(f"Unsupported criteria {node!r}.")


#: Operators never true of an empty value.
_REJECTING_EMPTY = frozenset(("=", ">", "<", ">=", "<=", "like"))


def _balanced(combine: Callable[..., sa.ColumnElement], items: list[sa.ColumnElement]) -> sa.ColumnElement:
    """``combine(*items)`` as a tree of groups of at most ``_GROUP`` items.

    Databases parse ``a or b or c ...`` as a chain as deep as it is long (SQLite refuses 1,000
    terms); grouping keeps the depth logarithmic.
    """
    while len(items) > _GROUP:
        items = [_Parenthesised(combine(*items[start:start + _GROUP])) for start in range(0, len(items), _GROUP)]
    return combine(*items)


_GROUP = 16


class _Parenthesised(sa.ColumnElement):
    """A boolean expression always written in parentheses (SQLAlchemy flattens ``or_`` groups)."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals: ClassVar = [("inner", InternalTraversal.dp_clauseelement)]

    def __init__(self, inner: sa.ColumnElement) -> None:
        self.inner = inner


@compiles(_Parenthesised)
def _compile_parenthesised(element: _Parenthesised, compiler: Any, **kwargs: Any) -> str:
    return f"({compiler.process(element.inner, **kwargs)})"


def _on_path(
    scope: Scope,
    entity_type: EntityType,
    alias: sa.Alias,
    path: ast.Path,
    segments: Sequence[ast.Segment],
    leaf: Leaf,
    stop_at_relation: bool = False,
    inner_joins: bool = False,
) -> sa.ColumnElement:
    segment, rest = segments[0], segments[1:]
    prop = scope.catalog.registry.prop(entity_type, segment.name)
    if prop.restricted:
        raise ValidationError(f"{entity_type.name}.{prop.name} cannot be used in queries.")
    if not rest:
        if prop.kind == COLLECTION and not stop_at_relation:
            raise ValidationError(
                f"{entity_type.name}.{prop.name} is a collection; compare one of its attributes "
                f"(for example {prop.name}.id) or use 'any'."
            )
        return leaf(scope, entity_type, alias, prop)
    if prop.kind == SCALAR:
        raise ValidationError(
            f"{entity_type.name}.{prop.name} is not a relationship; "
            f"cannot follow it to {rest[0].name!r} in {str(path)!r}."
        )
    cast = segment.cast or _implicit_cast(scope, prop, rest[0].name)
    if prop.kind == REFERENCE:
        if (len(rest) == 1 and not stop_at_relation and not rest[0].cast
                and _compares_stored_key(scope, prop, cast, rest[0].name)):
            # ``parent.id is X``: compare the stored reference, no join (the planner then starts
            # from the referencing column's index).
            return leaf(scope, entity_type, alias, prop)
        target_alias, target = scope.join_reference(alias, entity_type, prop, cast, inner=inner_joins)
        return _on_path(scope, target, target_alias, path, rest, leaf, stop_at_relation, inner_joins)
    # Inside the members' sub-query, the condition is required of the members it counts.
    return _members(scope, entity_type, alias, prop, cast,
                    lambda sub, target, member: _on_path(sub, target, member, path, rest, leaf, stop_at_relation,
                                                         inner_joins))


def _compares_stored_key(scope: Scope, prop: Property, cast: str | None, name: str) -> bool:
    """Whether ``<prop>.<name>`` is the stored reference column itself: ``name`` is the target's
    single text key, the target needs no discriminator and the user may read all its rows."""
    if prop.computed or cast:
        return False
    target = scope.catalog.registry.get(prop.target)
    key = target.primary_key
    return (key == [name] and not target.where and target.properties[name].data_type == "string"
            and scope.rules.predicate(target, scope.catalog.table(target)) is None)


def _members(
    scope: Scope, entity_type: EntityType, alias: sa.Alias, prop: Property, cast: str | None,
    condition: Callable[[Scope, EntityType, sa.Alias], sa.ColumnElement | None],
) -> sa.ColumnElement:
    """``alias`` has a member of collection ``prop`` meeting ``condition``.

    Members reached through a link table (``ancestors``, ``descendants``, list members) are
    matched as ``key IN (SELECT owner key FROM link JOIN members WHERE ...)``: the planner reads
    the few link rows of the named member once (``descendants.id is X`` reads X's ancestry)
    instead of probing the link for every owner row. Members holding their owner's key
    (``assignments``, ``notes``, custom attribute values) stay a correlated ``EXISTS``: the
    owner's other criteria (usually its project) are then the selective side, and the members
    are read through their owner-key index.
    """
    sub = scope.child(scope.catalog.registry.get(cast or prop.target))
    if prop.through:
        member, target, link, owner_key = sub.join_collection(None, entity_type, prop, cast)
        conditions = [link, owner_key.is_not(None)]
    else:
        member, target, link, owner_key = sub.join_collection(alias, entity_type, prop, cast)
        conditions = [link]
    inner = condition(sub, target, member)
    if inner is not None:
        conditions.append(inner)
    if prop.through:
        owners = sa.select(owner_key).select_from(sub.from_clause).where(*conditions)
        return alias.c[entity_type.primary_key[0]].in_(owners)
    return sa.exists(sa.select(sa.literal(1)).select_from(sub.from_clause).where(*conditions))


def _implicit_cast(scope: Scope, prop: Property, name: str) -> str | None:
    """The one subtype of ``prop``'s target that has attribute ``name`` when the target
    lacks it (``resource.username`` of an Appointment means a User resource)."""
    registry = scope.catalog.registry
    target = registry.get(prop.target)
    if name in target.properties:
        return None
    owners = {t.name for t in registry.concrete_types(target.table) if t.is_a(target) and name in t.properties}
    return owners.pop() if len(owners) == 1 else None


def _leaf_column(scope: Scope, entity_type: EntityType, alias: sa.Alias, prop: Property):
    """The column a comparison applies to and the data type its values convert to."""
    if prop.kind == REFERENCE:
        return reference_value(scope.catalog, alias, entity_type, prop), "string"
    return scalar_value(scope.catalog, alias, entity_type, prop), prop.data_type


def _convert(entity_type: EntityType, prop: Property, data_type: str, value: Any) -> Any:
    if isinstance(value, dict):  # an entity reference given as a value
        value = value.get("id")
    return to_query_value(data_type, value, entity_type.name, prop.name)


def _typed_operand(alias: sa.Alias, prop: Property, value: Any, operator: str) -> tuple[sa.ColumnElement, Any]:
    """The typed column a literal compares with (bare numbers: the numeric value; anything
    else: the text form) and the literal in that column's form."""
    columns = prop.typed_columns
    if isinstance(value, bool):
        return alias.c[columns["string"]], "true" if value else "false"
    if isinstance(value, (int, float)) and operator not in ("like", "not_like"):
        return alias.c[columns["number"]], float(value)
    if isinstance(value, dict):  # an entity reference given as a value
        value = value.get("id")
    return alias.c[columns["string"]], str(value)


def _comparison(node: ast.Comparison) -> Leaf:
    def leaf(scope: Scope, entity_type: EntityType, alias: sa.Alias, prop: Property) -> sa.ColumnElement:
        column, data_type = _leaf_column(scope, entity_type, alias, prop)
        if node.value is None:
            if node.operator == "=":
                return column.is_(None)
            if node.operator == "!=":
                return column.is_not(None)
            raise ValidationError(f"Operator {node.operator!r} cannot compare {str(node.path)!r} with None.")
        if prop.typed:
            typed_column, value = _typed_operand(alias, prop, node.value, node.operator)
            return _OPERATORS[node.operator](typed_column, value)
        if node.operator in ("like", "not_like"):
            return _OPERATORS[node.operator](sa.cast(column, sa.Text) if data_type != "string" else column, str(node.value))
        converted = _convert(entity_type, prop, data_type, node.value)
        if data_type == "datetime" and node.operator in ("=", "!=") and _whole_second(node.value):
            return _within_second(column, converted, negated=node.operator == "!=")
        return _OPERATORS[node.operator](column, converted)
    return leaf


def _whole_second(literal: Any) -> bool:
    """Whether a datetime literal is written without a fraction of a second (as the ftrack
    client's ``ensure`` writes them: it drops microseconds)."""
    return isinstance(literal, str) and "." not in literal


def _within_second(column: sa.ColumnElement, start: Any, negated: bool) -> sa.ColumnElement:
    """A datetime written to the second equals every stored value within that second."""
    within = sa.and_(column >= start, column < start + _dt.timedelta(seconds=1))
    return sa.not_(sa.func.coalesce(within, sa.false())) if negated else within


def _membership(node: ast.Membership) -> Leaf:
    def leaf(scope: Scope, entity_type: EntityType, alias: sa.Alias, prop: Property) -> sa.ColumnElement:
        column, data_type = _leaf_column(scope, entity_type, alias, prop)
        if node.subquery is not None:
            from .select import subquery_values
            values = subquery_values(scope.catalog, node.subquery, scope.rules)
            condition = column.in_(values)
        elif prop.typed:
            by_column: dict[str, tuple[sa.ColumnElement, list[Any]]] = {}
            for value in node.values:
                if value is not None:
                    typed_column, converted = _typed_operand(alias, prop, value, "=")
                    by_column.setdefault(typed_column.name, (typed_column, []))[1].append(converted)
            condition = sa.or_(sa.false(), *(c.in_(v) for c, v in by_column.values()))
        else:
            values = [_convert(entity_type, prop, data_type, v) for v in node.values if v is not None]
            condition = column.in_(values) if values else sa.false()
            if any(v is None for v in node.values):
                condition = sa.or_(condition, column.is_(None))
        if node.negated:
            return sa.not_(sa.func.coalesce(condition, sa.false()))
        return condition
    return leaf


def _related(node: ast.Related, required: bool) -> Leaf:
    def leaf(scope: Scope, entity_type: EntityType, alias: sa.Alias, prop: Property) -> sa.ColumnElement:
        segment = node.path.segments[-1]
        if prop.kind == REFERENCE:
            target_alias, target = scope.join_reference(alias, entity_type, prop, segment.cast, inner=required)
            present = target_alias.c[target.primary_key[0]].is_not(None)
            if node.criteria is None:
                return present
            return sa.and_(present, compile_criteria(scope, target, target_alias, node.criteria, required))
        if prop.kind != COLLECTION:
            raise ValidationError(
                f"{entity_type.name}.{prop.name} is not a relationship; '{node.operator}' needs one."
            )
        criteria = node.criteria
        return _members(scope, entity_type, alias, prop, segment.cast,
                        lambda sub, target, member: None if criteria is None
                        else compile_criteria(sub, target, member, criteria, required=True))
    return leaf
