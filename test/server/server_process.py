"""Run ``clapboard server`` in a subprocess, for tests of several server processes on one database."""

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

SOURCE = str(Path(__file__).resolve().parents[2] / "source")


def environment():
    """This process's environment with the worktree's source first on PYTHONPATH."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))


@contextlib.contextmanager
def server_process(database_url, data_dir, admin_key_file=None):
    """Yield a handle (``server_url``, ``api_user``, ``api_key``, ``output``) of a server subprocess.

    ``admin_key_file`` (another server's) is copied into the new data folder so the handle knows
    the admin's key; without it ``api_key`` is what the server printed (None when not shown).
    """
    data_dir.mkdir()
    if admin_key_file is not None:
        shutil.copy(admin_key_file, data_dir / "admin-api-key")
    command = [sys.executable, "-m", "clapboard.cli", "server", "--data-dir", str(data_dir), "--host", "127.0.0.1",
               "--port", "0", "--database", database_url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment())
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout] + [lines.put(None)],
                     daemon=True).start()
    try:
        output = []
        while not output or not output[-1].startswith("Press Ctrl+C"):
            line = lines.get(timeout=120)
            assert line is not None, "the server process exited:\n" + "".join(output)
            output.append(line)
        text = "".join(output)
        url = text.split("listening on ")[1].split()[0]
        key_file = data_dir / "admin-api-key"
        key = key_file.read_text().strip() if key_file.exists() else None
        yield type("Process", (), {"server_url": url, "api_user": "admin", "api_key": key, "output": text})()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
