"""CompiledSelect: a statement compiled once and run on the driver's cursor converts and binds
as SQLAlchemy does (on a real SQLite database)."""

import datetime
import itertools

import pytest
import sqlalchemy as sa
from clapboard_server.query.compiled import CompiledSelect

METADATA = sa.MetaData()
ITEMS = sa.Table("item", METADATA, sa.Column("id", sa.Text, primary_key=True), sa.Column("done", sa.Boolean),
                 sa.Column("at", sa.DateTime))
AT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)


@pytest.fixture
def connection():
    engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(ITEMS.insert(), [{"id": "a", "done": True, "at": AT}, {"id": "b", "done": False, "at": None}])
        yield connection


def test_stand_ins_are_bound_per_run_and_results_converted(connection):
    statement = sa.select(ITEMS.c.id, ITEMS.c.done, ITEMS.c.at).where(ITEMS.c.id.in_(["stand-in-0", "b", "stand-in-1"]))
    compiled = CompiledSelect(statement.order_by(ITEMS.c.id), connection.dialect, {"stand-in-0": 0, "stand-in-1": 1})
    assert "stand-in" not in compiled.sql
    assert [tuple(row) for row in compiled.rows(connection, ["a", "zzz"])] == [("a", True, AT), ("b", False, None)]
    assert [tuple(row) for row in compiled.rows(connection, ["none", "zzz"])] == [("b", False, None)]


def test_a_value_computed_per_run_is_computed_at_each_run(connection):
    counter = itertools.count()
    compiled = CompiledSelect(sa.select(sa.bindparam("n", callable_=lambda: next(counter), type_=sa.Integer)),
                              connection.dialect)
    first, second = compiled.rows(connection)[0][0], compiled.rows(connection)[0][0]
    assert second == first + 1


def test_bound_values_are_converted_as_sqlalchemy_converts_them(connection):
    statement = sa.select(ITEMS.c.id).where(ITEMS.c.at == sa.bindparam("at", "stand-in", type_=sa.DateTime))
    compiled = CompiledSelect(statement, connection.dialect, {"stand-in": 0})
    assert [row[0] for row in compiled.rows(connection, [AT])] == ["a"]


def test_driver_errors_become_sqlalchemy_errors(connection):
    compiled = CompiledSelect(sa.select(sa.text("x")).select_from(sa.table("missing")), connection.dialect)
    with pytest.raises(sa.exc.OperationalError):
        compiled.rows(connection)
