"""The real ftrack Python client (ftrack-python-api 3.1.0) against clapboard_server.

Each test runs one script of ``scripts/`` in the client's own virtual
environment; the script asserts its outcomes and its output is shown when it
fails. The scripts use unique project names, so they share one server. They
exercise the wire protocol, not the database, so they run on SQLite only.
"""

import pytest
from ftrack_harness import SCRIPTS, run_ftrack_script

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


def test_every_script_has_a_test():
    """A script added to scripts/ without a test here would never run."""
    tested = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    scripts = {path.stem for path in SCRIPTS.glob("*.py")}
    assert scripts <= tested, f"scripts without a test: {sorted(scripts - tested)}"
