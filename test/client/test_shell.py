"""``clapboard shell`` without a terminal: -c, the standard console, credentials from options and .env."""

import os
import socket
import subprocess
import sys
import uuid

import pytest
from live_server import new_session

pytestmark = pytest.mark.backends("sqlite")  # the shell is client code: one backend is enough

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "source"))


@pytest.fixture
def project_name(server):
    name = f"shell_{uuid.uuid4().hex[:8]}"
    with new_session(server) as session:
        session.create("Project", {
            "name": name, "full_name": name, "project_schema": session.query("ProjectSchema").first(),
        })
        session.commit()
    return name


@pytest.fixture
def clean_environment(tmp_path):
    """The environment without credentials, run from an empty folder (no .env)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("CLAPBOARD_", "FTRACK_"))
    }
    environment.update(PYTHONPATH=SOURCE, CLAPBOARD_API_SCHEMA_CACHE_PATH=str(tmp_path / "schemas"),
                       IPYTHONDIR=str(tmp_path / "ipython"))
    return environment


def shell(arguments, environment, cwd, stdin="", prelude=""):
    """Run ``clapboard shell`` with *arguments*; *prelude* runs first in the same process."""
    program = f"{prelude}\nimport sys\nfrom clapboard.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", program, "shell", *arguments], env=environment, cwd=cwd, input=stdin,
        capture_output=True, text=True, timeout=120, check=False,
    )


def credentials(server):
    return {"CLAPBOARD_SERVER": server.server_url, "CLAPBOARD_API_USER": server.api_user,
            "CLAPBOARD_API_KEY": server.api_key}


PRINT_PROJECT = "print(repr(session.query('Project where name is \"{}\"').one()), clapboard.__name__)"


def test_command_option_runs_code_with_a_connected_session(server, project_name, clean_environment, tmp_path):
    environment = dict(clean_environment, **credentials(server))
    result = shell(["-c", PRINT_PROJECT.format(project_name)], environment, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f'<Project "{project_name}" ')
    assert result.stdout.rstrip().endswith("> clapboard")


def test_credentials_from_options(server, project_name, clean_environment, tmp_path):
    options = ["--server", server.server_url, "--api-user", server.api_user, "--api-key", server.api_key]
    result = shell([*options, "-c", PRINT_PROJECT.format(project_name)], clean_environment, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'"{project_name}"' in result.stdout


def test_credentials_from_dot_env_file(server, project_name, clean_environment, tmp_path):
    lines = [f"export {name}={value}" for name, value in credentials(server).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    result = shell(["-c", PRINT_PROJECT.format(project_name)], clean_environment, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'"{project_name}"' in result.stdout


def test_missing_credentials_are_reported(clean_environment, tmp_path):
    result = shell(["-c", "print('never')"], clean_environment, tmp_path)
    assert result.returncode == 2
    assert "clapboard shell: cannot connect" in result.stderr and "CLAPBOARD_SERVER" in result.stderr
    assert "never" not in result.stdout


def test_unreachable_server_is_reported(clean_environment, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = ["--server", f"http://127.0.0.1:{port}", "--api-user", "someone", "--api-key", "key"]
    result = shell([*options, "-c", "print('never')"], clean_environment, tmp_path)
    assert result.returncode == 2
    assert "clapboard shell: cannot connect" in result.stderr and str(port) in result.stderr
    assert "Traceback" not in result.stderr and "never" not in result.stdout


def test_failing_code_exits_with_status_1_and_a_traceback(server, clean_environment, tmp_path):
    environment = dict(clean_environment, **credentials(server))
    result = shell(["-c", "session.query('Project').first()\nraise ValueError('boom')"], environment, tmp_path)
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr
    exited = shell(["-c", "raise SystemExit(3)"], environment, tmp_path)
    assert exited.returncode == 3


@pytest.mark.parametrize("prelude, option", [
    ("", "--console"),
    ("sys.modules['IPython'] = None  # IPython not installed", None),
])
def test_standard_console(server, project_name, clean_environment, tmp_path, prelude, option):
    environment = dict(clean_environment, **credentials(server))
    stdin = PRINT_PROJECT.format(project_name) + "\nsession.closed\n"
    result = shell([option] if option else [], environment, tmp_path, stdin=stdin, prelude=f"import sys\n{prelude}")
    assert result.returncode == 0, result.stderr
    assert f"connected to {server.server_url} as {server.api_user}" in result.stderr  # the console's banner
    assert f'<Project "{project_name}" ' in result.stdout
    assert "False" in result.stdout  # the session is open while the console runs
