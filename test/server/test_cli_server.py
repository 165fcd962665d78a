"""``clapboard server`` (export lines, request log, busy port) and ``clapboard backup``/``restore``."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import clapboard
import pytest
import requests
from clapboard.cli import main

SOURCE = str(Path(__file__).resolve().parents[2] / "source")


def environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE, env.get("PYTHONPATH")]))
    return env


def clapboard_command(*arguments, **options):
    return subprocess.run([sys.executable, "-m", "clapboard", *map(str, arguments)], capture_output=True,
                          text=True, env=environment(), timeout=300, check=False, **options)


@contextlib.contextmanager
def server_process(data_dir, *extra, log=None):
    """Run ``clapboard server`` until the block ends; yield its start-up lines."""
    command = [sys.executable, "-m", "clapboard", "server", "--data-dir", str(data_dir), "--port", "0", *extra]
    stderr = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=environment())
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        if log:
            stderr.close()


def exports(lines):
    """The ``export NAME=value`` lines of *lines*, run through a shell."""
    script = "\n".join(line.strip() for line in lines if line.strip().startswith("export ")) + "\nenv"
    output = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True, env={}).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if line.startswith("CLAPBOARD_"))


@pytest.mark.backends("sqlite")
def test_server_prints_export_lines_and_logs_each_request(tmp_path, backend):
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"
    with server_process(data_dir, "--log-level", "info", log=log) as lines:
        variables = exports(lines)
        assert set(variables) == {"CLAPBOARD_SERVER", "CLAPBOARD_API_USER", "CLAPBOARD_API_KEY"}
        key = (data_dir / "admin-api-key").read_text().strip()
        assert variables["CLAPBOARD_API_KEY"] == key  # new: shown once
        assert any("shown this once" in line for line in lines)
        with clapboard.Session(variables["CLAPBOARD_SERVER"], variables["CLAPBOARD_API_KEY"],
                               variables["CLAPBOARD_API_USER"], schema_cache_path=False) as session:
            session.query("User").first()
        requests.get(f"{variables['CLAPBOARD_SERVER']}/component/get?id=x&apiKey={key}", timeout=30)
    text = log.read_text()
    api_lines = [line for line in text.splitlines() if "clapboard_server.requests" in line]
    assert len([line for line in api_lines if re.search(r" admin POST /api 200 \d+ ms$", line)]) >= 2
    assert any(" GET /component/get " in line for line in api_lines)
    assert key not in text  # query strings (which may hold keys) are never logged

    with server_process(data_dir, "--log-level", "warning", log=log) as lines:
        assert key not in "\n".join(lines)  # not new: not shown again...
        assert exports(lines)["CLAPBOARD_API_KEY"] == key  # ...but the export line reads it from its file
        url = exports(lines)["CLAPBOARD_SERVER"]
        requests.post(f"{url}/api", json=[], headers={"ftrack-user": "admin", "ftrack-api-key": key}, timeout=30)
    assert "clapboard_server.requests" not in log.read_text()


@pytest.mark.backends("sqlite")
def test_busy_port_is_reported_before_anything_is_created(tmp_path, backend):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        data_dir = tmp_path / "new-data"
        started = time.monotonic()
        result = clapboard_command("server", "--data-dir", data_dir, "--port", port)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"clapboard server: Port {port} on 127.0.0.1 is already in use: is another clapboard server running "
        "there? Stop it or choose another port (--port, or 0 to pick a free one)."
    )
    assert "Traceback" not in result.stderr
    assert not data_dir.exists()
    assert time.monotonic() - started < 60


@pytest.mark.backends("sqlite")
def test_a_second_server_on_a_data_folder_is_refused_clearly(tmp_path, backend):
    with server_process(tmp_path / "data"):
        result = clapboard_command("server", "--data-dir", tmp_path / "data", "--port", 0)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("clapboard server: Another clapboard server (process ")


# Backup and restore -----------------------------------------------------------------------------


@contextlib.contextmanager
def empty_database(backend):
    """Yield the --database URL of a new, empty database (None for SQLite); drop it afterwards."""
    if backend == "sqlite":
        yield None
        return
    import psycopg
    from psycopg import sql

    admin = os.environ["CLAPBOARD_TEST_POSTGRES_URL"]
    name = f"clapboard_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_option(handle):
    url = handle.server.database.url
    return [] if url.startswith("sqlite") else ["--database", url]


def connect(handle):
    return clapboard.Session(handle.server_url, handle.api_key, handle.api_user, schema_cache_path=False)


def answers(session, project_name):
    """What the tests compare between the original and the restored server."""
    tasks = session.query(f'select id, name, bid, parent.name from Task where project.name is "{project_name}"'
                          " order by name").all()
    return [(task["id"], task["name"], task["bid"], task["parent"]["name"]) for task in tasks]


def populate(handle, tmp_path):
    """A project with tasks and a stored file on *handle*; return what a restored copy must show."""
    payload = os.urandom(200_000)
    (tmp_path / "plate.exr").write_bytes(payload)
    with connect(handle) as session:
        schema = session.query("ProjectSchema").first()
        name = f"backup_{uuid.uuid4().hex[:8]}"
        project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        for index in range(3):
            session.create("Task", {"name": f"task{index}", "parent": project, "bid": index * 1.5})
        session.commit()
        location = session.query('Location where name is "ftrack.server"').one()
        component = session.create_component(str(tmp_path / "plate.exr"), {"name": "plate"}, location=location)
        return {"name": name, "project_id": project["id"], "component_id": component["id"], "payload": payload,
                "answers": answers(session, name), "api_key": handle.api_key}


def check_restored(restored, expected):
    """*restored* answers the same queries and serves the same file as the server backed up."""
    assert restored.api_key == expected["api_key"]  # the key file came along
    with connect(restored) as check:
        assert answers(check, expected["name"]) == expected["answers"]
        copy = check.get("FileComponent", expected["component_id"])
        server_location = check.query('Location where name is "ftrack.server"').one()
        assert server_location.get_component_availability(copy) == 100.0
        data = server_location.accessor.open(server_location.get_resource_identifier(copy), "rb")
        try:
            assert data.read() == expected["payload"]
        finally:
            data.close()
        return check.query(f'select name from Shot where parent.id is "{expected["project_id"]}"').all()


def restore_arguments(backup, data_dir, database):
    arguments = ["restore", str(backup), "--data-dir", str(data_dir)]
    return arguments + ["--database", database] if database else arguments


def test_backup_of_a_running_server_restores_to_the_same_answers_and_files(
    server_factory, backend, tmp_path, capsys
):
    from clapboard_server import embedded

    with server_factory(backend) as original:
        expected = populate(original, tmp_path)
        writes = []
        stop = threading.Event()

        def keep_writing():  # the server is busy while the backup runs
            with connect(original) as writer:
                parent = writer.get("Project", expected["project_id"])
                while not stop.is_set():
                    writer.create("Shot", {"name": f"shot{len(writes)}", "parent": parent})
                    writer.commit()
                    writes.append(len(writes))

        thread = threading.Thread(target=keep_writing)
        thread.start()
        try:
            result = clapboard_command("backup", tmp_path / "backup", "--data-dir", original.data_dir,
                                       *database_option(original))
        finally:
            stop.set()
            thread.join()
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Backed up ")
        written = len(writes)

    assert sorted(path.name for path in (tmp_path / "backup").iterdir()) == sorted(
        ["clapboard-backup.json", "data", "clapboard.db" if backend == "sqlite" else "database.pgdump"]
    )
    restored_dir = tmp_path / "restored"
    with empty_database(backend) as database:
        arguments = restore_arguments(tmp_path / "backup", restored_dir, database)
        assert main(arguments) == 0
        assert "Restored" in capsys.readouterr().out
        assert main(arguments) == 1  # never over existing data by accident
        assert "--replace" in capsys.readouterr().err
        with embedded.start(data_dir=restored_dir, database=database) as restored:
            shots = check_restored(restored, expected)
        assert 0 <= len(shots) <= written  # a consistent snapshot of the busy server
        assert sorted(shot["name"] for shot in shots) == sorted(f"shot{i}" for i in range(len(shots)))


@pytest.mark.backends("postgresql")
def test_without_pg_dump_rows_are_dumped_and_backups_cross_backends(server_factory, backend, tmp_path,
                                                                    monkeypatch, capsys):
    import shutil

    from clapboard_server import embedded

    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "pg_dump" else which(name))
    with server_factory("postgresql") as original:
        (tmp_path / "pg").mkdir()
        expected = populate(original, tmp_path / "pg")
        assert main(["backup", str(tmp_path / "pg-backup"), "--data-dir", str(original.data_dir),
                     *database_option(original)]) == 0
    assert (tmp_path / "pg-backup" / "database.jsonl.gz").is_file()
    assert main(restore_arguments(tmp_path / "pg-backup", tmp_path / "into-sqlite", None)) == 0
    with embedded.start(data_dir=tmp_path / "into-sqlite") as restored:
        check_restored(restored, expected)

    with server_factory("sqlite") as original:
        (tmp_path / "lite").mkdir()
        expected = populate(original, tmp_path / "lite")
        assert main(["backup", str(tmp_path / "lite-backup"), "--data-dir", str(original.data_dir)]) == 0
    with empty_database("postgresql") as database:
        assert main(restore_arguments(tmp_path / "lite-backup", tmp_path / "into-pg", database)) == 0
        with embedded.start(data_dir=tmp_path / "into-pg", database=database) as restored:
            check_restored(restored, expected)
    capsys.readouterr()


@pytest.mark.backends("sqlite")
def test_backup_and_restore_refuse_what_they_cannot_do(tmp_path, backend, capsys):
    from clapboard_server import embedded

    assert main(["backup", str(tmp_path / "out"), "--data-dir", str(tmp_path / "nothing")]) == 1
    assert "No data folder at" in capsys.readouterr().err
    assert main(["restore", str(tmp_path), "--data-dir", str(tmp_path / "x")]) == 1
    assert "is not a clapboard backup" in capsys.readouterr().err
    with embedded.start(data_dir=tmp_path / "live") as running:
        assert main(["backup", str(tmp_path / "copy"), "--data-dir", str(running.data_dir)]) == 0
        assert main(["backup", str(tmp_path / "copy"), "--data-dir", str(running.data_dir)]) == 1
        assert "already exists and is not an empty folder" in capsys.readouterr().err
        assert main(["restore", str(tmp_path / "copy"), "--data-dir", str(running.data_dir), "--replace"]) == 1
        assert "clapboard restore: Cannot restore while a server runs on the folder." in capsys.readouterr().err
        with connect(running) as session:  # untouched
            assert session.query("User").first() is not None
    assert main(["restore", str(tmp_path / "copy"), "--data-dir", str(tmp_path / "pg"), "--database",
                 "mysql://somewhere/db"]) == 1
    assert "Unsupported database URL" in capsys.readouterr().err
