"""``clapboard shell`` driven in a real terminal (tmux) against the embedded server."""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from live_server import new_session

pytestmark = pytest.mark.backends("sqlite")  # the shell is client code: one backend is enough

#: Longest wait for text to appear in the terminal, in seconds.
DEADLINE = 60


class Terminal:
    """A tmux server of its own running one bash, whose screen tests read."""

    def __init__(self, folder, environment):
        self.socket = str(folder / "tmux.sock")
        self.environment = environment
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "test", "-x", "200", "-y", "60",
                   "bash --norc --noprofile")
        self.type("export PS1='$ '")

    def _tmux(self, *arguments):
        return subprocess.run(
            ["tmux", "-S", self.socket, *arguments], env=self.environment, check=True,
            capture_output=True, text=True,
        ).stdout

    def screen(self):
        """Return the terminal's text: the visible screen and the scroll-back, wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-2000", "-t", "test")

    def type(self, text, enter=True):
        self._tmux("send-keys", "-t", "test", "-l", text)
        if enter:
            self.press("Enter")

    def press(self, key):
        self._tmux("send-keys", "-t", "test", key)

    def wait_for(self, text, after=""):
        """Wait until *text* shows (after the last occurrence of *after*); return the screen from there."""
        deadline = time.monotonic() + DEADLINE
        while True:
            screen = self.screen()
            tail = screen[screen.rfind(after):] if after else screen
            if text in tail:
                return tail
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear within {DEADLINE} s; the terminal shows:\n{screen}")
            time.sleep(0.05)  # polling interval, not a wait for behaviour

    def close(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], env=self.environment, capture_output=True, check=False)


@pytest.fixture
def shot_tasks(server):
    """A project with sq010/sh020/compositing; return the project name."""
    project_name = f"shell_{uuid.uuid4().hex[:8]}"
    with new_session(server) as session:
        project = session.create("Project", {
            "name": project_name, "full_name": project_name,
            "project_schema": session.query("ProjectSchema").first(),
        })
        sequence = session.create("Sequence", {"name": "sq010", "parent": project})
        shot = session.create("Shot", {"name": "sh020", "parent": sequence})
        session.create("Task", {"name": "compositing", "parent": shot, "description": "hero shot"})
        session.commit()
    return project_name


@pytest.fixture
def terminal(server, tmp_path):
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is required (.ci/run installs it)")
    source = os.path.join(os.path.dirname(__file__), "..", "..", "source")
    environment = dict(
        os.environ,
        PYTHONPATH=os.path.abspath(source),
        CLAPBOARD_SERVER=server.server_url,
        CLAPBOARD_API_USER=server.api_user,
        CLAPBOARD_API_KEY=server.api_key,
        CLAPBOARD_API_SCHEMA_CACHE_PATH=str(tmp_path / "schemas"),
        IPYTHONDIR=str(tmp_path / "ipython"),
        TERM="xterm-256color",
    )
    for name in ("CLAPBOARD_PROGRESS", "TMUX", "TMUX_PANE"):  # bars decided by the terminal; a tmux of our own
        environment.pop(name, None)
    terminal = Terminal(tmp_path, environment)
    try:
        yield terminal
    finally:
        terminal.close()


def test_shell_in_a_terminal(terminal, shot_tasks, server, tmp_path):
    (tmp_path / "plate.exr").write_bytes(b"pixels" * 50_000)
    terminal.type(f"cd {tmp_path} && {sys.executable} -m clapboard shell")
    terminal.wait_for("In [1]:")
    assert f"connected to {server.server_url} as {server.api_user}" in terminal.screen()

    # A query's first entity, in the readable form.
    terminal.type(
        f"""task = session.query('select name, link from Task where project.name is "{shot_tasks}"').first(); task"""
    )
    shown = terminal.wait_for("In [2]:", after="Out[1]:")
    assert '<Task "compositing" sq010/sh020 ' in shown
    assert re.search(r"\n  name += 'compositing'\n", shown), shown  # then one loaded attribute a line

    # Tab completes a partly typed key; closed, the line runs with the full key.
    terminal.type("task['descr", enter=False)
    terminal.press("Tab")
    terminal.wait_for("task['description", after="In [2]:")
    terminal.type("']")
    assert "Out[2]: 'hero shot'" in terminal.wait_for("In [3]:", after="In [2]:")

    # Long work shows a progress bar in the interactive shell.
    terminal.type(
        "component = session.create_component('plate.exr', location=session.get('Location', "
        "clapboard.symbol.SERVER_LOCATION_ID))"
    )
    shown = terminal.wait_for("In [4]:", after="In [3]:")
    assert "Adding to ftrack.server" in shown and "100%" in shown

    terminal.type("exit")
    terminal.wait_for("$ ", after="In [4]:")
    terminal.type("echo shell-stat''us=$?")
    terminal.wait_for("shell-status=0")

    # The same work in a script (the -c option) draws no bar, though attached to the terminal.
    terminal.type(
        f"{sys.executable} -m clapboard shell -c \"session.create_component('plate.exr', "
        "location=session.get('Location', clapboard.symbol.SERVER_LOCATION_ID)); print('script-' + 'done')\""
        "; echo script-stat''us=$?"  # the quotes keep the typed line from matching the output
    )
    terminal.wait_for("script-status=0")
    script_output = terminal.screen().rsplit("shell-status=0", 1)[1]
    assert "script-done" in script_output
    assert "Adding to" not in script_output and "%|" not in script_output
