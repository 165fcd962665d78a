"""``clapboard user passwd`` sets web passwords; ``clapboard demo`` prints a working web login."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from server_process import environment
from web_support import DEMO_PROJECT, post_login


def clapboard(*arguments, stdin=""):
    return subprocess.run([sys.executable, "-m", "clapboard", *arguments], input=stdin, capture_output=True,
                          text=True, env=environment(), timeout=300, check=False)


def _storage_options(server):
    options = ["--data-dir", str(server.data_dir)]
    if not server.server.database.is_sqlite:
        options += ["--database", server.server.database.url]
    return options


def test_passwd_reads_the_password_from_standard_input(web_server):
    options = _storage_options(web_server)
    username = f"cli-{uuid.uuid4().hex[:8]}"
    assert clapboard("user", "add", username, "--role", "Viewer", *options).returncode == 0
    result = clapboard("user", "passwd", username, *options, stdin="first password\n")
    assert result.returncode == 0, result.stderr
    assert f"Set the web password of {username}" in result.stdout
    assert "first password" not in result.stdout + result.stderr
    client, response = post_login(web_server.server_url, username, "first password")
    assert response.status_code == 303
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 200

    changed = clapboard("user", "passwd", username, *options, stdin="second password\r\n")
    assert changed.returncode == 0, changed.stderr
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 303
    assert post_login(web_server.server_url, username, "first password")[1].status_code == 401
    assert post_login(web_server.server_url, username, "second password")[1].status_code == 303


@pytest.mark.parametrize(("password", "message"), [
    ("short", "A password needs 8 to 1024 characters."),
    ("", "A password needs 8 to 1024 characters."),
    ("         ", "A password cannot be only spaces."),
])
def test_passwd_refuses_unusable_passwords_and_keeps_the_old_one(web_server, web_user, password, message):
    username, old = web_user("Viewer")
    result = clapboard("user", "passwd", username, *_storage_options(web_server), stdin=password + "\n")
    assert result.returncode == 1
    assert result.stderr.strip() == f"clapboard: {message}"
    assert post_login(web_server.server_url, username, old)[1].status_code == 303


def test_passwd_of_an_unknown_user_fails(web_server):
    result = clapboard("user", "passwd", "nobody-here", *_storage_options(web_server), stdin="a password\n")
    assert result.returncode == 1
    assert result.stderr.strip() == "clapboard: No User has the username 'nobody-here'."


@pytest.mark.backends("sqlite")
def test_demo_prints_the_web_view_and_a_login_that_works(tmp_path, backend):
    from clapboard_server import embedded

    result = clapboard("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    found = re.search(r"^Web view: (http://127\.0\.0\.1:\d+)/ +log in as (\S+) with the password (\S+)$",
                      result.stdout, re.MULTILINE)
    assert found, result.stdout
    assert "clapboard demo --serve" in result.stdout
    username, password = found.group(2), found.group(3)
    assert username == "demo" and len(password) >= 12
    with embedded.start(data_dir=tmp_path) as server:  # the same data, served again
        client, response = post_login(server.server_url, username, password)
        assert response.status_code == 303
        page = client.get(f"{server.server_url}/", timeout=30).text
        assert f">{DEMO_PROJECT}</a>" in page


class _Terminal:
    """Standard input that is a terminal (``getpass`` is replaced: the test has no terminal)."""

    def isatty(self):
        return True

    def readline(self):
        raise AssertionError("a terminal's password is read with getpass, not from standard input")


def test_passwd_on_a_terminal_asks_twice(web_server, web_user, monkeypatch, capsys):
    from clapboard.cli import main

    username, old = web_user("Viewer")
    typed = []
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: (typed.append(prompt), answers.pop(0))[1])

    answers = ["typed password", "typed passwort"]
    assert main(["user", "passwd", username, *_storage_options(web_server)]) == 1
    assert capsys.readouterr().err == "clapboard: The passwords differ; nothing changed.\n"
    assert post_login(web_server.server_url, username, old)[1].status_code == 303

    answers = ["typed password", "typed password"]
    assert main(["user", "passwd", username, *_storage_options(web_server)]) == 0
    assert typed[-2:] == [f"New web password of {username}: ", "Repeat the password: "]
    assert post_login(web_server.server_url, username, "typed password")[1].status_code == 303


@pytest.mark.backends("sqlite")
def test_demo_serve_keeps_the_web_view_open_until_interrupted(tmp_path, backend):
    import signal

    errors = (tmp_path / "stderr.txt").open("w+")  # a file: the child can never block on a full pipe
    process = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "clapboard", "demo", "--serve",
                                "--data-dir", str(tmp_path / "data")],
                               stdout=subprocess.PIPE, stderr=errors, text=True, env=environment())

    def what_it_said():
        errors.seek(0)
        return errors.read()[-5000:]

    try:
        found = None
        for line in process.stdout:
            found = re.match(r"Web view: (\S+)/ +log in as (\S+) with the password (\S+)$", line.strip())
            if found:
                break
        assert found, what_it_said()
        assert process.stdout.readline().strip() == "Serving until Ctrl+C."
        client, response = post_login(found.group(1), found.group(2), found.group(3))
        assert response.status_code == 303
        assert f">{DEMO_PROJECT}</a>" in client.get(f"{found.group(1)}/", timeout=30).text
        client.close()
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=60) == 0, what_it_said()
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            process.wait(30)
            pytest.fail("clapboard demo --serve did not stop on Ctrl+C:\n" + what_it_said())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        errors.close()
