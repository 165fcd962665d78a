"""Integrity rules checked when a batch ends: required attributes, references, deletions.

A batch may create an entity and complete it in a later operation (create a location, then
set its name), or reference an entity created further down the batch. What an operation
leaves incomplete is therefore remembered here and checked once, after the last operation,
against what the database then holds: required attributes hold values, written references
point at existing rows of the right type, rows the batch deleted are no longer referred to
(optional references are cleared), then the type-specific checks the behaviours deferred
(workflow types and statuses). A failed check raises :class:`ValidationError`, which rolls
the whole batch back.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import id_sets
from .errors import ValidationError
from .query.scope import discriminator, reference_targets
from .schema import COLLECTION, REFERENCE, EntityType, Property, Registry
from .write_plans import references, required_columns

if TYPE_CHECKING:
    from .writes import Row, Writer

_CHUNK = 500

#: (owner table, owner key, column or ``collection:member id``) of one stored reference.
ReferenceSlot = tuple[str, tuple[str, ...], str]


def missing_required(entity_type: EntityType, row: Row, exempt: set[str]) -> list[str]:
    """Required attributes of ``entity_type`` that ``row`` leaves empty."""
    return [name for name, column in required_columns(entity_type) if row.get(column) is None and name not in exempt]


def clears_required(entity_type: EntityType, changes: Row) -> bool:
    """Whether ``changes`` set a required attribute of ``entity_type`` to None."""
    required = missing_required(entity_type, {}, set())  # every required stored attribute
    return any(changes.get(entity_type.properties[name].column, 0) is None for name in required)


class BatchChecks:
    """What one batch must satisfy when it ends."""

    def __init__(self) -> None:
        #: (type name, key) -> (entity type, required attributes that may stay empty).
        self.required: dict[tuple[str, tuple[str, ...]], tuple[EntityType, set[str]]] = {}
        #: Stored references still to verify: slot -> (owner type, attribute, target id, row).
        self.references: dict[ReferenceSlot, tuple[EntityType, Property, str, Row]] = {}
        #: Rows the batch created, whose references are verified from the row itself (a big
        #: batch creates thousands, referring to a few targets): (type, key, row).
        self.created_rows: list[tuple[EntityType, tuple[str, ...], Row]] = []
        #: Slots of created rows that a later operation changed: verified from ``references``.
        self.changed: set[ReferenceSlot] = set()
        #: Type-specific checks (workflow statuses, ...), one per key.
        self.deferred: dict[Any, Callable[[], None]] = {}

    # -- recording ------------------------------------------------------------------------------

    def require(self, entity_type: EntityType, key: tuple[str, ...], exempt: set[str]) -> None:
        """Check ``entity_type``'s required attributes of entity ``key`` when the batch ends."""
        self.required[(entity_type.name, key)] = (entity_type, set(exempt))

    def refer(self, entity_type: EntityType, key: tuple[str, ...], row: Row, columns: set[str] | None = None) -> None:
        """Remember the references ``row`` stores: all of a created row's (``columns`` None), or
        those an update wrote to ``columns``."""
        if columns is None:
            self.created_rows.append((entity_type, key, row))
            return
        table = entity_type.table
        for prop in references(entity_type):
            column = prop.column
            if column not in columns:
                continue
            slot = (table, key, column)
            self.changed.add(slot)
            target_id = row.get(column)
            if target_id is None:
                self.references.pop(slot, None)
            else:
                self.references[slot] = (entity_type, prop, str(target_id), row)

    def defer(self, key: Any, check: Callable[[], None]) -> None:
        """Run ``check`` when the batch ends (once per ``key``), after the generic checks."""
        self.deferred[key] = check

    def refer_link(self, owner: EntityType, owner_id: str, prop: Property, member_ids: list[str]) -> None:
        """Remember the members of a many-to-many collection stored in a link table."""
        for member_id in member_ids:
            slot = (owner.table, (owner_id,), f"{prop.name}:{member_id}")
            self.references[slot] = (owner, prop, member_id, {})

    # -- checking -------------------------------------------------------------------------------

    def verify(self, writer: Writer) -> None:
        """Run every remembered check against the database as the batch leaves it."""
        self._verify_required(writer)
        self._verify_references(writer)
        _settle_deletions(writer)
        for check in self.deferred.values():
            check()
        self.required.clear()
        self.references.clear()
        self.created_rows.clear()
        self.changed.clear()
        self.deferred.clear()

    def _verify_required(self, writer: Writer) -> None:
        for (_, key), (entity_type, exempt) in self.required.items():
            if (entity_type.table, key) in writer.deleted:
                continue
            row = writer.fetch(entity_type, key)
            if row is None:
                continue
            missing = missing_required(entity_type, row, exempt)
            if missing:
                raise ValidationError(
                    f"Cannot save {entity_type.name} {list(key)}: required attribute "
                    f"{missing[0]!r} is missing (it cannot be None)."
                )

    def _verify_references(self, writer: Writer) -> None:
        deleted, created = writer.deleted, writer.created
        #: (target table, target type names) -> target id -> its first use: (owner, attribute, owner key).
        wanted: dict[tuple[str, tuple[str, ...]], dict[str, tuple]] = defaultdict(dict)
        #: (owner, attribute, stored type name) -> (target types, their group in ``wanted``).
        kinds: dict[tuple[str, str, Any], tuple[tuple[EntityType, ...], tuple[str, tuple[str, ...]]]] = {}
        checked: set[tuple[Any, str]] = set()
        for owner, key, prop, target_id, row in self._stored_references(deleted):
            kind = (owner.name, prop.name, row.get(prop.type_column) if prop.type_column else None)
            if (kind, target_id) in checked:
                continue  # the same target, of the same attribute: already looked at
            checked.add((kind, target_id))
            known = kinds.get(kind)
            if known is None:
                targets = _target_types(writer, owner, prop, row)
                known = kinds[kind] = (targets, (targets[0].table, tuple(t.name for t in targets)))
            targets, group = known
            made = created.get((group[0], target_id))
            if made is not None and any(made.is_a(t) for t in targets):
                continue  # created by this batch and still there
            wanted[group].setdefault(target_id, (owner, prop, key))
        for (table_name, type_names), by_id in wanted.items():
            targets = [writer.registry.get(name) for name in type_names]
            found = _existing_ids(writer, table_name, targets, list(by_id))
            for target_id, (owner, prop, key) in by_id.items():
                if target_id not in found:
                    raise ValidationError(
                        f"Cannot save {owner.name} {list(key)}: {prop.name!r} refers to "
                        f"{_names(targets)} {target_id}, which does not exist."
                    )

    def _stored_references(self, deleted: set) -> Iterator[tuple[EntityType, tuple[str, ...], Property, str, Row]]:
        """(owner type, owner key, attribute, target id, row) of every remembered reference
        whose owner the batch did not delete."""
        for (table, key, _), (owner, prop, target_id, row) in self.references.items():
            if (table, key) not in deleted:
                yield owner, key, prop, target_id, row
        changed = self.changed
        for owner, key, row in self.created_rows:
            table = owner.table
            if (table, key) in deleted:
                continue
            for prop in references(owner):
                target_id = row.get(prop.column)
                if target_id is not None and not (changed and (table, key, prop.column) in changed):
                    yield owner, key, prop, str(target_id), row


def _settle_deletions(writer: Writer) -> None:
    """Rows still referring to rows the batch deleted: an optional reference is cleared, a
    required one refuses the delete (naming the row that refers)."""
    deleted: dict[str, list[str]] = defaultdict(list)
    for table, key in writer.deleted:
        if len(key) == 1:
            deleted[table].append(key[0])
    dialect = writer.connection.dialect
    for table_name, ids in deleted.items():
        for owner, prop, required in _referrers(writer.registry, table_name):
            table = writer.catalog.table(owner)
            column = table.c[prop.column]
            statement = _first_referrer(writer, table, prop) if required else _clearing(writer, table, prop)
            for value in id_sets.parameters(column, ids, dialect):
                if not required:
                    writer.connection.execute(statement, {"_ids": value})
                    continue
                found = writer.connection.execute(statement, {"_ids": value}).mappings().first()
                if found is not None:
                    referrer = writer.concrete_type(owner, dict(found))
                    raise ValidationError(
                        f"Cannot delete {prop.target} {found[prop.column]}: {referrer.name} "
                        f"{found[owner.primary_key[0]]} still refers to it in {prop.name!r}. "
                        f"Change or delete that {referrer.name} first."
                    )


def _clearing(writer: Writer, table: sa.Table, prop: Property) -> sa.Update:
    """``UPDATE`` clearing ``prop`` of the rows of ``table`` referring to any of the ids bound to ``_ids``."""
    dialect = writer.connection.dialect
    cleared = {prop.column: None} | ({prop.type_column: None} if prop.type_column else {})
    return writer.prepared(("clear referrers", table.name, prop.column, prop.type_column, dialect.name), lambda: (
        table.update().where(id_sets.one_of(table.c[prop.column], "_ids", dialect)).values(cleared)))


def _first_referrer(writer: Writer, table: sa.Table, prop: Property) -> sa.Select:
    """``SELECT`` of a row of ``table`` whose ``prop`` refers to any of the ids bound to ``_ids``."""
    dialect = writer.connection.dialect
    return writer.prepared(("first referrer", table.name, prop.column, dialect.name), lambda: (
        sa.select(table).where(id_sets.one_of(table.c[prop.column], "_ids", dialect)).limit(1)))


@functools.lru_cache(maxsize=256)
def _referrers(registry: Registry, table_name: str) -> list[tuple[EntityType, Property, bool]]:
    """The stored references that can point into ``table_name``, one per owner table and
    column, each with whether any type of the owner table requires it."""
    found: dict[tuple[str, str], tuple[EntityType, Property]] = {}
    for owner in registry.types.values():
        for prop in owner.properties.values():
            if prop.kind != REFERENCE or prop.computed or prop.target not in registry.types:
                continue
            if prop.type_column or registry.types[prop.target].table == table_name:
                found.setdefault((owner.table, prop.column), (owner, prop))
    return [(owner, prop, _required_column(registry, owner.table, prop.column)) for owner, prop in found.values()]


def _required_column(registry: Registry, table: str, column: str) -> bool:
    return any(
        p.column == column and p.name in t.required and p.kind != COLLECTION
        for t in registry.types.values() if t.table == table
        for p in t.properties.values()
    )


def _target_types(writer: Writer, owner: EntityType, prop: Property, row: Row) -> tuple[EntityType, ...]:
    """The types a reference may point at: a polymorphic reference's stored type, else the
    declared target and the types owning the collection the reference fills."""
    registry = writer.registry
    if prop.type_column and row.get(prop.type_column):
        name = row[prop.type_column]
        if name not in registry.types:
            raise ValidationError(f"{owner.name}.{prop.name} cannot refer to unknown type {name!r}.")
        return (registry.types[name],)
    return reference_targets(registry, owner.name, prop.name)


def _existing_ids(writer: Writer, table_name: str, targets: list[EntityType], ids: list[str]) -> set[str]:
    table = writer.catalog.tables[table_name]
    column = table.c[targets[0].primary_key[0]]
    condition = sa.or_(*(discriminator(t, table) for t in targets))
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        statement = sa.select(column).where(column.in_(chunk), condition)
        found.update(str(value) for value in writer.connection.execute(statement).scalars())
    return found


def _names(targets: list[EntityType]) -> str:
    return " or ".join(t.name for t in targets)


def reference_columns(entity_type: EntityType, changes: dict[str, Any]) -> set[str]:
    """The reference columns among ``changes``."""
    return {
        p.column for p in entity_type.properties.values()
        if p.kind == REFERENCE and not p.computed and p.column in changes
    }
