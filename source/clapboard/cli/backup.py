"""``clapboard backup DEST`` and ``clapboard restore SRC``: a server's data, safely copied."""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from .server import add_storage_arguments


def _server_backup() -> ModuleType | None:
    try:
        from clapboard_server import backup
    except ImportError:
        print('Backups need the server extras: pip install "clapboard[server]"', file=sys.stderr)
        return None
    return backup


def _backup(arguments: argparse.Namespace) -> int:
    module = _server_backup()
    if module is None:
        return 2
    destination = module.backup(arguments.data_dir, arguments.database, arguments.destination)
    print(f"Backed up {arguments.data_dir} to {destination}")
    return 0


def _restore(arguments: argparse.Namespace) -> int:
    module = _server_backup()
    if module is None:
        return 2
    module.restore(arguments.source, arguments.data_dir, arguments.database, replace=arguments.replace)
    print(f"Restored {arguments.source} into {arguments.data_dir}; start it with: clapboard server "
          f"--data-dir {arguments.data_dir}" + (" --database URL" if arguments.database else ""))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``backup`` and ``restore`` to the ``clapboard`` command."""
    backup = commands.add_parser(
        "backup",
        help="copy a server's database and files to a backup folder",
        description="Copy the data of a server (its database and the stored files of its data "
        "folder) to the new folder DEST. Safe while the server runs: the database is copied as "
        "one consistent snapshot (SQLite's online backup; pg_dump for PostgreSQL, which must be "
        "on PATH), then the files. Use the --data-dir and --database options the server uses.",
    )
    backup.add_argument("destination", metavar="DEST", help="backup folder to create (new or empty)")
    add_storage_arguments(backup)
    backup.set_defaults(run=_backup)
    restore = commands.add_parser(
        "restore",
        help="restore a server's data from a backup folder",
        description="Restore the backup folder SRC (made by 'clapboard backup') into a data folder "
        "and database, then start a server on them with the same options. The target must hold "
        "no server data unless --replace is given; stop its server first.",
    )
    restore.add_argument("source", metavar="SRC", help="backup folder")
    add_storage_arguments(restore)
    restore.add_argument("--replace", action="store_true", help="overwrite existing server data")
    restore.set_defaults(run=_restore)
