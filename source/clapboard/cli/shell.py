"""``clapboard shell``: an interactive Python session connected to a server.

The session is ready as ``session`` and the ``clapboard`` package is imported.
IPython is used when installed (``pip install "clapboard[shell]"``), the
standard console otherwise. Credentials come from the options, else the
environment, else the ``.env`` file (see :mod:`clapboard.settings`).
"""

from __future__ import annotations

import argparse
import code
import sys
import traceback
from typing import Any

import requests

import clapboard

from . import _connection


def connect(arguments: argparse.Namespace) -> clapboard.Session:
    """Return a session from the command's options, falling back to the environment and ``.env``."""
    return _connection.connect(arguments, quiet=False)


def namespace(session: clapboard.Session) -> dict[str, Any]:
    """Return the names the shell starts with."""
    return {"session": session, "clapboard": clapboard, "__name__": "__main__"}


def banner(session: clapboard.Session) -> str:
    """Return the text shown when the shell starts."""
    return (
        f"clapboard {clapboard.__version__} — connected to {session.server_url} "
        f"as {session.api_user}.\n"
        "`session` is ready and `clapboard` imported. Try: session.query('Project').first()"
    )


def run_code(source: str, names: dict[str, Any]) -> int:
    """Run *source* in *names*; return the exit status (1 and a traceback on error)."""
    try:
        exec(compile(source, "<clapboard shell -c>", "exec"), names)  # noqa: S102 - the user's own code
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like python -c does
        traceback.print_exc()
        return 1
    return 0


def run_ipython(names: dict[str, Any], text: str) -> bool:
    """Start IPython with *names*; return False when IPython is not installed."""
    try:
        from IPython import start_ipython
        from traitlets.config import Config
    except ImportError:
        return False
    config = Config()
    config.TerminalIPythonApp.display_banner = False
    config.TerminalInteractiveShell.confirm_exit = False
    print(text)
    start_ipython(argv=[], user_ns=names, config=config)
    return True


def run_console(names: dict[str, Any], text: str) -> None:
    """Start the standard Python console with *names*."""
    try:
        import readline
        import rlcompleter

        readline.set_completer(rlcompleter.Completer(names).complete)
        readline.parse_and_bind("tab: complete")
    except ImportError:  # pragma: no cover - platforms without readline
        pass
    code.interact(banner=text, local=names, exitmsg="")


def _shell(arguments: argparse.Namespace) -> int:
    try:
        session = connect(arguments)
    except (TypeError, clapboard.exception.Error, requests.exceptions.RequestException) as error:
        print(f"clapboard shell: cannot connect: {error}", file=sys.stderr)
        return 2
    with session:
        names = namespace(session)
        if arguments.command_code is not None:
            return run_code(arguments.command_code, names)
        text = banner(session)
        if arguments.console or not run_ipython(names, text):
            run_console(names, text)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``shell`` to the ``clapboard`` command."""
    shell = commands.add_parser(
        "shell",
        help="interactive Python with a connected session",
        description="Open IPython (or the standard console) with the variable session connected and "
        "the clapboard package imported. Credentials default to CLAPBOARD_SERVER, CLAPBOARD_API_USER and CLAPBOARD_API_KEY "
        "from the environment or a .env file.",
    )
    shell.add_argument("-c", dest="command_code", metavar="CODE", help="run CODE with session ready, then exit")
    shell.add_argument("--console", action="store_true", help="use the standard Python console even if IPython is installed")
    _connection.add_connection_arguments(shell)
    shell.set_defaults(run=_shell)
