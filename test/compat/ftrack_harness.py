"""Run scripts written for the real ftrack Python client against a clapboard server.

The real client, ``ftrack-python-api`` 3.1.0 from PyPI, pins old releases of
arrow, pyparsing, clique and websocket-client that clash with clapboard's own
dependencies, so it lives in a virtual environment of its own:

- :envvar:`CLAPBOARD_FTRACK_PYTHON`, when set, names an interpreter that can
  already ``import ftrack_api``;
- otherwise :func:`ensure_venv` builds one, once, in
  ``~/.cache/clapboard/ftrack-venv-3.1.0`` with the pins of
  ``ftrack-constraints.txt``, and rebuilds it when it is broken or the pins
  change.

Scripts live in ``scripts/<name>.py``; each is a plain ftrack_api program that
reads its server and credentials from ``FTRACK_SERVER``, ``FTRACK_API_USER``
and ``FTRACK_API_KEY`` and exits non-zero when an assertion fails.

Run this file directly to build the environment ahead of the tests (CI does)::

    python test/compat/ftrack_harness.py
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

FTRACK_API_VERSION = "3.1.0"
HERE = Path(__file__).resolve().parent
CONSTRAINTS = HERE / "ftrack-constraints.txt"
SCRIPTS = HERE / "scripts"
SCRIPT_TIMEOUT = 300
_STAMP = "clapboard-stamp.txt"

# Variables of the calling environment that must not leak into the client's.
_ISOLATED_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    "FTRACK_EVENT_PLUGIN_PATH",
    "FTRACK_API_SCHEMA_CACHE_PATH",
    "FTRACK_APIKEY",
)


def default_venv_dir():
    """Return the cache folder of the client's virtual environment."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "clapboard" / f"ftrack-venv-{FTRACK_API_VERSION}"


def ftrack_python():
    """Return an interpreter that can import ftrack_api, building one if needed."""
    configured = os.environ.get("CLAPBOARD_FTRACK_PYTHON")
    if configured:
        return Path(configured)
    return ensure_venv()


def ensure_venv(venv_dir=None):
    """Return the interpreter of a working ftrack client venv in *venv_dir*.

    Build the environment when it is missing, cannot import ftrack_api, or was
    built from other pins. A file lock makes concurrent callers wait for one
    build instead of racing.
    """
    venv_dir = Path(venv_dir or default_venv_dir())
    python = venv_dir / "bin" / "python"
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(venv_dir.with_name(venv_dir.name + ".lock")):
        if _is_usable(venv_dir, python):
            return python
        shutil.rmtree(venv_dir, ignore_errors=True)
        venv.EnvBuilder(with_pip=True, symlinks=True).create(venv_dir)
        _run(
            [
                python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--constraint", CONSTRAINTS, f"ftrack-python-api=={FTRACK_API_VERSION}",
            ],
            "installing ftrack-python-api",
        )
        _run([python, "-c", "import ftrack_api"], "importing ftrack_api")
        (venv_dir / _STAMP).write_text(_stamp_text(), encoding="utf-8")
    return python


def run_ftrack_script(ftrack_python, server, script_name, *args):
    """Run ``scripts/<script_name>.py`` with *ftrack_python* against *server*.

    *server* is an embedded-server handle (``server_url``, ``api_user``,
    ``api_key``). Fail the calling test, showing the script's output, when it
    exits non-zero or runs longer than :data:`SCRIPT_TIMEOUT` seconds. Return
    the completed process.
    """
    import pytest

    script = SCRIPTS / f"{script_name}.py"
    env = {k: v for k, v in os.environ.items() if k not in _ISOLATED_VARIABLES}
    env.update(
        FTRACK_SERVER=server.server_url,
        FTRACK_API_USER=server.api_user,
        FTRACK_API_KEY=server.api_key,
        PYTHONUNBUFFERED="1",
    )
    command = [str(ftrack_python), str(script), *map(str, args)]
    with tempfile.TemporaryDirectory(prefix="ftrack-schema-cache-") as schema_cache:
        env["FTRACK_API_SCHEMA_CACHE_PATH"] = schema_cache
        try:
            process = subprocess.run(
                command, check=False, env=env, capture_output=True, text=True,
                stdin=subprocess.DEVNULL, timeout=SCRIPT_TIMEOUT,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(
                f"{script_name} timed out after {SCRIPT_TIMEOUT} s"
                + _format_output(error.stdout, error.stderr),
                pytrace=False,
            )
    if process.returncode != 0:
        pytest.fail(
            f"{script_name} exited with status {process.returncode}"
            + _format_output(process.stdout, process.stderr),
            pytrace=False,
        )
    sys.stdout.write(process.stdout)
    return process


def _format_output(stdout, stderr):
    """Return a script's captured *stdout* and *stderr* for a failure message."""
    def text(value):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return (value or "").rstrip() or "(empty)"

    return f"\n--- stdout ---\n{text(stdout)}\n--- stderr ---\n{text(stderr)}"


def _is_usable(venv_dir, python):
    """Return whether *venv_dir* was built from the current pins and works."""
    try:
        stamp = (venv_dir / _STAMP).read_text(encoding="utf-8")
    except OSError:
        return False
    if stamp != _stamp_text():
        return False
    check = subprocess.run(
        [python, "-c", "import ftrack_api"],
        check=False, capture_output=True, stdin=subprocess.DEVNULL,
    )
    return check.returncode == 0


def _stamp_text():
    """Return what identifies a build: the requirement and the pins."""
    pins = CONSTRAINTS.read_text(encoding="utf-8")
    return f"ftrack-python-api=={FTRACK_API_VERSION}\n{pins}"


def _run(command, what):
    """Run *command*; raise :exc:`RuntimeError` with its output if it fails."""
    process = subprocess.run(
        [str(part) for part in command],
        check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    if process.returncode != 0:
        raise RuntimeError(
            f"{what} failed with status {process.returncode}"
            + _format_output(process.stdout, process.stderr)
        )


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive lock on the file *path* for the duration of the block."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


if __name__ == "__main__":
    print(ftrack_python())
