"""Settings from environment variables, falling back to a ``.env`` file.

Pipeline tools often run where setting environment variables is awkward (a launcher, a
farm job). As with accsyn's API, credentials may then live in a ``.env`` file: the file
named by :envvar:`CLAPBOARD_ENV_FILE`, else ``.env`` in the current folder. Lines are
``NAME=value``, optionally prefixed by ``export``, with ``#`` comments and single or
double quotes around values. An environment variable always wins over the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

_cache: dict[Path, tuple[float, dict[str, str]]] = {}


def parse_env_file(text: str) -> dict[str, str]:
    """The ``NAME=value`` pairs of a ``.env`` file's text."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, separator, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not separator or not name.replace("_", "").isalnum():
            log.warning("Ignoring line %d of the .env file: expected NAME=value.", number)
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


def env_file_values() -> dict[str, str]:
    """The values of the ``.env`` file in use (empty when there is none)."""
    path = Path(os.environ.get("CLAPBOARD_ENV_FILE") or ".env")
    try:
        modified = path.stat().st_mtime
    except OSError:
        return {}
    cached = _cache.get(path)
    if cached is None or cached[0] != modified:
        try:
            cached = (modified, parse_env_file(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            log.warning("Cannot read %s: %s", path, error)
            return {}
        _cache[path] = cached
    return cached[1]


def setting(*names: str) -> str | None:
    """The first of ``names`` set in the environment, else in the ``.env`` file."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    values = env_file_values()
    for name in names:
        if values.get(name):
            return values[name]
    return None
