"""The web view's data (passwords, sessions, failed logins) goes through backups, across backends."""

from __future__ import annotations

import pytest
from clapboard.cli import main
from web_support import post_login


@pytest.mark.backends("postgresql")
def test_a_sqlite_backup_restored_into_postgresql_keeps_web_passwords(server_factory, database_url, backend,
                                                                        tmp_path, capsys):
    from clapboard_server import embedded
    from clapboard_server.web import passwords

    with server_factory("sqlite") as original:
        passwords.set_password(original.server.database, original.api_user, "the admin's password")
        assert post_login(original.server_url, original.api_user, "the admin's password")[1].status_code == 303
        assert post_login(original.server_url, original.api_user, "a wrong guess")[1].status_code == 401
        assert main(["backup", str(tmp_path / "backup"), "--data-dir", str(original.data_dir)]) == 0
    assert main(["restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "restored"),
                 "--database", database_url]) == 0
    with embedded.start(data_dir=tmp_path / "restored", database=database_url) as restored:
        assert post_login(restored.server_url, restored.api_user, "a wrong guess")[1].status_code == 401
        client, response = post_login(restored.server_url, restored.api_user, "the admin's password")
        assert response.status_code == 303
        assert client.get(f"{restored.server_url}/", allow_redirects=False, timeout=30).status_code == 200
    capsys.readouterr()
