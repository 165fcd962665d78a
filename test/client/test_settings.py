"""Credentials from a ``.env`` file when the environment lacks them."""

import clapboard
import pytest
from clapboard.settings import parse_env_file


def test_parse_env_file():
    text = """
    # comment
    export CLAPBOARD_SERVER=http://host:8080
    CLAPBOARD_API_USER = 'jane'
    CLAPBOARD_API_KEY="a b c"
    OTHER=value # trailing comment
    not a setting
    """
    assert parse_env_file(text) == {
        "CLAPBOARD_SERVER": "http://host:8080", "CLAPBOARD_API_USER": "jane",
        "CLAPBOARD_API_KEY": "a b c", "OTHER": "value",
    }


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("CLAPBOARD_SERVER", "FTRACK_SERVER", "CLAPBOARD_API_USER", "FTRACK_API_USER",
                 "CLAPBOARD_API_KEY", "FTRACK_API_KEY", "FTRACK_APIKEY", "CLAPBOARD_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_session_reads_credentials_from_env_file(server, tmp_path, clean_environment):
    env_file = tmp_path / "studio.env"
    env_file.write_text(
        f"CLAPBOARD_SERVER={server.server_url}\nCLAPBOARD_API_USER={server.api_user}\n"
        f"CLAPBOARD_API_KEY={server.api_key}\n"
    )
    clean_environment.setenv("CLAPBOARD_ENV_FILE", str(env_file))
    with clapboard.Session(schema_cache_path=False) as session:
        assert session.server_url == server.server_url
        assert session.query("ProjectSchema").first() is not None


def test_environment_wins_over_env_file(server, tmp_path, clean_environment):
    (tmp_path / ".env").write_text("CLAPBOARD_SERVER=http://127.0.0.1:9\nCLAPBOARD_API_USER=nobody\n")
    clean_environment.chdir(tmp_path)
    clean_environment.setenv("CLAPBOARD_SERVER", server.server_url)
    clean_environment.setenv("CLAPBOARD_API_USER", server.api_user)
    clean_environment.setenv("CLAPBOARD_API_KEY", server.api_key)
    with clapboard.Session(schema_cache_path=False) as session:
        assert session.server_url == server.server_url
