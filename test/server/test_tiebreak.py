"""Ties in a query's ordering are broken the same way on every page (see
clapboard_server.query.tiebreak), and on SQLite without sorting what an index already orders."""

import uuid

import pytest
from clapboard_server.query import ast, select
from clapboard_server.query.compiled import CompiledSelect
from clapboard_server.query.parser import parse
from server_api import create, ref


@pytest.fixture
def tied_notes(api, make_project):
    """Seven notes on one project with the same content, and that content."""
    project = make_project()
    content = f"tied {uuid.uuid4().hex[:8]}"
    notes = [create("Note", content=content, parent=ref(project)) for _ in range(7)]
    api.call(*notes)
    return content, {note["entity_data"]["id"] for note in notes}


@pytest.mark.parametrize("direction", ["ascending", "descending"])
def test_pages_of_tied_rows_hold_every_row_once(api, tied_notes, direction):
    content, ids = tied_notes
    base = f'select id from Note where content is "{content}" order by content {direction}'
    pages = [api.call({"action": "query", "expression": f"{base} offset {offset} limit 3"})[0]["data"]
             for offset in (0, 3, 6)]
    seen = [row["id"] for page in pages for row in page]
    assert sorted(seen) == sorted(ids)  # no row twice, none missing
    assert seen == [row["id"] for row in api.query(base)]  # the pages follow the whole answer's order


def test_an_unordered_query_answers_in_primary_key_order(api, tied_notes):
    content, ids = tied_notes
    assert [row["id"] for row in api.query(f'select id from Note where content is "{content}"')] == sorted(ids)


@pytest.mark.backends("sqlite")
@pytest.mark.in_process
def test_sqlite_reads_an_assets_latest_versions_in_index_order(server, api, make_project):
    """``order by version descending limit 3`` reads the (asset, version) index backwards and
    stops: no temporary sort of every version (the tiebreak is the rowid every index ends with)."""
    project = make_project()
    asset_type = api.one('select id from AssetType where short is "geo"')
    asset = create("Asset", name="hero", parent=ref(project), type=ref(asset_type))
    versions = [create("AssetVersion", asset=ref(asset), version=number) for number in range(1, 6)]
    api.call(asset, *versions)
    asset_id = asset["entity_data"]["id"]
    expression = f'select version from AssetVersion where asset_id is "{asset_id}" order by version descending limit 3'
    assert [row["version"] for row in api.query(expression)] == [5, 4, 3]

    database = server.server.database
    query = parse(expression)
    assert isinstance(query, ast.Query)
    prepared = select.prepare(database.catalog, query, server.server.policy.rules(None, None))
    compiled = CompiledSelect(prepared.statement, database.engine.dialect)
    with database.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.sql, compiled.parameters_of(())).all()
    steps = " / ".join(str(row[-1]) for row in plan)
    assert "TEMP B-TREE" not in steps, steps
    assert "asset_id=?" in steps, steps
