"""The ``clapboard`` client commands against the embedded server: query, get, upload, download, events."""

import argparse
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import clapboard
import pytest
from clapboard.cli import build_parser, main
from clapboard.event.base import Event
from live_server import new_session

pytestmark = pytest.mark.backends("sqlite")

SOURCE = str(Path(clapboard.__file__).resolve().parents[1])


def environment(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE, env.get("PYTHONPATH")]))
    for name in ("CLAPBOARD_SERVER", "CLAPBOARD_API_USER", "CLAPBOARD_API_KEY", "FTRACK_SERVER",
                 "FTRACK_API_USER", "FTRACK_API_KEY"):
        env.pop(name, None)
    env.update(extra)
    return env


@pytest.fixture
def options(server):
    return ["--server", server.server_url, "--api-user", server.api_user, "--api-key", server.api_key]


@pytest.fixture
def run(capsys):
    """Run ``clapboard ARGS`` in this process; return (exit status, stdout, stderr)."""

    def run(*arguments):
        status = main([str(argument) for argument in arguments])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def project(server):
    with new_session(server) as session:
        schema = session.query("ProjectSchema").first()
        name = f"cli_{uuid.uuid4().hex[:8]}"
        project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        for index, bid in ((1, 1.5), (2, 3.0)):
            session.create("Task", {"name": f"task{index}", "parent": project, "bid": bid})
        session.commit()
        return {"name": name, "id": project["id"]}


def test_version_and_python_dash_m():
    for command in (["-m", "clapboard", "--version"], ["-m", "clapboard.cli", "--version"]):
        result = subprocess.run([sys.executable, *command], capture_output=True, text=True, env=environment(),
                                timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"clapboard {clapboard.__version__}\n"
    result = subprocess.run([sys.executable, "-m", "clapboard", "--help"], capture_output=True, text=True,
                            env=environment(), timeout=60, check=False)
    assert result.returncode == 0
    for command in ("query", "get", "upload", "download", "events", "backup", "restore", "server"):
        assert command in result.stdout


def _help_texts(parser):
    """The help of *parser* and of every sub-command below it."""
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                texts += _help_texts(command)
    return texts


def test_help_texts_are_plain_text():
    texts = _help_texts(build_parser())
    assert len(texts) >= 11
    for text in texts:
        for markup in ("``", ":class:", ":meth:", ":exc:", ":envvar:", "`"):
            assert markup not in text, text


def test_query_prints_a_table(run, options, project):
    status, out, _ = run("query", f'select name, bid, parent.name from Task where project.name is "{project["name"]}"'
                         " order by name", *options)
    assert status == 0
    assert out.splitlines() == [
        "name   bid  parent.name",
        "-----  ---  " + "-" * max(len("parent.name"), len(project["name"])),
        f"task1  1.5  {project['name']}",
        f"task2  3.0  {project['name']}",
        "(2 rows)",
    ]


def test_query_prints_json_and_csv(run, options, project):
    expression = f'Task where project.name is "{project["name"]}" order by name'
    status, out, _ = run("query", expression, "--format", "json", *options)
    assert status == 0
    rows = json.loads(out)
    assert [row["name"] for row in rows] == ["task1", "task2"]
    assert set(rows[0]) == {"context_type", "id", "name"}  # the default projections of Task
    status, out, _ = run("query", f"select name, parent from {expression}", "--format", "csv", *options)
    assert status == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["name", "parent"], ["task1", f"Project({project['id']})"], ["task2", f"Project({project['id']})"],
    ]


def test_query_errors_are_clear_and_exit_non_zero(run, options):
    status, out, err = run("query", 'Task where nmae is "x"', *options)
    assert status == 1 and out == ""
    assert err == (
        "clapboard query: Server reported error: ValidationError(Task has no attribute 'nmae'. "
        "Did you mean 'name'?)\n"
    )
    status, _, err = run("query", "Tsak", *options)
    assert status == 1
    assert err == "clapboard query: Entity type \"Tsak\" not recognised. Did you mean 'Task'?\n"


def test_get_prints_every_attribute(run, options, project, server):
    status, out, _ = run("get", "Project", project["id"], *options)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "Project"
    assert any(line.split() == ["name", project["name"]] for line in lines)
    assert any(line.split()[:1] == ["children"] and "Task" in line for line in lines)
    status, out, _ = run("get", "Project", project["id"], "--format", "json", *options)
    data = json.loads(out)
    assert data["__entity_type__"] == "Project" and data["name"] == project["name"]
    assert sorted(child["__entity_type__"] for child in data["children"]) == ["Task", "Task"]
    status, out, err = run("get", "Project", "no-such-id", *options)
    assert status == 1 and err == "clapboard get: No Project with primary key 'no-such-id'.\n"
    with new_session(server) as session:
        session.create("Metadata", {"parent_id": project["id"], "parent_type": "Project", "key": "fps",
                                    "value": "24"})
        session.commit()
    status, out, _ = run("get", "Metadata", project["id"], "fps", "--format", "json", *options)
    assert status == 0 and json.loads(out)["value"] == "24"


def test_upload_then_download_through_the_server_location(run, options, server, tmp_path):
    source = tmp_path / "plate.exr"
    source.write_bytes(os.urandom(300_000))
    status, out, err = run("upload", source, "--name", "plate", *options)
    assert status == 0
    assert err == ""  # standard error is no terminal here: no bar unless asked for
    component_id = out.strip()
    with new_session(server) as session:
        component = session.get("FileComponent", component_id)
        assert component["name"] == "plate" and component["size"] == 300_000
        location = session.query('Location where name is "ftrack.server"').one()
        assert location.get_component_availability(component) == 100.0
    target = tmp_path / "copy.exr"
    status, out, _ = run("download", component_id, target, *options)
    assert status == 0 and out == f"{target}\n"
    assert target.read_bytes() == source.read_bytes()
    folder = tmp_path / "downloads"
    folder.mkdir()
    status, out, err = run("download", component_id, folder, "--location", "ftrack.server", "--progress", *options)
    assert status == 0
    assert (folder / "plate.exr").read_bytes() == source.read_bytes()
    assert "Downloading plate.exr: 100%" in err and "293k/293k" in err
    status, out, err = run("upload", source, "--progress", *options)
    assert status == 0 and "Adding to ftrack.server: 100%" in err and "293k/293k" in err
    status, _, err = run("upload", tmp_path / "missing.exr", *options)
    assert status == 1 and "missing.exr" in err


def test_events_listen_prints_events_as_they_arrive(run, options, server, capsys):
    topic = f"cli.test.{uuid.uuid4().hex[:8]}"
    publisher = new_session(server)
    publisher.event_hub.connect()
    stop = threading.Event()

    def publish_until_stopped():
        index = 0
        while not stop.is_set():  # the listener subscribes at some point: publish until it got two
            publisher.event_hub.publish(Event(topic=topic, data={"index": index}))
            index += 1
            stop.wait(0.05)

    thread = threading.Thread(target=publish_until_stopped)
    thread.start()
    interrupt_handler = signal.getsignal(signal.SIGINT)
    try:
        status, out, err = run("events", "listen", f"topic={topic}", "--count", "2", *options)
    finally:
        stop.set()
        thread.join()
        publisher.close()
    assert status == 0
    assert signal.getsignal(signal.SIGINT) is interrupt_handler  # Ctrl+C works again after the command
    assert err == f"Listening for events matching 'topic={topic}' (Ctrl+C to stop).\n"
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 2
    assert [event["topic"] for event in events] == [topic, topic]
    assert events[1]["data"]["index"] == events[0]["data"]["index"] + 1
    assert events[0]["source"]["user"]["username"] == server.api_user


def test_connection_from_environment_and_env_file(server, project, tmp_path):
    expression = f'select name from Project where id is "{project["id"]}"'
    variables = {"CLAPBOARD_SERVER": server.server_url, "CLAPBOARD_API_USER": server.api_user,
                 "CLAPBOARD_API_KEY": server.api_key}
    result = subprocess.run([sys.executable, "-m", "clapboard", "query", expression, "--format", "csv"],
                            capture_output=True, text=True, env=environment(**variables), cwd=tmp_path,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["name", project["name"]]
    (tmp_path / ".env").write_text("".join(f"export {name}={value}\n" for name, value in variables.items()))
    result = subprocess.run([sys.executable, "-m", "clapboard", "query", expression, "--format", "csv"],
                            capture_output=True, text=True, env=environment(), cwd=tmp_path, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["name", project["name"]]


def test_missing_or_unreachable_server_is_explained_without_traceback(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("CLAPBOARD_SERVER", "FTRACK_SERVER", "CLAPBOARD_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = run("query", "Task", "--api-key", "k", "--api-user", "u")
    assert status == 1
    assert err.startswith('clapboard query: Required "server_url" not specified.')
    assert "--server" in err and "CLAPBOARD_SERVER" in err and ".env" in err
    status, _, err = run("query", "Task", "--server", "127.0.0.1:8080", "--api-key", "k", "--api-user", "u")
    assert status == 1
    assert "must start with http:// or https://" in err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    status, _, err = run("query", "Task", "--server", url, "--api-key", "k", "--api-user", "u")
    assert status == 1
    assert err == f"clapboard query: Cannot reach the server at {url}: connection refused. Is the server running?\n"
