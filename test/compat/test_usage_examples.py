"""Every example of the documentation's "Usage examples" chapter, run with the real ftrack
client (ftrack-python-api 3.1.0) against clapboard_server.

The examples are scripts/usage_examples.py, one function per heading; the test of each runs
it in the client's environment. test/client/test_docs_usage_examples.py runs the same code with
clapboard; both files hold a test per example.
"""

import ast
import importlib.util
import uuid
from pathlib import Path

import pytest
from ftrack_harness import SCRIPTS, run_ftrack_script

pytestmark = pytest.mark.backends("sqlite")


def _run(ftrack_python, server, name):
    run_ftrack_script(ftrack_python, server, "usage_examples", name)


def test_creating_a_project(ftrack_python, server):
    _run(ftrack_python, server, "creating_a_project")


def test_working_with_components(ftrack_python, server):
    _run(ftrack_python, server, "working_with_components")


def test_using_metadata(ftrack_python, server):
    _run(ftrack_python, server, "using_metadata")


def test_using_custom_attributes(ftrack_python, server):
    _run(ftrack_python, server, "using_custom_attributes")


def test_set_attributes_on_new_entities(ftrack_python, server):
    _run(ftrack_python, server, "set_attributes_on_new_entities")


def test_hierarchical_attributes(ftrack_python, server):
    _run(ftrack_python, server, "hierarchical_attributes")


def test_validation(ftrack_python, server):
    _run(ftrack_python, server, "validation")


def test_managing_custom_attribute_configurations(ftrack_python, server):
    _run(ftrack_python, server, "managing_custom_attribute_configurations")


def test_global_or_project_specific(ftrack_python, server):
    _run(ftrack_python, server, "global_or_project_specific")


def test_entity_types(ftrack_python, server):
    _run(ftrack_python, server, "entity_types")


def test_custom_attribute_configuration_types(ftrack_python, server):
    _run(ftrack_python, server, "custom_attribute_configuration_types")


def test_changing_default(ftrack_python, server):
    _run(ftrack_python, server, "changing_default")


def test_security_roles(ftrack_python, server):
    _run(ftrack_python, server, "security_roles")


def test_custom_attribute_groups(ftrack_python, server):
    _run(ftrack_python, server, "custom_attribute_groups")


def test_using_link_attributes(ftrack_python, server):
    _run(ftrack_python, server, "using_link_attributes")


def test_using_scopes(ftrack_python, server):
    _run(ftrack_python, server, "using_scopes")


def test_managing_jobs(ftrack_python, server):
    _run(ftrack_python, server, "managing_jobs")


def test_job_attachments(ftrack_python, server):
    _run(ftrack_python, server, "job_attachments")


def test_using_notes(ftrack_python, server):
    _run(ftrack_python, server, "using_notes")


def test_note_attachments(ftrack_python, server):
    _run(ftrack_python, server, "note_attachments")


def test_using_lists(ftrack_python, server):
    _run(ftrack_python, server, "using_lists")


def test_using_timers(ftrack_python, server):
    _run(ftrack_python, server, "using_timers")


def test_working_with_assignments_and_allocations(ftrack_python, server):
    _run(ftrack_python, server, "working_with_assignments_and_allocations")


def test_using_entity_links(ftrack_python, server):
    _run(ftrack_python, server, "using_entity_links")


def test_using_asset_version_link_shortcut(ftrack_python, server):
    _run(ftrack_python, server, "using_asset_version_link_shortcut")


def test_publishing_versions(ftrack_python, server):
    _run(ftrack_python, server, "publishing_versions")


def test_query_task_templates(ftrack_python, server):
    _run(ftrack_python, server, "query_task_templates")


def test_apply_a_task_template(ftrack_python, server):
    _run(ftrack_python, server, "apply_a_task_template")



def test_sync_users_with_ldap(ftrack_python, server, monkeypatch):
    """Against a stand-in directory: an LDIF file the server's ``ldap.directory`` names."""
    from clapboard_server import ldap_sync, settings

    spec = importlib.util.spec_from_file_location("usage_examples", SCRIPTS / "usage_examples.py")
    examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(examples)
    usernames = [f"ldap_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    monkeypatch.setenv("USAGE_LDAP_USERS", ",".join(usernames))
    path = str(server.data_dir / "ldap-directory.ldif")
    settings.put(server.server.database, ldap_sync.DIRECTORY_SETTING, path)
    examples.write_ldap_directory(path, usernames)
    _run(ftrack_python, server, "sync_users_with_ldap")


def _example_names():
    tree = ast.parse((SCRIPTS / "usage_examples.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXAMPLES":
            return {element.id for element in node.value.generators[0].iter.elts}
    raise AssertionError("EXAMPLES not found")


def _test_names(path):
    tree = ast.parse(Path(path).read_text())
    return {node.name[len("test_"):] for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_usage_example_has_a_test_with_both_clients():
    examples = _example_names()
    client = Path(__file__).resolve().parents[1] / "client" / "test_docs_usage_examples.py"
    for path in (__file__, client):
        missing = examples - _test_names(path)
        assert not missing, f"{Path(path).name} lacks tests for {sorted(missing)}"
