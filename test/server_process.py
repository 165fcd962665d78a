"""``clapboard server`` in a child process: several servers on one database, restarts and kills."""

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = str(HERE.parent / "source")


def environment():
    """This process's environment with this checkout's source (and the test helpers) first on the path."""
    paths = [SOURCE, str(HERE), str(HERE / "server"), os.environ.get("PYTHONPATH")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))


class ServerProcess:
    """``clapboard server`` (or a script taking the same arguments) in a child process.

    Waits (at most two minutes) until the server prints that it listens; ``server_url``, ``port``
    and ``output`` are then known, and ``api_key`` when the data folder holds the admin's key.
    """

    api_user = "admin"

    def __init__(self, data_dir, port=0, database=None, script=None, arguments=()):
        launcher = [str(script)] if script else ["-m", "clapboard.cli"]
        command = [sys.executable, *launcher, "server", "--data-dir", str(data_dir), "--host", "127.0.0.1",
                   "--port", str(port), *(["--database", database] if database else []), *arguments]
        self.data_dir = Path(data_dir)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=environment())
        lines = queue.Queue()
        #: Every line the server printed so far (its log included).
        self.printed: list[str] = []

        def read():
            for line in self.process.stdout:
                self.printed.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        output = []
        while not output or not output[-1].startswith("Press Ctrl+C"):
            line = lines.get(timeout=120)
            if line is None:
                self.process.wait(30)
                raise AssertionError("the server process exited:\n" + "".join(output))
            output.append(line)
        self.output = "".join(output)
        self.server_url = self.url = self.output.split("listening on ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    @property
    def api_key(self):
        key_file = self.data_dir / "admin-api-key"
        return key_file.read_text().strip() if key_file.exists() else None

    def kill(self):
        """SIGKILL: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        """SIGTERM, and the exit status (0 for a clean shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@contextlib.contextmanager
def server_process(database_url, data_dir, admin_key_file=None):
    """Yield a server on ``database_url`` with a new ``data_dir``; check it stops cleanly.

    ``admin_key_file`` (another server's) is copied into the new data folder so the handle knows
    the admin's key; without it ``api_key`` is what the server wrote (None when not shown).
    """
    data_dir.mkdir()
    if admin_key_file is not None:
        shutil.copy(admin_key_file, data_dir / "admin-api-key")
    handle = ServerProcess(data_dir, database=database_url)
    try:
        yield handle
    finally:
        assert handle.stop() == 0
