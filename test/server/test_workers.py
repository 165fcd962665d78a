"""``clapboard server --workers N``: several processes on one port and one PostgreSQL database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from server_api import Api, create
from server_process import ServerProcess, environment


def worker_pids(supervisor_pid):
    children = Path(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def wait_for(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.backends("postgresql")
def test_workers_share_one_port_and_replace_a_dead_one(tmp_path, backend, database_url):
    server = ServerProcess(tmp_path / "data", database=database_url, arguments=("--workers", "2"))
    try:
        assert "Serving with 2 worker processes." in server.output
        pids = wait_for(lambda: len(worker_pids(server.process.pid)) == 2 and worker_pids(server.process.pid),
                        what="two workers")
        api = Api(server)
        names = [f"w-{uuid.uuid4().hex[:8]}" for _ in range(20)]
        for name in names:  # fresh connections: the kernel spreads them over the workers
            api.http.close()
            api.call(create("Scope", name=name))
        assert len(api.query('select id from Scope where name like "w-%"')) >= 20
        os.kill(pids[0], signal.SIGKILL)
        def replacement():
            now = worker_pids(server.process.pid)
            return len(now) == 2 and pids[0] not in now and now

        replaced = wait_for(replacement, what="a replacement worker")
        assert pids[1] in replaced
        api.http.close()
        assert api.call({"action": "query_server_information"})[0]["schema_hash"]
    finally:
        assert server.stop() == 0
    for pid in replaced:
        wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists(), what=f"worker {pid} to exit")


def test_workers_refuse_sqlite(tmp_path):
    command = [sys.executable, "-m", "clapboard.cli", "server", "--data-dir", str(tmp_path / "data"),
               "--port", "0", "--workers", "2"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment(), timeout=60, check=False)
    assert result.returncode == 1
    assert "needs PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr
