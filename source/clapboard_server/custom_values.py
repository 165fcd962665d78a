"""Custom attribute values: validated against their configuration and stored typed.

A value is checked against its configuration's type (``number``, ``boolean``, ``date``,
``text``, ``enumerator`` with its allowed values and ``multiSelect``) and against the entity
it is set on. It is stored three ways: the JSON wire value (what clients read back), its text
form and, for numbers, its numeric value (what queries compare, so ``value is "8"`` finds the
text ``8`` and ``value > 10`` compares numbers).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import ValidationError
from .query.custom_attributes import HIERARCHICAL_KINDS, legacy_kind, owner_details
from .query.scope import discriminator
from .values import parse_datetime

if TYPE_CHECKING:
    from .schema import EntityType
    from .writes import Row, Writer

#: The entity type each legacy configuration ``entity_type`` names.
_KIND_TYPES = {
    "show": "Project", "task": "TypedContext", "assetversion": "AssetVersion", "asset": "Asset",
    "user": "User", "list": "List",
}


def is_value_type(entity_type: EntityType) -> bool:
    """Whether ``entity_type`` stores custom attribute values."""
    prop = entity_type.properties.get("value")
    return prop is not None and prop.typed


def prepare(writer: Writer, entity_type: EntityType, row: Row, target: Row) -> None:
    """Validate the value of ``row`` and write its stored forms into ``target``."""
    configuration = _configuration(writer, row.get("configuration_id"))
    _check_entity(writer, entity_type, configuration, row.get("entity_id"))
    prop = entity_type.properties["value"]
    value = None if row.get(prop.column) is None else json.loads(row[prop.column])
    value = validate(configuration, value)
    target[prop.column] = None if value is None else json.dumps(value, sort_keys=True)
    text, number = typed_forms(configuration["type_name"], value)
    columns = prop.typed_columns
    target[columns["string"]] = text
    target[columns["number"]] = number


def prepare_configuration(writer: Writer, row: Row, existing: Row | None, target: Row) -> None:
    """Check a configuration (new when ``existing`` is None) and its default; write the
    normalised default into ``target``."""
    name = row.get("key")
    if row.get("entity_type") == "user" and row.get("project_id"):
        raise ValidationError(f"Custom attribute {name!r} is a user attribute: it cannot belong to a project.")
    if existing is not None:
        if row.get("type_id") != existing.get("type_id"):
            raise ValidationError(f"The type of custom attribute {name!r} cannot change after its creation.")
        if existing.get("project_id") is None and row.get("project_id") is not None:
            raise ValidationError(f"Custom attribute {name!r} is global and cannot become project specific.")
    stored = row.get("default")
    default = None if stored is None else json.loads(stored)
    if default is None or default == "":
        return  # no default
    kind = writer.fetch_by_id("CustomAttributeType", row.get("type_id")) or {}
    default = validate({**row, "key": name, "type_name": kind.get("name")}, default)
    target["default"] = json.dumps(default, sort_keys=True)


def keep_existing_defaults(writer: Writer, existing: Row, row: Row) -> None:
    """A configuration's new default applies to new entities only: entities that exist
    without a value of their own keep the old default, stored now as their value."""
    old = existing.get("default")
    kind = existing.get("entity_type")
    if old is None or row.get("default") == old or existing.get("is_hierarchical") or kind not in _KIND_TYPES:
        return
    registry = writer.registry
    owner_type = registry.get(_KIND_TYPES[kind])
    owners = writer.table(owner_type)
    condition = [discriminator(owner_type, owners)]
    if kind == "task" and existing.get("object_type_id"):
        condition.append(owners.c.object_type_id == existing["object_type_id"])
    if existing.get("project_id"):
        condition.append(owners.c.id.in_(_ids_in_project(writer, kind, existing["project_id"])))
    value_type = registry.get("CustomAttributeValue")
    values = writer.table(value_type)
    prop = value_type.properties["value"]
    value = json.loads(old)
    text, number = typed_forms(_type_name(writer, existing), value)
    has_value = sa.exists().where(values.c.configuration_id == existing["id"], values.c.entity_id == owners.c.id)
    selection = sa.select(
        sa.literal(existing["id"]), owners.c.id, sa.literal(old), sa.literal(text, sa.Text),
        sa.literal(number, sa.Float),
    ).where(*condition, ~has_value)
    columns = ["configuration_id", "entity_id", prop.column, prop.typed_columns["string"], prop.typed_columns["number"]]
    writer.connection.execute(values.insert().from_select(columns, selection))


def _type_name(writer: Writer, configuration: Row) -> str | None:
    return (writer.fetch_by_id("CustomAttributeType", configuration.get("type_id")) or {}).get("name")


def _ids_in_project(writer: Writer, kind: str, project_id: str) -> sa.Select:
    """The ids of the ``kind`` entities of project ``project_id``."""
    registry = writer.registry
    context = writer.table(registry.get("Context"))
    contexts = sa.select(context.c.id).where(context.c.project_id == project_id)
    if kind in ("show", "task"):
        return contexts
    if kind == "list":
        lists = writer.table(registry.get("List"))
        return sa.select(lists.c.id).where(lists.c.project_id == project_id)
    asset = writer.table(registry.get("Asset"))
    assets = sa.select(asset.c.id).where(asset.c.context_id.in_(contexts))
    if kind == "asset":
        return assets
    version = writer.table(registry.get("AssetVersion"))
    return sa.select(version.c.id).where(version.c.asset_id.in_(assets))


def validate(configuration: Row, value: Any) -> Any:
    """``value`` as stored for ``configuration``; a ValidationError when it does not fit."""
    if value is None:
        return None
    kind = configuration["type_name"]
    check = _VALIDATORS.get(kind)
    if check is None:
        return value  # expression, notificationtype: no documented rule
    try:
        return check(configuration, value)
    except (TypeError, ValueError) as error:
        reason = f" ({error})" if str(error) else ""
        raise ValidationError(
            f"Custom attribute value for {configuration['key']!r} must be of type {kind}{reason}. "
            f"Got {value!r} of type {type(value).__name__}."
        ) from None


def typed_forms(kind: str, value: Any) -> tuple[str | None, float | None]:
    """The text form and numeric value queries compare for a stored value."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, (int, float)):
        return _number_text(value), float(value)
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and "value" in value:  # a date
        return str(value["value"]), None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0], None  # a single-select enumerator compares as its value
    if isinstance(value, list) and not value:
        return None, None
    return json.dumps(value, sort_keys=True), None


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- validators per custom attribute type ----------------------------------------------------

def _text(configuration: Row, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError()
    return value


def _number(configuration: Row, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _boolean(configuration: Row, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError()
    return value


def _date(configuration: Row, value: Any) -> dict[str, str]:
    kind = "datetime"
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        kind, value = value["__type__"], value.get("value")
    if not isinstance(value, str):
        raise TypeError()
    if kind == "date":
        return {"__type__": "date", "value": _dt.date.fromisoformat(value.strip()[:10]).isoformat()}
    return {"__type__": "datetime", "value": parse_datetime(value).isoformat()}


def _enumerator(configuration: Row, value: Any) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(item, (str, int, float)) for item in value):
        raise TypeError()
    options = _options(configuration)
    if options is not None:
        unknown = [item for item in value if item not in options]
        if unknown:
            allowed = ", ".join(repr(option) for option in options)
            raise ValueError(f"{unknown[0]!r} is not one of its values {allowed}")
    if len(value) > 1 and not _config(configuration).get("multiSelect"):
        raise ValueError("it is single-select, so at most one value")
    return value


def _dynamic_enumerator(configuration: Row, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError()
    return value


_VALIDATORS = {
    "text": _text, "number": _number, "boolean": _boolean, "date": _date,
    "enumerator": _enumerator, "dynamic enumerator": _dynamic_enumerator,
}


def _config(configuration: Row) -> dict[str, Any]:
    """The configuration's ``config`` JSON (empty when absent or not an object)."""
    try:
        config = json.loads(configuration.get("config") or "{}")
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def _options(configuration: Row) -> list[Any] | None:
    """An enumerator's allowed values (None when its configuration lists none)."""
    data = _config(configuration).get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, list):
        return None
    return [option.get("value") if isinstance(option, dict) else option for option in data]


# -- configuration and entity ----------------------------------------------------------------

def _configuration(writer: Writer, configuration_id: Any) -> Row:
    def lookup() -> Row:
        configuration = writer.fetch_by_id("CustomAttributeConfiguration", configuration_id)
        if configuration is None:
            raise ValidationError(f"Custom attribute configuration {configuration_id} does not exist.")
        kind = writer.fetch_by_id("CustomAttributeType", configuration.get("type_id")) or {}
        return {**configuration, "type_name": kind.get("name")}
    return writer.remember(("custom_attribute", configuration_id), lookup)


def _check_entity(writer: Writer, value_type: EntityType, configuration: Row, entity_id: Any) -> None:
    """Refuse a value for an entity that does not exist or that the configuration does not apply to."""
    kind = configuration.get("entity_type")
    owner_name = _KIND_TYPES.get(kind) if value_type.name == "CustomAttributeValue" else _owner_name(value_type)
    owner = writer.registry.types.get(owner_name or "")
    row = writer.fetch(owner, [entity_id]) if owner is not None else None
    if owner is None or row is None:
        raise ValidationError(
            f"Cannot set custom attribute {configuration['key']!r}: "
            f"{owner_name or 'entity'} {entity_id} does not exist."
        )
    concrete = writer.concrete_type(owner, row)
    entity_kind = legacy_kind(writer.registry, concrete)
    applies = kind == entity_kind or (configuration.get("is_hierarchical") and entity_kind in HIERARCHICAL_KINDS)
    if kind in _KIND_TYPES and entity_kind is not None and not applies:
        raise ValidationError(
            f"Custom attribute {configuration['key']!r} is configured for {kind!r} entities and "
            f"cannot be set on {concrete.name} {entity_id}."
        )
    project_id = configuration.get("project_id")
    if project_id and entity_kind in HIERARCHICAL_KINDS:
        details = owner_details(writer.catalog, writer.connection, entity_kind, [row[owner.primary_key[0]]])
        entity_project = next(iter(details.values()), (None, None, None))[1]
        if entity_project != project_id:
            raise ValidationError(
                f"Custom attribute {configuration['key']!r} belongs to project {project_id} and "
                f"cannot be set on {concrete.name} {entity_id} of another project."
            )
    object_type_id = configuration.get("object_type_id")
    by_object_type = kind == entity_kind == "task" and object_type_id and not configuration.get("is_hierarchical")
    if by_object_type and row.get("object_type_id") != object_type_id:
        raise ValidationError(
                f"Custom attribute {configuration['key']!r} applies to another object type and "
                f"cannot be set on {concrete.name} {entity_id}."
            )


def _owner_name(value_type: EntityType) -> str:
    """The owner type of a typed value view: ``ContextCustomAttributeValue`` -> ``Context``."""
    return value_type.name[: -len("CustomAttributeValue")]
