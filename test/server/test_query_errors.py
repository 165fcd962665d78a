"""Query errors name what the user wrote: suggestions, dotted paths, positions in their own text."""

import pytest


def content(api, **operation):
    error = api.error({"action": "query", **operation})
    return error["exception"], error["content"]


def test_unknown_type_suggests_the_closest_names(api):
    assert content(api, expression="select id from Tsak") == (
        "ValidationError", "Unknown entity type 'Tsak'. Did you mean 'Task'?"
    )
    assert content(api, expression="select id from Xyzzy") == (
        "ValidationError", "Unknown entity type 'Xyzzy'. Query the schemas for the valid type names."
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('Task where nmae is "x"', "Task has no attribute 'nmae'. Did you mean 'name'?"),
        ('Task where parent.nmae is "x"',
         "Task has no attribute 'parent.nmae': Context has no attribute 'nmae'. Did you mean 'parent.name'?"),
        ("select parent.parent.nmae from Task",
         ("Task has no attribute 'parent.parent.nmae': Context has no attribute 'nmae'. "
         "Did you mean 'parent.parent.name'?")),
        ("select name from Task order by status.nmae",
         "Task has no attribute 'status.nmae': Status has no attribute 'nmae'. Did you mean 'status.name'?"),
        ('Project where children any (nmae is "x")',
         "Context has no attribute 'nmae' (inside 'children any (...)'). Did you mean 'name'?"),
        ('Task where id in (select parent.nmae from Task)',
         "Task has no attribute 'parent.nmae': Context has no attribute 'nmae'. Did you mean 'parent.name'?"),
        ('Task where parent[Shot].nmae is "x"',
         ("Task has no attribute 'parent[Shot].nmae': Shot has no attribute 'nmae'. "
         "Did you mean 'parent[Shot].name'?")),
    ],
)
def test_unknown_attribute_names_the_dotted_path_and_suggests(api, expression, message):
    assert content(api, expression=expression) == ("ValidationError", message)


def test_syntax_errors_point_into_the_user_expression_when_sent(api):
    sent = 'select context_type, id, name from Task where name iss "comp" offset 0 limit 500'
    written = 'Task where name iss "comp"'
    assert content(api, expression=sent, user_expression=written) == (
        "ParseError",
        ("Unknown operator 'iss' after 'name' at character 17 (line 1, column 17) of query: "
        "'Task where name iss \"comp\"'"),
    )
    kind, text = content(api, expression=sent)  # without it: the text received
    assert kind == "ParseError" and "at character 52" in text and "offset 0 limit 500" in text
