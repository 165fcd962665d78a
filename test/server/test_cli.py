"""The ``clapboard`` command: ``server`` prints how to connect; ``demo`` runs end to end."""

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

SOURCE = str(Path(__file__).resolve().parents[2] / "source")


def _environment():
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE, environment.get("PYTHONPATH")]))
    return environment


@pytest.mark.backends("sqlite")
def test_server_command_prints_url_and_user_and_serves(tmp_path, backend):
    command = [sys.executable, "-m", "clapboard.cli", "server", "--data-dir", str(tmp_path), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_environment())
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        output = "".join(lines)
        assert "clapboard server listening on http://127.0.0.1:" in output, output
        url = output.split("listening on ")[1].split()[0]
        assert "  export CLAPBOARD_API_USER=admin" in output
        key_file = tmp_path / "admin-api-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert key in output  # shown once, on first start
        answer = requests.post(f"{url}/api", json=[{"action": "query_server_information"}],
                               headers={"ftrack-user": "admin", "ftrack-api-key": key}, timeout=30).json()
        assert answer[0]["schema_hash"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    database = (tmp_path / "clapboard.db").read_bytes()
    assert key.encode() not in database  # only its hash is stored


@pytest.mark.backends("sqlite")
def test_api_key_survives_restart_and_is_not_shown_again(tmp_path, backend):
    from clapboard_server import embedded

    with embedded.start(data_dir=tmp_path) as first:
        key = first.api_key
        assert first.server.new_admin_key
    with embedded.start(data_dir=tmp_path) as second:
        assert second.api_key == key
        assert not second.server.new_admin_key


@pytest.mark.backends("sqlite")
def test_demo_command(backend):
    result = subprocess.run([sys.executable, "-m", "clapboard.cli", "demo"], capture_output=True, text=True,
                            env=_environment(), timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "Totals: 2 sequences, 6 shots, 18 tasks" in result.stdout
    assert "A task's path: demo / sq001 /" in result.stdout
