"""Plugin discovery, plugin paths and arguments, the session's events, the default plugins."""

import logging
import os
import textwrap
from pathlib import Path

import clapboard
import pytest
from clapboard import plugin
from clapboard.event.base import Event
from clapboard.transport import MockTransport


def test_discover_passes_accepted_arguments(tmp_path, caplog):
    (tmp_path / "a.py").write_text("calls = []\ndef register(session, flag=False):\n    import builtins\n    builtins._clapboard_test_calls.append((session, flag))\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("def register(session, **kw):\n    import builtins\n    builtins._clapboard_test_calls.append((session, kw))\n")
    (tmp_path / "no_register.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "notes.txt").write_text("not a plugin")
    import builtins

    builtins._clapboard_test_calls = []
    with caplog.at_level(logging.WARNING, logger="clapboard.plugin"):
        plugin.discover([str(tmp_path), "/does/not/exist"], ["session"], {"flag": True, "other": 1})
    calls = builtins._clapboard_test_calls
    del builtins._clapboard_test_calls
    assert ("session", True) in calls
    assert ("session", {"flag": True, "other": 1}) in calls
    assert "does not accept arguments" in caplog.text
    assert "Failed to load plugin" in caplog.text


# -- sessions and plugins ---------------------------------------------------------------------------
DEFAULT_PLUGINS = Path(__file__).resolve().parents[2] / "resource" / "plugin"

RECORDING_PLUGIN = """
import builtins


def register(session, label="none"):
    calls = builtins._clapboard_plugin_calls
    calls.append(("register", label))
    for topic in ("construct-entity-type", "configure-location", "ready", "reset"):
        session.event_hub.subscribe(
            f"topic=ftrack.api.session.{topic}",
            lambda event, topic=topic: calls.append((topic, event["data"].get("session") is session)),
        )
"""


@pytest.fixture
def calls():
    import builtins

    builtins._clapboard_plugin_calls = []
    yield builtins._clapboard_plugin_calls
    del builtins._clapboard_plugin_calls


@pytest.fixture
def make_session(fake_server, monkeypatch):
    monkeypatch.delenv("CLAPBOARD_EVENT_PLUGIN_PATH", raising=False)
    monkeypatch.delenv("FTRACK_EVENT_PLUGIN_PATH", raising=False)
    sessions = []

    def make(**options):
        session = clapboard.Session(
            "http://clapboard.test", "api-key", "tester", transport=MockTransport(fake_server),
            schema_cache_path=False, **options,
        )
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def write_plugin(folder, name="recording.py", text=RECORDING_PLUGIN):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return str(folder)


def test_session_events_in_order(make_session, calls, tmp_path, fake_server):
    session = make_session(plugin_paths=[write_plugin(tmp_path)], plugin_arguments={"label": "x", "unused": 1})
    in_order = [call for call in calls if call[0] != "construct-entity-type"]  # classes may be built lazily
    assert in_order == [("register", "x"), ("configure-location", True), ("ready", True)]
    assert session.types["User"].entity_type == "User"
    assert ("construct-entity-type", False) in calls  # its data holds the schema, not the session
    session.reset()
    assert calls[-1] == ("reset", True)


def test_plugin_path_environment_variables(make_session, calls, tmp_path, monkeypatch):
    first = write_plugin(tmp_path / "first", text=RECORDING_PLUGIN.replace('"register"', '"first"'))
    second = write_plugin(tmp_path / "second", text=RECORDING_PLUGIN.replace('"register"', '"second"'))
    ftrack = write_plugin(tmp_path / "ftrack", text=RECORDING_PLUGIN.replace('"register"', '"ftrack"'))
    monkeypatch.setenv("FTRACK_EVENT_PLUGIN_PATH", ftrack)
    make_session()
    assert [call for call in calls if call[1] == "none"] == [("ftrack", "none")]
    calls.clear()
    monkeypatch.setenv("CLAPBOARD_EVENT_PLUGIN_PATH", os.pathsep.join([first, second]))
    make_session()
    assert [call for call in calls if call[1] == "none"] == [("first", "none"), ("second", "none")]
    calls.clear()
    make_session(plugin_paths=[])  # an explicit list overrides the environment
    assert calls == []


def test_default_plugins(make_session, fake_server):
    session = make_session(plugin_paths=[str(DEFAULT_PLUGINS)])
    schema = next(schema for schema in fake_server.schemas if schema["id"] == "User")
    results = session.event_hub.publish(
        Event("ftrack.api.session.construct-entity-type", data={"schema": schema, "schemas": fake_server.schemas}),
        synchronous=True,
    )
    assert len(results) == 1 and results[0].entity_type == "User"
    assert session.types["User"].entity_type == "User" and session.types["User"] is not results[0]
    user = session.create("User", {"username": "jdoe"})
    assert isinstance(user, session.types["User"])
    subscriptions = [str(s.subscription) for s in session.event_hub._subscribers]
    assert "topic=ftrack.api.session.configure-location" in subscriptions


def test_default_plugins_ignore_other_callers():
    plugin.discover([str(DEFAULT_PLUGINS)], ["not a session"])  # the legacy API passes a registry
