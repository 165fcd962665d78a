"""``clapboard server`` in a child process, for tests that restart or kill servers."""

import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = str(HERE.parents[1] / "source")


def child_environment():
    """The environment of a child server: this checkout's source first on the path."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE, str(HERE), environment.get("PYTHONPATH")]))
    return environment


class ServerProcess:
    """``clapboard server`` (or a script taking the same arguments) in a child process.

    Waits until the server prints that it listens; ``url``, ``port`` and ``api_key`` (from the
    data folder) are then known.
    """

    def __init__(self, data_dir, port=0, database=None, script=None, arguments=()):
        launcher = [str(script)] if script else ["-m", "clapboard.cli"]
        command = [sys.executable, *launcher, "server", "--data-dir", str(data_dir), "--port", str(port),
                   *(["--database", database] if database else []), *arguments]
        self.data_dir = Path(data_dir)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=child_environment())
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if "Ctrl+C" in line:
                break
        self.output = "".join(lines)
        if "listening on " not in self.output:
            self.process.kill()
            self.process.wait(30)
            raise AssertionError(f"the server did not start:\n{self.output}")
        self.url = self.output.split("listening on ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    @property
    def api_key(self):
        return (self.data_dir / "admin-api-key").read_text().strip()

    def kill(self):
        """SIGKILL: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.process.stdout.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
