"""Type-specific server behaviours around writes (data-model reference, section D).

The context tree keeps ``project_id`` and the ancestry table consistent; typed contexts and
versions get their workflow defaults (and their types and statuses are checked, see
:mod:`clapboard_server.workflows`); versions are numbered per asset. Everything else is
generic and lives in :mod:`clapboard_server.writes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import custom_values, workflows
from .errors import DuplicateEntryError, ValidationError
from .schema import EntityType
from .schema.tables import ANCESTRY_TABLE

if TYPE_CHECKING:
    from .writes import Row, Writer

def _is(writer: Writer, entity_type: EntityType, base: str) -> bool:
    """Whether ``entity_type`` is the type called ``base`` or a subtype (worked out once per type)."""
    key = "is " + base
    known = entity_type.derived.get(key)
    if known is None:
        other = writer.registry.types.get(base)
        known = entity_type.derived[key] = other is not None and entity_type.is_a(other)
    return known


def upserts(entity_type: EntityType) -> bool:
    """Whether an update of a missing entity creates it (custom attribute values)."""
    return entity_type.name.endswith("CustomAttributeValue")


# -- hooks called by the writer --------------------------------------------------------------

def before_create(writer: Writer, entity_type: EntityType, row: Row) -> set[str]:
    """Fill server-side values; return required attributes that may stay empty."""
    exempt: set[str] = set()
    if _is(writer, entity_type, "Project"):
        if row.get("parent_id"):
            raise ValidationError("A Project cannot have a parent.")
        row["project_id"] = row["id"]
        _check_project_name(writer, row["id"], row.get("name"))
    elif _is(writer, entity_type, "TypedContext"):
        exempt |= _prepare_typed_context(writer, entity_type, row)
    elif entity_type.name == "AssetVersion":
        _prepare_version(writer, row)
    elif _is(writer, entity_type, "User") and not row.get("username"):
        row["username"] = f"user-{row['id'][:8]}"
    elif entity_type.name == "ReviewSession":
        exempt.add("end_date")  # open until an end is set (is_open)
    elif entity_type.name == "ReviewSessionObject" and row.get("sort_order") is None:
        row["sort_order"] = _next_sort_order(writer, row.get("review_session_id"))
    elif custom_values.is_value_type(entity_type):
        custom_values.prepare(writer, entity_type, row, row)
    elif entity_type.name == "CustomAttributeConfiguration":
        custom_values.prepare_configuration(writer, row, None, row)
    return exempt


def _next_sort_order(writer: Writer, review_session_id: str | None) -> float:
    """Place a new review-session object after those already in the session."""
    table = writer.catalog.table(writer.registry.get("ReviewSessionObject"))
    count = writer.connection.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.review_session_id == review_session_id)
    ).scalar()
    return float(count or 0)


def after_create(writer: Writer, entity_type: EntityType, row: Row) -> None:
    if _is(writer, entity_type, "Context"):
        _link_ancestry(writer, row["id"], row.get("parent_id"))
        if row.get("project_id"):  # children created later in the batch need not read it back
            writer.memo[("project", row["id"])] = row["project_id"]
    elif entity_type.name == "NoteLabelLink":
        _categorise_note(writer, row)


def _categorise_note(writer: Writer, link: Row) -> None:
    """A note's first label is its category too: ftrack clients send ``create_note(...,
    category=...)`` as a label link when the server serves note labels."""
    note_type = writer.registry.get("Note")
    note = writer.fetch(note_type, [link.get("note_id")])
    if note is not None and not note.get("category_id"):
        writer.write_columns(note_type, [note["id"]], {"category_id": link.get("label_id")})


def before_update(writer: Writer, entity_type: EntityType, existing: Row, changes: Row) -> None:
    if custom_values.is_value_type(entity_type) and "value" in changes:
        custom_values.prepare(writer, entity_type, {**existing, **changes}, changes)
    if entity_type.name == "CustomAttributeConfiguration":
        custom_values.prepare_configuration(writer, {**existing, **changes}, existing, changes)
        custom_values.keep_existing_defaults(writer, existing, {**existing, **changes})
    if _is(writer, entity_type, "Project") and changes.get("name", existing.get("name")) != existing.get("name"):
        _check_project_name(writer, existing["id"], changes["name"])
    if _is(writer, entity_type, "TypedContext") and "parent_id" in changes:
        _before_move(writer, entity_type, existing, changes)
    workflow_columns = ("status_id", "type_id", "project_id", "asset_id")
    if any(changes.get(c, existing.get(c)) != existing.get(c) for c in workflow_columns):
        if _is(writer, entity_type, "TypedContext"):
            if not workflows.context_fits(writer, {**existing, **changes}):
                workflows.check_later(writer, entity_type, existing["id"])  # a later operation may fix it
        elif entity_type.name == "AssetVersion":
            workflows.check_later(writer, entity_type, existing["id"])


def _before_move(writer: Writer, entity_type: EntityType, existing: Row, changes: Row) -> None:
    parent_id = changes["parent_id"]
    if parent_id == existing.get("parent_id"):
        return
    if parent_id is None:
        raise ValidationError(f"A {entity_type.name} needs a parent.")
    below = set(descendant_ids(writer, existing["id"])) | {existing["id"]}
    if parent_id in below:
        raise ValidationError(f"Cannot move {entity_type.name} {existing['id']} below itself.")
    changes["project_id"] = _project_of_parent(writer, parent_id)


def after_update(writer: Writer, entity_type: EntityType, existing: Row, row: Row) -> None:
    if not _is(writer, entity_type, "TypedContext") or row.get("parent_id") == existing.get("parent_id"):
        return
    writer.memo.clear()  # memoised project ids of the subtree are stale now
    subtree = [existing["id"]] + descendant_ids(writer, existing["id"])
    context = writer.catalog.table(writer.registry.get("Context"))
    writer.connection.execute(
        context.update().where(context.c.id.in_(subtree)).values(project_id=row["project_id"])
    )
    ancestry = writer.catalog.tables[ANCESTRY_TABLE]
    writer.connection.execute(ancestry.delete().where(ancestry.c.context_id.in_(subtree)))
    parents = dict(writer.connection.execute(sa.select(context.c.id, context.c.parent_id).where(context.c.id.in_(subtree))).all())
    for node in subtree:  # parents before children: subtree is ordered by depth below
        _link_ancestry(writer, node, parents[node])
    if row.get("project_id") != existing.get("project_id"):  # another project schema may apply
        for node in subtree[1:]:
            workflows.check_later(writer, writer.registry.get("TypedContext"), node)


def before_delete(writer: Writer, entity_type: EntityType, row: Row) -> None:
    if _is(writer, entity_type, "Context"):
        writer.memo.pop(("ancestry", row["id"]), None)
        writer.memo.pop(("project", row["id"]), None)
        ancestry = writer.catalog.tables[ANCESTRY_TABLE]
        statement = writer.prepared("unlink ancestry", lambda: ancestry.delete().where(
            sa.or_(ancestry.c.context_id == sa.bindparam("_id"), ancestry.c.ancestor_id == sa.bindparam("_id"))))
        writer.run_delete(statement, {"_id": row["id"]})


def finish_batch(writer: Writer) -> None:
    """Check and complete typed contexts that were created without a parent."""
    for context_id, entity_type in writer.pending.items():
        row = writer.fetch(entity_type, [context_id])
        if row is None:
            continue  # deleted again in the same batch
        if not row.get("parent_id"):
            raise ValidationError(
                f"Cannot create {entity_type.name} {row.get('name')!r}: it needs a parent "
                "(a project or another context)."
            )
        completed = dict(row)
        exempt = _prepare_typed_context(writer, entity_type, completed)
        writer.check_required(entity_type, completed, exempt)
        changes = {k: v for k, v in completed.items() if row.get(k) != v}
        if changes:
            writer.write_columns(entity_type, [context_id], changes)
    writer.pending.clear()


def optional_required(writer: Writer, entity_type: EntityType, row: Row) -> set[str]:
    """Required attributes ``row`` may leave empty: status and type of kinds without them."""
    if not _is(writer, entity_type, "TypedContext"):
        return set()
    object_type = workflows.object_type_row(writer, row.get("object_type_id")) or {}
    exempt = set()
    if not object_type.get("is_statusable"):
        exempt |= {"status_id", "status"}
    if not object_type.get("is_typeable"):
        exempt |= {"type_id", "type"}
    return exempt


def keeps_removed_members(writer: Writer, target: EntityType, inverse: str) -> bool:
    """Whether members dropped from a collection stay linked (they cannot be orphaned).

    A typed context always has a parent: it leaves a ``children`` collection only by moving
    elsewhere, so a stale ``children`` list from a client never orphans anything.
    """
    return inverse == "parent_id" and _is(writer, target, "TypedContext")


def _check_project_name(writer: Writer, project_id: str, name: Any) -> None:
    """Project names are unique (the database enforces it too; this names the clash)."""
    context = workflows.type_table(writer, "Context")
    statement = sa.select(context.c.id).where(
        context.c.context_type == "show", context.c.name == name, context.c.id != project_id
    )
    if name is not None and writer.connection.execute(statement).first() is not None:
        raise DuplicateEntryError(f"IntegrityError: a Project named {name!r} already exists; project names are unique.")


# -- the context tree ------------------------------------------------------------------------

def _project_of_parent(writer: Writer, parent_id: str) -> str:
    def lookup() -> str:
        parent = writer.fetch_by_id("Context", parent_id)
        if parent is None:
            raise ValidationError(f"'parent' refers to Context {parent_id}, which does not exist.")
        return parent["id"] if parent["context_type"] == "show" else parent["project_id"]
    return writer.remember(("project", parent_id), lookup)


def _prepare_typed_context(writer: Writer, entity_type: EntityType, row: Row) -> set[str]:
    parent_id = row.get("parent_id")
    if not parent_id:
        # A later operation of the batch may adopt it (``project['children'].append(...)``).
        writer.pending[row["id"]] = entity_type
        return {"status_id", "status", "type_id", "type"}
    project_id = _project_of_parent(writer, parent_id)
    if row.get("project_id") not in (None, project_id):
        raise ValidationError(f"project_id {row['project_id']} disagrees with the parent's project {project_id}.")
    row["project_id"] = project_id
    object_type = workflows.object_type_row(writer, row.get("object_type_id"))
    statusable = bool(object_type and object_type.get("is_statusable"))
    typeable = bool(object_type and object_type.get("is_typeable"))
    exempt = set()
    schema_id = workflows.schema_of_project(writer, project_id)
    kind = row.get("object_type_id")
    types = workflows.allowed_types(writer, schema_id, kind) if typeable else []
    if typeable and not row.get("type_id"):
        row["type_id"] = types[0] if types else None
    elif row.get("type_id") and row["type_id"] not in types:
        workflows.check_later(writer, entity_type, row["id"])
    if statusable:
        statuses = workflows.allowed_statuses(writer, schema_id, kind, row.get("type_id"))
        if not row.get("status_id"):
            row["status_id"] = statuses[0] if statuses else None
        elif row["status_id"] not in statuses:
            workflows.check_later(writer, entity_type, row["id"])
    elif row.get("status_id"):
        workflows.check_later(writer, entity_type, row["id"])  # a kind without statuses
    if not statusable or not row.get("status_id"):
        exempt |= {"status_id", "status"}
    if not typeable or not row.get("type_id"):
        exempt |= {"type_id", "type"}
    return exempt


def _link_ancestry(writer: Writer, context_id: str, parent_id: str | None) -> None:
    """Store the ancestry links of ``context_id`` (its parent's ancestors, one level further)."""
    ancestry = writer.catalog.tables[ANCESTRY_TABLE]
    if not parent_id:
        writer.memo[("ancestry", context_id)] = []
        return

    def parent_ancestors() -> list[tuple[str, int]]:
        statement = sa.select(ancestry.c.ancestor_id, ancestry.c.depth).where(ancestry.c.context_id == parent_id)
        return [(a, d) for a, d in writer.connection.execute(statement)]
    above = [(parent_id, 1)] + [(a, d + 1) for a, d in writer.remember(("ancestry", parent_id), parent_ancestors)]
    writer.memo[("ancestry", context_id)] = above
    rows = [{"context_id": context_id, "ancestor_id": a, "depth": d} for a, d in above]
    if writer.buffered:
        writer.connection.add_many(ancestry, rows)
    else:
        writer.connection.execute(ancestry.insert(), rows)


def descendant_ids(writer: Writer, context_id: str) -> list[str]:
    """Ids below ``context_id``, nearest first."""
    ancestry = writer.catalog.tables[ANCESTRY_TABLE]
    statement = (
        sa.select(ancestry.c.context_id)
        .where(ancestry.c.ancestor_id == context_id)
        .order_by(ancestry.c.depth)
    )
    return [r[0] for r in writer.connection.execute(statement)]


# -- versions ----------------------------------------------------------------------------------

def _prepare_version(writer: Writer, row: Row) -> None:
    asset_id = row.get("asset_id")
    asset = writer.fetch_by_id("Asset", asset_id) if asset_id else None
    if asset is None:
        raise ValidationError("Cannot create AssetVersion: it needs an existing asset.")
    version = workflows.type_table(writer, "AssetVersion")
    if row.get("version") is None:
        highest = writer.connection.execute(
            sa.select(sa.func.max(version.c.version)).where(version.c.asset_id == asset_id)
        ).scalar()
        row["version"] = (highest or 0) + 1
    if row.get("user_id") is None:
        row["user_id"] = writer.user_id
    statuses = workflows.version_statuses(writer, asset)
    if row.get("status_id") is None:
        row["status_id"] = statuses[0] if statuses else None
    elif row["status_id"] not in statuses:
        workflows.check_later(writer, writer.registry.get("AssetVersion"), row["id"])
