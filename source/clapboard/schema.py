"""Schemas: fetch them (or read them from the schema cache) and build entity classes.

The schema cache keeps the last schemas downloaded from a server in a JSON
file. At start-up, the MD5 of ``json.dumps(schemas, sort_keys=True)`` is
compared with the server's ``schema_hash``: when equal, the cached schemas are
used and ``query_schemas`` is not sent. The file holds exactly that JSON text,
so the MD5 of its bytes is the hash, checked before the file is parsed.

Entity classes are built when first looked up (see :class:`EntityTypes`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from . import exception
from .entity.factory import StandardFactory, complete_inverses, prepare_class

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity

logger = logging.getLogger("clapboard.schema")

#: Oldest server version the client supports (``dev`` always passes).
MINIMUM_SERVER_VERSION = (3, 3, 11)

Schemas = list[dict[str, Any]]
#: Asks for the class of a schema, given the schema and all schemas; None lets the standard
#: factory build it.
Constructor = Callable[[dict[str, Any], Schemas], Optional["type[Entity]"]]  # evaluated at run time: no `|`


def _canonical_json(schemas: Schemas) -> bytes:
    """Return the JSON text the schema hash is computed from (and the cache file holds)."""
    return json.dumps(schemas, sort_keys=True).encode("utf-8")


def schema_hash(schemas: Schemas) -> str:
    """Return the MD5 hex digest of ``json.dumps(schemas, sort_keys=True)``."""
    return hashlib.md5(_canonical_json(schemas)).hexdigest()


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
    if not schema_cache_path or schema_cache_path is True:
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


def _read_bytes(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def _parse(content: bytes) -> Schemas | None:
    try:
        schemas = json.loads(content)
    except ValueError:
        return None
    return schemas if isinstance(schemas, list) else None


def write_cache(path: Path | None, schemas: Schemas) -> None:
    """Write *schemas* to *path* atomically; log and carry on if that fails.

    The text goes to a temporary file renamed over *path*: readers and
    concurrent writers see a complete file, the old or the new one.
    """
    if path is None:
        return
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".schema-", suffix=".json")
        with os.fdopen(fd, "wb") as stream:
            stream.write(_canonical_json(schemas))
        os.replace(temporary, path)
    except OSError as error:
        logger.warning("Could not write schema cache %s: %s", path, error)
        if temporary is not None:
            try:
                os.remove(temporary)
            except OSError:
                pass


class EntityTypes(Mapping[str, "type[Entity]"]):
    """Entity classes keyed by schema id, each built when first looked up.

    A server has over a hundred entity types and a program uses a few, so
    classes are not built up front. Looking up a class asks *construct* for
    it (the session publishes the ``ftrack.api.session.construct-entity-type``
    event); when it answers None, a
    :class:`~clapboard.entity.factory.StandardFactory` builds it. The classes
    its references point to are constructed too, to complete relationship
    pairs (see ``clapboard.entity.factory.complete_inverses``).

    Keys, ``len`` and ``in`` come from the schemas and build nothing;
    ``values()`` and ``items()`` build every class.
    """

    def __init__(self, schemas: Schemas, construct: Constructor):
        """Initialise for *schemas*, asking *construct* for each class."""
        self._schemas = {str(schema["id"]): schema for schema in schemas}
        self._schema_list = schemas
        self._construct = construct
        self._factory: StandardFactory | None = None
        self._lock = threading.RLock()
        #: Classes constructed, relationship pairs not completed yet.
        self._constructed: dict[str, type[Entity] | None] = {}
        #: Classes ready for use.
        self._ready: dict[str, type[Entity]] = {}

    def __getitem__(self, name: str) -> type[Entity]:
        cls = self.get(name)
        if cls is None:
            raise KeyError(name)
        return cls

    def get(self, name: str, default: Any = None) -> Any:
        """Return the class of *name*, or *default* for an unknown type."""
        # Faster than Mapping.get, which goes through __getitem__ and KeyError: merging
        # query results looks up the class of every entity.
        cls = self._ready.get(name)
        if cls is None:
            if name not in self._schemas:
                return default
            cls = self._finalise(name)
        return cls

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def __iter__(self) -> Iterator[str]:
        return iter(self._schemas)

    def __len__(self) -> int:
        return len(self._schemas)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._ready)} of {len(self._schemas)} built>"

    def _ipython_key_completions_(self) -> list[str]:
        """Return the type names, completed by IPython after ``session.types['``."""
        return sorted(self._schemas)

    def _constructed_class(self, name: str) -> type[Entity] | None:
        cls = self._constructed.get(name)
        if cls is None:
            schema = self._schemas.get(name)
            if schema is None:
                return None
            cls = self._construct(schema, self._schema_list)
            if cls is None:
                if self._factory is None:
                    self._factory = StandardFactory()
                cls = self._factory.create(schema)
            self._constructed[name] = cls
        return cls

    def _finalise(self, name: str) -> type[Entity]:
        with self._lock:  # two threads must not build two classes for one type
            cls = self._ready.get(name)
            if cls is None:
                cls = self._constructed_class(name)
                if cls is None:
                    raise KeyError(name)
                complete_inverses(name, cls, self._constructed_class)
                prepare_class(cls)
                self._ready[name] = cls
            return cls


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
    content = _read_bytes(path)
    if content is None:
        information, schemas = call([{"action": "query_server_information"}, {"action": "query_schemas"}])
        check_server_compatibility(information)
        write_cache(path, schemas)
        return information, schemas
    information = call([{"action": "query_server_information"}])[0]
    check_server_compatibility(information)
    expected = information.get("schema_hash")
    if expected and hashlib.md5(content).hexdigest() == expected:
        cached = _parse(content)
        if cached is not None:
            return information, cached
    schemas = call([{"action": "query_schemas"}])[0]
    write_cache(path, schemas)
    return information, schemas
