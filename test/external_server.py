"""Run an embedded server in a separate process, for client tests on another Python.

The client supports Python 3.9 and later, the server 3.11 and later. When
:envvar:`CLAPBOARD_TEST_SERVER_PYTHON` names a Python that can run the server (with
``source/`` on its path and the ``server`` extra installed), the test fixtures start each server
with :func:`start`, which runs this file with that interpreter::

    python test/external_server.py --data-dir DIR [--port P] [--heartbeat INTERVAL,TIMEOUT]

The child prints one JSON line (``server_url``, ``api_user``, ``api_key``, ``port``) once it
accepts requests, then serves until its standard input is closed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PYTHON_VARIABLE = "CLAPBOARD_TEST_SERVER_PYTHON"
SOURCE = Path(__file__).resolve().parent.parent / "source"


class ExternalServer:
    """Handle of a server running in a child process; the attributes of an embedded server's."""

    def __init__(self, process: subprocess.Popen, details: dict, data_dir: Path):
        self.process = process
        self.server_url = details["server_url"]
        self.api_user = details["api_user"]
        self.api_key = details["api_key"]
        self.port = details["port"]
        self.data_dir = data_dir

    def stop(self) -> None:
        """Close the child's standard input and wait for it to stop."""
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ExternalServer:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def external_python() -> str | None:
    """The interpreter named by :envvar:`CLAPBOARD_TEST_SERVER_PYTHON`, if set."""
    return os.environ.get(PYTHON_VARIABLE) or None


def start(python: str, data_dir: Path, port: int = 0, heartbeat: tuple[float, float] | None = None,
          options: dict | None = None) -> ExternalServer:
    """Start a server on *data_dir* with the interpreter *python*; return once it serves.

    *options* (JSON values: ``smtp``, ``ffmpeg``, ...) go to ``embedded.start``.
    """
    command = [python, __file__, "--data-dir", str(data_dir), "--port", str(port)]
    if heartbeat:
        command += ["--heartbeat", ",".join(map(str, heartbeat))]
    if options:
        command += ["--options", json.dumps(options)]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment, text=True)
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise RuntimeError(f"the server process exited with status {process.returncode}; see its output above")
    return ExternalServer(process, json.loads(line), data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--heartbeat", help="INTERVAL,TIMEOUT in seconds for the event hub")
    parser.add_argument("--options", default="{}", help="JSON object of further embedded.start options")
    arguments = parser.parse_args()

    from clapboard_server import embedded

    with embedded.start(data_dir=arguments.data_dir, port=arguments.port, **json.loads(arguments.options)) as server:
        if arguments.heartbeat:
            hub = server.server.events
            hub.heartbeat_interval, hub.heartbeat_timeout = map(float, arguments.heartbeat.split(","))
        details = {"server_url": server.server_url, "api_user": server.api_user, "api_key": server.api_key}
        print(json.dumps({**details, "port": server.port}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
