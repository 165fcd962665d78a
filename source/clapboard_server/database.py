"""The database: engine set-up for SQLite and PostgreSQL, tables, and transactions."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from . import private
from .held_readers import HeldReaders
from .query.scope import Catalog
from .schema import Registry
from .schema.tables import build_tables
from .wal_checkpoints import WalCheckpoints


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _configure_sqlite(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, decide where transactions begin: with the driver's
    # implicit transactions a SAVEPOINT issued before any write would commit on release.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=OFF"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _configure_writer(dbapi_connection, record) -> None:
    """The SQLite connection that runs every write batch of the process (they take turns under
    the write lock): a larger page cache (64 MiB, filled as used), so that the index pages a big
    batch updates stay in memory as the database grows (SQLite's default is 2 MiB per
    connection; one connection means the larger cache is paid once). Its commits leave the WAL
    checkpoint to a thread of its own (see :mod:`.wal_checkpoints`)."""
    _configure_sqlite(dbapi_connection, record)
    dbapi_connection.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


#: The page cache of SQLite's writer connection, in KiB.
WRITER_CACHE_KIB = 65536

#: PostgreSQL connections of one server process: the pool of write batches and everything else
#: (size, and how many more it may open when busy), and the pool of read batches (autocommit).
POOL_SIZE, POOL_OVERFLOW = 10, 10
READ_POOL_SIZE, READ_POOL_OVERFLOW = 10, 10


#: A pooled PostgreSQL connection idle for longer than this (seconds) is pinged before it is used.
IDLE_PING_SECONDS = 1.0
_IDLE_SINCE = "clapboard_idle_since"


def _ping_if_idle(dialect: sa.Dialect):
    """A pool ``checkout`` listener pinging a connection that has been idle for a while.

    A connection the database closed (a restart, an idle timeout) is then replaced before a
    request uses it. SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per
    request, a quarter of a small query's time; a connection used within the last second is
    alive unless the database restarted in that second, when the request fails as any request
    running at that moment would.
    """
    def checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # just connected, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:  # the pool connects again
            raise sa.exc.DisconnectionError(f"A pooled connection was closed: {error}") from error
    return checkout


def _note_idle(_dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def data_folder_url(data_dir: Path, file_name: str = "clapboard.db") -> str:
    """The URL of the SQLite database in ``data_dir``; the folder (0700) and file (0600) are private.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file.
    """
    folder = private.make_folder(Path(data_dir))
    private.create_file(folder / file_name)
    return f"sqlite:///{folder / file_name}"


class Database:
    """Engine, tables and catalog of one server's database."""

    def __init__(self, url: str, registry: Registry) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        options = {"future": True}
        if self.is_sqlite:
            options["connect_args"] = {"check_same_thread": False}
        else:
            options.update(pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        self.engine = sa.create_engine(self.url, **options)
        #: PostgreSQL's read batches: a pool of connections that stay in autocommit (see _Read).
        self._reads: sa.Engine | None = None
        if not self.is_sqlite:
            self._reads = sa.create_engine(
                self.url, future=True, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                pool_use_lifo=True, pool_size=READ_POOL_SIZE, max_overflow=READ_POOL_OVERFLOW)
            for engine in (self.engine, self._reads):
                sa.event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
                sa.event.listen(engine, "checkin", _note_idle)
        #: The API threads' own read connections (SQLite; see :mod:`.held_readers`).
        self.readers: HeldReaders | None = None
        #: Where write batches run: SQLite's one writer connection (see _configure_writer), else the pool.
        self._writer = self.engine
        #: SQLite's checkpoints of what the writer committed.
        self._checkpoints: WalCheckpoints | None = None
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _configure_sqlite)
            sa.event.listen(self.engine, "begin", _begin_sqlite)
            self.readers = HeldReaders(self.url, _configure_sqlite, options["connect_args"])
            self._writer = sa.create_engine(self.url, poolclass=sa.pool.StaticPool, **options)
            sa.event.listen(self._writer, "connect", _configure_writer)
            sa.event.listen(self._writer, "begin", _begin_sqlite)
            path = self._writer.url.database
            if path and path != ":memory:":
                self._checkpoints = WalCheckpoints(Path(path))
        self.registry = registry
        self.metadata, self.tables = build_tables(registry)
        self.catalog = Catalog(registry, self.tables)
        # SQLite allows one writer at a time: serialise writing batches in this process.
        self._write_lock: threading.Lock | None = threading.Lock() if self.is_sqlite else None
        # SQLite plans queries from statistics that only ANALYZE gathers (PostgreSQL's
        # autovacuum does this by itself): refresh them as the data grows.
        self._writes_since_analyze = 0
        self._analyze_after = 1000
        self._analyzer: threading.Thread | None = None

    @property
    def engines(self) -> tuple[sa.Engine, ...]:
        """Every engine holding connections to the database (PostgreSQL: the read pool too)."""
        return (self.engine,) if self._reads is None else (self.engine, self._reads)

    def create_schema(self) -> None:
        """Create missing tables, and add the columns and indexes schema files gained since."""
        self.metadata.create_all(self.engine)
        self._add_missing_columns()
        self._add_missing_indexes()

    def _add_missing_columns(self) -> None:
        """``ALTER TABLE ... ADD COLUMN`` for each stored attribute an existing table lacks."""
        inspector = sa.inspect(self.engine)
        preparer = self.engine.dialect.identifier_preparer
        with self.engine.begin() as connection:
            for table in self.metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    connection.exec_driver_sql(
                        f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {preparer.format_column(column)} {kind}"
                    )

    def _add_missing_indexes(self) -> None:
        """Create each declared index an existing table lacks (``create_all`` builds the
        indexes of the tables it creates only)."""
        inspector = sa.inspect(self.engine)
        with self.engine.begin() as connection:
            for table in self.metadata.sorted_tables:
                present = {index["name"] for index in inspector.get_indexes(table.name)}
                for index in table.indexes:
                    if index.name not in present:
                        index.create(connection)

    def transaction(self, write: bool = True) -> contextlib.AbstractContextManager[sa.Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        return self._writing() if write else _Read(self)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with self._writer.connect() as connection:
                connection.execution_options(clapboard_write=True)
                with connection.begin():
                    yield connection
        finally:
            if lock is not None:
                lock.release()
        if self._checkpoints is not None:
            self._checkpoints.note_commit()

    def note_writes(self, count: int) -> None:
        """Count written rows; refresh SQLite's statistics in the background as data grows."""
        if not self.is_sqlite:
            return
        self._writes_since_analyze += count
        busy = self._analyzer is not None and self._analyzer.is_alive()
        if self._writes_since_analyze < self._analyze_after or busy:
            return
        self._writes_since_analyze = 0
        self._analyze_after = min(self._analyze_after * 2, 200_000)
        self._analyzer = threading.Thread(target=self.analyze, name="clapboard-analyze", daemon=True)
        self._analyzer.start()

    def analyze(self) -> None:
        """Gather the statistics SQLite's query planner uses."""
        with self.transaction(write=True) as connection:
            connection.exec_driver_sql("ANALYZE")

    def wait_for_maintenance(self, timeout: float | None = None) -> None:
        """Wait until a background statistics refresh, if any, has finished."""
        if self._analyzer is not None:
            self._analyzer.join(timeout)

    def dispose(self) -> None:
        self.wait_for_maintenance()
        if self.readers is not None:
            self.readers.close()
        if self._writer is not self.engine:
            self._writer.dispose()
        if self._reads is not None:
            self._reads.dispose()
        if self._checkpoints is not None:
            self._checkpoints.close()
        self.engine.dispose()


class _Read:
    """A read-only batch's connection, its transaction begun and ended on the driver.

    Statements still run through a SQLAlchemy connection (with its error handling), but
    SQLAlchemy's begin, commit and check-in, with their events, cost more than a small query
    itself: a read has nothing to undo, so it skips them.

    - SQLite: a deferred transaction (``BEGIN`` ... ``COMMIT``), so every statement of the batch
      reads the same snapshot. An API thread reads on the connection it holds (see
      :mod:`.held_readers`); other threads take one from the pool.
    - PostgreSQL: no transaction at all (the driver's autocommit). At PostgreSQL's isolation
      level (read committed) each statement of a transaction sees what was committed when it
      began anyway, so ``BEGIN`` and ``COMMIT`` only added two round trips per request. Reads
      take their connections from a pool of their own whose connections stay in autocommit
      (the most recently used first, so that a few stay warm), so that nothing is switched or
      rolled back per request; writes keep the transactional pool.
    """

    __slots__ = ("_connection", "_database", "_held", "_pooled")

    def __init__(self, database: Database) -> None:
        self._database = database

    def __enter__(self) -> sa.Connection:
        database = self._database
        self._held = database.readers.begin() if database.readers is not None else None
        if self._held is not None:
            return self._held
        engine = database._reads or database.engine
        self._pooled = pooled = engine.raw_connection()
        try:
            self._connection = sa.Connection(engine, connection=pooled, _allow_autobegin=False)
            if database.is_sqlite:  # the driver's own transactions are off (see _configure_sqlite)
                pooled.driver_connection.execute("BEGIN")
        except BaseException:
            pooled.close()
            raise
        return self._connection

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        held = self._held
        if held is not None:
            driver = held.connection.driver_connection
            if kind is None:
                driver.commit()
                return
            try:
                driver.rollback()
            except self._database.engine.dialect.loaded_dbapi.Error:  # broken: the thread opens another
                self._database.readers.discard(held)
            return
        pooled = self._pooled
        try:
            if self._connection.invalidated:
                return
            if self._database.is_sqlite:
                if kind is None:
                    pooled.commit()
                else:
                    pooled.rollback()
        finally:
            pooled.close()  # PostgreSQL: back to the read pool, still in autocommit


def _begin_sqlite(connection: sa.Connection) -> None:
    """Start SQLite transactions ourselves (the driver's are off so savepoints work).

    A writing batch takes the write lock at once (``BEGIN IMMEDIATE``): a deferred transaction
    that reads first and writes later can fail with "database is locked" when another
    process wrote in between, instead of waiting its turn.
    """
    if connection.get_execution_options().get("clapboard_write", False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:  # cannot fail: straight to the driver (a read's fixed cost matters)
        connection.connection.dbapi_connection.execute("BEGIN")
