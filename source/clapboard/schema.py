"""Schemas: fetch them (or read them from the schema cache) and build entity classes.

The schema cache keeps the last schemas downloaded from a server in a JSON
file. At start-up, the MD5 of ``json.dumps(schemas, sort_keys=True)`` is
compared with the server's ``schema_hash``: when equal, the cached schemas are
used and ``query_schemas`` is not sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import exception
from .entity.factory import StandardFactory, finalise_types

logger = logging.getLogger("clapboard.schema")

#: Oldest server version the client supports (``dev`` always passes).
MINIMUM_SERVER_VERSION = (3, 3, 11)

Schemas = list[dict[str, Any]]


def schema_hash(schemas: Schemas) -> str:
    """Return the MD5 hex digest of ``json.dumps(schemas, sort_keys=True)``."""
    return hashlib.md5(json.dumps(schemas, sort_keys=True).encode("utf-8")).hexdigest()


def check_server_compatibility(server_information: Mapping[str, Any]) -> None:
    """Raise :exc:`~clapboard.exception.ServerCompatibilityError` for unsupported servers."""
    version = server_information.get("version")
    if version is None:
        raise exception.ServerCompatibilityError(
            "Server information does not include a version; the server is not supported."
        )
    if version == "dev":
        return
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", str(version))
    if match and tuple(int(part) for part in match.groups()) < MINIMUM_SERVER_VERSION:
        minimum = ".".join(str(part) for part in MINIMUM_SERVER_VERSION)
        raise exception.ServerCompatibilityError(
            f"Server version {version} is not supported; version {minimum} or later is required."
        )


def cache_directory(schema_cache_path: str | os.PathLike | bool | None) -> Path | None:
    """Return the folder of the schema cache, or None when caching is disabled.

    *schema_cache_path* False disables caching; None means
    :envvar:`CLAPBOARD_API_SCHEMA_CACHE_PATH` (or
    :envvar:`FTRACK_API_SCHEMA_CACHE_PATH`), else the user cache folder.
    """
    if schema_cache_path is False:
        return None
    if schema_cache_path is None:
        schema_cache_path = os.environ.get("CLAPBOARD_API_SCHEMA_CACHE_PATH") or os.environ.get(
            "FTRACK_API_SCHEMA_CACHE_PATH"
        )
    if not schema_cache_path:
        try:
            import platformdirs

            schema_cache_path = platformdirs.user_cache_dir("clapboard")
        except Exception:  # noqa: BLE001 - fall back to the temporary folder
            schema_cache_path = tempfile.gettempdir()
    return Path(schema_cache_path)


def cache_file(directory: Path, server_url: str) -> Path:
    """Return the schema cache file for *server_url* inside *directory*."""
    digest = hashlib.md5(server_url.encode("utf-8")).hexdigest()[:12]
    return directory / f"clapboard_schema_cache_{digest}.json"


def read_cache(path: Path | None) -> Schemas | None:
    """Return the schemas cached in *path*, or None if missing or unreadable."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            schemas = json.load(stream)
    except (OSError, ValueError):
        return None
    return schemas if isinstance(schemas, list) else None


def write_cache(path: Path | None, schemas: Schemas) -> None:
    """Write *schemas* to *path* atomically; log and carry on if that fails."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".schema-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(schemas, stream)
        os.replace(temporary, path)
    except OSError as error:
        logger.warning("Could not write schema cache %s: %s", path, error)


def build_types(
    schemas: Schemas, construct: Callable[[dict[str, Any], Schemas], type | None]
) -> dict[str, type]:
    """Return entity classes for *schemas*, keyed by schema id.

    *construct* is asked for each schema's class (the session publishes the
    ``ftrack.api.session.construct-entity-type`` event); when it answers
    None, a :class:`~clapboard.entity.factory.StandardFactory` builds it.
    """
    types: dict[str, type] = {}
    factory: StandardFactory | None = None
    for schema in schemas:
        cls = construct(schema, schemas)
        if cls is None:
            if factory is None:
                factory = StandardFactory()
            cls = factory.create(schema)
        types[str(schema["id"])] = cls
    finalise_types(types)
    return types


def load(
    call: Callable[[list[dict[str, Any]]], list[Any]],
    server_url: str,
    schema_cache_path: str | os.PathLike | bool | None,
) -> tuple[dict[str, Any], Schemas]:
    """Return the server information and schemas, using the schema cache when still valid.

    *call* sends a batch of operations to the server. Without a usable
    cache, information and schemas come in one request; with one, only the
    information is fetched unless the schema hash changed.
    """
    directory = cache_directory(schema_cache_path)
    path = cache_file(directory, server_url) if directory is not None else None
    cached = read_cache(path)
    if cached is None:
        information, schemas = call([{"action": "query_server_information"}, {"action": "query_schemas"}])
        check_server_compatibility(information)
        write_cache(path, schemas)
        return information, schemas
    information = call([{"action": "query_server_information"}])[0]
    check_server_compatibility(information)
    if information.get("schema_hash") and information["schema_hash"] == schema_hash(cached):
        return information, cached
    schemas = call([{"action": "query_schemas"}])[0]
    write_cache(path, schemas)
    return information, schemas
