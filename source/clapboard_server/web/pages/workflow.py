"""The statuses an entity's status control offers: those its project schema's workflow allows.

The server refuses any other status (:mod:`clapboard_server.workflows`); the page reads the
same data model through a query (as ``ProjectSchema.get_statuses`` of the client does): a
task's statuses come from the workflow its schema overrides for the task's type, else the task
workflow; versions use the version workflow; other object types the schema's row for them.
"""

from __future__ import annotations

from typing import Any

from .common import literal

#: ObjectType id of tasks.
TASK_OBJECT_TYPE = "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
_PROJECTION = ("task_workflow_schema.statuses.id, asset_version_workflow_schema.statuses.id, "
               "task_workflow_schema_overrides.type_id, task_workflow_schema_overrides.workflow_schema.statuses.id, "
               "object_type_schemas.object_type_id, object_type_schemas.statuses.status_id")


def context_schema_operation(context_id: str) -> dict[str, Any]:
    """The query of the project schema of context ``context_id``."""
    return {"action": "query", "expression": (
        f"select {_PROJECTION} from ProjectSchema where id in "
        f"(select project.project_schema_id from TypedContext where id is {literal(context_id)})")}


def version_schema_operation(version_id: str) -> dict[str, Any]:
    """The query of the project schema of version ``version_id``."""
    return {"action": "query", "expression": (
        f"select {_PROJECTION} from ProjectSchema where id in (select project_schema_id from Project where id in "
        f"(select asset.parent.project_id from AssetVersion where id is {literal(version_id)}))")}


def _ids(workflow: dict[str, Any] | None) -> list[str]:
    return [status["id"] for status in (workflow or {}).get("statuses") or []]


def allowed_ids(schemas: list[dict[str, Any]], entity: dict[str, Any]) -> set[str]:
    """Ids of the statuses ``entity`` (a context or version query result) may have (empty: none)."""
    if not schemas:
        return set()
    schema = schemas[0]
    if entity.get("__entity_type__") == "AssetVersion":
        return set(_ids(schema.get("asset_version_workflow_schema")))
    object_type_id = entity.get("object_type_id")
    if object_type_id == TASK_OBJECT_TYPE:
        type_id = (entity.get("type") or {}).get("id") or entity.get("type_id")
        for override in schema.get("task_workflow_schema_overrides") or []:
            if override.get("type_id") == type_id:
                return set(_ids(override.get("workflow_schema")))
        return set(_ids(schema.get("task_workflow_schema")))
    for row in schema.get("object_type_schemas") or []:
        if row.get("object_type_id") == object_type_id:
            return {item["status_id"] for item in row.get("statuses") or []}
    return set()


def choices(statuses: list[dict[str, Any]], schemas: list[dict[str, Any]], entity: dict[str, Any]) -> list[dict]:
    """``statuses`` (all, in order) narrowed to those ``entity`` may have."""
    allowed = allowed_ids(schemas, entity)
    return [status for status in statuses if status["id"] in allowed]
