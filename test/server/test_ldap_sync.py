"""Synchronising users from a directory: the ``SYNC_USERS_LDAP`` delayed job, its LDIF
reader and ``clapboard ldap directory`` (the usage example itself, with both clients, is in
test/client/test_docs_usage_examples.py and test/compat/test_usage_examples.py)."""

import importlib.util
from pathlib import Path

import clapboard
import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "compat" / "scripts" / "usage_examples.py"
_spec = importlib.util.spec_from_file_location("usage_examples", _SCRIPT)
EXAMPLES = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(EXAMPLES)


def new_session(server):
    return clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False)


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


def test_clapboard_ldap_directory_command(server_factory, tmp_path, capsys):
    """``clapboard ldap directory PATH`` configures the sync a client then triggers."""
    from clapboard.cli import main

    directory = tmp_path / "people.ldif"
    EXAMPLES.write_ldap_directory(directory, ["cli_person"])
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
