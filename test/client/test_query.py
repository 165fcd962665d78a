"""Query expression helpers."""

import datetime

import arrow
from clapboard.query import QueryResult, quote, split_paging


def test_split_paging():
    assert split_paging("select id from User offset 5 limit 10") == ("select id from User", 5, 10)
    assert split_paging("User limit 3") == ("User", None, 3)
    assert split_paging("User  where  name is x") == ("User where name is x", None, None)
    assert split_paging('User where name is "offset 5" limit 1') == ('User where name is "offset 5"', None, 1)
    assert split_paging("User LIMIT 2 OFFSET 1") == ("User", 1, 2)


def test_quote():
    assert quote("a") == '"a"'
    assert quote('a"b\\') == '"a\\"b\\\\"'
    assert quote(None) == "None"
    assert quote(True) == "True" and quote(False) == "False"
    assert quote(3) == "3" and quote(1.5) == "1.5"
    assert quote(arrow.get("2024-01-01T10:00:00.5+01:00")) == '"2024-01-01T09:00:00.500000"'
    assert quote(datetime.date(2024, 1, 1)) == '"2024-01-01T00:00:00"'


def test_query_result_is_lazy_and_documented(session, fake_server):
    result = session.query("User")
    assert isinstance(result, QueryResult)
    assert fake_server.queries == []
    assert "User" in repr(result)
    assert QueryResult.OFFSET_EXPRESSION.search("x offset 4").group("value") == "4"
    assert QueryResult.LIMIT_EXPRESSION.search("x limit 2").group("value") == "2"
    assert result.all() == [] and len(result) == 0


def test_limit_zero(session, fake_server):
    fake_server.query_handler = lambda expression: [{"__entity_type__": "User", "id": "u1"}]
    assert session.query("User limit 0").all() == []
