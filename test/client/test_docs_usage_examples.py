"""Every example of the documentation's "Usage examples" chapter, run with clapboard.

The examples live in test/compat/scripts/usage_examples.py, written against the ftrack API
that clapboard mirrors; test/compat/test_usage_examples.py runs the same code with the real
ftrack client. Each test is named after the chapter's heading.
"""

import importlib.util
import uuid
from pathlib import Path

import arrow
import clapboard
import clapboard.exception
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
    """Point ``server`` at an LDIF file holding ``usernames``."""
    from clapboard_server import ldap_sync, settings

    path = str(server.data_dir / "ldap-directory.ldif")
    settings.put(server.server.database, ldap_sync.DIRECTORY_SETTING, path)
    examples.write_ldap_directory(path, usernames)


def test_sync_users_with_ldap_failures_are_reported_on_the_job(server_factory, tmp_path):
    """Not configured, or an unreadable directory: the Job fails with the reason; an unknown
    job type is refused."""
    import json

    import clapboard.exception
    from clapboard_server import ldap_sync, settings

    with server_factory("sqlite") as fresh, new_session(fresh) as session:
        job = session.call([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])[0]["data"]
        assert job["status"] == "failed" and "not configured" in json.loads(job["data"])["description"]
        settings.put(fresh.server.database, ldap_sync.DIRECTORY_SETTING, str(tmp_path / "missing.ldif"))
        job = session.call([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])[0]["data"]
        assert job["status"] == "failed" and "Cannot read the LDAP directory" in json.loads(job["data"])["description"]
        with new_session(fresh) as other:
            assert other.get("Job", job["id"])["status"] == "failed"
        with pytest.raises(clapboard.exception.ServerError, match="Unknown job_type"):
            session.call([{"action": "delayed_job", "job_type": "REBOOT"}])


def test_ldif_reader_folds_lines_and_decodes_base64():
    from clapboard_server.ldap_sync import read_ldif

    text = "dn: uid=a\nobjectClass: person\nuid: a\ncn:: w6lsw6hu\ndescription: long\n  line\n\n# comment\ndn: uid=b\n"
    assert read_ldif(text) == [
        {"dn": ["uid=a"], "objectClass": ["person"], "uid": ["a"], "cn": ["élèn"], "description": ["long line"]},
        {"dn": ["uid=b"]},
    ]


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


def test_clapboard_ldap_directory_command(server_factory, tmp_path, capsys):
    """``clapboard ldap directory PATH`` configures the sync a client then triggers."""
    from clapboard.cli import main

    directory = tmp_path / "people.ldif"
    usage_examples.write_ldap_directory(directory, ["cli_person"])
    with server_factory("sqlite") as fresh:
        options = ["--data-dir", str(fresh.data_dir)]
        assert main(["ldap", "directory", *options]) == 0
        assert "not configured" in capsys.readouterr().out
        assert main(["ldap", "directory", str(tmp_path / "missing.ldif"), *options]) == 1
        assert "is not a file" in capsys.readouterr().err
        assert main(["ldap", "directory", str(directory), *options]) == 0
        assert str(directory) in capsys.readouterr().out
        with new_session(fresh) as session:
            job = session.call([{"action": "delayed_job", "job_type": "SYNC_USERS_LDAP"}])[0]["data"]
            assert job["status"] == "done"
            assert session.query('User where username is "cli_person"').one()["email"] == "cli_person@example.org"
        assert main(["ldap", "directory", "--clear", *options]) == 0
        assert "not configured" in capsys.readouterr().out
