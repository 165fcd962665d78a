"""The real ftrack Python client (ftrack-python-api 3.1.0) against clapboard_server.

Each test runs one script of ``scripts/`` in the client's own virtual
environment; the script asserts its outcomes and its output is shown when it
fails. The scripts use unique project names, so they share one server. They
exercise the wire protocol, not the database, so they run on SQLite only.
"""

import re
import threading
import time
import uuid
from pathlib import Path

import clapboard
import pytest
from clapboard.event.base import Event
from ftrack_harness import SCRIPT_TIMEOUT, SCRIPTS, run_ftrack_script

pytestmark = pytest.mark.backends("sqlite")


def test_tutorial(ftrack_python, server):
    """The tutorial: entity types, querying projects, creating sequences."""
    run_ftrack_script(ftrack_python, server, "tutorial")


def test_creating_project(ftrack_python, server):
    """The "Creating a project" example: 4 sequences x 4 shots x 4 tasks in one commit."""
    run_ftrack_script(ftrack_python, server, "creating_project")


def test_queries(ftrack_python, server):
    """Criteria, has/any, projections, order by, limit and offset."""
    run_ftrack_script(ftrack_python, server, "queries")


def test_paging(ftrack_python, server):
    """2,000 tasks fetched in pages of 500."""
    run_ftrack_script(ftrack_python, server, "paging")


def test_update_delete(ftrack_python, server):
    """Updates and deletions seen from new sessions."""
    run_ftrack_script(ftrack_python, server, "update_delete")


def test_get_ensure_populate(ftrack_python, server):
    """Session.get, Session.ensure and Session.populate."""
    run_ftrack_script(ftrack_python, server, "get_ensure_populate")


def test_integrity(ftrack_python, server):
    """Required attributes checked when the batch ends and never None, unique project names,
    validated and typed custom attribute values, statuses within the workflow."""
    run_ftrack_script(ftrack_python, server, "integrity")


def test_server_location(ftrack_python, server):
    """A file added to ftrack.server (signed upload), downloaded by URL and accessor, removed."""
    run_ftrack_script(ftrack_python, server, "server_location")


def test_usage_behaviours(ftrack_python, server):
    """Issue 11's behaviours with the ftrack client: microseconds kept (and ensure matching),
    create_note's category kept, unset attributes staying NOT_SET, Metadata keys from
    dict.values()."""
    run_ftrack_script(ftrack_python, server, "usage_behaviours")


def test_usage_examples():
    """scripts/usage_examples.py is run, one example per test, by test_usage_examples.py."""
    assert (SCRIPTS.parent / "test_usage_examples.py").is_file()


def test_every_script_has_a_test():
    """A script added to scripts/ without a test in a test module here would never run."""
    tested = {
        name
        for module in Path(__file__).parent.glob("test_*.py")
        for name in re.findall(r"^def test_(\w+)\(", module.read_text(encoding="utf-8"), re.MULTILINE)
    }
    scripts = {path.stem for path in SCRIPTS.glob("*.py")}
    assert scripts <= tested, f"scripts without a test: {sorted(scripts - tested)}"


def test_event_hub(ftrack_python, server):
    """The ftrack client's event hub receives a clapboard event and the ftrack.update of a
    clapboard commit; its automatic reply reaches clapboard's on_reply."""
    name = f"event_hub_{uuid.uuid4().hex}"
    session = clapboard.Session(
        server.server_url, server.api_key, server.api_user, auto_connect_event_hub=True, schema_cache_path=False
    )
    hub = session.event_hub
    ready, replies, failures = [], [], []
    hub.subscribe("topic=compat.ftrack-ready", ready.append)
    assert hub.flush(30), "clapboard's event hub did not connect"

    def run():
        try:
            run_ftrack_script(ftrack_python, server, "event_hub", name)
        except BaseException as error:  # noqa: BLE001 - reported by the test's thread
            failures.append(error)

    script = threading.Thread(target=run)
    script.start()
    try:
        _handle_until(hub, lambda: ready or not script.is_alive())
        if ready:
            hub.publish(Event("compat.from-clapboard", data={"greeting": "hello"},
                              source={"applicationId": "clapboard.test"}), on_reply=replies.append)
            schema = session.query("ProjectSchema").first()
            session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
            session.commit()
            _handle_until(hub, lambda: replies or not script.is_alive())
    finally:
        script.join(SCRIPT_TIMEOUT)
        session.close()
    if failures:
        raise failures[0]
    assert replies and replies[0]["data"] == {"seen_by": "ftrack", "greeting": "hello"}
    assert replies[0]["in_reply_to_event"] and replies[0]["source"]["user"]["username"] == server.api_user


def _handle_until(hub, predicate, timeout=SCRIPT_TIMEOUT):
    """Handle *hub*'s events until *predicate* holds (fail after *timeout* seconds)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        hub.wait(0.05)


def test_security_roles(ftrack_python, server):
    """The "Working with user security roles" example; the user then works with its grants."""
    run_ftrack_script(ftrack_python, server, "security_roles")


def test_viewer(ftrack_python, server):
    """A Viewer reads a granted project with the ftrack client but cannot commit."""
    run_ftrack_script(ftrack_python, server, "viewer")
