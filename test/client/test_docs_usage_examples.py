"""Every example of the documentation's "Usage examples" chapter, run with clapboard.

The examples live in test/compat/scripts/usage_examples.py, written against the ftrack API
that clapboard mirrors; test/compat/test_usage_examples.py runs the same code with the real
ftrack client. Each test is named after the chapter's heading.
"""

import importlib.util
import os
import subprocess
import uuid
from pathlib import Path

import arrow
import clapboard
import clapboard.exception
import external_server
import pytest
from live_server import new_session

_SCRIPT = Path(__file__).resolve().parents[1] / "compat" / "scripts" / "usage_examples.py"
_spec = importlib.util.spec_from_file_location("usage_examples", _SCRIPT)
usage_examples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(usage_examples)


@pytest.fixture
def run_example(server):
    def run(name):
        usage_examples.run(clapboard, arrow, lambda: new_session(server), name)
    return run


def test_creating_a_project(run_example):
    run_example("creating_a_project")


def test_working_with_components(run_example):
    run_example("working_with_components")


def test_using_metadata(run_example):
    run_example("using_metadata")


def test_using_custom_attributes(run_example):
    run_example("using_custom_attributes")


def test_set_attributes_on_new_entities(run_example):
    run_example("set_attributes_on_new_entities")


def test_hierarchical_attributes(run_example):
    run_example("hierarchical_attributes")


def test_validation(run_example):
    run_example("validation")


def test_managing_custom_attribute_configurations(run_example):
    run_example("managing_custom_attribute_configurations")


def test_global_or_project_specific(run_example):
    run_example("global_or_project_specific")


def test_entity_types(run_example):
    run_example("entity_types")


def test_custom_attribute_configuration_types(run_example):
    run_example("custom_attribute_configuration_types")


def test_changing_default(run_example):
    run_example("changing_default")


def test_security_roles(run_example):
    run_example("security_roles")


def test_custom_attribute_groups(run_example):
    run_example("custom_attribute_groups")


def test_using_link_attributes(run_example):
    run_example("using_link_attributes")


def test_using_scopes(run_example):
    run_example("using_scopes")


def test_managing_jobs(run_example):
    run_example("managing_jobs")


def test_job_attachments(run_example):
    run_example("job_attachments")


def test_using_notes(run_example):
    run_example("using_notes")


def test_note_attachments(run_example):
    run_example("note_attachments")


def test_using_lists(run_example):
    run_example("using_lists")


def test_using_timers(run_example):
    run_example("using_timers")


def test_working_with_assignments_and_allocations(run_example):
    run_example("working_with_assignments_and_allocations")


def test_using_entity_links(run_example):
    run_example("using_entity_links")


def test_using_asset_version_link_shortcut(run_example):
    run_example("using_asset_version_link_shortcut")


def test_publishing_versions(run_example):
    run_example("publishing_versions")


def test_query_task_templates(run_example):
    run_example("query_task_templates")


def test_apply_a_task_template(run_example):
    run_example("apply_a_task_template")



def test_sync_users_with_ldap(run_example, server, monkeypatch):
    """Against a stand-in directory: an LDIF file the server's ``ldap.directory`` names."""
    usernames = [f"ldap_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    monkeypatch.setenv("USAGE_LDAP_USERS", ",".join(usernames))
    stand_in_directory(server, usernames, usage_examples)
    run_example("sync_users_with_ldap")
    run_example("sync_users_with_ldap")  # a second sync updates the same users


def stand_in_directory(server, usernames, examples):
    """Point ``server`` at an LDIF file holding ``usernames``: in this process when it runs the
    server, else with ``clapboard ldap directory`` run by the server's Python (on SQLite)."""
    path = server.data_dir / "ldap-directory.ldif"
    examples.write_ldap_directory(path, usernames)
    python = external_server.external_python()
    if python is None:
        from clapboard_server import ldap_sync, settings

        settings.put(server.server.database, ldap_sync.DIRECTORY_SETTING, str(path))
        return
    environment = dict(os.environ, PYTHONPATH=str(external_server.SOURCE))
    subprocess.run([python, "-m", "clapboard", "ldap", "directory", str(path), "--data-dir", str(server.data_dir)],
                   check=True, env=environment, capture_output=True)


def test_changing_default_keeps_existing_values_of_the_configured_entities_only(server):
    """A project-specific Shot attribute: existing shots of that project keep the old default,
    a shot with its own value keeps it, new shots get the new default."""
    with new_session(server) as session:
        ctx = usage_examples.Context(clapboard, lambda: new_session(server))
        ctx.session.close()
        ctx.session = session
        project, shot, task = ctx.project()
        _other_project, other_shot, _ = ctx.project()
        key = f"shot_number_{uuid.uuid4().hex[:6]}"
        configuration = usage_examples._configuration(
            session, key, "number", object_type="Shot", default=1, project_id=project["id"])
        own = session.create("Shot", {"name": "020", "parent": shot["parent"]})
        session.commit()
        own["custom_attributes"][key] = 7
        session.commit()
        configuration["default"] = 2
        session.commit()
        new = session.create("Shot", {"name": "030", "parent": shot["parent"]})
        session.commit()
    with new_session(server) as check:
        values = [check.get("Shot", entity["id"])["custom_attributes"][key] for entity in (shot, own, new)]
        assert values == [1, 7, 2]
        assert key not in check.get("Shot", other_shot["id"])["custom_attributes"]
        assert key not in check.get("Task", task["id"])["custom_attributes"]
        stored = check.query(f'CustomAttributeValue where configuration_id is "{configuration["id"]}"').all()
        assert sorted(value["entity_id"] for value in stored) == sorted([shot["id"], own["id"]])
