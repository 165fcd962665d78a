"""Load ``resource/schema/*.json`` into a :class:`Registry`.

The files use the served schema dialect plus storage keys of our own (see
``resource/schema/README.md``). This module resolves ``extends``, validates cross references,
and produces both the resolved model and the documents served by ``query_schemas``.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import COLLECTION, REFERENCE, SCALAR, EntityType, Property

#: Keys of ours, removed from the served documents.
_PRIVATE_TYPE_KEYS = (
    "extends", "abstract", "storage", "immutable_extra", "required_extra", "computed_extra",
)
_SCALAR_TYPES = {"string", "integer", "number", "boolean", "variable", "object"}


#: The package the top-level ``resource/`` folder is installed as.
RESOURCE_PACKAGE = "clapboard_server.resource"


class SchemaError(Exception):
    """A schema file is invalid; the message names the file and the problem."""


def resource_path(*parts: str) -> Path:
    """Path of a file shipped in the ``resource`` folder.

    Installed, the folder is the package ``clapboard_server.resource`` (package data, found with
    :mod:`importlib.resources`, wherever the package was installed: a prefix, ``--user``,
    ``--target`` or a folder bundled with an application). Run from a source checkout, it is the
    checkout's top-level ``resource/`` folder.
    """
    return resource_root().joinpath(*parts)


def resource_root() -> Path:
    """The folder of the shipped resources (see :func:`resource_path`)."""
    try:
        root = importlib.resources.files(RESOURCE_PACKAGE)
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parents[3] / "resource"
        if checkout.is_dir():
            return checkout
        raise FileNotFoundError(f"clapboard resource folder not found: no package {RESOURCE_PACKAGE}") from None
    if not isinstance(root, Path):  # e.g. imported from a zip archive
        raise FileNotFoundError(f"clapboard resources must be installed as files, not in {root}")
    return root


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def read_documents(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Read every schema file of ``folder`` (default: the shipped schemas)."""
    folder = folder or resource_path("schema")
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise SchemaError(f"{path.name}: invalid JSON: {error}") from None
        if document.get("id") != path.stem:
            raise SchemaError(f"{path.name}: id {document.get('id')!r} differs from file name")
        documents[path.stem] = document
    return documents


def resolve_extends(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the documents with ``extends`` applied (bases first, any depth)."""
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(name: str, chain: tuple) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        if name in chain:
            raise SchemaError(f"{name}.json: circular 'extends' through {' -> '.join(chain)}")
        document = documents.get(name)
        if document is None:
            raise SchemaError(f"{chain[-1]}.json: extends unknown type {name!r}")
        base_name = document.get("extends")
        if not base_name:
            result = copy.deepcopy(document)
            result["_bases"] = []
        else:
            base = resolve(base_name, chain + (name,))
            result = copy.deepcopy(base)
            result.pop("abstract", None)
            result["storage"] = {}
            for key, value in document.items():
                if key == "properties":
                    result["properties"] = {**result.get("properties", {}), **copy.deepcopy(value)}
                else:
                    result[key] = copy.deepcopy(value)
            result["_bases"] = [base_name] + base["_bases"]
        for key in ("immutable", "required", "computed"):
            extra = result.pop(f"{key}_extra", None)
            if extra:
                result[key] = list(result.get(key, [])) + [n for n in extra if n not in result.get(key, [])]
        resolved[name] = result
        return result

    for type_name in documents:
        resolve(type_name, ())
    return resolved


def build_property(type_name: str, name: str, fragment: dict[str, Any]) -> Property | None:
    """Turn one property fragment into a :class:`Property` (None for unsupported ones)."""
    storage = fragment.get("storage", {})
    kind_name = fragment.get("type")
    prop = Property(name=name, kind=SCALAR)
    prop.computed = storage.get("computed")
    prop.restricted = bool(fragment.get("restricted_projection"))
    if "default" in fragment:
        prop.default, prop.has_default = fragment["default"], True
    if "fill" in storage:
        prop.fill = storage["fill"]
    if kind_name in _SCALAR_TYPES or (kind_name is None and "$ref" not in fragment):
        if kind_name is None and not prop.computed:
            return None  # e.g. a bare {"format": "foreign_key"}: not an attribute
        prop.data_type = _scalar_data_type(kind_name or "string", fragment.get("format"))
        prop.column = storage.get("column", name)
        prop.typed = bool(storage.get("typed"))
    elif kind_name is None:
        prop.kind = REFERENCE
        prop.target = fragment["$ref"]
        prop.column = storage.get("column", f"{name}_id")
        prop.type_column = storage.get("type_column")
    elif kind_name in ("array", "mapped_array"):
        prop.kind = COLLECTION
        prop.mapped = kind_name == "mapped_array"
        prop.target = fragment.get("items", {}).get("$ref")
        prop.inverse = storage.get("inverse")
        prop.where = dict(storage.get("where", {}))
        prop.on_delete = storage.get("on_delete", "null")
        prop.order = list(storage.get("order", []))
        if "through" in storage:
            prop.through = (storage["through"], storage["from"], storage["to"])
        if not (prop.inverse or prop.through or prop.computed or prop.restricted):
            raise SchemaError(f"{type_name}.json: collection {name!r} has no storage")
    else:
        raise SchemaError(f"{type_name}.json: property {name!r} has unknown type {kind_name!r}")
    return prop


def _scalar_data_type(kind_name: str, format_name: str | None) -> str:
    if kind_name == "string" and format_name == "date-time":
        return "datetime"
    if kind_name == "object":
        return "json"
    return kind_name


def served_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document as ``query_schemas`` serves it: our keys removed."""
    served = {
        key: value for key, value in document.items()
        if key not in _PRIVATE_TYPE_KEYS and not key.startswith("_")
    }
    served.setdefault("type", "object")
    served["properties"] = {
        name: {key: value for key, value in fragment.items() if key != "storage"}
        for name, fragment in document.get("properties", {}).items()
    }
    return served


def build_types(documents: dict[str, dict[str, Any]]) -> dict[str, EntityType]:
    """Resolve the documents into entity types (without cross-validation)."""
    types: dict[str, EntityType] = {}
    for name, document in resolve_extends(documents).items():
        storage = document.get("storage") or {}
        if not storage:
            # Inherit the nearest base's table; the discriminator must then be given.
            for base in document["_bases"]:
                base_storage = documents[base].get("storage")
                if base_storage:
                    storage = {"table": base_storage.get("table")}
                    break
        properties = {}
        for prop_name, fragment in document.get("properties", {}).items():
            prop = build_property(name, prop_name, fragment)
            if prop is not None:
                properties[prop_name] = prop
        types[name] = EntityType(
            name=name,
            table=storage.get("table") or snake_case(name),
            where=dict(storage.get("where", {})),
            abstract=bool(document.get("abstract")),
            primary_key=list(document.get("primary_key") or []),
            properties=properties,
            required=list(document.get("required", [])),
            immutable=list(document.get("immutable", [])),
            default_projections=list(document.get("default_projections") or []),
            system_projections=list(document.get("system_projections", [])),
            document=served_document(document),
            unique=[list(u) for u in storage.get("unique", [])],
            index=[list(i) for i in storage.get("index", [])],
            bases=list(document["_bases"]),
        )
    return types


def validate(types: dict[str, EntityType]) -> list[str]:
    """Every problem found across the types, as readable sentences."""
    problems: list[str] = []
    tables: dict[str, EntityType] = {}
    for entity_type in types.values():
        where = f"{entity_type.name}.json"
        if not entity_type.primary_key:
            problems.append(f"{where}: no primary_key")
        for key in entity_type.primary_key:
            prop = entity_type.get(key)
            if prop is None or not prop.stored:
                problems.append(f"{where}: primary key {key!r} is not a stored attribute")
        if not entity_type.default_projections:
            problems.append(f"{where}: default_projections is empty")
        for name in entity_type.default_projections:
            if name not in entity_type.document["properties"]:
                problems.append(f"{where}: default projection {name!r} is not a property")
        first = tables.setdefault(entity_type.table, entity_type)
        if first.primary_key != entity_type.primary_key:
            problems.append(
                f"{where}: shares table {entity_type.table!r} with {first.name} "
                "but has another primary key"
            )
        for prop in entity_type.properties.values():
            problems.extend(_validate_property(types, entity_type, prop))
    return problems


def _validate_property(types: dict[str, EntityType], entity_type: EntityType, prop: Property) -> Iterable[str]:
    where = f"{entity_type.name}.json: {prop.name}"
    if prop.kind in (REFERENCE, COLLECTION) and prop.target not in types:
        if not prop.restricted:
            yield f"{where}: refers to unknown type {prop.target!r}"
        return
    if prop.kind == COLLECTION and prop.inverse:
        target = types[prop.target]
        if not _has_column(types, target, prop.inverse):
            yield f"{where}: target {target.name} has no column {prop.inverse!r}"
    if prop.kind == COLLECTION and prop.through and prop.through[0] in types:
        link = types[prop.through[0]]
        for column in prop.through[1:]:
            if not _has_column(types, link, column):
                yield f"{where}: link type {link.name} has no column {column!r}"


def _has_column(types: dict[str, EntityType], entity_type: EntityType, column: str) -> bool:
    return any(
        (p.column == column and p.kind in (SCALAR, REFERENCE) and not p.computed)
        for other in types.values() if other.table == entity_type.table
        for p in other.properties.values()
    )
