"""Run a parsed query: one SELECT for the rows and their references, one more per collection.

Projections through references are loaded with outer joins in the main statement; each
collection in the projections costs one further statement for all rows of the page together
(chunked ``IN`` lists), so the number of statements never depends on the number of rows.
"""

from __future__ import annotations

import copy
import operator
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ValidationError
from ..limits import LimitExceededError, Limits, current
from ..schema import COLLECTION, REFERENCE, SCALAR, EntityType, Property
from ..values import from_column
from . import ast, computed_python, custom_attributes  # noqa: F401  (registers its filler)
from .compiled import CompiledSelect
from .criteria import compile_criteria
from .scope import Catalog, Scope, discriminator, reference_value, scalar_value
from .tiebreak import tiebreak

if TYPE_CHECKING:
    from ..policy import ReadRules

#: Projection tree: attribute name -> (subtype cast, sub-tree).
Tree = dict[str, tuple[str | None, "Tree"]]

_CHUNK = 500
_CONVERTED_TYPES = ("datetime", "json", "variable")


def build_tree(paths) -> Tree:
    """Nest dotted projection paths: ``a.b, a.c`` -> ``{a: {b, c}}``."""
    tree: Tree = {}
    for path in paths:
        node = tree
        for segment in path.segments:
            cast, child = node.get(segment.name, (None, {}))
            node[segment.name] = (segment.cast or cast, child)
            node = child
    return tree


class Level:
    """The columns and output plan of one entity position in a result row."""

    def __init__(self, scope: Scope, entity_type: EntityType, alias: sa.Alias, tree: Tree, columns: list[Any]) -> None:
        self.scope = scope
        self.entity_type = entity_type
        self.alias = alias
        registry = scope.catalog.registry
        self.references: list[tuple[str, Level]] = []
        self.collections: list[tuple[Property, str | None, Tree]] = []
        self.python_computed: list[Property] = []
        self.produced: list[tuple[Any, dict[str, Any], EntityType]] = []
        self._plans: dict[Any, tuple[EntityType, Callable[[tuple], Any], tuple[str, ...], list[tuple]]] = {}

        table_types = [entity_type] + [
            t for t in registry.concrete_types(entity_type.table) if t.is_a(entity_type)
        ]
        self._discriminators = [
            (c, self._add(columns, alias.c[c])) for c in registry.discriminator_columns(entity_type.table)
        ]
        indexes = [index for _, index in self._discriminators]
        #: The discriminator values of a row, the key of its memoised plan.
        self._row_kind: Callable[[tuple], Any] = operator.itemgetter(*indexes) if indexes else (lambda row: ())
        self._fields: dict[str, tuple[int, Callable | None, Property]] = {}
        for key in entity_type.primary_key:
            self._add_scalar(columns, entity_type.properties[key])
        self._key_index = self._fields[entity_type.primary_key[0]][0]
        wanted = {name for t in table_types for name in t.system_projections}
        for name in sorted(wanted):
            prop = _first_property(table_types, name)
            if prop is not None and prop.kind == SCALAR and not (prop.computed and not _sql_computed(prop)):
                self._add_scalar(columns, prop, owner=_owner_of(table_types, name))
        for name, (cast, subtree) in tree.items():
            prop = registry.prop(entity_type, name)
            if prop.restricted:
                raise ValidationError(f"{entity_type.name}.{name} cannot be projected.")
            if prop.kind == SCALAR:
                if subtree:
                    raise ValidationError(
                        f"{entity_type.name}.{name} is not a relationship; "
                        f"cannot project {name}.{next(iter(subtree))}."
                    )
                if prop.computed and not _sql_computed(prop):
                    self.python_computed.append(prop)
                else:
                    self._add_scalar(columns, prop)
            elif prop.kind == REFERENCE and not (prop.computed and not _sql_computed(prop)):
                target_alias, target = scope.join_reference(alias, entity_type, prop, cast)
                self.references.append((name, Level(scope, target, target_alias, subtree, columns)))
            elif prop.kind == COLLECTION and prop.computed:
                self.python_computed.append(prop)
            else:
                self.collections.append((prop, cast, subtree))
        #: How each collection loads, by name (shared by the copies :meth:`fresh` makes).
        self._loaders: dict[str, CollectionLoader] = {}
        #: Whether materialised entities are remembered, for collections and computed values.
        self._records = bool(self.python_computed or self.collections)
        #: Whether this level or a reference below it keeps state between rows of one run.
        self._stateful = self._records or any(level._stateful for _, level in self.references)

    @staticmethod
    def _add(columns: list[Any], column: Any) -> int:
        """The position of ``column`` in the statement's columns, added unless already there
        (a discriminator that is also a projected attribute is selected once)."""
        for index, existing in enumerate(columns):
            if existing is column:
                return index
        columns.append(column)
        return len(columns) - 1

    def _add_scalar(self, columns: list[Any], prop: Property, owner: EntityType | None = None) -> None:
        if prop.name in self._fields:
            return
        value = scalar_value(self.scope.catalog, self.alias, owner or self.entity_type, prop)
        converter = None
        if prop.data_type in _CONVERTED_TYPES:
            data_type = prop.data_type
            converter = lambda v, t=data_type: None if v is None else from_column(t, v)
        self._fields[prop.name] = (self._add(columns, value), converter, prop)

    def _plan(self, row: tuple) -> tuple[EntityType, Callable[[tuple], dict[str, Any]]]:
        """The concrete type of ``row``'s entity and the function building it, memoised per
        discriminator values."""
        key = self._row_kind(row)
        plan = self._plans.get(key)
        if plan is None:
            concrete = self.scope.catalog.row_type(
                self.entity_type, tuple((column, row[index]) for column, index in self._discriminators))
            fields = [(name, index, converter) for name, (index, converter, _) in self._fields.items()
                      if name in concrete.properties]
            plan = self._plans[key] = (concrete, _entity_builder(concrete.name, fields))
        return plan

    def materialise(self, row: tuple) -> dict[str, Any] | None:
        """The entity of this level in ``row`` (None when a joined reference is empty)."""
        key = row[self._key_index]
        if key is None:
            return None
        plan = self._plans.get(self._row_kind(row))
        concrete, build = plan if plan is not None else self._plan(row)
        entity = build(row)
        for name, level in self.references:
            entity[name] = level.materialise(row)
        if self._records:
            self.produced.append((key, entity, concrete))
        return entity

    def fresh(self) -> Level:
        """A copy of this level (and of its references) that has produced nothing yet: the
        columns and plans are shared, so one compiled statement serves many executions."""
        if not self._stateful:
            return self
        level = copy.copy(self)
        level.produced = []
        level.references = [(name, reference.fresh()) for name, reference in self.references]
        return level

    def complete(self, connection: sa.Connection, rules: ReadRules) -> None:
        """Load this level's collections and Python-computed values as ``rules``' user sees
        them, then recurse."""
        if self.produced:
            catalog = self.scope.catalog
            for prop in self.python_computed:
                computed_python.fill(catalog, connection, prop, self.produced, rules)
            for prop, cast, subtree in self.collections:
                loader = self._loaders.get(prop.name)
                if loader is None:
                    loader = self._loaders[prop.name] = CollectionLoader(
                        catalog, rules, self.entity_type, prop, cast, subtree)
                load_collection(loader, rules, connection, self.produced, prop)
        for _, level in self.references:
            level.complete(connection, rules)


def _entity_builder(type_name: str, fields: list[tuple[str, int, Callable | None]]) -> Callable[[tuple], dict]:
    """A function returning the entity of a row as one dict display (the fastest way Python
    builds a dict): ``{"__entity_type__": type_name, name: row[index], ...}``, values needing a
    conversion last. Names are the schema's attribute names, written as Python literals."""
    namespace: dict[str, Any] = {}
    plain = [f"{name!r}: row[{index}]" for name, index, converter in fields if converter is None]
    converted = []
    for name, index, converter in fields:
        if converter is not None:
            namespace[f"convert{len(converted)}"] = converter
            converted.append(f"{name!r}: convert{len(converted)}(row[{index}])")
    display = ", ".join([f"'__entity_type__': {type_name!r}", *plain, *converted])
    return eval(f"lambda row: {{{display}}}", namespace)  # only schema names and integers reach the code


def _first_property(types: list[EntityType], name: str) -> Property | None:
    for entity_type in types:
        if name in entity_type.properties:
            return entity_type.properties[name]
    return None


def _owner_of(types: list[EntityType], name: str) -> EntityType:
    return next(t for t in types if name in t.properties)


def _sql_computed(prop: Property) -> bool:
    from . import computed_sql
    return computed_sql.is_sql(prop.computed)


class CollectionLoader:
    """The statement loading collection ``prop`` of many owners, and its row plan: built once
    per owner level (so once per query plan), compiled once per number of owners up to
    ``_COMPILED_OWNERS``."""

    def __init__(self, catalog: Catalog, rules: ReadRules, owner_type: EntityType, prop: Property,
                 cast: str | None, tree: Tree) -> None:
        scope = Scope(catalog, catalog.registry.get(cast or prop.target), rules)
        member, target, link, owner_key = scope.join_collection(None, owner_type, prop, cast)
        columns: list[Any] = [owner_key]
        self.level = Level(scope, target, member, tree, columns)
        select = sa.select(*columns).select_from(scope.from_clause)
        order = (owner_key, *(member.c[c] for c in prop.order), member.c[target.primary_key[0]])
        self._statement = lambda owners: select.where(link, owner_key.in_(owners)).order_by(*order)
        self._compiled: dict[int, CompiledSelect] = {}

    def rows(self, connection: sa.Connection, owners: list[Any]) -> Any:
        """The member rows of ``owners`` (at most ``_CHUNK``), each starting with its owner's id."""
        compiled = self._compiled.get(len(owners))
        if compiled is None:
            if len(owners) > _COMPILED_OWNERS:
                return connection.execute(self._statement(owners))
            token = secrets.token_hex(8)
            stand_ins = {f"clapboard-owner-{token}-{n}": n for n in range(len(owners))}
            compiled = CompiledSelect(self._statement(list(stand_ins)), connection.dialect, stand_ins)
            self._compiled[len(owners)] = compiled
        return compiled.rows(connection, owners)


#: Collections of at most this many owners run a statement compiled for their number.
_COMPILED_OWNERS = 32


def load_collection(
    loader: CollectionLoader,
    rules: ReadRules,
    connection: sa.Connection,
    owners: list[tuple[Any, dict[str, Any], EntityType]],
    prop: Property,
) -> None:
    """Fill collection ``prop`` on every owner entity with one statement per chunk of owners."""
    by_owner: dict[Any, list[dict[str, Any]]] = {}
    for owner_id, entity, concrete in owners:
        if prop.name in concrete.properties:
            entity[prop.name] = by_owner.setdefault(owner_id, [])
    if not by_owner:
        return
    level = loader.level.fresh()
    ids = list(by_owner)
    for start in range(0, len(ids), _CHUNK):
        for row in loader.rows(connection, ids[start:start + _CHUNK]):
            entity = level.materialise(row)
            if entity is not None:
                by_owner[row[0]].append(entity)
    level.complete(connection, rules)


def _order_column(scope: Scope, entity_type: EntityType, item: ast.OrderItem) -> sa.ColumnElement:
    alias = scope.root
    segments = item.path.segments
    for position, segment in enumerate(segments):
        prop = scope.catalog.registry.prop(entity_type, segment.name)
        last = position == len(segments) - 1
        if prop.kind == SCALAR and last:
            column = scalar_value(scope.catalog, alias, entity_type, prop)
            return column.desc() if item.descending else column.asc()
        if prop.kind == REFERENCE and last:
            column = reference_value(scope.catalog, alias, entity_type, prop)
            return column.desc() if item.descending else column.asc()
        if prop.kind != REFERENCE:
            raise ValidationError(
                f"Cannot order by {str(item.path)!r}: {entity_type.name}.{prop.name} is "
                f"{'a collection' if prop.kind == COLLECTION else 'not a relationship'}."
            )
        alias, entity_type = scope.join_reference(alias, entity_type, prop, segment.cast)
    raise ValidationError(f"Cannot order by {str(item.path)!r}.")


def default_paths(entity_type: EntityType) -> list[ast.Path]:
    return [ast.Path((ast.Segment(name),)) for name in entity_type.default_projections]


class Prepared:
    """The SELECT of a query and how its rows become entities: built once, run many times
    (with the values of its bound parameters, when they are named)."""

    def __init__(self, statement: sa.Select, level: Level, offset: int, limit: int | None, ceiling: int) -> None:
        self.statement = statement
        self.level = level
        self.offset = offset
        self.limit = limit
        #: The most rows an answer can hold (see :func:`row_ceiling`): more are never read.
        self.ceiling = ceiling

    def run(self, connection: sa.Connection, rules: ReadRules, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``query`` action's result, read on ``connection`` as ``rules``' user."""
        rows = connection.execute(self.statement, values).all()
        return self.shape(connection, rules, rows)

    def shape(self, connection: sa.Connection, rules: ReadRules, rows: list) -> dict[str, Any]:
        """The ``query`` action's result for the statement's ``rows``."""
        limit, offset = self.limit, self.offset
        if len(rows) > self.ceiling and (limit is None or limit > self.ceiling):
            raise LimitExceededError(
                f"The query matches more than {self.ceiling:,} rows, more than an answer can hold; "
                "page it with offset and limit (the client's query results do)",
                "max_response_bytes", current().max_response_bytes, status_code=413)
        more = limit is not None and len(rows) > limit
        if more:
            rows = rows[:limit]
        level = self.level.fresh()
        materialise = level.materialise
        data = [materialise(row) for row in rows]
        level.complete(connection, rules)
        return {
            "action": "query",
            "data": data,
            "metadata": {"next": {"offset": offset + len(data) if more else None}},
        }


def prepare(catalog: Catalog, query: ast.Query, rules: ReadRules) -> Prepared | None:
    """The :class:`Prepared` form of ``query`` read as ``rules``' user; None for aggregates."""
    entity_type = catalog.registry.get(query.entity_type)
    if query.group_by or any(isinstance(p, ast.Aggregate) for p in query.projections):
        return None
    scope = Scope(catalog, entity_type, rules)
    root = scope.root
    conditions = [discriminator(entity_type, root), scope.visible(entity_type, root)]
    if query.criteria is not None:
        conditions.append(compile_criteria(scope, entity_type, root, query.criteria, required=True))
    ordering = [_order_column(scope, entity_type, item) for item in query.order_by]
    ordering.append(tiebreak(root.c[entity_type.primary_key[0]], ordering))
    columns: list[Any] = []
    level = Level(scope, entity_type, root, build_tree(query.projections or default_paths(entity_type)), columns)
    statement = sa.select(*columns).select_from(scope.from_clause).where(*conditions).order_by(*ordering)
    offset = query.offset or 0
    if offset:
        statement = statement.offset(offset)
    ceiling = row_ceiling(current())
    wanted = query.limit if query.limit is not None and query.limit <= ceiling else ceiling
    statement = statement.limit(wanted + 1)  # one more tells whether there are more
    return Prepared(statement, level, offset, query.limit, ceiling)


#: Fewest bytes one entity takes in an answer: ``{"__entity_type__": "X", "id": "<uuid>"}``.
MIN_ENTITY_BYTES = 48


def row_ceiling(limits: Limits) -> int:
    """The most rows an answer within ``max_response_bytes`` can hold: a query matching more is
    refused before its rows are read and built (the answer would be refused anyway)."""
    return max(1, limits.max_response_bytes // MIN_ENTITY_BYTES)


def execute(catalog: Catalog, connection: sa.Connection, query: ast.Query, rules: ReadRules) -> dict[str, Any]:
    """Run ``query`` as the user ``rules`` describe and return the ``query`` action's result."""
    prepared = prepare(catalog, query, rules)
    if prepared is None:
        return _execute_aggregate(catalog, connection, catalog.registry.get(query.entity_type), query, rules)
    return prepared.run(connection, rules)


def subquery_values(catalog: Catalog, query: ast.Query, rules: ReadRules) -> sa.Select:
    """A one-column SELECT for ``x in (select y from T where ...)``."""
    entity_type = catalog.registry.get(query.entity_type)
    if len(query.projections) != 1 or not isinstance(query.projections[0], ast.Path):
        raise ValidationError("A sub-query must select exactly one attribute.")
    scope = Scope(catalog, entity_type, rules)
    alias, owner = scope.root, entity_type
    segments = query.projections[0].segments
    for position, segment in enumerate(segments):
        prop = catalog.registry.prop(owner, segment.name)
        if position == len(segments) - 1:
            if prop.kind == SCALAR:
                column = scalar_value(catalog, alias, owner, prop)
            elif prop.kind == REFERENCE:
                column = reference_value(catalog, alias, owner, prop)
            else:
                raise ValidationError(f"A sub-query cannot select the collection {prop.name!r}.")
        elif prop.kind == REFERENCE:
            alias, owner = scope.join_reference(alias, owner, prop, segment.cast)
        else:
            raise ValidationError(f"A sub-query can only follow references, not {prop.name!r}.")
    conditions = [discriminator(entity_type, scope.root), scope.visible(entity_type, scope.root)]
    if query.criteria is not None:
        conditions.append(compile_criteria(scope, entity_type, scope.root, query.criteria, required=True))
    statement = sa.select(column).select_from(scope.from_clause).where(*conditions)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    if query.offset:
        statement = statement.offset(query.offset)
    return statement


_AGGREGATES = {"count": sa.func.count, "sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min, "max": sa.func.max}


def _path_column(scope: Scope, entity_type: EntityType, path: ast.Path) -> sa.ColumnElement:
    alias, owner = scope.root, entity_type
    for position, segment in enumerate(path.segments):
        prop = scope.catalog.registry.prop(owner, segment.name)
        if position == len(path.segments) - 1:
            if prop.kind == SCALAR:
                return scalar_value(scope.catalog, alias, owner, prop)
            if prop.kind == REFERENCE:
                return reference_value(scope.catalog, alias, owner, prop)
        if prop.kind != REFERENCE:
            raise ValidationError(f"Cannot group or aggregate on {str(path)!r}: {prop.name} is not a reference.")
        alias, owner = scope.join_reference(alias, owner, prop, segment.cast)
    raise ValidationError(f"Cannot use {str(path)!r} here.")


def _execute_aggregate(catalog: Catalog, connection: sa.Connection, entity_type: EntityType, query: ast.Query,
                       rules: ReadRules) -> dict[str, Any]:
    scope = Scope(catalog, entity_type, rules)
    labelled = []
    for projection in query.projections:
        if isinstance(projection, ast.Aggregate):
            column = _AGGREGATES[projection.function](_path_column(scope, entity_type, projection.path))
            labelled.append((f"{projection.function}_{str(projection.path).replace('.', '_')}", column))
        else:
            labelled.append((str(projection), _path_column(scope, entity_type, projection)))
    groups = [_path_column(scope, entity_type, path) for path in query.group_by]
    for path, column in zip(query.group_by, groups):
        if str(path) not in dict(labelled):
            labelled.append((str(path), column))
    conditions = [discriminator(entity_type, scope.root), scope.visible(entity_type, scope.root)]
    if query.criteria is not None:
        conditions.append(compile_criteria(scope, entity_type, scope.root, query.criteria, required=True))
    statement = sa.select(*(c for _, c in labelled)).select_from(scope.from_clause).where(*conditions)
    if groups:
        statement = statement.group_by(*groups).order_by(*groups)
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    data = [dict(zip((name for name, _ in labelled), row)) for row in connection.execute(statement)]
    return {"action": "query", "data": data, "metadata": {"next": {"offset": None}}}
