"""Every example of the documentation's "Usage examples" chapter, run with clapboard.

The examples live in test/compat/scripts/usage_examples.py, written against the ftrack API
that clapboard mirrors; test/compat/test_usage_examples.py runs the same code with the real
ftrack client. Each test is named after the chapter's heading.
"""

import importlib.util
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

