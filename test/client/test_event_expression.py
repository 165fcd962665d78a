"""The subscription and target expression language (clapboard.event.expression)."""

import operator
import threading

import pytest
from clapboard.event import expression
from clapboard.event.expression import All, Any, Condition, Expression, Not, ParseError, Parser, parse

EVENT = {
    "topic": "ftrack.update",
    "data": {
        "entity": {"id": "42", "name": "sh010"},
        "count": 5,
        "entities": [{"action": "add"}],
        "label": "hello world",
        "empty": None,
    },
    "source": {"user": {"username": "jdoe"}, "id": "hub-1"},
    "target": "",
}


def matches(text, candidate=EVENT, **options):
    return Parser(**options).parse(text).match(candidate)


@pytest.mark.parametrize(("text", "expected"), [
    ("topic=ftrack.update", True),
    ("topic=ftrack.updated", False),
    ("topic!=ftrack.update", False),
    ("topic!=other", True),
    ("data.entity.id=42", True),
    ("data.entity.id='42'", True),
    ('data.entity.id="42"', True),
    ("data.entity.id=43", False),
    ("data.label='hello world'", True),
    ('data.label="hello world"', True),
    ("data.missing=x", False),
    ("data.missing!=x", False),
    ("nothere.deeper=x", False),
    ("data.entity.name.deeper=x", False),  # runs into a string
    ("data.entities.action=add", False),  # runs into a list
    ("data.count=5", False),  # a number never equals the string "5"
    ("data.count!=5", True),
    ("data.count>1", False),  # ordering across types is false, not an error
    ("data.empty=None", False),
    ("source.user.username>=jdoe", True),
    ("source.user.username>jdoe", False),
    ("source.user.username<=jdoe", True),
    ("source.user.username<jdoz", True),
    ("source.user.username>a", True),
])
def test_conditions(text, expected):
    assert matches(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("topic=ftrack.update and data.entity.id=42", True),
    ("topic=ftrack.update and data.entity.id=43", False),
    ("topic=other or data.entity.id=42", True),
    ("topic=other or data.entity.id=43", False),
    ("not topic=other", True),
    ("not topic=ftrack.update", False),
    ("not not topic=ftrack.update", True),
    ("topic=ftrack.update AND NOT data.entity.id=43", True),
    ("TOPIC=ftrack.update", False),  # keys are case-sensitive
    # not binds tightest, then and, then or:
    ("topic=other and data.entity.id=43 or topic=ftrack.update", True),
    ("topic=other and (data.entity.id=43 or topic=ftrack.update)", False),
    ("not topic=other and topic=other", False),
    ("not (topic=other and topic=ftrack.update)", True),
    ("((topic=ftrack.update))", True),
    ('topic="ftrack.update"and data.entity.id=42', True),
    ("  topic = ftrack.update   and  data.entity.id = 42  ", True),
])
def test_combinations(text, expected):
    assert matches(text) is expected


@pytest.mark.parametrize(("text", "contains", "prefix"), [
    ("topic=ftrack.*", True, True),
    ("topic=ftrack.update*", True, True),
    ("topic=update*", True, False),
    ("topic=other*", False, False),
    ("topic=*", True, True),
    ("data.count=5*", False, False),  # wildcards only match strings
    ("topic!=ftrack.*", True, True),  # only = knows wildcards: != compares literally
])
def test_wildcards(text, contains, prefix):
    assert matches(text) is contains
    assert matches(text, wildcard=expression.PREFIX) is prefix


def test_unquoted_values_take_uuids_paths_and_emails():
    candidate = {"id": "0b6f1c3e-05bc-11e4-8908-20c9d081909b", "path": "/a/b,c+d", "mail": "j@x.org"}
    assert matches("id=0b6f1c3e-05bc-11e4-8908-20c9d081909b and path=/a/b,c+d and mail=j@x.org", candidate)


def test_quoted_values_keep_spaces_and_escaped_quotes():
    candidate = {"a": 'say "hi"', "b": "it's"}
    assert matches(r'a="say \"hi\""', candidate)
    assert matches(r"b='it\'s'", candidate)
    assert matches("b=\"it's\"", candidate)


def test_field_and_keyword_names_can_clash():
    assert matches("not=5", {"not": "5"})
    assert matches("and=x and or=y", {"and": "x", "or": "y"})


def test_matches_any_mapping():
    class Event(dict):
        pass

    assert parse("topic=a").match(Event(topic="a"))


def test_parse_builds_nodes():
    tree = parse("a=1 and not b!=2 or c>3")
    assert tree == Any([All([Condition("a", "=", "1"), Not(Condition("b", "!=", "2"))]), Condition("c", ">", "3")])
    assert isinstance(parse("a=1"), Condition)


def test_nodes_match_as_documented():
    assert All().match({}) is True
    assert Any().match({}) is False
    condition = Condition("data.eventType", operator.eq, "Shot")
    assert condition.operator == "=" and condition.key == "data.eventType" and condition.value == "Shot"
    assert condition.match({"data": {"eventType": "Shot"}})
    with pytest.raises(ValueError, match="Unknown operator"):
        Condition("a", "~", "b")


def test_nodes_are_immutable_and_hashable():
    node = parse("a=1 and b=2")
    with pytest.raises(AttributeError):
        node.x = 1
    with pytest.raises(AttributeError):
        node.expressions[0]._value = "3"
    assert hash(node) == hash(parse("a=1  and b=2"))
    assert {parse("a=1"), parse("a='1'")} == {Condition("a", "=", "1")}


def test_str_round_trips():
    for text in ["a=1 and not (b!=2 or c>='x y')", 'data.v="q\\"uote"', "a=''"]:
        tree = parse(text)
        assert parse(str(tree)) == tree


def test_parse_is_cached():
    assert parse("topic=cached.one") is parse("topic=cached.one")
    assert Parser().parse("topic=cached.one") is parse("topic=cached.one")


@pytest.mark.parametrize(("text", "position", "words"), [
    ("topic=", 6, "expected value"),
    ("topic", 5, "expected operator"),
    ("a=b and", 7, "expected a condition"),
    ("(a=b", 4, "expected ')'"),
    ("a=b c=d", 4, "'and', 'or' or the end"),
    ("a=b)", 3, "'and', 'or' or the end"),
    ("=x", 0, "expected a condition"),
    ("a==b", 2, "expected value"),
    ('a="open', 2, "expected value"),
    ("a.=b", 1, "expected operator"),
    ("not", 3, "expected a condition"),
    ("", 0, "empty"),
    ("   ", 0, "empty"),
])
def test_parse_errors_name_problem_and_position(text, position, words):
    with pytest.raises(ParseError) as caught:
        Parser().parse(text)
    error = caught.value
    assert error.position == position
    assert words in str(error)
    assert error.expression == text
    if text.strip():
        assert f"at position {position}" in str(error)


def test_parse_error_is_a_plain_exception_and_rejects_non_strings():
    assert issubclass(ParseError, Exception)
    with pytest.raises(ParseError, match="must be a string"):
        parse(None)


def test_unknown_wildcard_mode():
    with pytest.raises(ValueError, match="wildcard"):
        Parser(wildcard="regex").parse("a=b")


def test_parsing_and_matching_from_many_threads():
    errors = []
    texts = [f"topic=t{i} or (data.n=v{i} and not source.id=x)" for i in range(200)]

    def work(offset):
        try:
            for index in range(len(texts)):
                i = (index + offset) % len(texts)
                tree = parse(texts[i])
                assert tree.match({"topic": f"t{i}"})
                assert tree.match({"data": {"n": f"v{i}"}, "source": {}})
                assert not tree.match({"topic": "other"})
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n * 37,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda: Expression(), "<Expression>"),
        (lambda: Not(Expression()), "<Not not ()>"),
        (lambda: All([Expression(), Expression()]), "<All () and ()>"),
        (lambda: Any([Expression()]), "<Any ()>"),
    ],
)
def test_repr_of_the_base_expression_does_not_recurse(build, text):
    assert repr(build()) == text
