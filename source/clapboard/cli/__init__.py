"""The ``clapboard`` command.

Each sub-command lives in its own module of this package and exposes
``register(commands)``, which adds its parser to the ``commands`` sub-parser
group and sets ``run`` (a function of the parsed arguments returning an exit
status) as the parser's default. Modules are discovered, so adding a command is
adding a module. Modules whose name starts with ``_`` hold shared helpers.

Help texts are plain text (``clapboard COMMAND --help`` prints them as written).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the ``clapboard`` argument parser with every sub-command registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(prog="clapboard", description="clapboard: production tracking client and server.")
    parser.add_argument("--version", action="version", version=f"clapboard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``clapboard`` command with ``argv`` (default: the process's arguments)."""
    from ..exception import Error

    arguments = build_parser().parse_args(argv)
    library_logger = logging.getLogger("clapboard")
    level = library_logger.level  # commands may quiet it (see _connection.connect): restored after
    try:
        return arguments.run(arguments)
    except Error as error:  # clapboard's errors explain themselves: no traceback
        print(f"clapboard {arguments.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        library_logger.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
