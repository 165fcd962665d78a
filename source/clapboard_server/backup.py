"""Back up and restore a server's data: its database and the files of its data folder.

A backup is a folder::

    clapboard-backup.json   what it holds: format, clapboard version, database kind, time
    clapboard.db            a SQLite database, or
    database.pgdump         a PostgreSQL database (pg_dump's custom format), or
    database.jsonl.gz       a PostgreSQL database's rows (when pg_dump is not installed;
                            see :mod:`clapboard_server.dump`)
    data/                   the data folder without the database: stored component files,
                            the administrator's key file, the upload-token secret

Backups are consistent while the server runs: the database is copied first, as one snapshot
(SQLite's online backup API; pg_dump's single transaction), then the files. Component data is
written before it is registered in the database, so every component the snapshot lists is
present in the files copied after it. Upload fragments (``.*.part``) are left out.

Restore into a data folder (and database) that holds no server data, or pass ``replace``.
Stop the server first: a restore replaces its data under it. A SQLite backup, or a rows dump,
restores into SQLite or PostgreSQL alike; a pg_dump backup needs PostgreSQL and pg_restore.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from clapboard.exception import Error

from . import __version__
from . import dump as rows
from .database import normalise_url
from .folder_lock import LOCK_FILE, FolderInUseError, FolderLock

MANIFEST = "clapboard-backup.json"
SQLITE_FILE = "clapboard.db"
POSTGRES_DUMP = "database.pgdump"
ROWS_DUMP = "database.jsonl.gz"
DATA_FOLDER = "data"
FORMAT = 1


class BackupError(Error):
    """A backup or restore that cannot be done; the message says why and what to do."""


def _sqlite_path(data_dir: Path) -> Path:
    return Path(data_dir) / SQLITE_FILE


def _postgres_url(database: str) -> str:
    """*database* as libpq understands it (no SQLAlchemy driver suffix)."""
    parts = urlsplit(database)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    if scheme != "postgresql":
        raise BackupError(f"Unsupported database URL {database!r}: use SQLite (no --database) or PostgreSQL.")
    return urlunsplit(parts._replace(scheme=scheme))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools (e.g. apt install "
                          "postgresql-client) to back up or restore a PostgreSQL database.")
    return path


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _copy_data(source: Path, destination: Path) -> None:
    """Copy the data folder *source* to *destination*, without the SQLite database files."""
    root = source.resolve()

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = {name for name in names if name.startswith(".") and name.endswith(".part")}
        if Path(folder).resolve() == root:
            ignored |= {name for name in names if name.startswith(SQLITE_FILE) or name == LOCK_FILE}
        return ignored

    shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)


def backup(data_dir: str | Path, database: str | None, destination: str | Path) -> Path:
    """Back up the server data of *data_dir* (and *database*, default SQLite there) to *destination*.

    *destination* is a folder that must not exist yet or be empty. Return it.
    """
    data_dir, destination = Path(data_dir), Path(destination)
    if database is not None:
        _postgres_url(database)  # a clear error for other databases
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty folder: choose a new one.")
    if not data_dir.is_dir():
        raise BackupError(f"No data folder at {data_dir}: pass the --data-dir the server uses.")
    if database is None and not _sqlite_path(data_dir).is_file():
        raise BackupError(f"No clapboard database in {data_dir}: pass the --data-dir (and --database) "
                          "the server uses.")
    destination.mkdir(parents=True, exist_ok=True)
    if database is None:
        kind, dump = "sqlite", SQLITE_FILE
        _backup_sqlite(_sqlite_path(data_dir), destination / dump)
    elif shutil.which("pg_dump") is None:
        kind, dump = "postgresql", ROWS_DUMP
        rows.dump(_postgres_url(database), destination / dump)
    else:
        kind, dump = "postgresql", POSTGRES_DUMP
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={destination / dump}", f"--dbname={_postgres_url(database)}"], "pg_dump")
    _copy_data(data_dir, destination / DATA_FOLDER)
    manifest = {
        "format": FORMAT,
        "clapboard_version": __version__,
        "database": kind,
        "dump": dump,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return destination


def _backup_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database *source* to *target* with the online backup API (one snapshot)."""
    reader = sqlite3.connect(source, timeout=30)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def read_manifest(source: str | Path) -> dict:
    """Return the manifest of the backup folder *source*."""
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a clapboard backup (no {MANIFEST}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} has backup format {manifest.get('format')!r}; this clapboard reads {FORMAT}.")
    return manifest


def restore(source: str | Path, data_dir: str | Path, database: str | None, replace: bool = False) -> None:
    """Restore the backup folder *source* into *data_dir* (and *database*, default SQLite there).

    Without *replace*, refuse to overwrite existing server data.
    """
    source, data_dir = Path(source), Path(data_dir)
    manifest = read_manifest(source)
    if database is not None:
        _postgres_url(database)  # a clear error for other databases
    dump = source / manifest["dump"]
    if dump.name == POSTGRES_DUMP and database is None:
        raise BackupError("This backup holds a pg_dump of a PostgreSQL database: pass --database with the URL "
                          "of the (empty) PostgreSQL database to restore it into.")
    if not replace:
        _check_empty(data_dir, database)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = FolderLock(data_dir)
    except FolderInUseError as error:
        raise BackupError(f"Cannot restore while a server runs on the folder. {error}") from None
    try:
        _restore_into(source, manifest, data_dir, database, replace)
    finally:
        lock.release()


def _restore_into(source: Path, manifest: dict, data_dir: Path, database: str | None, replace: bool) -> None:
    dump = source / manifest["dump"]
    if database is None:
        for stale in data_dir.glob(f"{SQLITE_FILE}*"):
            stale.unlink()
    if dump.name == POSTGRES_DUMP:
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean", "--if-exists",
              "--single-transaction", f"--dbname={_postgres_url(database)}", str(dump)], "pg_restore")
    elif dump.name == SQLITE_FILE and database is None:
        shutil.copyfile(dump, _sqlite_path(data_dir))
    else:  # rows, or SQLite into PostgreSQL: through the portable dump
        target = database or f"sqlite:///{_sqlite_path(data_dir)}"
        with tempfile.TemporaryDirectory() as folder:
            if dump.name == SQLITE_FILE:
                rows.dump(f"sqlite:///{dump}", Path(folder) / ROWS_DUMP)
                dump = Path(folder) / ROWS_DUMP
            try:
                rows.load(dump, target, replace=replace)
            except ValueError as error:
                raise BackupError(f"Cannot restore {source}: {error}") from error
    shutil.copytree(source / DATA_FOLDER, data_dir, dirs_exist_ok=True)


def _check_empty(data_dir: Path, database: str | None) -> None:
    if database is None:
        if _sqlite_path(data_dir).exists():
            raise BackupError(f"{data_dir} already holds a clapboard database: restore into a new folder, "
                              "or pass --replace to overwrite it (stop its server first).")
        return
    engine = sa.create_engine(normalise_url(database))
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("The database already has tables: restore into an empty database, or pass "
                          "--replace to overwrite it (stop its server first).")
