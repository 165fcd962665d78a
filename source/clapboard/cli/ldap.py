"""``clapboard ldap``: name the directory the ``SYNC_USERS_LDAP`` job reads users from.

The directory is an LDIF export (``ldapsearch -LLL ... > people.ldif``); the setting is kept in
the server's database, so every server process on it uses the same file.
"""

from __future__ import annotations

import argparse
import os
import sys

from .server import add_storage_arguments


def _directory(arguments: argparse.Namespace) -> int:
    try:
        from clapboard_server import admin, ldap_sync, settings
    except ImportError:
        print('Administering a server needs its extras: pip install "clapboard[server]"', file=sys.stderr)
        return 2
    database = admin.open_database(arguments.data_dir, arguments.database)
    try:
        if arguments.clear:
            settings.put(database, ldap_sync.DIRECTORY_SETTING, None)
        elif arguments.path:
            path = os.path.abspath(arguments.path)
            if not os.path.isfile(path):
                print(f"clapboard: {path} is not a file", file=sys.stderr)
                return 1
            settings.put(database, ldap_sync.DIRECTORY_SETTING, path)
        current = settings.get(database, ldap_sync.DIRECTORY_SETTING)
    finally:
        database.dispose()
    print(f"LDAP directory: {current}" if current else "LDAP directory: not configured")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``ldap directory [PATH | --clear]`` to the ``clapboard`` command."""
    ldap = commands.add_parser("ldap", help="configure the directory users are synchronised from")
    actions = ldap.add_subparsers(dest="ldap_command", required=True, metavar="ACTION")
    directory = actions.add_parser("directory", help="show, set or clear the LDIF export users are read from")
    directory.add_argument("path", nargs="?", help="the LDIF file (omit to show the current one)")
    directory.add_argument("--clear", action="store_true", help="forget the directory")
    add_storage_arguments(directory)
    directory.set_defaults(run=_directory)
