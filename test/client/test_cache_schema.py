"""The schema cache against the embedded server: warm starts, changed schemas, damage, concurrency."""

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import clapboard
import pytest
from clapboard.schema import cache_file, schema_hash
from clapboard.transport import HttpTransport

SOURCE = str(Path(__file__).resolve().parents[2] / "source")


class RecordingTransport(HttpTransport):
    """HTTP transport remembering the actions of each request."""

    def __init__(self, server):
        super().__init__(server.server_url, server.api_user, server.api_key)
        self.actions = []

    def call(self, body, decode, idempotent):
        self.actions.append([operation["action"] for operation in json.loads(body)])
        return super().call(body, decode, idempotent)


def start_session(server, schema_cache_path):
    """Start and close a session; return the actions of its requests."""
    transport = RecordingTransport(server)
    session = clapboard.Session(
        server.server_url, server.api_key, server.api_user, schema_cache_path=schema_cache_path, transport=transport
    )
    assert session.types["Task"] is not None
    session.close()
    return transport.actions


def cached_schemas(server, folder):
    return json.loads(cache_file(Path(folder), server.server_url).read_text())


def test_warm_schema_cache_sends_no_query_schemas(server, tmp_path):
    assert start_session(server, str(tmp_path)) == [["query_server_information", "query_schemas"]]
    assert start_session(server, str(tmp_path)) == [["query_server_information"]]
    information = clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False)
    assert schema_hash(cached_schemas(server, tmp_path)) == information.server_information["schema_hash"]
    information.close()


def test_schema_cache_path_from_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAPBOARD_API_SCHEMA_CACHE_PATH", str(tmp_path / "from-environment"))
    start_session(server, None)
    assert start_session(server, None) == [["query_server_information"]]
    assert cache_file(tmp_path / "from-environment", server.server_url).exists()


def test_changed_schema_is_fetched_again(server, tmp_path):
    start_session(server, str(tmp_path))
    path = cache_file(tmp_path, server.server_url)
    schemas = json.loads(path.read_text())
    schemas[0]["properties"]["added_later"] = {"type": "string"}  # as cached from another schema version
    path.write_text(json.dumps(schemas, sort_keys=True))
    assert start_session(server, str(tmp_path)) == [["query_server_information"], ["query_schemas"]]
    assert "added_later" not in json.dumps(cached_schemas(server, tmp_path))
    assert start_session(server, str(tmp_path)) == [["query_server_information"]]


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff garbage", b'[{"id": "Task", "propert', b"{}", b"[1, 2, 3]"],
    ids=["empty", "garbage", "truncated", "object", "not-schemas"],
)
def test_damaged_schema_cache_is_replaced(server, tmp_path, content):
    start_session(server, str(tmp_path))
    path = cache_file(tmp_path, server.server_url)
    path.write_bytes(content)
    assert start_session(server, str(tmp_path)) == [["query_server_information"], ["query_schemas"]]
    assert start_session(server, str(tmp_path)) == [["query_server_information"]]


def test_unwritable_schema_cache_is_logged(server, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="clapboard.schema"):
        assert start_session(server, str(blocker / "cache")) == [["query_server_information", "query_schemas"]]
    assert "Could not write schema cache" in caplog.text


def test_concurrent_sessions_write_the_schema_cache_safely(server, tmp_path):
    """Sessions starting together in several processes each write the file; it stays whole."""
    script = textwrap.dedent(
        """
        import sys
        import clapboard

        url, key, user, folder = sys.argv[1:5]
        print("ready", flush=True)
        assert sys.stdin.readline() == "go\\n"
        for _ in range(5):
            clapboard.Session(url, key, user, schema_cache_path=folder).close()
        print("done", flush=True)
        """
    )
    environment = dict(os.environ, PYTHONPATH=SOURCE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    arguments = [server.server_url, server.api_key, server.api_user, str(tmp_path)]
    processes = [
        subprocess.Popen([sys.executable, "-c", script, *arguments], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=environment)
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        output, errors = process.communicate(timeout=300)
        assert process.returncode == 0 and output == "done\n", errors
    assert [path.name for path in tmp_path.iterdir()] == [cache_file(tmp_path, server.server_url).name]
    assert start_session(server, str(tmp_path)) == [["query_server_information"]]
