"""Helpers for project schemas."""

from __future__ import annotations

from .base import Entity


class ProjectSchema(Entity):
    """Class representing ProjectSchema."""

    __slots__ = ()

    def _object_type_id(self, schema: str) -> str:
        cls = self.session.types.get(schema)
        if cls is None:
            raise ValueError(f"Schema {schema} does not exist.")
        attribute = cls.attributes.get("object_type_id")
        if attribute is None or not isinstance(attribute.default_value, str):
            raise ValueError(f"Schema {schema} does not have statuses.")
        return attribute.default_value

    def _schema_row(self, schema: str) -> Entity | None:
        object_type_id = self._object_type_id(schema)
        for row in self["_schemas"]:
            if row["type_id"] == object_type_id:
                return row
        return None

    def get_statuses(self, schema: str, type_id: str | None = None) -> list[Entity]:
        """Return statuses for *schema* and optional *type_id*.

        *type_id* is the id of the Type of a TypedContext; it selects the
        workflow override for that type, if any.
        """
        if schema == "Task":
            if type_id is not None:
                for override in self["_overrides"]:
                    if override["type_id"] == type_id:
                        return override["workflow_schema"]["statuses"][:]
            return self["_task_workflow"]["statuses"][:]
        if schema == "AssetVersion":
            return self["_version_workflow"]["statuses"][:]
        row = self._schema_row(schema)
        if row is None:
            raise ValueError(f"No valid statuses were found for schema {schema}.")
        result = self.session.query(f"select task_status from SchemaStatus where schema_id is {row['id']}")
        return [item["task_status"] for item in result]

    def get_types(self, schema: str) -> list[Entity]:
        """Return types for *schema*."""
        if schema == "Task":
            return self["_task_type_schema"]["types"][:]
        row = self._schema_row(schema)
        if row is None:
            raise ValueError(f"No valid types were found for schema {schema}.")
        result = self.session.query(f"select task_type from SchemaType where schema_id is {row['id']}")
        return [item["task_type"] for item in result]
