"""Table aliases and joins of one SELECT, and how relationships link two aliases."""

from __future__ import annotations

import functools
import itertools
import threading
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ValidationError
from ..limits import MAX_JOINED_TABLES, LimitExceededError, check, current
from ..schema import COLLECTION, REFERENCE, EntityType, Property, Registry
from . import computed_sql

if TYPE_CHECKING:
    from ..policy import ReadRules


class Catalog:
    """What the compiler needs to know about the database: the registry and its tables."""

    #: Aliases numbered below this are built once and shared by every query.
    SHARED_ALIASES = 64

    def __init__(self, registry: Registry, tables: dict[str, sa.Table]) -> None:
        self.registry = registry
        self.tables = tables
        self._aliases: dict[tuple[str, int], sa.Alias] = {}
        self._lock = threading.Lock()
        self._row_types: dict[tuple[str, tuple], EntityType] = {}

    def table(self, entity_type: EntityType) -> sa.Table:
        return self.tables[entity_type.table]

    def alias(self, entity_type: EntityType, number: int) -> sa.Alias:
        """Alias ``t<number>`` of the type's table.

        Building an alias's column collection costs more than compiling a small query, so
        the low-numbered aliases every query uses are built once (columns included, under a
        lock) and reused: an alias is an immutable description, safe to share between
        statements and threads.
        """
        key = (entity_type.table, number)
        alias = self._aliases.get(key)
        if alias is None:
            alias = self.table(entity_type).alias(f"t{number}")
            if number < self.SHARED_ALIASES:
                with self._lock:
                    alias.c  # noqa: B018 - build the column collection before sharing
                    alias = self._aliases.setdefault(key, alias)
        return alias

    def row_type(self, entity_type: EntityType, discriminators: tuple[tuple[str, Any], ...]) -> EntityType:
        """The concrete type of a row of ``entity_type`` with these discriminator values (memoised)."""
        key = (entity_type.name, discriminators)
        concrete = self._row_types.get(key)
        if concrete is None:
            concrete = self._row_types[key] = self.registry.resolve_row_type(entity_type, dict(discriminators))
        return concrete

    def link_table(self, name: str) -> sa.Table:
        entity_type = self.registry.types.get(name)
        return self.tables[entity_type.table if entity_type else name]


class Scope:
    """The FROM clause of one SELECT: a root alias plus outer joins for references.

    ``rules`` (the reading user's :class:`~clapboard_server.policy.ReadRules`) restrict every
    alias of the scope: the root through :meth:`visible`, joins in their ``ON`` clause and
    collection members in their link condition, so unreadable rows are never reached.
    """

    def __init__(self, catalog: Catalog, entity_type: EntityType, rules: ReadRules,
                 names: itertools.count | None = None, depth: int = 0) -> None:
        self.catalog = catalog
        self.rules = rules
        #: Sub-queries this scope is nested in (its SELECT sits inside that many others).
        self.depth = depth
        self.names = names or itertools.count()
        self.entity_type = entity_type
        self.root = self.alias(entity_type)
        self.from_clause = self.root
        self._joins: dict[tuple[str, str, str | None], tuple[sa.Alias, EntityType]] = {}

    def alias(self, entity_type: EntityType) -> sa.Alias:
        return self.catalog.alias(entity_type, next(self.names))

    def child(self, entity_type: EntityType) -> Scope:
        """A scope for a correlated sub-query, sharing alias numbering with this one."""
        check(self.depth + 1, "max_query_depth", current(), f"The query nests sub-queries {self.depth + 1} deep")
        return Scope(self.catalog, entity_type, self.rules, self.names, self.depth + 1)

    def visible(self, entity_type: EntityType, alias: sa.Alias) -> sa.ColumnElement:
        """The condition selecting the rows of ``alias`` the user may read."""
        condition = self.rules.predicate(entity_type, alias)
        return sa.true() if condition is None else condition

    def join_reference(
        self, alias: sa.Alias, owner: EntityType, prop: Property, cast: str | None = None, inner: bool = False
    ) -> tuple[sa.Alias, EntityType]:
        """Outer-join the target of reference ``prop`` (once per alias and attribute); ``inner``:
        join it with an inner join if this is the first join (the caller knows that rows without
        a target are left out of the SELECT anyway)."""
        key = (alias.name, prop.name, cast)
        if key not in self._joins:
            if len(self._joins) >= MAX_JOINED_TABLES:
                raise LimitExceededError("The query joins too many tables through references",
                                         "joined tables per select", MAX_JOINED_TABLES)
            target = target_type(self.catalog.registry, prop, cast)
            target_alias = self.alias(target)
            on = target_alias.c[target.primary_key[0]] == reference_value(self.catalog, alias, owner, prop)
            if cast:
                on = sa.and_(on, discriminator(target, target_alias))
            elif target.where and not prop.type_column:
                # A stored reference points at a row of one of the types the integrity checks allow
                # for it, so their discriminators change no result; they let the planner use the
                # types' own indexes (a project found by its unique name, not by a name thousands
                # of tasks share).
                allowed = reference_targets(self.catalog.registry, owner.name, prop.name)
                on = sa.and_(on, sa.or_(*(discriminator(t, target_alias) for t in allowed)))
            restriction = self.rules.predicate(target, target_alias)
            if restriction is not None:
                on = sa.and_(on, restriction)
            self.from_clause = self.from_clause.join(target_alias, on, isouter=not inner)
            self._joins[key] = (target_alias, target)
        return self._joins[key]

    def join_collection(
        self, owner_alias: sa.Alias, owner: EntityType, prop: Property, cast: str | None = None
    ) -> tuple[sa.Alias, EntityType, sa.ColumnElement, sa.ColumnElement]:
        """Make this (child) scope range over the members of collection ``prop``.

        Returns the member alias, its type, the condition tying members to the owner alias,
        and the column holding the owner's id (for batch loading).
        """
        target = target_type(self.catalog.registry, prop, cast)
        member = self.root
        conditions = [discriminator(target, member)]
        conditions += [member.c[column] == schema_constant(value) for column, value in prop.where.items()]
        restriction = self.rules.predicate(target, member)
        if restriction is not None:
            conditions.append(restriction)
        if prop.inverse:
            owner_key = member.c[prop.inverse]
        elif prop.through:
            name, source, destination = prop.through
            link = self.catalog.link_table(name).alias(f"t{next(self.names)}")
            self.from_clause = self.from_clause.join(
                link, link.c[destination] == member.c[target.primary_key[0]]
            )
            owner_key = link.c[source]
        else:
            raise ValidationError(f"{owner.name}.{prop.name} cannot be used in a query path.")
        if owner_alias is not None:
            conditions.append(owner_key == owner_alias.c[owner.primary_key[0]])
        return member, target, sa.and_(*conditions), owner_key


@functools.lru_cache(maxsize=4096)
def reference_targets(registry: Registry, owner_name: str, name: str) -> tuple[EntityType, ...]:
    """The types reference ``owner_name.name`` may point at: its declared target, and the types
    whose collection the reference fills (a file component's ``container`` may be a sequence)."""
    owner = registry.get(owner_name)
    prop = owner.properties[name]
    target = registry.get(prop.target)
    owners = [
        other for other in registry.types.values()
        if other.table == target.table and other is not target and any(
            p.kind == COLLECTION and p.inverse == prop.column and p.target and owner.is_a(registry.get(p.target))
            for p in other.properties.values()
        )
    ]
    return (target, *owners)


def target_type(registry: Registry, prop: Property, cast: str | None) -> EntityType:
    target = registry.get(prop.target)
    if not cast:
        return target
    narrowed = registry.get(cast)
    if not narrowed.is_a(target):
        raise ValidationError(f"{cast} is not a subtype of {target.name} (in {prop.name}[{cast}]).")
    return narrowed


def discriminator(entity_type: EntityType, alias: sa.Alias) -> sa.ColumnElement:
    """The condition selecting ``entity_type``'s rows (and its subtypes') in a shared table."""
    return sa.and_(sa.true(), *(alias.c[column] == schema_constant(value) for column, value in entity_type.where.items()))


def schema_constant(value: Any) -> sa.ColumnElement:
    """A value of the schema files (a discriminator), written into the SQL as a literal.

    Bound, it would cost SQLite a new query plan at every run: its planner re-prepares a
    statement whose bound values meet indexed columns it holds detailed statistics for (a
    discriminator's column), as it does for nothing a query's own values usually compare.
    Only values of the schema files are written so; a query's values are always bound.
    """
    return sa.literal(value, literal_execute=True)


def reference_value(catalog: Catalog, alias: sa.Alias, owner: EntityType, prop: Property) -> sa.ColumnElement:
    """The SQL value holding the id a reference points at."""
    if prop.computed:
        return computed_sql.expression(catalog, alias, owner, prop)
    return alias.c[prop.column]


def scalar_value(catalog: Catalog, alias: sa.Alias, owner: EntityType, prop: Property) -> sa.ColumnElement:
    """The SQL value of a scalar attribute (a column or a computed expression)."""
    if prop.computed:
        return computed_sql.expression(catalog, alias, owner, prop)
    return alias.c[prop.column]


def is_relation(prop: Property) -> bool:
    return prop.kind in (REFERENCE, COLLECTION)
