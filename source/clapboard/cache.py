"""Caching framework.

A :class:`Cache` stores values against unique keys; a :class:`KeyMaker` turns
arbitrary items into such keys. Combining both, a :class:`Memoiser` caches
function results by arguments; :func:`memoise` is a ready-made decorator.

A session always uses a :class:`LayeredCache` whose top level is a
:class:`MemoryCache`; a user supplied cache becomes the next level. A
persistent setup stores entities with a :class:`SerialisedCache` (encoding
them with the session) in a :class:`FileCache`::

    def cache_maker(session):
        return clapboard.cache.SerialisedCache(
            clapboard.cache.FileCache(path), encode=session.encode, decode=session.decode
        )

    session = clapboard.Session(cache=cache_maker)

Unlike ftrack's, the :class:`FileCache` is a SQLite database: several
processes may share it, a crash never leaves it half written, and a corrupt
or foreign file is set aside and rebuilt.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

logger = logging.getLogger("clapboard.cache")


class Cache(abc.ABC):
    """Cache interface.

    Derive from this to define concrete caches: keys are unique across the
    cache. Override :meth:`get`, :meth:`set`, :meth:`remove` and
    :meth:`keys`.
    """

    @abc.abstractmethod
    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""

    @abc.abstractmethod
    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""

    @abc.abstractmethod
    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""

    def keys(self) -> list[Any]:
        """Return list of keys at this current time.

        Actual keys may differ from those returned due to timing of access.
        """
        raise NotImplementedError()

    def values(self) -> list[Any]:
        """Return values for current keys."""
        values = []
        for key in self.keys():
            try:
                values.append(self.get(key))
            except KeyError:
                continue
        return values

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern* (a regular expression), or all keys."""
        expression = re.compile(pattern) if pattern is not None else None
        for key in self.keys():
            if expression is not None and not expression.search(str(key)):
                continue
            try:
                self.remove(key)
            except KeyError:
                pass

    def bind(self, server_url: str, schema_hash: str) -> None:
        """Declare the server and schema of the values stored from now on.

        A session calls this once its schemas are known. Persistent caches
        drop values stored for another server or schema; others ignore it.
        """

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Return a context manager grouping the writes made within it.

        A persistent cache stores them together when the outermost batch
        ends (a session writes each response's entities in one batch);
        others write at once.
        """
        return contextlib.nullcontext()


class ProxyCache(Cache):
    """Proxy another cache."""

    def __init__(self, proxied: Cache):
        """Initialise cache with *proxied* cache instance."""
        self.proxied = proxied
        super().__init__()

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        return self.proxied.get(key)

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""
        self.proxied.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""
        self.proxied.remove(key)

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        return self.proxied.keys()

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern*, or all keys.

        The proxied cache clears itself unless :meth:`remove` is overridden.
        """
        if type(self).remove is ProxyCache.remove:
            self.proxied.clear(pattern)
        else:
            super().clear(pattern)

    def bind(self, server_url: str, schema_hash: str) -> None:
        """Pass the server and schema on to the proxied cache."""
        self.proxied.bind(server_url, schema_hash)

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Return the proxied cache's batch."""
        return self.proxied.batch()


class LayeredCache(Cache):
    """Layered cache: read through the layers, write to all of them."""

    def __init__(self, caches: Iterable[Cache]):
        """Initialise cache with *caches*, shallowest first."""
        super().__init__()
        self.caches = list(caches)

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found.

        Attempt each layer in turn, starting with the shallowest; set a found
        value in each shallower layer.
        """
        missed = []
        for cache in self.caches:
            try:
                value = cache.get(key)
            except KeyError:
                missed.append(cache)
                continue
            for target in missed:
                target.set(key, value)
            return value
        raise KeyError(key)

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key* in every layer."""
        for cache in self.caches:
            cache.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from every layer; raise :exc:`KeyError` if in none."""
        found = False
        for cache in self.caches:
            try:
                cache.remove(key)
            except KeyError:
                continue
            found = True
        if not found:
            raise KeyError(key)

    def keys(self) -> list[Any]:
        """Return list of keys at this current time (each once)."""
        keys: dict[Any, None] = {}
        for cache in self.caches:
            keys.update(dict.fromkeys(cache.keys()))
        return list(keys)

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern*, or all keys, from every layer."""
        for cache in self.caches:
            cache.clear(pattern)

    def bind(self, server_url: str, schema_hash: str) -> None:
        """Pass the server and schema on to every layer."""
        for cache in self.caches:
            cache.bind(server_url, schema_hash)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Batch the writes of every layer."""
        with contextlib.ExitStack() as stack:
            for cache in self.caches:
                stack.enter_context(cache.batch())
            yield


class MemoryCache(Cache):
    """Memory based cache."""

    def __init__(self) -> None:
        """Initialise an empty cache."""
        super().__init__()
        self._cache: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        return self._cache[key]

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""
        self._cache[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""
        del self._cache[key]

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        return list(self._cache)

    def values(self) -> list[Any]:
        """Return values for current keys."""
        return list(self._cache.values())

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern*, or all keys."""
        if pattern is None:
            self._cache.clear()
        else:
            super().clear(pattern)


class SerialisedCache(ProxyCache):
    """Proxied cache that stores values as serialised data."""

    def __init__(
        self,
        proxied: Cache,
        encode: Callable[[Any], Any] | None = None,
        decode: Callable[[Any], Any] | None = None,
    ):
        """Initialise cache with *encode* and *decode* callables.

        *proxied* is the underlying cache used for storage; values are
        passed through *encode* before storing and *decode* after reading
        (each optional).
        """
        super().__init__(proxied)
        self.encode = encode
        self.decode = decode

    def get(self, key: Any) -> Any:
        """Return decoded value for *key*; raise :exc:`KeyError` if not found."""
        value = self.proxied.get(key)
        return self.decode(value) if self.decode is not None else value

    def set(self, key: Any, value: Any) -> None:
        """Set encoded *value* for *key*."""
        self.proxied.set(key, self.encode(value) if self.encode is not None else value)

    def values(self) -> list[Any]:
        """Return decoded values for current keys."""
        values = self.proxied.values()
        return [self.decode(value) for value in values] if self.decode is not None else values


# File cache ------------------------------------------------------------------------------------

#: Stored in the ``meta`` table; a file with another format is rebuilt.
FILE_FORMAT = "clapboard.FileCache/1"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS entries (key PRIMARY KEY NOT NULL, value) WITHOUT ROWID",
)

#: Every open :class:`FileCache`, so a forked child does not reuse its parent's connections.
_file_caches: weakref.WeakSet[FileCache] = weakref.WeakSet()
#: Connections inherited by a forked child: never used nor closed (closing could
#: disturb the parent's locks and WAL), just kept from garbage collection.
_inherited_connections: list[Any] = []


def _after_fork_in_child() -> None:
    for file_cache in list(_file_caches):
        file_cache._forget_connection()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_ABSENT = object()
_REMOVED = object()


class CorruptFileError(Exception):
    """A cache file is not a usable cache database."""


def _is_corruption(error: Exception) -> bool:
    """Return whether the sqlite3 *error* means the file is damaged or not a database."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    message = str(error)
    return "malformed" in message or "not a database" in message


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str, key: Any) -> bool:
    return _compiled(pattern).search(key if isinstance(key, str) else str(key)) is not None


class FileCache(Cache):
    """Persistent cache in a SQLite database file.

    Keys are strings (or bytes); values strings or bytes, which is what a
    :class:`SerialisedCache` produces. Unlike ftrack's ``anydbm`` cache:

    - several processes and threads may use one file at once (SQLite
      locking, write-ahead log in ``<path>-wal``); a write waits up to
      *timeout* seconds for another writer;
    - every write, and every :meth:`batch`, is atomic: a process killed
      mid-write leaves the file usable;
    - a corrupt, truncated or foreign file is logged, moved aside to
      ``<path>.corrupt`` and rebuilt empty (``<path>.lock`` makes sure only
      one process does so);
    - :meth:`bind` records the server and schema hash; entries written for
      another one are dropped.

    The write-ahead log needs shared memory: keep the file on a local disk,
    not a network share.
    """

    #: Seconds between checks that the file was not replaced by another process.
    recheck_interval = 1.0

    def __init__(self, path: str | os.PathLike, timeout: float = 10.0):
        """Initialise cache storing its entries in the file at *path*.

        The file (and its folder) is created on first use.
        """
        super().__init__()
        self.path = os.fspath(path)
        self.timeout = timeout
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        self._checked_at = 0.0
        #: Writes of the current batch: key → value, or _REMOVED.
        self._pending: dict[Any, Any] = {}
        self._depth = 0
        _file_caches.add(self)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} {self.path!r}>"

    # Interface -----------------------------------------------------------------------------

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        with self._lock:
            value = self._pending.get(key, _ABSENT)
            if value is _REMOVED:
                raise KeyError(key)
            if value is not _ABSENT:
                return value
            row = self._run(lambda connection: connection.execute(
                "SELECT value FROM entries WHERE key = ?", (key,)
            ).fetchone())
        if row is None:
            raise KeyError(key)
        return row[0]

    def set(self, key: Any, value: Any) -> None:
        """Set *value* (a string or bytes) for *key* (a string or bytes)."""
        _check_storable(key, value)
        with self._lock:
            if self._depth:
                self._pending[key] = value
                return
            self._run(lambda connection: connection.execute(
                "INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, value)
            ))

    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""
        with self._lock:
            if self._depth:
                self.get(key)
                self._pending[key] = _REMOVED
                return
            cursor = self._run(lambda connection: connection.execute("DELETE FROM entries WHERE key = ?", (key,)))
        if cursor.rowcount == 0:
            raise KeyError(key)

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        with self._lock:
            self._flush()
            rows = self._run(lambda connection: connection.execute("SELECT key FROM entries").fetchall())
        return [row[0] for row in rows]

    def values(self) -> list[Any]:
        """Return values for current keys."""
        with self._lock:
            self._flush()
            rows = self._run(lambda connection: connection.execute("SELECT value FROM entries").fetchall())
        return [row[0] for row in rows]

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern* (a regular expression), or all keys."""
        with self._lock:
            self._flush()
            if pattern is None:
                self._run(lambda connection: connection.execute("DELETE FROM entries"))
            else:
                _compiled(pattern)  # raise re.error now, not inside SQLite
                self._run(lambda connection: connection.execute(
                    "DELETE FROM entries WHERE regexp(?, key)", (pattern,)
                ))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group the writes made within: they are stored in one transaction when the outermost batch ends.

        Until then they are visible to this instance only; they are lost if
        the process dies first, never half written.
        """
        with self._lock:
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if not self._depth:
                    self._flush()

    def bind(self, server_url: str, schema_hash: str) -> None:
        """Record *server_url* and *schema_hash*; drop entries stored for others."""
        self._run(lambda connection: self._bind(connection, {"server_url": server_url, "schema_hash": schema_hash}))

    def close(self) -> None:
        """Close the database connection (it reopens on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._connection = None

    def __enter__(self) -> FileCache:  # noqa: PYI034 - subclasses are rare
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Connection ----------------------------------------------------------------------------

    def _run(self, operation: Callable[[sqlite3.Connection], Any]) -> Any:
        """Return *operation* run on the connection; recover once from a corrupt file."""
        import sqlite3

        with self._lock:
            try:
                return operation(self._open())
            except sqlite3.DatabaseError as error:
                if not _is_corruption(error):
                    raise
                self._recover(str(error))
            return operation(self._open())

    def _open(self) -> sqlite3.Connection:
        connection = self._connection
        if connection is not None and not self._replaced():
            return connection
        if connection is not None:
            self.close()
        try:
            return self._connect()
        except CorruptFileError as error:
            self._recover(str(error))
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        """Open the file, creating or checking its tables; raise :exc:`CorruptFileError`."""
        import sqlite3

        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with _file_lock(self.path + ".lock", shared=True):
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._inode = _inode(self.path)
                _prepare(connection, self.timeout)
            except sqlite3.DatabaseError as error:
                connection.close()
                if _is_corruption(error):
                    raise CorruptFileError(str(error)) from error
                raise
            except CorruptFileError:
                connection.close()
                raise
        connection.create_function("regexp", 2, _regexp, deterministic=True)
        self._connection = connection
        self._checked_at = time.monotonic()
        return connection

    def _flush(self) -> None:
        """Store the writes of the batch in one transaction."""
        pending = self._pending
        if not pending:
            return
        self._pending = {}
        writes = [(key, value) for key, value in pending.items() if value is not _REMOVED]
        removals = [(key,) for key, value in pending.items() if value is _REMOVED]

        def store(connection: sqlite3.Connection) -> None:
            with _transaction(connection):
                connection.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", writes)
                connection.executemany("DELETE FROM entries WHERE key = ?", removals)

        self._run(store)

    def _replaced(self) -> bool:
        """Return whether another process replaced or removed the file (checked now and then)."""
        now = time.monotonic()
        if now - self._checked_at < self.recheck_interval:
            return False
        self._checked_at = now
        return _inode(self.path) != self._inode

    def _forget_connection(self) -> None:
        if self._connection is not None:
            _inherited_connections.append(self._connection)
        self._connection = None
        self._lock = threading.RLock()

    def _recover(self, reason: str) -> None:
        """Move the damaged file aside (unless another process did) so it is rebuilt."""
        bad_inode = self._inode
        self.close()
        with _file_lock(self.path + ".lock"):
            if _inode(self.path) != bad_inode:
                return
            aside = self.path + ".corrupt"
            logger.warning("Cache file %s is unusable (%s); moved to %s and rebuilt.", self.path, reason, aside)
            for suffix in ("", "-wal"):
                _move(self.path + suffix, aside + suffix)
            _remove(self.path + "-shm")
            _remove(self.path + "-journal")

    def _bind(self, connection: sqlite3.Connection, values: dict[str, str]) -> None:
        stored = dict(connection.execute("SELECT name, value FROM meta WHERE name IN ('server_url', 'schema_hash')"))
        if stored == values:
            return
        with _transaction(connection):
            stored = dict(connection.execute("SELECT name, value FROM meta"))
            if all(stored.get(name) == value for name, value in values.items()):
                return
            dropped = connection.execute("DELETE FROM entries").rowcount
            if dropped:
                logger.info(
                    "Cache file %s was written for another server or schema; dropped %d entries.",
                    self.path, dropped,
                )
            connection.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", values.items())


def _check_storable(key: Any, value: Any) -> None:
    if not isinstance(key, (str, bytes)):
        raise TypeError(f"FileCache keys are strings or bytes, not {type(key).__name__}.")
    if not isinstance(value, (str, bytes)):
        raise TypeError(
            f"FileCache values are strings or bytes, not {type(value).__name__}; "
            "wrap the FileCache in a SerialisedCache."
        )


def _enable_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch to the write-ahead log, retrying while another process holds the lock it needs.

    SQLite answers "database is locked" at once, without waiting, when two
    connections switch a new file at the same time.
    """
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.005)


def _is_busy(error: Exception) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    return "locked" in str(error)


def _prepare(connection: sqlite3.Connection, timeout: float) -> None:
    """Configure *connection* and make sure its file is a cache of this format."""
    _enable_wal(connection, timeout)
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA journal_size_limit = 8388608")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and tables != {"meta", "entries"}:
        raise CorruptFileError(f"not a clapboard cache file (tables: {', '.join(sorted(tables))})")
    if not tables:
        with _transaction(connection):
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('format', ?)", (FILE_FORMAT,))
    row = connection.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    if row is None or row[0] != FILE_FORMAT:
        raise CorruptFileError(f"cache format {row[0] if row else None!r}, expected {FILE_FORMAT!r}")


class _transaction:
    """Context manager running a write transaction (``BEGIN IMMEDIATE`` waits for other writers)."""

    def __init__(self, connection: sqlite3.Connection):
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        self._connection.execute("COMMIT" if kind is None else "ROLLBACK")


def _inode(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _move(source: str, target: str) -> None:
    try:
        os.replace(source, target)
    except FileNotFoundError:
        pass
    except OSError as error:  # e.g. Windows, where open files cannot move
        logger.warning("Could not move %s aside (%s); removing it.", source, error)
        _remove(source)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class _file_lock:
    """Lock on *path* across processes, *shared* or exclusive.

    A no-op where ``fcntl`` is missing (Windows) or the lock file cannot be
    opened. Connecting takes it shared and recovery exclusive, so a file is
    never moved aside while another process is creating its successor.
    """

    def __init__(self, path: str, shared: bool = False):
        self._path = path
        self._shared = shared
        self._descriptor: int | None = None

    def __enter__(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return
        try:
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return
        fcntl.flock(self._descriptor, fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX)

    def __exit__(self, *exc_info: object) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # releases the lock
            self._descriptor = None


# Key makers ------------------------------------------------------------------------------------


class KeyMaker(abc.ABC):
    """Generate unique keys."""

    def __init__(self) -> None:
        """Initialise key maker."""
        super().__init__()
        self.item_separator = ""

    def key(self, *items: Any) -> str:
        """Return key for *items*."""
        return self.item_separator.join(self._key(item) for item in items)

    @abc.abstractmethod
    def _key(self, obj: Any) -> str:
        """Return key for *obj*."""


class StringKeyMaker(KeyMaker):
    """Generate string key: ``str`` of each item."""

    def key(self, *items: Any) -> str:
        """Return key for *items*."""
        if len(items) == 1:
            return str(items[0])
        return "".join(map(str, items))

    def _key(self, obj: Any) -> str:
        return str(obj)


class ObjectKeyMaker(KeyMaker):
    """Generate unique keys for objects.

    Equal mappings, sets, lists and tuples of equal items give equal keys;
    functions and classes are keyed by qualified name, bound methods also
    by their instance; other objects by their pickled form, or by identity
    when they cannot be pickled.
    """

    def __init__(self) -> None:
        """Initialise key maker."""
        super().__init__()
        self.item_separator = "\0"
        self.mapping_identifier = "\1"
        self.mapping_pair_separator = "\2"
        self.iterable_identifier = "\3"
        self.name_identifier = "\4"
        self.set_identifier = "\5"

    def _key(self, item: Any) -> str:
        if isinstance(item, Mapping):
            pairs = sorted(
                f"{self._key(key)}{self.mapping_pair_separator}{self._key(value)}" for key, value in item.items()
            )
            return self._wrap(self.mapping_identifier, pairs)
        if isinstance(item, (set, frozenset)):
            return self._wrap(self.set_identifier, sorted(self._key(member) for member in item))
        if isinstance(item, (list, tuple)):
            return self._wrap(self.iterable_identifier, (self._key(member) for member in item))
        if hasattr(item, "__self__") and hasattr(item, "__func__"):  # bound method
            return self._wrap(self.name_identifier, (self._key(item.__func__), self._key(item.__self__)))
        if callable(item) and hasattr(item, "__qualname__"):
            module = getattr(item, "__module__", None) or ""
            return f"{self.name_identifier}{module}.{item.__qualname__}{self.name_identifier}"
        return _pickled_key(item)

    def _wrap(self, identifier: str, keys: Iterable[str]) -> str:
        return identifier + self.item_separator.join(keys) + identifier


def _pickled_key(item: Any) -> str:
    import pickle

    try:
        return repr(pickle.dumps(item, protocol=4))
    except Exception:  # noqa: BLE001 - unpicklable objects are keyed by identity
        return f"<{type(item).__module__}.{type(item).__qualname__}@{id(item)}>"


# Memoisation -----------------------------------------------------------------------------------


class Memoiser:
    """Memoise function calls using a :class:`KeyMaker` and :class:`Cache`.

    Example::

        >>> memoiser = Memoiser(MemoryCache(), ObjectKeyMaker())
        >>> def add(x, y):
        ...     print('Called')
        ...     return x + y
        >>> memoiser.call(add, (1, 2), {})
        Called
        3
        >>> memoiser.call(add, (1, 2), {})
        3
    """

    def __init__(
        self,
        cache: Cache | None = None,
        key_maker: KeyMaker | None = None,
        return_copies: bool = True,
    ):
        """Initialise with *cache* and *key_maker* to use.

        Defaults are a :class:`MemoryCache` and an :class:`ObjectKeyMaker`.
        With *return_copies*, results are deep copies so cached values cannot
        be mutated indirectly.
        """
        self.cache = cache if cache is not None else MemoryCache()
        self.key_maker = key_maker if key_maker is not None else ObjectKeyMaker()
        self.return_copies = return_copies

    def call(self, function: Callable, args: Iterable[Any] | None = None, kw: Mapping[str, Any] | None = None) -> Any:
        """Call *function* with *args* and *kw* and return result, memoised."""
        args = tuple(args or ())
        kw = dict(kw or {})
        key = self.key_maker.key(function, args, kw)
        try:
            value = self.cache.get(key)
        except KeyError:
            value = function(*args, **kw)
            self.cache.set(key, value)
        if self.return_copies:
            import copy

            value = copy.deepcopy(value)
        return value


def memoise_decorator(memoiser: Memoiser) -> Callable[[Callable], Callable]:
    """Decorator to memoise function calls using *memoiser*."""

    def outer(function: Callable) -> Callable:
        @functools.wraps(function)
        def inner(*args: Any, **kw: Any) -> Any:
            return memoiser.call(function, args, kw)

        return inner

    return outer


#: Default memoiser.
memoiser = Memoiser()

#: Default memoise decorator using standard cache and key maker.
memoise = memoise_decorator(memoiser)


class PerSessionDefaultKeyMaker(ObjectKeyMaker):
    """Generate key for session: sessions are keyed by identity."""

    def _key(self, item: Any) -> str:
        if type(item).__name__ == "Session" or hasattr(item, "recorded_operations"):
            return f"session@{id(item)}"
        return super()._key(item)


def memoise_session(function: Callable) -> Callable:
    """Memoiser for use with callables that should be called once per session.

    The result is stored on the session passed as first argument, so it is
    forgotten with the session (and on :meth:`~clapboard.session.Session.reset`).
    """

    @functools.wraps(function)
    def inner(session: Any, *args: Any, **kw: Any) -> Any:
        store = session.__dict__.setdefault("_memoised", {})
        key = (function, args, tuple(sorted(kw.items())))
        try:
            return store[key]
        except KeyError:
            value = store[key] = function(session, *args, **kw)
            return value
        except TypeError:  # unhashable arguments
            return function(session, *args, **kw)

    return inner

