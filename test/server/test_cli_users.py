"""``clapboard user`` and ``clapboard key`` against the database of a running server, and the
``clapboard server`` warning about plain HTTP beyond loopback."""

import subprocess
import sys
import uuid

import pytest
from server_api import Api, create, ref
from server_process import environment

PING = {"action": "query_server_information"}


def clapboard(*arguments, check=True):
    result = subprocess.run([sys.executable, "-m", "clapboard", *arguments], capture_output=True, text=True,
                            env=environment(), timeout=120, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def cli(server):
    """``cli(*arguments)``: run a ``clapboard`` command on the running server's database."""
    if server.server.database.is_sqlite:
        options = ["--data-dir", str(server.data_dir)]
    else:
        options = ["--data-dir", str(server.data_dir), "--database", server.server.database.url]

    def run(*arguments, check=True):
        return clapboard(*arguments, *options, check=check)

    return run


def printed_key(output):
    return next(word for word in output.split() if word.count("-") == 4)


def works(server, name, key):
    answer = Api(server, name, key).raw([PING])
    return isinstance(answer, list)


@pytest.fixture
def projects(api, project_schema):
    names = [f"p-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        api.call(create("Project", name=name, full_name=name, project_schema=ref(project_schema)))
    return names


def test_user_add_grants_roles_and_prints_a_working_key_once(server, api, cli, projects):
    name = f"artist-{uuid.uuid4().hex[:8]}"
    result = cli("user", "add", name, "--role", "API", "--role", "Project Manager",
                 "--project", projects[0], "--project", projects[1])
    assert result.stdout.count(printed_key(result.stdout)) == 1
    assert works(server, name, printed_key(result.stdout))
    grants = api.query(f'select security_role.name, is_all_projects, projects.name from UserSecurityRole '
                       f'where user.username is "{name}"')
    summary = {(g["security_role"]["name"], g["is_all_projects"], tuple(sorted(p["name"] for p in g["projects"])))
               for g in grants}
    assert summary == {("API", True, ()), ("Project Manager", False, tuple(sorted(projects)))}
    listing = cli("user", "list").stdout
    line = next(line for line in listing.splitlines() if line.startswith(name + "\t"))
    assert "\tactive\t" in line and "API (all projects)" in line
    assert f"Project Manager ({', '.join(sorted(projects))})" in line
    assert printed_key(result.stdout) not in listing


@pytest.mark.parametrize(("arguments", "message"), [
    (["--role", "No Such Role"], "No SecurityRole has the name 'No Such Role'"),
    (["--role", "API", "--project", "no-such-project"], "No Project has the name 'no-such-project'"),
])
def test_user_add_refuses_unknown_roles_and_projects_and_creates_nothing(api, cli, arguments, message):
    name = f"nobody-{uuid.uuid4().hex[:8]}"
    result = cli("user", "add", name, *arguments, check=False)
    assert result.returncode == 1 and message in result.stderr
    assert api.query(f'select id from User where username is "{name}"') == []


def test_user_add_refuses_a_taken_name_and_a_project_without_role(server, cli):
    result = cli("user", "add", server.api_user, check=False)
    assert result.returncode == 1 and "already exists" in result.stderr
    result = cli("user", "add", "someone", "--project", "p", check=False)
    assert result.returncode == 2 and "give --role first" in result.stderr


def test_user_disable_and_enable_take_effect_on_the_running_server(server, cli):
    name = f"leaver-{uuid.uuid4().hex[:8]}"
    key = printed_key(cli("user", "add", name).stdout)
    assert works(server, name, key)
    assert cli("user", "disable", name).stdout.strip() == f"Disabled user {name}."
    assert not works(server, name, key)
    assert f"{name}\tdisabled\t-" in cli("user", "list").stdout
    cli("user", "enable", name)
    assert works(server, name, key)


def test_key_reset_replaces_the_key_on_the_running_server(server, cli):
    name = f"rotated-{uuid.uuid4().hex[:8]}"
    old = printed_key(cli("user", "add", name).stdout)
    result = cli("key", "reset", name)
    new = printed_key(result.stdout)
    assert new != old and "the old key no longer works" in result.stdout
    assert not works(server, name, old)
    assert works(server, name, new)
    missing = cli("key", "reset", "no-such-user", check=False)
    assert missing.returncode == 1 and "No User has the username 'no-such-user'" in missing.stderr


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_server_warns_about_plain_http_beyond_loopback(tmp_path, backend, host, warned):
    from clapboard.cli.server import is_loopback, plain_http_warning

    assert is_loopback(host) is not warned
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("studio.example.com")
    command = [sys.executable, "-m", "clapboard", "server", "--data-dir", str(tmp_path), "--host", host, "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
    try:
        for line in process.stdout:
            if line.startswith("Press Ctrl+C"):
                break
    finally:
        process.terminate()
        stderr = process.communicate(timeout=60)[1]
    warning = plain_http_warning(host, 0).splitlines()[0]  # names the host, not the port
    assert (warning in stderr) is warned, stderr
    if warned:
        assert "TLS-terminating proxy" in stderr and "reverse-proxy" in stderr
