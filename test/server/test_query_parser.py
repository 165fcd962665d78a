"""Unit tests of the query-expression parser (wire protocol, section 6); no server needed."""

import threading
import time

import pytest
from clapboard_server.errors import ParseError
from clapboard_server.query import ast
from clapboard_server.query.parser import parse, parse_criteria


def show(node):
    """Render criteria (or a sub-query) compactly, without positions."""
    if isinstance(node, ast.Comparison):
        return f"({node.operator} {node.path} {node.value!r})"
    if isinstance(node, ast.Membership):
        inner = show(node.subquery) if node.subquery else repr(node.values)
        return f"({'not_in' if node.negated else 'in'} {node.path} {inner})"
    if isinstance(node, ast.Related):
        return f"({node.operator} {node.path} {show(node.criteria) if node.criteria else '()'})"
    if isinstance(node, (ast.And, ast.Or)):
        return f"({type(node).__name__.lower()} {' '.join(show(item) for item in node.items)})"
    if isinstance(node, ast.Not):
        return f"(not {show(node.item)})"
    if isinstance(node, ast.Query):
        projections = ", ".join(
            f"{p.function}({p.path})" if isinstance(p, ast.Aggregate) else str(p)
            for p in node.projections
        )
        where = f" where {show(node.criteria)}" if node.criteria else ""
        return f"[select {projections} from {node.entity_type}{where}]"
    raise TypeError(node)


def where(criteria):
    """The criteria of ``X where <criteria>``, rendered by :func:`show`."""
    return show(parse(f"X where {criteria}").criteria)


def paths(items):
    return [str(item.path if isinstance(item, (ast.OrderItem, ast.Aggregate)) else item)
            for item in items]


def error(expression, parser=parse):
    with pytest.raises(ParseError) as info:
        parser(expression)
    return info.value


# --- query structure -------------------------------------------------------------------------


def test_bare_type_has_no_projections():
    query = parse("Task")
    assert query == ast.Query("Task")
    assert query.projections == ()


def test_bare_type_with_criteria():
    query = parse('Task where name is "x"')
    assert query.entity_type == "Task" and query.projections == ()
    assert show(query.criteria) == "(= name 'x')"


def test_select_projections_are_dotted_paths():
    query = parse("select name, status.state.short, parent.parent.name from Task")
    assert query.entity_type == "Task"
    assert paths(query.projections) == ["name", "status.state.short", "parent.parent.name"]
    assert query.projections[1].segments == (
        ast.Segment("status"), ast.Segment("state"), ast.Segment("short"),
    )


@pytest.mark.parametrize("function", ["count", "sum", "avg", "min", "max", "COUNT", "Sum"])
def test_aggregate_projection(function):
    query = parse(f"select {function}(bid), project_id from Task group by project_id")
    aggregate = query.projections[0]
    assert isinstance(aggregate, ast.Aggregate)
    assert aggregate.function == function.lower()
    assert str(aggregate.path) == "bid"
    assert str(query.projections[1]) == "project_id"


def test_aggregate_with_spaces_and_function_names_as_attributes():
    query = parse("select count ( id ), count, max.value from Task")
    assert isinstance(query.projections[0], ast.Aggregate)
    assert paths(query.projections) == ["id", "count", "max.value"]
    assert all(isinstance(p, ast.Path) for p in query.projections[1:])


def test_group_by_example_from_spec():
    query = parse("select count(id) from Task group by project_id, status_id")
    assert query.projections == (ast.Aggregate("count", ast.Path((ast.Segment("id"),), 13)),)
    assert paths(query.group_by) == ["project_id", "status_id"]


def test_subtype_cast_in_segments():
    query = parse(
        'select parent[Project].name from TypedContext where parent[Project].name is "x"'
    )
    assert query.projections[0].segments == (ast.Segment("parent", "Project"), ast.Segment("name"))
    assert str(query.projections[0]) == "parent[Project].name"
    assert show(query.criteria) == "(= parent[Project].name 'x')"


def test_cast_on_inner_segment():
    path = parse("X where a.b[Task].c is 1").criteria.path
    assert path.segments == (ast.Segment("a"), ast.Segment("b", "Task"), ast.Segment("c"))


# --- keywords --------------------------------------------------------------------------------


def test_keywords_are_case_insensitive():
    query = parse(
        'SELECT name FROM Task WHERE name IS "a" AND bid Greater_Than 1 OR id NOT_IN (1) '
        "And NOT parent HAS (name Like 'x%') or timelogs ANY () and a Is_Not None "
        "GROUP BY name ORDER  BY name DESCENDING OFFSET 1 LIMIT 2"
    )
    assert show(query.criteria) == (
        "(or (and (= name 'a') (> bid 1)) "
        "(and (not_in id (1,)) (not (has parent (like name 'x%')))) "
        "(and (any timelogs ()) (!= a None)))"
    )
    assert paths(query.group_by) == ["name"]
    assert query.order_by[0].descending
    assert (query.offset, query.limit) == (1, 2)


@pytest.mark.parametrize("name", [
    "date", "group", "type", "status", "version", "key", "value", "name", "link",
    "order", "limit", "offset", "is", "in", "has", "any", "like", "asc", "desc", "by", "count",
])
def test_keyword_like_attribute_names_work_by_position(name):
    query = parse(
        f"select {name}, {name}.{name} from X where {name} is 1 and a.{name} in (2) "
        f"group by {name} order by {name} desc, {name}"
    )
    assert paths(query.projections) == [name, f"{name}.{name}"]
    assert show(query.criteria) == f"(and (= {name} 1) (in a.{name} (2,)))"
    assert paths(query.group_by) == [name]
    assert paths(query.order_by) == [name, name]
    assert [item.descending for item in query.order_by] == [True, False]


def test_keyword_attribute_example_from_brief():
    query = parse(
        'select type.name, group.name from X where key is "a" and value is 5 order by date desc'
    )
    assert paths(query.projections) == ["type.name", "group.name"]
    assert show(query.criteria) == "(and (= key 'a') (= value 5))"
    assert query.order_by == (ast.OrderItem(ast.Path((ast.Segment("date"),), 77), True),)


def test_keywords_inside_identifiers_are_not_keywords():
    assert where("order_id is 1 and android is 2 or notes is 3 and index is 4") == (
        "(or (and (= order_id 1) (= android 2)) (and (= notes 3) (= index 4)))"
    )
    assert parse("select fromage, selection from Wheres").entity_type == "Wheres"


# --- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize("operator, normalised", [
    ("=", "="), ("is", "="), ("IS", "="),
    ("!=", "!="), ("is_not", "!="),
    (">", ">"), ("after", ">"), ("greater_than", ">"),
    ("<", "<"), ("before", "<"), ("less_than", "<"),
    (">=", ">="), ("<=", "<="),
    ("like", "like"), ("not_like", "not_like"),
])
def test_comparison_operators_are_normalised(operator, normalised):
    comparison = parse(f'X where start {operator} "2015-06-01"').criteria
    assert comparison == ast.Comparison(
        ast.Path((ast.Segment("start"),), 8), normalised, "2015-06-01"
    )


@pytest.mark.parametrize("text, expected", [
    ("key=some_key", "(= key 'some_key')"),
    ("bid>=10", "(>= bid 10)"),
    ("bid<=10", "(<= bid 10)"),
    ("bid>10", "(> bid 10)"),
    ("bid<-3", "(< bid -3)"),
    ("name!=martin", "(!= name 'martin')"),
    ('name="x"', "(= name 'x')"),
    ("a.b=c.d", "(= a.b 'c.d')"),
])
def test_operators_may_touch_their_operands(text, expected):
    assert where(text) == expected


def test_membership_lists():
    assert where("id in (a,b,c)") == "(in id ('a', 'b', 'c'))"
    assert where("id in ( a , b ,c )") == "(in id ('a', 'b', 'c'))"
    assert where('status.type.name in ("In Progress", "Done")') == (
        "(in status.type.name ('In Progress', 'Done'))"
    )
    assert where("status.name not_in ('Omitted','On Hold')") == (
        "(not_in status.name ('Omitted', 'On Hold'))"
    )
    assert where('id in (1, -2.5, "3", True, None, x)') == (
        "(in id (1, -2.5, '3', True, None, 'x'))"
    )


def test_membership_empty_list():
    membership = parse("X where id in ()").criteria
    assert membership.values == () and membership.subquery is None and not membership.negated
    assert where("id not_in ( )") == "(not_in id ())"


def test_membership_subquery_is_a_full_query():
    query = parse(
        'Project where project_schema in (select id from ProjectSchema where name is "X")'
    )
    subquery = query.criteria.subquery
    assert isinstance(subquery, ast.Query)
    assert subquery == ast.Query(
        entity_type="ProjectSchema",
        projections=(ast.Path((ast.Segment("id"),), 40),),
        criteria=ast.Comparison(ast.Path((ast.Segment("name"),), 68), "=", "X"),
    )
    assert query.criteria.values == ()


def test_nested_subqueries_with_all_clauses():
    query = parse(
        "X where a not_in (select id from Y where b in (select id from Z) "
        "order by id desc offset 1 limit 2) limit 3"
    )
    assert show(query.criteria) == (
        "(not_in a [select id from Y where (in b [select id from Z])])"
    )
    assert (query.criteria.subquery.offset, query.criteria.subquery.limit) == (1, 2)
    assert query.limit == 3


def test_has_and_any():
    assert where('author has (first_name is "Jane" and last_name is "Doe")') == (
        "(has author (and (= first_name 'Jane') (= last_name 'Doe')))"
    )
    assert where('metadata any (key is "x" and value is "y")') == (
        "(any metadata (and (= key 'x') (= value 'y')))"
    )
    assert where("timelogs any ()") == "(any timelogs ())"
    assert where("timelogs any ( )") == "(any timelogs ())"
    assert parse("X where timelogs any ()").criteria.criteria is None
    assert where("a has (b any (c has (d is 1)))") == "(has a (any b (has c (= d 1))))"


# --- boolean structure -----------------------------------------------------------------------


def test_and_binds_tighter_than_or():
    assert where("a is 1 or b is 2 and c is 3") == "(or (= a 1) (and (= b 2) (= c 3)))"
    assert where("a is 1 and b is 2 or c is 3") == "(or (and (= a 1) (= b 2)) (= c 3))"
    assert where("a is 1 and b is 2 and c is 3") == "(and (= a 1) (= b 2) (= c 3))"


def test_parentheses_override_precedence():
    assert where("(a is 1 or b is 2) and c is 3") == "(and (or (= a 1) (= b 2)) (= c 3))"
    assert where("((a is 1))") == "(= a 1)"


@pytest.mark.parametrize("text, expected", [
    ("not timelogs any ()", "(not (any timelogs ()))"),
    ("not (a is 1 or b is 2)", "(not (or (= a 1) (= b 2)))"),
    ("not(a is 1)", "(not (= a 1))"),
    ('not author has (name is "x")', "(not (has author (= name 'x')))"),
    ("not a is 1 and b is 2", "(and (not (= a 1)) (= b 2))"),
    ("a is 1 or not b in (1)", "(or (= a 1) (not (in b (1,))))"),
    ("not not a is 1", "(not (not (= a 1)))"),
])
def test_not_prefixes_any_atom(text, expected):
    assert where(text) == expected


# --- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize("literal, value", [
    ('"martin"', "martin"),
    ("'martin'", "martin"),
    ('""', ""),
    ('"with spaces, (parens) and = signs"', "with spaces, (parens) and = signs"),
    (r'"say \"hi\""', 'say "hi"'),
    (r"'it\'s'", "it's"),
    (r'"back\\slash"', "back\\slash"),
    (r'"a\%b%"', r"a\%b%"),
    (r'"a\\%b"', r"a\%b"),
    (r'"\n stays"', r"\n stays"),
    ('"5"', "5"),
    ('"True"', "True"),
    ("'None'", "None"),
    ('"2015-06-01T00:00:00+02:00"', "2015-06-01T00:00:00+02:00"),
    ("5", 5),
    ("-3", -3),
    ("0", 0),
    ("1.5", 1.5),
    ("-0.25", -0.25),
    ("1e-05", 1e-05),
    ("True", True),
    ("False", False),
    ("true", True),
    ("false", False),
    ("None", None),
    ("none", None),
    ("null", None),
    ("NULL", None),
    ("active", "active"),
    ("NOT_STARTED", "NOT_STARTED"),
    ("3a372bde-05bc-11e4-8908-20c9d081909b", "3a372bde-05bc-11e4-8908-20c9d081909b"),
    ("2015-06-01", "2015-06-01"),
    ("007", "007"),
    ("nothing", "nothing"),
    ("a%b", "a%b"),
])
def test_literals(literal, value):
    comparison = parse(f"X where a is {literal}").criteria
    assert comparison.value == value
    assert type(comparison.value) is type(value)


def test_quoted_strings_keep_inner_whitespace_and_tabs():
    assert parse('X where a is "\ttab\n  newline"').criteria.value == "\ttab\n  newline"


# --- tokenizer quirks ------------------------------------------------------------------------


def test_no_whitespace_between_closing_quote_and_keyword():
    assert where('name is "abc"and id is "x"') == "(and (= name 'abc') (= id 'x'))"
    assert where("name is 'abc'or id is 'x'") == "(or (= name 'abc') (= id 'x'))"
    assert where('(name is "abc")and(id is "x")') == "(and (= name 'abc') (= id 'x'))"
    query = parse('select id from X where name is "a"order by name limit 1')
    assert paths(query.order_by) == ["name"] and query.limit == 1


def test_runs_of_spaces_newlines_and_tabs():
    query = parse(
        "select   id ,\n name\tfrom  X\n  where   a   is   1\r\n  and\tb is 2"
        "   offset  0   limit 5  "
    )
    assert paths(query.projections) == ["id", "name"]
    assert show(query.criteria) == "(and (= a 1) (= b 2))"
    assert (query.offset, query.limit) == (0, 5)


def test_paging_rewrite_of_the_python_client():
    # QueryResult strips "offset"/"limit" from the middle and appends new ones.
    query = parse('select id from User where name is "x"   order by name  offset 500 limit 500')
    assert (query.offset, query.limit) == (500, 500)


# --- order by, group by, offset, limit -------------------------------------------------------


@pytest.mark.parametrize("direction, descending", [
    ("", False), ("asc", False), ("ascending", False), ("ASC", False),
    ("desc", True), ("descending", True), ("DESC", True),
])
def test_order_by_direction(direction, descending):
    query = parse(f"select id from User order by first_name {direction}")
    assert paths(query.order_by) == ["first_name"]
    assert query.order_by[0].descending is descending


def test_order_by_several_paths():
    query = parse("User order by type.name descending, name")
    assert [(str(item.path), item.descending) for item in query.order_by] == [
        ("type.name", True), ("name", False),
    ]


@pytest.mark.parametrize("tail, offset, limit", [
    ("offset 2 limit 1", 2, 1),
    ("limit 1 offset 2", 2, 1),
    ("limit 0", None, 0),
    ("offset 10", 10, None),
    ("", None, None),
])
def test_offset_and_limit_in_either_order(tail, offset, limit):
    query = parse(f"select id from User {tail}")
    assert (query.entity_type, query.offset, query.limit) == ("User", offset, limit)


def test_all_clauses_together():
    query = parse(
        "select count(id), project_id from Task where bid > 1 group by project_id, status_id "
        "order by project_id desc limit 10 offset 20"
    )
    assert show(query) == "[select count(id), project_id from Task where (> bid 1)]"
    assert paths(query.group_by) == ["project_id", "status_id"]
    assert paths(query.order_by) == ["project_id"]
    assert (query.offset, query.limit) == (20, 10)


# --- positions -------------------------------------------------------------------------------


def test_path_positions_are_character_offsets():
    expression = (
        "select name, count(id) from Task where\n  status.name is 1 and x in "
        "(select id from Y where  y is 2) order by  z"
    )
    query = parse(expression)
    found = [
        query.projections[0], query.projections[1].path, query.criteria.items[0].path,
        query.criteria.items[1].path, query.criteria.items[1].subquery.projections[0],
        query.criteria.items[1].subquery.criteria.path, query.order_by[0].path,
    ]
    for path in found:
        assert expression[path.position:].startswith(str(path))
    assert [path.position for path in found] == [7, 19, 41, 62, 75, 92, 110]


def test_positions_count_tabs_as_one_character():
    expression = "X\twhere\t\tname is 1"
    assert parse(expression).criteria.path.position == expression.index("name")


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("expression, message, position", [
    ("select id, name form Task", "Expected ',' or 'from' after projection list, found 'form'",
     16),
    ("select from Task", "Expected a projection after 'select', found 'from'", 7),
    ("select id from", "Expected a type name after 'from', found end of query", 14),
    ("select id,, name from X", "Expected a projection after ','", 10),
    ("select count(id from X", "Expected ')', found 'from'", 16),
    ("5 where a is 1", "Expected 'select' or a type name, found '5'", 0),
    ("Task were name is 1", ("Expected 'where', 'group by', 'order by', 'offset', 'limit' or "
                             "end of query after type name, found 'were'"), 5),
    ("X where name isnt 5", "Unknown operator 'isnt' after 'name'", 13),
    ("X where name == 5", "Unknown operator '=='", 13),
    ("X where a ! 5", "Unknown operator '!'", 10),
    ("X where name 5", "Expected an operator after 'name', found '5'", 13),
    ("X where name and b is 1", "Expected an operator after 'name', found 'and'", 13),
    ("X where a.b. is 1", "Expected an operator after 'a.b', found '.'", 11),
    ('X where name is "abc', "Unterminated string", 16),
    ("X where name is 'abc\\'", "Unterminated string", 16),
    ('X where a is 1 and name is "abc and b is 2', "Unterminated string", 27),
    ("X where (a is 1", "Unbalanced parenthesis: missing ')'", 15),
    ("X where ((a is 1) or b is 2", "Unbalanced parenthesis: missing ')'", 27),
    ("X where a is 1)", "Unbalanced parenthesis: unexpected ')'", 14),
    ("X where id in (1, 2", "Unbalanced parenthesis: missing ')'", 19),
    ("X where id in (select id from Y", "Unbalanced parenthesis: missing ')'", 31),
    ("X where a has (b is 1", "Unbalanced parenthesis: missing ')'", 21),
    ("X where", "Expected a condition after 'where', found end of query", 7),
    ("X where order by name", "Expected a condition, found 'order by'", 14),
    ("X where a is 1 and", "Expected a condition after 'and', found end of query", 18),
    ("X where a is 1 or or", "Expected a condition after 'or', found 'or'", 18),
    ("X where not", "Expected a condition after 'not'", 11),
    ("X where ()", "Expected a condition after '(', found ')'", 9),
    ("X where a is", "Expected a value after 'is', found end of query", 12),
    ("X where a >=", "Expected a value after '>=', found end of query", 12),
    ("X where name is not None", "Expected a value after 'is', found 'not'", 16),
    ("X where a is 1 b is 2", ("Expected 'and', 'or', 'group by', 'order by', 'offset', "
                               "'limit' or end of query after criteria, found 'b'"), 15),
    ("X where id in a", "Expected '(' after 'in' or 'not_in', found 'a'", 14),
    ('X where id in ("a" "b")', "Expected ',' or ')' in value list, found '\"b\"'", 19),
    ("X where id in (a,)", "Expected a value after ',', found ')'", 17),
    ("X where a has b", "Expected '(' after 'has' or 'any', found 'b'", 14),
    ("X where a any (5)", "Expected a condition or ')', found '5'", 15),
    ("X where a has (b is 1 c)", "Expected 'and', 'or' or ')', found 'c'", 22),
    ("X where a in (select id from Y b)", ("Expected 'where', 'group by', 'order by', "
                                           "'offset', 'limit' or ')' after type name, found 'b'"),
     31),
    ("X order by", "Expected a path after 'order by', found end of query", 10),
    ("X order by a,", "Expected a path after ',' in 'order by'", 13),
    ("X order by a b", "Expected ',', 'offset', 'limit' or end of query after 'order by' paths",
     13),
    ("X group by", "Expected a path after 'group by'", 10),
    ("X order by a group by b", "after 'order by' paths, found 'group'", 13),
    ("X limit -1", "Expected a non-negative integer after 'limit', found '-1'", 8),
    ("X offset x", "Expected a non-negative integer after 'offset', found 'x'", 9),
    ("X limit 1 limit 2", "Expected 'offset' or end of query after 'limit' value, found 'limit'",
     10),
    ("X offset 1 limit 2 offset 3", "Expected end of query after 'limit' value", 19),
    ("X limit 1 where a is 1", "found 'where'", 10),
])
def test_errors_name_the_problem_and_the_position(expression, message, position):
    exception = error(expression)
    assert exception.position == position
    assert exception.expression == expression
    assert message in exception.message
    assert f"at character {position + 1} " in exception.message
    assert repr(expression) in exception.message
    assert exception.to_payload()["exception"] == "ParseError"


def test_error_reports_line_and_column():
    exception = error("select id\nfrom Task\nwhere name isnt 1")
    assert "Unknown operator 'isnt'" in exception.message
    assert "(line 3, column 12)" in exception.message


def test_long_tokens_are_shortened_in_messages():
    exception = error("X where a is 1 " + "b" * 200)
    assert "found 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...'" in exception.message


@pytest.mark.parametrize("expression", ["", "   ", "\n\t"])
def test_empty_expression(expression):
    assert error(expression).message == "Empty query expression"


@pytest.mark.parametrize("expression", [None, 5, b"Task", ["Task"]])
def test_non_string_expression(expression):
    assert "must be a string" in error(expression).message


def test_too_deep_nesting_is_a_parse_error():
    deep = "X where " + "(" * 500 + "a is 1" + ")" * 500
    assert "nested too deeply" in error(deep).message


def test_reasonable_nesting_is_fine():
    assert where("(" * 25 + "a is 1" + ")" * 25) == "(= a 1)"


# --- parse_criteria --------------------------------------------------------------------------


def test_parse_criteria():
    assert show(parse_criteria('name is "a" and not b any ()')) == (
        "(and (= name 'a') (not (any b ())))"
    )
    assert parse_criteria("a is 1").path.position == 0


@pytest.mark.parametrize("text, message", [
    ("a is 1 order by a", "Expected 'and', 'or' or end of criteria, found 'order'"),
    ("a is 1)", "Unbalanced parenthesis: unexpected ')'"),
    ("where a is 1", "Expected a condition, found 'where'"),
    ("", "Empty query expression"),
])
def test_parse_criteria_errors(text, message):
    assert message in error(text, parse_criteria).message


# --- caching, immutability, threads, speed ---------------------------------------------------


def test_results_are_cached_and_immutable():
    expression = 'select name from Task where name is "cached" limit 3'
    first = parse(expression)
    assert parse(expression) is first
    assert hash(first) == hash(parse(expression + " "))
    with pytest.raises(AttributeError):
        first.limit = 4


def test_expressions_differing_in_quoted_values_share_a_parse_but_keep_their_values():
    first = parse('select name from Task where project.name is "alpha" and status.name in ("a\\"b", "cd")')
    second = parse('select name from Task where project.name is "beta!" and status.name in ("x\\"y", "zz")')
    assert first.criteria.items[0].value == "alpha"
    assert second.criteria.items[0].value == "beta!"
    assert second.criteria.items[1].values == ('x"y', "zz")
    assert second.criteria.items[1].path.position == first.criteria.items[1].path.position
    message = error('select name from Task where name is "abcdef" and (').message
    assert "character 51" in message and '"abcdef"' in message


def test_errors_are_not_cached_as_results():
    for _ in range(2):
        assert "Unknown operator" in error("X where a isnt 1").message


def test_concurrent_parsing_from_threads():
    expressions = [
        f'select id from Task where bid >= {i} and (name like "%{i}%" or id in (a{i}, b)) '
        f"order by name desc limit {i}"
        for i in range(400)
    ]
    results, failures = {}, []

    def work(offset):
        for step in range(len(expressions)):
            index = (offset * 37 + step) % len(expressions)
            query = parse(expressions[index])
            if query.limit != index or query.criteria.items[0].value != index:
                failures.append(index)
            results.setdefault(index, query)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(results) == len(expressions)


def test_no_pathological_backtracking():
    start = time.perf_counter()
    for n in range(3):  # distinct expressions: no cache hits
        conjunction = " and ".join(f"(a{i} is {n} or not b{i} in (1, 2, 3))" for i in range(300))
        nested = "(" * 20 + " or ".join(f"x{i} has (y is {n})" for i in range(300)) + ")" * 20
        for criteria in (conjunction, nested):
            assert parse(f"select id from Task where {criteria} limit {n}").limit == n
    assert time.perf_counter() - start < 10  # well under a second; backtracking would hang


def test_expressions_with_more_quoted_values_than_shape_slots_parse_as_written():
    names = [f"name{index:02d}" for index in range(60)]
    query = parse(f'select name from Task where name in ({", ".join(chr(34) + n + chr(34) for n in names)})')
    assert list(query.criteria.values) == names
