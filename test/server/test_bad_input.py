"""Hostile and malformed input: a clear 4xx error in the wire protocol's shape, one log line,
the database unchanged, and other users served while it goes on (issue 8, "Errors")."""

import json
import logging
import random
import uuid

import pytest
from attack import during, error_of, fingerprint, other_user, strict_json
from server_api import create, ref

STRICT = {"ftrack-strict-api": "true"}


@pytest.fixture(scope="module")
def other(server, api):
    return other_user(server, api)


def post(api, body, headers=STRICT):
    """POST ``body`` (bytes or str sent as is; anything else as JSON) with the admin's key."""
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return api.http.post(api.url, data=data, headers={**api.headers, **headers}, timeout=120)


def query(expression):
    return [{"action": "query", "expression": expression}]


def nested_subqueries(depth, innermost='name is "x"'):
    expression = f"select id from Project where {innermost}"
    for _ in range(depth):
        expression = f"select id from Project where id in ({expression})"
    return expression


def nested_any(depth, innermost='name is "x"'):
    criteria = innermost
    for _ in range(depth):
        criteria = f"children any ({criteria})"
    return f"select id from Project where {criteria}"


def project_create(**data):
    data.setdefault("name", f"bad-{uuid.uuid4().hex[:8]}")
    data.setdefault("full_name", data["name"])
    return {"action": "create", "entity_type": "Project", "entity_key": None, "entity_data": data}


def deep(levels):
    value = "bottom"
    for _ in range(levels):
        value = {"down": value}
    return value


#: (name, request body, exception, words of the message, HTTP status in strict mode)
BAD_INPUTS = [
    ("action-is-a-list", [{"action": ["x"]}], "ValidationError", "'action' must be a string", 400),
    ("action-is-an-object", [{"action": {"a": 1}}], "ValidationError", "'action' must be a string", 400),
    ("operation-is-a-string", ["query"], "ValidationError", "must be an object", 400),
    ("batch-is-an-object", {"action": "query"}, "ValidationError", "JSON array of operations", 400),
    ("lone-surrogate-in-query",
     '[{"action": "query", "expression": "select id from Project where name is \\"\\ud800\\""}]',
     "ValidationError", "lone UTF-16 surrogate", 400),
    ("lone-surrogate-in-data",
     '[{"action": "create", "entity_type": "Project", "entity_data": {"name": "a\\udc00", "full_name": "x"}}]',
     "ValidationError", "lone UTF-16 surrogate", 400),
    ("lone-surrogate-in-key", '[{"\\ud83d": 1}]', "ValidationError", "lone UTF-16 surrogate", 400),
    ("json-nested-1000-deep", "[" * 1000 + "]" * 1000, "LimitExceededError", "max_json_depth = 64", 400),
    ("json-nested-100-deep-in-data", [project_create(metadata=deep(100))], "LimitExceededError",
     "max_json_depth = 64", 400),
    ("huge-limit", query("select id from Project limit 99999999999999999999"), "LimitExceededError",
     "max_limit = 1,000,000,000", 400),
    ("huge-offset", query("select id from Project offset 99999999999999999999"), "LimitExceededError",
     "max_limit = 1,000,000,000", 400),
    ("huge-limit-in-sub-query", query("Project where id in (select id from Project limit 99999999999999999999)"),
     "LimitExceededError", "max_limit", 400),
    ("reset-remote-key-is-an-object", [{"action": "reset_remote", "reset_type": "api_key", "entity_key": {}}],
     "ValidationError", "reset_remote needs 'entity_key'", 400),
    ("reset-remote-key-is-a-list-of-objects",
     [{"action": "reset_remote", "reset_type": "api_key", "entity_key": [{}]}],
     "ValidationError", "reset_remote needs 'entity_key'", 400),
    ("twenty-nested-sub-queries", query(nested_subqueries(20)), "LimitExceededError", "max_query_depth = 8", 400),
    ("ten-nested-any", query(nested_any(10)), "LimitExceededError", "max_query_depth = 8", 400),
    ("twelve-nots", query('select id from Project where ' + "not " * 12 + 'name is "x"'), "LimitExceededError",
     "max_query_depth = 8", 400),
    ("ten-collection-steps", query("select id from Project where " + "children." * 10 + 'name is "x"'),
     "LimitExceededError", "max_query_depth = 8", 400),
    ("hundred-segment-path", query("select id from Task where " + "parent." * 99 + 'name is "x"'),
     "LimitExceededError", "max_path_segments = 16", 400),
    ("hundred-segment-projection", query("select " + "parent." * 99 + "name from Task"),
     "LimitExceededError", "max_path_segments = 16", 400),
    ("too-many-joins", query("select id from Task where " + " or ".join(
        f"parent[{cast}]." + "parent." * 14 + 'name is "x"'
        for cast in ("Sequence", "Shot", "Project", "Episode", "Task", "AssetBuild", "Folder", "Milestone"))),
     "LimitExceededError", "joined tables per select = 60", 400),
    ("three-thousand-order-terms", query("select id from Task order by " + ", ".join(["name"] * 3000)),
     "LimitExceededError", "terms per clause = 1,000", 400),
    ("nul-in-query", query('select id from Project where name is "a\x00b"'), "ValidationError",
     "NUL characters", 400),
    ("nul-in-data", [project_create(name="nul\x00name")], "ValidationError", "NUL characters", 400),
    ("nan", '[{"action": "query", "expression": "select id from Status", "x": NaN}]', "ValidationError",
     "NaN is not a JSON number", 400),
    ("infinity", '[{"action": "create", "entity_type": "Project", "entity_data": {"name": Infinity}}]',
     "ValidationError", "Infinity is not a JSON number", 400),
    ("minus-infinity", '[-Infinity]', "ValidationError", "-Infinity is not a JSON number", 400),
    ("float-overflowing-to-infinity", '[{"action": "create", "entity_type": "Project", "entity_data": 1e999}]',
     "ValidationError", "64-bit float", 400),
    ("integer-beyond-64-bits", [project_create(fps=10**30)], "ValidationError", "fit in 64 bits", 400),
    ("not-utf-8", b'[{"action": "query", "expression": "Project where name is \\"\xff\xfe\\""}]',
     "ValidationError", "not UTF-8", 400),
    ("not-json", b'[{"action": ', "ValidationError", "does not hold valid JSON", 400),
    ("expression-is-an-object", [{"action": "query", "expression": {"a": 1}}], "ValidationError",
     "'expression' string", 400),
    ("entity-type-is-a-list", [{"action": "create", "entity_type": ["Project"], "entity_data": {}}],
     "ValidationError", "'entity_type' string", 400),
]


@pytest.mark.in_process
@pytest.mark.parametrize(("body", "exception", "words", "status"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS])
def test_bad_input_is_refused_clearly_and_changes_nothing(api, other, body, exception, words, status, caplog):
    caplog.set_level(logging.INFO, logger="clapboard_server")
    before = fingerprint(api)
    responses = during(lambda: post(api, body), other)
    for response in responses:
        assert response.status_code == status, response.text
        error = error_of(response)
        assert error["exception"] == exception, error
        assert words in error["content"], error
    assert fingerprint(api) == before
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("clapboard_server")
             and r.levelno >= logging.INFO and f"{api.headers['ftrack-user']} POST /api {status} " in r.getMessage()]
    assert len(lines) == len(responses)  # one line per refused request, naming the reason...
    assert all(f"refused: {exception}" in line and "\n" not in line for line in lines), lines[:2]
    assert not [r for r in caplog.records if r.exc_info]  # ...and no traceback anywhere


def test_refusals_without_strict_mode_use_http_200_and_the_same_error(api):
    response = post(api, [{"action": ["x"]}], headers={})
    assert response.status_code == 200
    assert error_of(response)["exception"] == "ValidationError"


def test_a_thousand_or_terms_are_answered_correctly(api, other, make_project):
    project = make_project()
    name = project["entity_data"]["name"]
    terms = [f'name is "missing-{index}"' for index in range(999)] + [f'name is "{name}"']
    expression = "select name from Project where " + " or ".join(terms)
    before = fingerprint(api)
    for response in during(lambda: post(api, query(expression)), other):
        assert response.status_code == 200, response.text
        assert [row["name"] for row in strict_json(response.text)[0]["data"]] == [name]
    assert fingerprint(api) == before


def test_a_thousand_and_terms_are_answered_correctly(api, make_project):
    project = make_project()
    name = project["entity_data"]["name"]
    terms = [f'name is_not "missing-{index}"' for index in range(999)] + [f'name is "{name}"']
    answer = api.query("select name from Project where " + " and ".join(terms))
    assert [row["name"] for row in answer] == [name]


def test_an_overflowing_sum_is_refused_not_answered_as_infinity(api, other, make_project):
    project = make_project()
    folders = [create("Folder", name=f"f{index}", bid=1.7e308, parent=ref(project)) for index in range(2)]
    api.call(*folders)
    expression = f'select sum(bid) from Folder where project_id is "{project["entity_data"]["id"]}"'
    before = fingerprint(api)
    for response in during(lambda: post(api, query(expression)), other):
        assert response.status_code == 400, response.text
        error = error_of(response)
        assert error["exception"] == "ValidationError" and "out of range" in error["content"], error
    assert fingerprint(api) == before


def test_nesting_up_to_the_limit_is_answered_correctly(api, make_project):
    project = make_project()
    name, project_id = project["entity_data"]["name"], project["entity_data"]["id"]
    sequence = create("Sequence", name="sq", parent=ref(project))
    api.call(sequence, create("Shot", name="sh", parent=ref(sequence)))
    assert [row["id"] for row in api.query(nested_subqueries(8, f'name is "{name}"'))] == [project_id]
    assert [row["id"] for row in api.query(nested_any(2, 'name is "sh"') + f' and name is "{name}"')] == [project_id]
    assert api.query(nested_any(8) + f' and name is "{name}"') == []
    rows = api.query('select id from Project where ' + "not " * 8 + f'name is "{name}"')
    assert [row["id"] for row in rows] == [project_id]


# -- a little fuzzing: mutations of valid operations never cause a server error --------------

_VALID = [
    {"action": "query", "expression": "select id, name from Project limit 2"},
    {"action": "query", "expression": 'select id from Task where parent.name like "a%" order by name limit 3'},
    {"action": "create", "entity_type": "Note", "entity_key": None, "entity_data": {"content": "hello"}},
    {"action": "update", "entity_type": "Project", "entity_key": ["x"], "entity_data": {"name": "y"}},
    {"action": "delete", "entity_type": "Note", "entity_key": ["missing"]},
    {"action": "query_schemas"},
    {"action": "get_upload_metadata", "component_id": "x", "file_name": "a.txt", "file_size": 3, "checksum": None},
    {"action": "permissions", "entity_type": "Project"},
]
_HOSTILE_VALUES = [None, True, 0, -1, 2**63 - 1, 1.5, "", "x" * 5000, "\u202e", "é", [], [None], {}, {"id": {}},
                   {"__entity_type__": "Nope", "id": "x"}, ["a", ["b"]], "select", "'", '"', "(", ")", "%", "\\",
                   "Project where", "id in ()", "name is", "children any (", "..", "a.b[Project].c"]


def _mutations(seed, count):
    generator = random.Random(seed)
    for _ in range(count):
        operation = json.loads(json.dumps(generator.choice(_VALID)))
        for _ in range(generator.randint(1, 3)):
            target = operation
            if "entity_data" in operation and generator.random() < 0.4:
                target = operation["entity_data"] if isinstance(operation["entity_data"], dict) else operation
            key = generator.choice([*target.keys(), "name", "expression", "id", "extra"])
            target[key] = generator.choice(_HOSTILE_VALUES)
        if generator.random() < 0.2 and isinstance(operation.get("expression"), str):
            text = operation["expression"]
            cut = generator.randint(0, len(text))
            operation["expression"] = text[:cut] + generator.choice(_HOSTILE_VALUES[7:]).__str__() + text[cut:]
        yield operation


def test_fuzzed_operations_never_fail_with_a_server_error(api, other):
    before = fingerprint(api)
    failures = []
    for operation in _mutations(seed=8, count=300):
        response = post(api, [operation])
        answer = strict_json(response.text)
        if isinstance(answer, dict) and (response.status_code >= 500 or answer["exception"] == "ServerError"):
            failures.append((operation, answer))
        assert response.status_code < 500 or failures
    assert not failures, failures[:5]
    after = fingerprint(api)
    # Fuzzed creates and deletes may succeed; nothing else may change.
    assert {k: v for k, v in after.items() if k not in ("Note", "User")} == \
        {k: v for k, v in before.items() if k not in ("Note", "User")}
    probe_answer = other.call({"action": "query_server_information"})
    assert probe_answer[0]["version"]


def test_surrogate_pairs_and_other_unicode_are_accepted(api, make_project):
    name = f"🎬-é-\u202e-{uuid.uuid4().hex[:6]}"
    make_project(name=name)
    assert api.one(f'select name from Project where name is "{name}"')["name"] == name


@pytest.mark.parametrize("path", [
    "/component/get?id=x&username=a%00b&apiKey=c",
    "/component/thumbnail?id=x&username=admin&apiKey=a%00",
    "/socket.io/1/?api_user=a%00b&api_key=c",
], ids=["download-user", "thumbnail-key", "event-handshake"])
def test_nul_in_credentials_of_other_routes_is_refused_clearly(server, api, other, path):
    before = fingerprint(api)
    responses = during(lambda: api.http.get(server.server_url + path, timeout=60), other)
    for response in responses:
        assert response.status_code == 401, response.text
        assert error_of(response)["exception"] == "InvalidCredentialsError"
    assert fingerprint(api) == before


@pytest.mark.parametrize(("frame", "words"), [
    ('{"name": "ftrack.event", "args": [{"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": "s"}, '
     '"subscription": "topic=' + "x" * 20_000 + '"}}]}', "(limit subscription length = 10,000)"),
    ('{"name": "ftrack.event", "args": [{"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": "s"}, '
     '"subscription": "' + "(" * 2000 + "topic=a" + ")" * 2000 + '"}}]}',
     "The subscription nests parentheses 2000 deep (limit max_query_depth = 8)"),
    ("[" * 5000 + "]" * 5000, "The event packet nests arrays and objects too deeply (limit max_json_depth = 64)"),
    ('{"name": "ftrack.event", "args": [{"topic": "t", "data": {"a": NaN}}]}', "NaN is not a JSON number"),
    ('{"name": "ftrack.event", "args": [{"topic": "t\\u0000", "data": {}}]}', "NUL characters"),
], ids=["long-subscription", "deep-subscription", "deep-json", "nan", "nul"])
def test_hostile_event_packets_are_refused_and_the_connection_survives(server, api, other, frame, words):
    from socketio_client import Client

    with Client(server) as client:
        def attack():
            client._next_id += 1
            client.send_frame(f"5:{client._next_id}+::{frame}")
            return client.ack(client._next_id)

        for answer in during(attack, other):
            assert answer["success"] is False and words in answer["message"], answer
        client.barrier()  # still connected and served
