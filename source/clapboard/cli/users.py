"""``clapboard user`` and ``clapboard key``: administer the users and API keys of a server's database.

They work on the database directly (``--data-dir`` / ``--database`` as for ``clapboard server``),
also while servers run on it, and print a new API key once.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from .server import add_storage_arguments


class _RoleAction(argparse.Action):
    """``--role ROLE`` starts a grant; each following ``--project NAME`` narrows it to that project."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any,
                 option_string: str | None = None) -> None:
        grants = list(getattr(namespace, "grants", None) or [])
        if self.dest == "grants":
            grants.append((value, []))
        elif not grants:
            parser.error("--project applies to the --role before it; give --role first")
        else:
            grants[-1][1].append(value)
        namespace.grants = grants


def _database(arguments: argparse.Namespace) -> Any:
    from clapboard_server import admin

    return admin.open_database(arguments.data_dir, arguments.database)


def _run(action: Any) -> Any:
    """Run ``action(arguments)``, turning the server's errors into a message and exit status 1."""
    def run(arguments: argparse.Namespace) -> int:
        try:
            from clapboard_server.errors import ApiError
        except ImportError:
            print('Administering a server needs its extras: pip install "clapboard[server]"', file=sys.stderr)
            return 2
        try:
            action(arguments)
        except ApiError as error:
            print(f"clapboard: {error.message}", file=sys.stderr)
            return 1
        return 0
    return run


def _add(arguments: argparse.Namespace) -> None:
    from clapboard_server import admin

    database = _database(arguments)
    try:
        grants = [admin.RoleGrant(role, tuple(projects)) for role, projects in arguments.grants or []]
        key = admin.add_user(database, arguments.name, grants, arguments.first_name, arguments.last_name)
    finally:
        database.dispose()
    print(f"Created user {arguments.name}.")
    print(f"API key: {key}   (shown once: store it now)")


def _list(arguments: argparse.Namespace) -> None:
    from clapboard_server import admin

    database = _database(arguments)
    try:
        users = admin.list_users(database)
    finally:
        database.dispose()
    for user in users:
        state = "active" if user.is_active else "disabled"
        print(f"{user.username}\t{state}\t{'; '.join(user.roles) or '-'}")


def _set_active(active: bool) -> Any:
    def change(arguments: argparse.Namespace) -> None:
        from clapboard_server import admin

        database = _database(arguments)
        try:
            admin.set_active(database, arguments.name, active)
        finally:
            database.dispose()
        print(f"{'Enabled' if active else 'Disabled'} user {arguments.name}.")
    return change


def _reset(arguments: argparse.Namespace) -> None:
    from clapboard_server import admin

    database = _database(arguments)
    try:
        key = admin.reset_key(database, arguments.name)
    finally:
        database.dispose()
    print(f"New API key of {arguments.name}: {key}   (shown once; the old key no longer works)")


def read_password(prompt: str = "Password: ") -> str:
    """The new password: one line of standard input when it is not a terminal, else typed twice
    (:class:`ValueError` when the two differ)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat the password: ") != first:
        raise ValueError("The passwords differ; nothing changed.")
    return first


def _passwd(arguments: argparse.Namespace) -> None:
    from clapboard_server.errors import ValidationError
    from clapboard_server.web import passwords, tables

    try:
        password = read_password(f"New web password of {arguments.name}: ")
    except ValueError as error:
        raise ValidationError(str(error)) from None
    database = _database(arguments)
    try:
        tables.create(database)
        passwords.set_password(database, arguments.name, password)
    finally:
        database.dispose()
    print(f"Set the web password of {arguments.name} (their open web sessions are ended).")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``user`` (add, list, disable, enable) and ``key`` (reset) to the ``clapboard`` command."""
    user = commands.add_parser("user", help="add, list, disable or enable the users of a server")
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a user and print its API key once")
    add.add_argument("name", help="the user name")
    add.add_argument("--role", dest="grants", action=_RoleAction, metavar="ROLE",
                     help="grant this security role, on all projects unless --project follows (repeatable)")
    add.add_argument("--project", dest="project", action=_RoleAction, metavar="NAME",
                     help="limit the preceding --role to this project (repeatable)")
    add.add_argument("--first-name", default="", help="the user's first name")
    add.add_argument("--last-name", default="", help="the user's last name")
    add.set_defaults(run=_run(_add), grants=[])
    listing = actions.add_parser("list", help="list users, whether they are active, and their roles")
    listing.set_defaults(run=_run(_list))
    for name, active, text in (("disable", False, "refuse the user's key on every request, at once"),
                               ("enable", True, "let a disabled user in again")):
        parser = actions.add_parser(name, help=text)
        parser.add_argument("name", help="the user name")
        parser.set_defaults(run=_run(_set_active(active)))
    passwd = actions.add_parser("passwd", help="set the password the user logs in to the web view with",
                                description="Set the password NAME logs in to the web view with. It is read "
                                "from standard input (one line) when that is not a terminal, else typed twice.")
    passwd.add_argument("name", help="the user name")
    passwd.set_defaults(run=_run(_passwd))
    for parser in (add, listing, passwd, *(actions.choices[n] for n in ("disable", "enable"))):
        add_storage_arguments(parser)

    key = commands.add_parser("key", help="manage API keys")
    key_actions = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    reset = key_actions.add_parser("reset", help="replace a user's API key and print the new one once")
    reset.add_argument("name", help="the user name")
    add_storage_arguments(reset)
    reset.set_defaults(run=_run(_reset))
