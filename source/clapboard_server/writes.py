"""Create, update and delete entities inside one transaction.

The :class:`Writer` turns wire values into column values, applies defaults and the
type-specific behaviours of :mod:`clapboard_server.behaviours`, keeps relationships
consistent, and encodes the stored entity for the response.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from . import behaviours, id_sets, write_plans
from .errors import DuplicateEntryError, NotFoundError, ValidationError
from .integrity import BatchChecks, clears_required, missing_required, reference_columns
from .policy import SYSTEM, WriteGuard
from .query.scope import Catalog, discriminator
from .schema import COLLECTION, REFERENCE, SCALAR, EntityType, Property
from .schema.tables import ANCESTRY_TABLE
from .values import to_column, utc_now
from .write_buffer import BufferedConnection

Row = dict[str, Any]


class Writer:
    """Writes of one API call (one transaction)."""

    def __init__(self, catalog: Catalog, connection: sa.Connection | BufferedConnection, user_id: str | None,
                 guard: WriteGuard | None = None) -> None:
        self.catalog = catalog
        self._statements = _prepared(catalog)
        #: Inserts are queued and sent per table when ``connection`` is a :class:`BufferedConnection`.
        self.buffered = isinstance(connection, BufferedConnection)
        #: The acting user's permission checks (internal writers without a user may do anything).
        self.guard = guard if guard is not None else WriteGuard(catalog, connection, SYSTEM)
        self._unchecked_creates: list[tuple[EntityType, str]] = []
        self.registry = catalog.registry
        self.connection = connection
        self.user_id = user_id
        self.deleted: set[tuple[str, tuple[str, ...]]] = set()
        self.changes: list[dict[str, Any]] = []  # what changed, for ftrack.update events
        #: Entities whose validation waits for the end of the batch: (type, id).
        self.pending: dict[str, EntityType] = {}
        #: Reference data looked up during the batch (workflows, object types); cleared on
        #: any write outside the context tree.
        self.memo: dict[Any, Any] = {}
        #: Integrity checks that wait for the end of the batch.
        self.checks = BatchChecks()
        #: The subtree a context delete removes, while it runs (its members are read set-wise).
        self._scope: _DeleteScope | None = None
        #: Concrete types of the rows this batch created: (table, id) -> type.
        self.created: dict[tuple[str, str], EntityType] = {}
        #: Rows read ahead for the batch's updates (see :meth:`read_ahead`), as the batch has
        #: left them so far: (table, key) -> row. Emptied when a statement could change rows
        #: other than through :meth:`write_columns`.
        self._rows: dict[tuple[str, tuple[str, ...]], Row] = {}
        self._now: Any = None

    @property
    def now(self) -> Any:
        """The batch's time: every timestamp the batch fills in by default (``created_at``, ...)
        is the same, as a transaction's are, and is read from the clock once."""
        if self._now is None:
            self._now = utc_now()
        return self._now

    def finish(self) -> None:
        """End-of-batch checks, for entities completed by later operations of the batch."""
        behaviours.finish_batch(self)
        for entity_type, entity_id in self._unchecked_creates:
            row = self.fetch(entity_type, [entity_id])
            if row is not None:
                self.guard.check("create", entity_type, row)
        self._unchecked_creates.clear()
        self.checks.verify(self)
        self.flush()

    def flush(self) -> None:
        """Send the queued inserts (see :mod:`clapboard_server.write_buffer`)."""
        if self.buffered:
            self.connection.flush()

    def check(self, action: str, entity_type: EntityType, row: Row, changed: Sequence[str] = ()) -> None:
        """Refuse a write the acting user may not make (see :mod:`clapboard_server.policy`)."""
        if self.guard.unrestricted:
            self.guard.validate(entity_type, row, action)
            return
        if action == "create" and row.get("id") in self.pending:  # placed once its parent is known
            self._unchecked_creates.append((entity_type, row["id"]))
            return
        self.guard.check(action, entity_type, row, changed)

    # -- helpers -----------------------------------------------------------------------------

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, memoised for the batch until a write could change it."""
        value = self.memo.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            value = self.memo[key] = compute()
        return value

    def prepared(self, key: Any, build: Callable[[], Any]) -> Any:
        """The statement ``build()`` makes, built once per catalog and reused with parameters."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def table(self, entity_type: EntityType) -> sa.Table:
        return self.catalog.table(entity_type)

    def key_values(self, entity_type: EntityType, key: Any, data: dict[str, Any] | None = None) -> tuple[str, ...]:
        """The primary key as a tuple of strings, from ``entity_key`` or the entity data."""
        if isinstance(key, (str, int)):
            key = [key]
        if not key and data is not None:
            key = [data.get(name) for name in entity_type.primary_key]
            if any(value is None for value in key):
                return ()
        if not isinstance(key, (list, tuple)) or len(key) != len(entity_type.primary_key):
            raise ValidationError(
                f"entity_key of {entity_type.name} must hold {len(entity_type.primary_key)} value(s) "
                f"for {', '.join(entity_type.primary_key)}; got {key!r}."
            )
        return tuple(str(value) for value in key)

    def pk_condition(self, entity_type: EntityType, table: sa.Table, key: Sequence[Any]) -> sa.ColumnElement:
        return sa.and_(*(table.c[name] == value for name, value in zip(entity_type.primary_key, key)))

    def fetch(self, entity_type: EntityType, key: Sequence[Any]) -> Row | None:
        """The stored row of ``entity_type`` with ``key`` (None when absent)."""
        if self._rows:
            row = self._rows.get((entity_type.table, tuple(str(value) for value in key)))
            if row is not None and all(row.get(column) == value for column, value in entity_type.where.items()):
                return dict(row)
        table = self.table(entity_type)
        statement = _prepared(self.catalog).get(("fetch", entity_type.name))
        if statement is None:
            statement = sa.select(table).where(_pk_parameters(entity_type, table), discriminator(entity_type, table))
            _prepared(self.catalog)[("fetch", entity_type.name)] = statement
        row = self.connection.execute(statement, _pk_values(key)).mappings().first()
        return dict(row) if row is not None else None

    def read_ahead(self, operations: list[Any]) -> None:
        """Read the rows the batch's updates will change set-wise, when it has many of them.

        Each update then finds its row in memory rather than in one query per row. Operations
        that are not well-formed updates are left for their own run to refuse.
        """
        if not self.buffered:
            return
        wanted: dict[str, list[str]] = {}
        for operation in operations:
            if not isinstance(operation, dict) or operation.get("action") != "update":
                continue
            type_name = operation.get("entity_type")
            entity_type = self.registry.types.get(type_name) if isinstance(type_name, str) else None
            key = operation.get("entity_key")
            if isinstance(key, list) and len(key) == 1:
                key = key[0]
            if entity_type is not None and len(entity_type.primary_key) == 1 and isinstance(key, str):
                wanted.setdefault(entity_type.name, []).append(key)
        if sum(len(keys) for keys in wanted.values()) < READ_AHEAD_FROM:
            return
        for type_name, keys in wanted.items():
            self._read_rows(self.registry.types[type_name], list(dict.fromkeys(keys)))
        self.connection.on_change = self._rows.clear

    def _read_rows(self, entity_type: EntityType, keys: list[str]) -> None:
        table = self.table(entity_type)
        column = entity_type.primary_key[0]
        for row in self.select_in(table, table.c[column], keys, entity_type):
            self._rows[(entity_type.table, (str(row[column]),))] = dict(row)

    def fetch_by_id(self, type_name: str, entity_id: Any) -> Row | None:
        return self.fetch(self.registry.get(type_name), [entity_id])

    def concrete_type(self, entity_type: EntityType, row: Row) -> EntityType:
        return self.registry.resolve_row_type(entity_type, row)

    def reference_id(self, owner: EntityType, prop: Property, value: Any) -> str | None:
        """The id an entity reference points at, checking its type."""
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if not isinstance(value, dict) or "__entity_type__" not in value:
            raise ValidationError(
                f"Attribute {prop.name!r} of {owner.name} must be an entity reference "
                f"like {{\"__entity_type__\": \"{prop.target}\", \"id\": ...}}; got {value!r}."
            )
        referenced = self.registry.get(value["__entity_type__"])
        target = self.registry.get(prop.target)
        fits = self.prepared(("fits", referenced.name, prop.target, prop.column), lambda: (
            referenced.is_a(target) or target.is_a(referenced) or _owns(referenced, prop)))
        if not fits:
            raise ValidationError(
                f"Attribute {prop.name!r} of {owner.name} must reference a {target.name}; "
                f"got a {referenced.name}."
            )
        key = [value.get(name) for name in referenced.primary_key]
        if len(key) != 1 or key[0] is None:
            raise ValidationError(f"Reference to {referenced.name} in {prop.name!r} lacks its primary key.")
        return str(key[0])

    # -- values --------------------------------------------------------------------------------

    def assign(self, entity_type: EntityType, data: dict[str, Any], row: Row, deferred: list[tuple[Property, Any]]) -> None:
        """Convert ``data`` into column values of ``row``; collections are deferred."""
        properties = entity_type.properties
        for name, value in data.items():
            if name == "__entity_type__":
                continue
            prop = properties.get(name) or self.registry.prop(entity_type, name)  # an unknown name: its error
            if prop.computed or prop.restricted:
                raise ValidationError(f"{entity_type.name}.{name} is computed by the server and cannot be set.")
            if prop.kind == SCALAR:
                row[prop.column] = to_column(prop.data_type, value, entity_type.name, name)
            elif prop.kind == REFERENCE:
                row[prop.column] = self.reference_id(entity_type, prop, value)
                if prop.type_column:
                    row[prop.type_column] = value.get("__entity_type__") if isinstance(value, dict) else None
            else:
                if not isinstance(value, list):
                    raise ValidationError(
                        f"Attribute {name!r} of {entity_type.name} is a collection and needs a list "
                        f"of entity references; got {value!r}."
                    )
                deferred.append((prop, value))

    def apply_defaults(self, entity_type: EntityType, row: Row) -> None:
        stored = row.get
        for prop, how, value in write_plans.defaults(entity_type):
            if stored(prop.column) is not None:
                continue
            if how == write_plans.CONSTANT:
                row[prop.column] = value
            elif how == write_plans.NOW:
                row[prop.column] = self.now
            elif how == write_plans.CURRENT_USER:
                row[prop.column] = self.user_id
            elif how == write_plans.NEW_ID:
                new_id = str(uuid.uuid4())
                row[prop.column] = to_column(prop.data_type, new_id, entity_type.name, prop.name) \
                    if prop.kind == SCALAR else new_id
            else:
                row[prop.column] = to_column(prop.data_type, value, entity_type.name, prop.name)

    def check_required(self, entity_type: EntityType, row: Row, exempt: set[str]) -> None:
        """Refuse ``row`` now when it leaves a required attribute empty."""
        missing = missing_required(entity_type, row, exempt)
        if missing:
            raise ValidationError(
                f"Cannot create {entity_type.name}: required attribute {missing[0]!r} is missing."
            )

    # -- actions -------------------------------------------------------------------------------

    def create(self, type_name: str, data: dict[str, Any], key: Any = None) -> dict[str, Any]:
        entity_type = self.registry.get(type_name)
        if entity_type.abstract:
            subtypes = sorted(t.name for t in self.registry.concrete_types(entity_type.table) if t.is_a(entity_type))
            raise ValidationError(
                f"Cannot create {type_name}: it is abstract. Create one of: {', '.join(subtypes)}."
            )
        if not isinstance(data, dict):
            raise ValidationError(f"entity_data of create {type_name} must be an object.")
        row: Row = {}
        deferred: list[tuple[Property, Any]] = []
        self.assign(entity_type, data, row, deferred)
        if key:
            for name, value in zip(entity_type.primary_key, self.key_values(entity_type, key)):
                row.setdefault(entity_type.properties[name].column, value)
        self.apply_defaults(entity_type, row)
        row.update(entity_type.where)
        exempt = behaviours.before_create(self, entity_type, row)
        self.check("create", entity_type, row, list(data))
        missing = missing_required(entity_type, row, exempt)
        if missing:
            completable = self.completable(entity_type)
            blocking = [name for name in missing if name not in completable]
            if blocking:
                raise ValidationError(
                    f"Cannot create {entity_type.name}: required attribute {blocking[0]!r} is missing."
                )
        key_values = tuple(str(row[entity_type.properties[n].column]) for n in entity_type.primary_key)
        if missing:
            self.checks.require(entity_type, key_values, exempt)  # a later operation may set it
        self.insert(entity_type, row)
        self.checks.refer(entity_type, key_values, row)
        self.deleted.discard((entity_type.table, key_values))
        if len(key_values) == 1:
            self.created[(entity_type.table, key_values[0])] = entity_type
        behaviours.after_create(self, entity_type, row)
        for prop, value in deferred:
            self.set_collection(entity_type, row, prop, value)
        self.record("add", entity_type, row, list(data))
        return self.encode(entity_type, row, data, full=True)

    @staticmethod
    def completable(entity_type: EntityType) -> set[str]:
        """Required attributes a later operation of the batch may still set (not the key)."""
        return {name for name in entity_type.required if name not in entity_type.primary_key}

    def forget(self, entity_type: EntityType) -> None:
        """Drop memoised reference data when a write could change it."""
        if entity_type.table != self.registry.get("Context").table:
            self.memo.clear()

    def insert(self, entity_type: EntityType, row: Row) -> None:
        self.forget(entity_type)
        table = self.table(entity_type)
        if self.buffered:
            self.connection.add(table, row, entity_type.name)
            return
        values = {column: value for column, value in row.items() if column in table.c}
        try:  # a failure aborts the whole batch, so no savepoint is needed
            self.connection.execute(table.insert().values(values))
        except sa.exc.IntegrityError as error:
            raise insert_conflict(error, [entity_type.name]) from None

    def update(self, type_name: str, key: Any, data: dict[str, Any]) -> dict[str, Any]:
        entity_type = self.registry.get(type_name)
        key_values = self.key_values(entity_type, key)
        existing = self.fetch(entity_type, key_values)
        if existing is None:
            if behaviours.upserts(entity_type):
                full = dict(data)
                full.update(zip(entity_type.primary_key, key_values))
                return self.create(type_name, full)
            raise NotFoundError(f"Cannot update {type_name} {list(key_values)}: it does not exist.")
        if not isinstance(data, dict):
            raise ValidationError(f"entity_data of update {type_name} must be an object.")
        concrete = self.concrete_type(entity_type, existing)
        changes: Row = {}
        deferred: list[tuple[Property, Any]] = []
        self.assign(concrete, data, changes, deferred)
        for name in data:
            prop = concrete.properties.get(name)
            frozen = prop is not None and name in concrete.immutable and prop.kind != COLLECTION
            if frozen and existing.get(prop.column) is not None and changes.get(prop.column) != existing.get(prop.column):
                raise ValidationError(f"{concrete.name}.{name} is immutable and cannot be changed.")
        for column, value in concrete.where.items():
            if column in changes and changes[column] != value:
                raise ValidationError(f"Cannot change {column} of a {concrete.name}.")
        behaviours.before_update(self, concrete, existing, changes)
        row = {**existing, **changes}
        self.check("update", concrete, existing, list(data))  # where it is
        if row != existing:
            self.check("update", concrete, row, list(data))  # and where it goes
        if changes:
            self.write_columns(concrete, key_values, changes)
            if clears_required(concrete, changes):
                self.checks.require(concrete, key_values, behaviours.optional_required(self, concrete, row))
            self.checks.refer(concrete, key_values, row, reference_columns(concrete, changes))
        behaviours.after_update(self, concrete, existing, row)
        for prop, value in deferred:
            self.set_collection(concrete, row, prop, value)
        self.record("update", concrete, row, list(data), previous=existing)
        return self.encode(concrete, row, data, full=False)

    def write_columns(self, entity_type: EntityType, key: Sequence[Any], changes: Row) -> None:
        self.forget(entity_type)
        self.memo.pop(("project", key[0]), None)
        table = self.table(entity_type)
        values = {column: value for column, value in changes.items() if column in table.c}
        if not values:
            return
        statement = _prepared(self.catalog).get(("update", entity_type.name))
        if statement is None:  # the SET columns come from the parameters' names
            statement = _prepared(self.catalog)[("update", entity_type.name)] = table.update().where(
                _pk_parameters(entity_type, table))
        parameters = {**values, **_pk_values(key)}
        if self.buffered:  # sent with the batch's other updates of these columns
            identity = (entity_type.table, tuple(str(value) for value in key))
            self.connection.update(statement, parameters, identity, lambda error: _update_conflict(entity_type, error))
            row = self._rows.get(identity)
            if row is not None:
                row.update(values)
            return
        try:
            self.connection.execute(statement, parameters)
        except sa.exc.IntegrityError as error:
            raise _update_conflict(entity_type, error) from None

    def delete(self, type_name: str, key: Any) -> bool:
        entity_type = self.registry.get(type_name)
        key_values = self.key_values(entity_type, key)
        existing = self.fetch(entity_type, key_values)
        if existing is None:
            if (entity_type.table, key_values) in self.deleted:
                return True  # removed earlier in this batch, e.g. by a cascade
            raise NotFoundError(f"Cannot delete {type_name} {list(key_values)}: it does not exist.")
        concrete = self.concrete_type(entity_type, existing)
        self.check("delete", concrete, existing)
        if concrete.table == self.registry.get("Context").table:  # a subtree: read its members set-wise
            self._scope = _DeleteScope({existing["id"], *behaviours.descendant_ids(self, existing["id"])})
        try:
            self.remove(concrete, existing)
        finally:
            self._scope = None
        return True

    def members(self, target: EntityType, column: str, owner_id: Any) -> list[Row]:
        """Rows of ``target``'s table whose ``column`` holds ``owner_id`` (and not deleted yet)."""
        table = self.table(target)
        scope = self._scope
        if scope is None or owner_id not in scope.ids:
            statement = _column_statement(self.catalog, "select", table, column)
            return [dict(r) for r in self.connection.execute(statement, {"_where": owner_id}).mappings()]
        found = scope.members.get((table.name, column))
        if found is None:
            found = scope.members[(table.name, column)] = self._members_of_all(table, column, sorted(scope.ids))
        rows = found.get(owner_id)
        if not rows:
            return []
        columns = [target.properties[name].column for name in target.primary_key]
        return [r for r in rows if (target.table, tuple(str(r[c]) for c in columns)) not in self.deleted]

    def _members_of_all(self, table: sa.Table, column: str, owner_ids: list[Any]) -> dict[Any, list[Row]]:
        found: dict[Any, list[Row]] = {}
        for row in self.select_in(table, table.c[column], owner_ids):
            found.setdefault(row[column], []).append(dict(row))
        return found

    def select_in(self, table: sa.Table, column: sa.Column, ids: Sequence[Any],
                  entity_type: EntityType | None = None) -> Iterator[sa.RowMapping]:
        """The rows of ``table`` whose ``column`` holds one of ``ids`` (and of ``entity_type``, if given)."""
        dialect = self.connection.dialect
        type_name = entity_type.name if entity_type is not None else None
        statement = self.prepared(("select in", table.name, column.key, dialect.name, type_name), lambda: (
            sa.select(table).where(id_sets.one_of(column, "_ids", dialect),
                                   *([discriminator(entity_type, table)] if entity_type is not None else []))))
        for value in id_sets.parameters(column, ids, dialect):
            yield from self.connection.execute(statement, {"_ids": value}).mappings()

    def remove(self, entity_type: EntityType, row: Row) -> None:
        """Delete ``row`` and, first, what depends on it (per the collections' ``on_delete``)."""
        key = tuple(str(row[entity_type.properties[n].column]) for n in entity_type.primary_key)
        if (entity_type.table, key) in self.deleted:
            return
        self.deleted.add((entity_type.table, key))
        self.created.pop((entity_type.table, key[0]), None)
        owner_id = row.get(entity_type.primary_key[0])
        for prop in write_plans.member_collections(entity_type):
            target = self.registry.types.get(prop.target)
            if target is None:
                continue
            target_table = self.table(target)
            members = self.members(target, prop.inverse, owner_id)
            if not members:
                continue
            if prop.on_delete == "restrict":
                raise ValidationError(
                    f"Cannot delete {entity_type.name} {owner_id}: {len(members)} "
                    f"{prop.target} in {prop.name!r} still refer to it. Remove them first."
                )
            if prop.on_delete == "cascade":
                for member in members:
                    self.remove(self.concrete_type(target, member), member)
            else:
                self.connection.execute(
                    _column_statement(self.catalog, "update", target_table, prop.inverse), {prop.inverse: None, "_where": owner_id}
                )
                if self._scope is not None:  # they no longer refer to it
                    self._scope.members.get((target_table.name, prop.inverse), {}).pop(owner_id, None)
        behaviours.before_delete(self, entity_type, row)
        self.forget(entity_type)
        for link_table, column in self.link_columns(entity_type):
            self.run_delete(_column_statement(self.catalog, "delete", link_table, column), {"_where": owner_id})
        table = self.table(entity_type)
        statement = _prepared(self.catalog).get(("delete", entity_type.name))
        if statement is None:
            statement = _prepared(self.catalog)[("delete", entity_type.name)] = table.delete().where(
                _pk_parameters(entity_type, table))
        self.run_delete(statement, _pk_values(key))
        self.record("remove", entity_type, row, [])

    def run_delete(self, statement: sa.Delete, parameters: dict[str, Any]) -> None:
        """Run a prebuilt DELETE now, or queue it with the batch's other deletes."""
        if self.buffered:
            self.connection.delete(statement, parameters)
        else:
            self.connection.execute(statement, parameters)

    def link_columns(self, entity_type: EntityType) -> list[tuple[sa.Table, str]]:
        """Link-table columns (of many-to-many collections) that refer to ``entity_type``'s rows."""
        prepared = _prepared(self.catalog)
        if ("links", entity_type.name) not in prepared:
            prepared[("links", entity_type.name)] = self._link_columns(entity_type)
        return prepared[("links", entity_type.name)]

    def _link_columns(self, entity_type: EntityType) -> list[tuple[sa.Table, str]]:
        found = []
        for other in self.registry.types.values():
            for prop in other.properties.values():
                if prop.kind != COLLECTION or not prop.through or prop.through[0] == ANCESTRY_TABLE:
                    continue
                table = self.catalog.link_table(prop.through[0])
                if other.table == entity_type.table:
                    found.append((table, prop.through[1]))
                target = self.registry.types.get(prop.target)
                if target is not None and target.table == entity_type.table:
                    found.append((table, prop.through[2]))
        return list({(t.name, c): (t, c) for t, c in found}.values())

    # -- collections ---------------------------------------------------------------------------

    def set_collection(self, owner: EntityType, row: Row, prop: Property, value: list[Any]) -> None:
        """Make collection ``prop`` hold exactly the referenced entities."""
        owner_id = row[owner.primary_key[0]]
        target = self.registry.get(prop.target)
        if prop.inverse:
            self._set_inverse_collection(owner, owner_id, prop, target, value)
            return
        ids = [self.reference_id(owner, prop, item) for item in value]
        self.checks.refer_link(owner, str(owner_id), prop, [i for i in ids if i is not None])
        if prop.through:
            name, source, destination = prop.through
            if name in self.registry.types:
                link_type = self.registry.types[name]
                table = self.table(link_type)
                existing = self.connection.execute(
                    sa.select(table).where(table.c[source] == owner_id)
                ).mappings().all()
                present = {r[destination] for r in existing}
                for link_row in existing:
                    if link_row[destination] not in ids:
                        self.remove(self.concrete_type(link_type, dict(link_row)), dict(link_row))
                for member_id in ids:
                    if member_id not in present:
                        self.create(link_type.name, {source: owner_id, destination: member_id})
            else:
                table = self.catalog.link_table(name)
                if name == ANCESTRY_TABLE:
                    raise ValidationError(f"{owner.name}.{prop.name} is maintained by the server.")
                self.connection.execute(table.delete().where(table.c[source] == owner_id))
                if ids:
                    self.connection.execute(
                        table.insert(), [{source: owner_id, destination: i} for i in dict.fromkeys(ids)]
                    )
        else:
            raise ValidationError(f"{owner.name}.{prop.name} cannot be set.")

    def _set_inverse_collection(self, owner: EntityType, owner_id: Any, prop: Property, target: EntityType,
                                value: list[Any]) -> None:
        """One-to-many membership: set or clear the members' foreign key.

        Members whose key includes the foreign key (Metadata: parent and key) cannot be
        unlinked: dropping them from the collection deletes them.
        """
        table = self.table(target)
        key_columns = [target.properties[name].column for name in target.primary_key]
        owned = prop.inverse in key_columns
        wanted = [self.reference_key(owner, prop, item) for item in value]
        current = {
            tuple(str(v) for v in r) for r in self.connection.execute(
                sa.select(*(table.c[c] for c in key_columns)).where(
                    table.c[prop.inverse] == owner_id, *(table.c[c] == v for c, v in prop.where.items()),
                )
            )
        }
        reference = next(
            (p for p in target.properties.values() if p.kind == REFERENCE and p.column == prop.inverse), None
        )
        if not behaviours.keeps_removed_members(self, target, prop.inverse):
            for key in current - set(wanted):
                if owned:
                    self.delete(target.name, list(key))
                else:
                    self.update(target.name, list(key), {reference.name if reference else prop.inverse: None})
        for key in wanted:
            if key in current:
                continue
            member = self.fetch(target, list(key))
            if member is None:
                raise ValidationError(f"Cannot add {target.name} {list(key)} to {prop.name}: it does not exist.")
            if owned:
                raise ValidationError(
                    f"{target.name} {list(key)} belongs to another owner and cannot move to {prop.name}."
                )
            values: dict[str, Any] = dict(prop.where)
            if reference is not None:
                values[reference.name] = {"__entity_type__": owner.name, "id": owner_id}
            else:
                values[prop.inverse] = owner_id
            self.update(self.concrete_type(target, member).name, list(key), values)

    def reference_key(self, owner: EntityType, prop: Property, value: Any) -> tuple[str, ...]:
        """The full primary key of a referenced entity, as strings (composite keys too)."""
        if isinstance(value, dict) and "__entity_type__" in value:
            referenced = self.registry.get(value["__entity_type__"])
            if len(referenced.primary_key) > 1:
                key = [value.get(name) for name in referenced.primary_key]
                if any(part is None for part in key):
                    raise ValidationError(
                        f"Reference to {referenced.name} in {prop.name!r} needs "
                        f"{', '.join(referenced.primary_key)}."
                    )
                return tuple(str(part) for part in key)
        return (self.reference_id(owner, prop, value),)

    # -- output --------------------------------------------------------------------------------

    def encode(self, entity_type: EntityType, row: Row, data: dict[str, Any], full: bool) -> dict[str, Any]:
        """The entity as a create/update result: its key, what was sent and, when ``full`` (a
        create), every value the server computed; columns left empty stay out so that the
        client keeps them NOT_SET."""
        entity: dict[str, Any] = {"__entity_type__": entity_type.name}
        always = write_plans.always_encoded(entity_type)
        stored = row.get
        for name, column, convert in write_plans.encoded_scalars(entity_type):
            value = stored(column)
            if value is None:
                if name in always or name in data:
                    entity[name] = None
            elif full or name in always or name in data:
                entity[name] = value if convert is None else convert(value)
        for name, value in data.items():
            prop = entity_type.properties.get(name)
            if prop is None or prop.kind == SCALAR:
                continue
            if prop.kind == REFERENCE:
                target_id = row.get(prop.column)
                entity[name] = self.reference(prop, target_id, row)
            else:
                entity[name] = value
        return entity

    def reference(self, prop: Property, target_id: str | None, row: Row) -> dict[str, Any] | None:
        """An entity reference of the concrete type stored at ``target_id``."""
        if target_id is None:
            return None
        target = self.registry.get(prop.target)
        if prop.type_column and row.get(prop.type_column) in self.registry.types:
            target = self.registry.types[row[prop.type_column]]
        created = self.created.get((target.table, str(target_id)))
        if created is not None:
            return {"__entity_type__": created.name, target.primary_key[0]: target_id}
        table = self.table(target)
        stored = self.connection.execute(
            _column_statement(self.catalog, "select", table, target.primary_key[0]), {"_where": target_id}
        ).mappings().first()
        if stored is not None:
            target = self.concrete_type(target, dict(stored))
        return {"__entity_type__": target.name, target.primary_key[0]: target_id}

    def record(self, action: str, entity_type: EntityType, row: Row, keys: list[str], previous: Row | None = None) -> None:
        change: dict[str, Any] = {
            "action": action,
            "entity_type": entity_type.name,
            "key": {name: row.get(entity_type.properties[name].column) for name in entity_type.primary_key},
            "keys": [k for k in keys if k != "__entity_type__"],
            "row": row,
            "previous": previous,
        }
        if action == "remove":  # placed now: what it hangs from may be gone after the batch
            change["place"] = self.guard.place(entity_type, row)
        self.changes.append(change)


#: What :meth:`Writer.remember` finds for a key it has not computed yet.
_UNKNOWN = object()

#: Updates in a batch from which their rows are read ahead set-wise.
READ_AHEAD_FROM = 20


class _DeleteScope:
    """The contexts one delete removes, and their members read so far: (table, column) -> owner -> rows."""

    def __init__(self, ids: set[Any]) -> None:
        self.ids = ids
        self.members: dict[tuple[str, str], dict[Any, list[Row]]] = {}


#: Statements built once per catalog and reused with parameters, keyed by what they do and where.
_PREPARED: weakref.WeakKeyDictionary[Catalog, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()


def _prepared(catalog: Catalog) -> dict[tuple[Any, ...], Any]:
    cache = _PREPARED.get(catalog)
    if cache is None:
        cache = _PREPARED[catalog] = {}
    return cache


def _pk_parameters(entity_type: EntityType, table: sa.Table) -> sa.ColumnElement:
    """``key_0 = :key_0 AND ...`` over ``entity_type``'s primary key columns."""
    return sa.and_(*(table.c[name] == sa.bindparam(f"_key_{index}")
                     for index, name in enumerate(entity_type.primary_key)))


def _pk_values(key: Sequence[Any]) -> dict[str, Any]:
    if len(key) > len(_KEY_NAMES):
        return {f"_key_{index}": value for index, value in enumerate(key)}
    return dict(zip(_KEY_NAMES, key))


#: The parameter names of primary key columns, by position (built once: deletes bind 10,000s).
_KEY_NAMES = tuple(f"_key_{index}" for index in range(8))


def _column_statement(catalog: Catalog, kind: str, table: sa.Table, column: str) -> Any:
    """A select, update (SET columns from the parameters) or delete of ``table`` where ``column = :_where``."""
    cache_key = (kind, table.name, column)
    statement = _prepared(catalog).get(cache_key)
    if statement is None:
        condition = table.c[column] == sa.bindparam("_where")
        if kind == "select":
            statement = sa.select(table).where(condition)
        elif kind == "update":
            statement = table.update().where(condition)
        else:
            statement = table.delete().where(condition)
        _prepared(catalog)[cache_key] = statement
    return statement


def _owns(referenced: EntityType, prop: Property) -> bool:
    """Whether ``referenced`` has the collection this reference fills (a sequence's members)."""
    return any(
        other.kind == COLLECTION and other.inverse == prop.column for other in referenced.properties.values()
    )


def insert_conflict(error: sa.exc.IntegrityError, type_names: list[str]) -> DuplicateEntryError:
    """The error of an insert (of entities of ``type_names``) that broke a unique constraint."""
    return DuplicateEntryError(
        f"IntegrityError: cannot create {' or '.join(type_names)}: an entity with the same "
        f"unique values already exists ({_constraint_text(error)})."
    )


def _update_conflict(entity_type: EntityType, error: sa.exc.IntegrityError) -> DuplicateEntryError:
    """The error of an update of ``entity_type`` that broke a unique constraint."""
    return DuplicateEntryError(
        f"IntegrityError: cannot update {entity_type.name}: the new values clash with an "
        f"existing entity ({_constraint_text(error)})."
    )


def _constraint_text(error: sa.exc.IntegrityError) -> str:
    return str(error.orig).splitlines()[0].replace("{", "(").replace("}", ")")
