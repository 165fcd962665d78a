"""Discover and register plugins: Python files exposing a ``register`` function."""

from __future__ import annotations

import importlib.util
import logging
import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

logger = logging.getLogger("clapboard.plugin")


def _register_arguments(register: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments *register* accepts among *kwargs*."""
    import inspect  # slow to import, and only needed when there are plugins

    try:
        signature = inspect.signature(register)
    except (TypeError, ValueError):
        return kwargs
    parameters = signature.parameters.values()
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return kwargs
    accepted = {name: value for name, value in kwargs.items() if name in signature.parameters}
    if len(accepted) != len(kwargs):
        logger.warning(
            "Plugin register function %s does not accept arguments %s; not passing them.",
            getattr(register, "__module__", register),
            sorted(set(kwargs) - set(accepted)),
        )
    return accepted


def discover(
    paths: Iterable[str],
    positional_arguments: Sequence[Any] | None = None,
    keyword_arguments: dict[str, Any] | None = None,
) -> None:
    """Find and load plugins in search *paths*.

    Each discovered module should implement a ``register`` function, called
    with *positional_arguments* and *keyword_arguments*; keyword arguments it
    does not accept are left out.
    """
    args = list(positional_arguments or [])
    kwargs = dict(keyword_arguments or {})
    for path in paths:
        if not path or not os.path.isdir(path):
            continue
        for base, directories, filenames in os.walk(path):
            directories.sort()
            for filename in sorted(filenames):
                name, extension = os.path.splitext(filename)
                if extension != ".py" or name.startswith("_"):
                    continue
                module_path = os.path.join(base, filename)
                module_name = f"clapboard_plugin_{name}_{uuid.uuid4().hex}"
                try:
                    spec = importlib.util.spec_from_file_location(module_name, module_path)
                    if spec is None or spec.loader is None:
                        raise ImportError(f"cannot load {module_path}")
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                except Exception:
                    logger.exception("Failed to load plugin from %s.", module_path)
                    continue
                register = getattr(module, "register", None)
                if register is None:
                    logger.debug("Plugin %s has no register function; skipped.", module_path)
                    continue
                try:
                    register(*args, **_register_arguments(register, args, kwargs))
                except Exception:
                    logger.exception("Failed to register plugin %s.", module_path)
