"""Indexes: an existing database gains the indexes its schema files declare since it was made."""

from __future__ import annotations

import sqlalchemy as sa
from clapboard_server.server import Server


def _index_names(server: Server, table: str) -> set[str]:
    return {index["name"] for index in sa.inspect(server.database.engine).get_indexes(table)}


def test_restart_creates_indexes_missing_from_existing_tables(backend, database_url, tmp_path):
    server = Server(tmp_path / "data", database_url=database_url)
    server.prepare()
    declared = {index.name for index in server.database.tables["context"].indexes}
    assert {"ix_context_project_id_status_id", "uq_context_name"} <= _index_names(server, "context")
    with server.database.engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_context_project_id_status_id")
        connection.exec_driver_sql("DROP INDEX uq_context_name")
    assert "ix_context_project_id_status_id" not in _index_names(server, "context")
    server.close()

    restarted = Server(tmp_path / "data", database_url=database_url)
    restarted.prepare()
    try:
        assert declared <= _index_names(restarted, "context")
    finally:
        restarted.close()
