"""Project schemas and workflows: which types and statuses an entity may have.

Per the data model (ProjectSchema): a task's statuses come from the workflow its project
schema overrides for the task's type, else the task workflow; other statusable object types
use the statuses of the schema's ``Schema`` row for them; asset versions the version workflow.
Types come from the task type schema (tasks) or the ``Schema`` row's types. Lists are in
order (defaults take the first); the checks run when the batch ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import ValidationError
from .schema import EntityType

if TYPE_CHECKING:
    from .writes import Row, Writer

TASK_OBJECT_TYPE = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"


def object_type_row(writer: Writer, object_type_id: Any) -> Row | None:
    """The ObjectType row (capability flags), memoised for the batch."""
    return writer.remember(("object_type", object_type_id), lambda: writer.fetch_by_id("ObjectType", object_type_id))


def type_table(writer: Writer, type_name: str) -> sa.Table:
    """The table of entity type ``type_name``."""
    return writer.catalog.table(writer.registry.get(type_name))


def project_schema_id(writer: Writer, project_id: str) -> str | None:
    project = writer.fetch_by_id("Project", project_id)
    return project.get("project_schema_id") if project else None


def schema_of_project(writer: Writer, project_id: str) -> str | None:
    """The project schema id of a project, memoised for the batch."""
    return writer.remember(("schema", project_id), lambda: project_schema_id(writer, project_id))


def context_fits(writer: Writer, row: Row) -> bool:
    """Whether a typed context's type and status are allowed by its project schema (from
    memoised lookups: cheap for a batch of many contexts)."""
    kind = row.get("object_type_id")
    schema_id = schema_of_project(writer, row.get("project_id"))
    object_type = object_type_row(writer, kind) or {}
    if row.get("type_id") and not (
        object_type.get("is_typeable") and row["type_id"] in allowed_types(writer, schema_id, kind)
    ):
        return False
    return not row.get("status_id") or bool(
        object_type.get("is_statusable") and row["status_id"] in allowed_statuses(writer, schema_id, kind, row.get("type_id"))
    )


def _workflow_statuses(writer: Writer, workflow_id: str | None) -> list[str]:
    if not workflow_id:
        return []
    link, status = type_table(writer, "WorkflowSchemaStatus"), type_table(writer, "Status")
    statement = (
        sa.select(status.c.id).join(link, link.c.status_id == status.c.id)
        .where(link.c.workflow_schema_id == workflow_id).order_by(status.c.sort, status.c.name)
    )
    return [r[0] for r in writer.connection.execute(statement)]


def _object_schema_id(writer: Writer, schema_id: str | None, object_type_id: Any) -> str | None:
    schema = type_table(writer, "Schema")
    statement = sa.select(schema.c.id).where(schema.c.project_schema_id == schema_id, schema.c.type_id == object_type_id)
    return writer.connection.execute(statement).scalar()


def allowed_statuses(writer: Writer, schema_id: str | None, object_type_id: Any, type_id: Any) -> list[str]:
    key = ("statuses", schema_id, object_type_id, type_id if object_type_id == TASK_OBJECT_TYPE else None)
    return writer.remember(key, lambda: _statuses(writer, schema_id, object_type_id, type_id))


def _task_workflow(writer: Writer, project_schema: Row, type_id: Any) -> str | None:
    """The workflow of tasks of type ``type_id``: the schema's override for it, else the default."""
    if type_id:
        override = type_table(writer, "ProjectSchemaOverride")
        statement = sa.select(override.c.workflow_schema_id).where(
            override.c.project_schema_id == project_schema["id"], override.c.type_id == type_id
        )
        workflow_id = writer.connection.execute(statement).scalar()
        if workflow_id:
            return workflow_id
    return project_schema.get("task_workflow_schema_id")


def _statuses(writer: Writer, schema_id: str | None, object_type_id: Any, type_id: Any = None) -> list[str]:
    """Allowed status ids for an object type (a task: of a task type) in a project schema, in order."""
    project_schema = writer.fetch_by_id("ProjectSchema", schema_id) if schema_id else None
    if project_schema is None:
        return []
    if object_type_id == TASK_OBJECT_TYPE:
        return _workflow_statuses(writer, _task_workflow(writer, project_schema, type_id))
    link, status = type_table(writer, "SchemaStatus"), type_table(writer, "Status")
    statement = (
        sa.select(status.c.id).join(link, link.c.status_id == status.c.id)
        .where(link.c.schema_id == _object_schema_id(writer, schema_id, object_type_id))
        .order_by(link.c.sort, status.c.sort, status.c.name)
    )
    return [r[0] for r in writer.connection.execute(statement)]


def allowed_types(writer: Writer, schema_id: str | None, object_type_id: Any) -> list[str]:
    """Allowed type ids for an object type in a project schema, in order (memoised)."""
    return writer.remember(("types", schema_id, object_type_id), lambda: _types(writer, schema_id, object_type_id))


def _types(writer: Writer, schema_id: str | None, object_type_id: Any) -> list[str]:
    project_schema = writer.fetch_by_id("ProjectSchema", schema_id) if schema_id else None
    if project_schema is None:
        return []
    kind = type_table(writer, "Type")
    if object_type_id == TASK_OBJECT_TYPE:
        link = type_table(writer, "TaskTypeSchemaType")
        condition = link.c.task_type_schema_id == project_schema.get("task_type_schema_id")
    else:
        link = type_table(writer, "SchemaType")
        condition = link.c.schema_id == _object_schema_id(writer, schema_id, object_type_id)
    statement = sa.select(kind.c.id).join(link, link.c.type_id == kind.c.id).where(condition).order_by(kind.c.sort, kind.c.name)
    return [r[0] for r in writer.connection.execute(statement)]


def _version_schema(writer: Writer, asset: Row) -> Row | None:
    """The project schema of an asset's project."""
    context = writer.fetch_by_id("Context", asset.get("context_id")) if asset.get("context_id") else None
    project_id = None if context is None else (context["id"] if context["context_type"] == "show" else context["project_id"])
    return writer.fetch_by_id("ProjectSchema", project_schema_id(writer, project_id)) if project_id else None


def version_statuses(writer: Writer, asset: Row) -> list[str]:
    schema = _version_schema(writer, asset)
    return _workflow_statuses(writer, schema.get("asset_version_workflow_schema_id")) if schema else []


# -- workflow checks -------------------------------------------------------------------------

def check_later(writer: Writer, entity_type: EntityType, entity_id: str) -> None:
    """Check the type and status of ``entity_id`` against its project schema when the batch ends."""
    writer.checks.defer(("workflow", entity_id), lambda: _check_workflow(writer, entity_type, entity_id))


def _check_workflow(writer: Writer, entity_type: EntityType, entity_id: str) -> None:
    row = writer.fetch(entity_type, [entity_id])
    if row is None:
        return
    entity_type = writer.concrete_type(entity_type, row)
    if entity_type.name != "AssetVersion" and row.get("type_id"):
        _check_type(writer, entity_type, row)
    if row.get("status_id"):
        _check_status(writer, entity_type, row)


def _check_type(writer: Writer, entity_type: EntityType, row: Row) -> None:
    project = writer.fetch_by_id("Project", row.get("project_id")) or {}
    schema = writer.fetch_by_id("ProjectSchema", project.get("project_schema_id"))
    object_type = object_type_row(writer, row.get("object_type_id")) or {}
    typeable = object_type.get("is_typeable")
    allowed = _types(writer, project.get("project_schema_id"), row.get("object_type_id")) if typeable else []
    scope = f"project schema {(schema or {}).get('name')!r} for {object_type.get('name', entity_type.name)} objects"
    _refuse_unless_allowed(writer, entity_type, row, "type", allowed, schema, scope)


def _check_status(writer: Writer, entity_type: EntityType, row: Row) -> None:
    if entity_type.name == "AssetVersion":
        asset = writer.fetch_by_id("Asset", row.get("asset_id")) or {}
        schema = _version_schema(writer, asset)
        allowed = version_statuses(writer, asset)
        kind = "asset versions"
    else:
        project = writer.fetch_by_id("Project", row.get("project_id")) or {}
        schema = writer.fetch_by_id("ProjectSchema", project.get("project_schema_id"))
        allowed = _statuses(writer, project.get("project_schema_id"), row.get("object_type_id"), row.get("type_id"))
        if not (object_type_row(writer, row.get("object_type_id")) or {}).get("is_statusable"):
            allowed = []
        kind = _kind_text(writer, entity_type, row)
    scope = f"the workflow of project schema {(schema or {}).get('name')!r} for {kind}"
    _refuse_unless_allowed(writer, entity_type, row, "status", allowed, schema, scope)


def _refuse_unless_allowed(writer: Writer, entity_type: EntityType, row: Row, attribute: str, allowed: list[str],
                           schema: Row | None, scope: str) -> None:
    """Refuse ``row``'s type or status (``attribute``) unless ``allowed`` holds it, naming
    the value, the entity and what ``scope`` allows."""
    value_id = row[f"{attribute}_id"]
    if schema is None or value_id in allowed:
        return
    names = _names(writer, attribute.capitalize(), [value_id, *allowed])
    raise ValidationError(
        f"Cannot set the {attribute} of {entity_type.name} {row.get('name', row['id'])!r} to {names[0]!r}: "
        f"{scope} allows {', '.join(repr(n) for n in names[1:]) or f'no {attribute}'}."
    )


def _kind_text(writer: Writer, entity_type: EntityType, row: Row) -> str:
    if row.get("object_type_id") == TASK_OBJECT_TYPE and row.get("type_id"):
        return f"tasks of type {_names(writer, 'Type', [row['type_id']])[0]!r}"
    object_type = object_type_row(writer, row.get("object_type_id")) or {}
    return f"{object_type.get('name', entity_type.name)} objects"


def _names(writer: Writer, type_name: str, ids: list[str]) -> list[str]:
    """The names of rows of ``type_name`` (the id when a row is missing), in the given order."""
    table = type_table(writer, type_name)
    found = dict(writer.connection.execute(sa.select(table.c.id, table.c.name).where(table.c.id.in_(ids))).all())
    return [found.get(i, i) for i in ids]
