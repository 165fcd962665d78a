"""clapboard: a Python client for production-tracking servers.

Start with :class:`clapboard.Session`::

    import clapboard
    session = clapboard.Session()   # configured from CLAPBOARD_* environment variables
    for project in session.query('Project'):
        print(project['name'])
"""

from . import (  # noqa: F401 - submodules are part of the public namespace
    attribute,
    cache,
    collection,
    exception,
    formatter,
    inspection,
    operation,
    query,
    symbol,
)
from .mixin import mixin
from .session import Session

__version__ = "0.1.0"

__all__ = ["Session", "__version__", "mixin"]
