"""Connection options shared by the commands that talk to a server."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any

from ..exception import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session

EPILOG = (
    "The server and credentials come from --server, --api-user and --api-key, else from the "
    "environment variables CLAPBOARD_SERVER, CLAPBOARD_API_USER and CLAPBOARD_API_KEY (or their "
    "FTRACK_ twins), else from a .env file in the current folder (or the file CLAPBOARD_ENV_FILE "
    "names). 'clapboard server' prints the lines to export."
)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--server``, ``--api-user`` and ``--api-key`` to *parser*."""
    group = parser.add_argument_group("connection")
    group.add_argument("--server", metavar="URL", help="server URL, e.g. http://127.0.0.1:8080")
    group.add_argument("--api-user", metavar="USER", help="user name")
    group.add_argument("--api-key", metavar="KEY", help="API key of the user")
    if parser.epilog is None:
        parser.epilog = EPILOG


def connect(arguments: argparse.Namespace, quiet: bool = True, **options: Any) -> Session:
    """Return a session configured from *arguments* (environment and .env as fallbacks).

    When *quiet*, clapboard's retry warnings are not shown: a failure ends in
    one clear error.
    """
    from ..session import Session

    if quiet:
        logging.getLogger("clapboard").setLevel(logging.ERROR)
    try:
        return Session(arguments.server, arguments.api_key, arguments.api_user, **options)
    except ConfigurationError:
        raise
    except TypeError as error:  # a setting that is missing everywhere
        raise ConfigurationError(f"{error} {EPILOG}") from error
