"""clapboard: a Python client for production-tracking servers.

Start with :class:`clapboard.Session`::

    import clapboard
    session = clapboard.Session()   # configured from CLAPBOARD_* environment variables
    for project in session.query('Project'):
        print(project['name'])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .mixin import mixin

if TYPE_CHECKING:
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
    from .session import Session

__version__ = "0.1.0"

__all__ = ["Session", "__version__", "mixin"]

#: Submodules that are part of the public namespace: ``clapboard.exception`` works without
#: importing it first. They, and :class:`Session`, are imported on first access (PEP 562), so
#: ``import clapboard`` stays cheap for code that needs only part of it.
_SUBMODULES = frozenset(
    {"attribute", "cache", "collection", "exception", "formatter", "inspection", "operation", "query", "symbol"}
)


def __getattr__(name: str) -> Any:
    if name == "Session":
        value: Any = importlib.import_module(".session", __name__).Session
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, "Session"})
