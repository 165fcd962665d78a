"""Every limit of :mod:`clapboard_server.limits`: refused with its name and value, nothing
changed, and other users served while the attack goes on (issue 8, "Limits")."""

import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest
from attack import during, error_of, fingerprint, other_user, probe, strict_json
from clapboard_server import limits as limits_module
from clapboard_server.limits import Limits
from clapboard_server.query import parser
from server_api import Api, create, ref
from socketio_client import Client, handshake, socket_url

STRICT = {"ftrack-strict-api": "true"}
SOURCE = str(Path(__file__).resolve().parents[2] / "source")

#: Small limits, so that each can be reached cheaply.
SMALL = {
    "max_body_bytes": 64 * 1024, "max_operations": 20, "max_json_depth": 8, "max_query_length": 20_000,
    "max_query_depth": 3, "max_query_conditions": 50, "max_query_values": 100, "max_path_segments": 4,
    "max_limit": 1000, "max_response_bytes": 200_000, "parse_cache_bytes": 1024 * 1024,
    "max_queued_event_bytes": 256 * 1024, "header_timeout": 1.0, "body_timeout": 1.0,
}


@pytest.fixture(scope="module")
def limited(backend, server_factory):
    """A server with the :data:`SMALL` limits, on each backend."""
    with server_factory(backend, **SMALL) as handle:
        yield handle
    parser.CACHE.resize(limits_module.DEFAULT.parse_cache_bytes)  # it is process-wide


@pytest.fixture(scope="module")
def admin(limited):
    return Api(limited)


@pytest.fixture(scope="module")
def other(limited, admin):
    return other_user(limited, admin)


def post(api, body, headers=STRICT, **options):
    data = body if isinstance(body, (bytes, str)) or body is None or hasattr(body, "__next__") else json.dumps(body)
    return api.http.post(api.url, data=data, headers={**api.headers, **headers}, timeout=120, **options)


def query(expression):
    return [{"action": "query", "expression": expression}]


def assert_refused(responses, exception, words, status):
    for response in responses:
        assert response.status_code == status, response.text
        error = error_of(response)
        assert error["exception"] == exception, error
        assert words in error["content"], error


def refused_while_other_works(admin, other, body, words, status=400, exception="LimitExceededError", **options):
    before = fingerprint(admin)
    assert_refused(during(lambda: post(admin, body, **options), other), exception, words, status)
    assert fingerprint(admin) == before


def wait_until(predicate, timeout=30, what="the condition"):
    """Poll ``predicate`` (server state) every 10 ms; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.01)


# -- request size -------------------------------------------------------------------------------

def test_body_over_the_limit_is_refused_before_it_is_read(admin, other):
    operation = {"action": "create", "entity_type": "Note", "entity_data": {"content": "x" * 70_000}}
    refused_while_other_works(admin, other, [operation], "The request body is too large (limit max_body_bytes = 65,536)",
                              status=413)


def test_chunked_body_over_the_limit_is_refused_while_streaming(admin, other):
    def chunks():
        yield b'[{"action": "create", "entity_type": "Note", "entity_data": {"content": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}}]'
    before = fingerprint(admin)
    assert_refused(during(lambda: post(admin, chunks()), other), "LimitExceededError",
                   "limit max_body_bytes = 65,536", 413)
    assert fingerprint(admin) == before


def test_a_50_megabyte_body_is_refused_by_default(server, api):
    other = other_user(server, api)
    body = b'[{"action": "query_server_information", "padding": "' + b"x" * (50 * 1024 * 1024) + b'"}]'
    before = fingerprint(api)
    assert_refused(during(lambda: post(api, body), other, probes=2), "LimitExceededError",
                   "limit max_body_bytes = 33,554,432", 413)
    assert fingerprint(api) == before


def test_body_at_the_limit_is_accepted(admin):
    padding = 64 * 1024 - len(json.dumps([{"action": "query_server_information", "padding": ""}]).encode())
    response = post(admin, json.dumps([{"action": "query_server_information", "padding": "x" * padding}]))
    assert response.status_code == 200 and strict_json(response.text)[0]["version"]


def test_too_many_operations(admin, other):
    notes = [{"action": "create", "entity_type": "Note", "entity_data": {"content": "n"}} for _ in range(21)]
    refused_while_other_works(admin, other, notes, "The batch has 21 operations (limit max_operations = 20)",
                              status=413)


def test_json_nested_too_deeply(admin, other):
    refused_while_other_works(admin, other, [[[[[[[[[1]]]]]]]]], "nests arrays and objects too deeply "
                              "(limit max_json_depth = 8)")


# -- queries ------------------------------------------------------------------------------------

def test_query_text_too_long(admin, other):
    expression = 'select id from Status where name is "' + "x" * 20_000 + '"'
    refused_while_other_works(admin, other, query(expression),
                              f"The query expression has {len(expression):,} characters (limit max_query_length = 20,000)")


def test_query_nested_too_deeply(admin, other):
    expression = 'select id from Project where name is "x"'
    for _ in range(4):
        expression = f"select id from Project where id in ({expression})"
    refused_while_other_works(admin, other, query(expression),
                              "The query expression nests parentheses 4 deep (limit max_query_depth = 3)")
    refused_while_other_works(admin, other, query('select id from Project where not not not not name is "x"'),
                              "The query nests sub-queries, has/any and not 4 deep (limit max_query_depth = 3)")
    assert admin.query('select id from Project where not not not name is "x"') == []


def test_too_many_conditions(admin, other):
    terms = [f'name is "s{index}"' for index in range(51)]
    refused_while_other_works(admin, other, query("select id from Status where " + " or ".join(terms)),
                              "The query has 51 conditions (limit max_query_conditions = 50)")
    assert admin.query("select id from Status where " + " or ".join(terms[:50])) == []


def test_too_many_values(admin, other):
    values = ", ".join(f'"{index}"' for index in range(101))
    refused_while_other_works(admin, other, query(f"select id from Status where id in ({values})"),
                              "The query has 101 values (limit max_query_values = 100)")


def test_path_too_long(admin, other):
    refused_while_other_works(admin, other, query('select id from Task where parent.parent.parent.parent.name is "x"'),
                              "A path of the query has 5 steps (limit max_path_segments = 4)")
    assert admin.query('select id from Task where parent.parent.parent.name is "x"') == []


def test_limit_and_offset_ranges(admin, other):
    refused_while_other_works(admin, other, query("select id from Status limit 1001"),
                              "The query asks for limit or offset 1,001 (limit max_limit = 1,000)")
    refused_while_other_works(admin, other, query("select id from Status offset 1001"), "(limit max_limit = 1,000)")
    assert admin.query("select id from Status offset 1000 limit 1000") == []


def test_parse_cache_stays_within_its_bytes(limited, admin, other):
    assert parser.CACHE.max_bytes == SMALL["parse_cache_bytes"]
    parser.CACHE.clear()  # process-wide: the run on the other backend filled it

    def distinct_queries(make):
        for _ in range(300):
            assert admin.query(make(uuid.uuid4().hex * 180)) == []  # a distinct 5.8 KB query each time
            assert parser.CACHE.bytes <= SMALL["parse_cache_bytes"]
            assert limited.server.plans.cache.bytes <= SMALL["parse_cache_bytes"]
        return True

    # Queries of one shape share a plan: their values are kept nowhere.
    assert all(during(lambda: distinct_queries(lambda filler: f'select id from Status where name is "{filler}"'),
                      other, probes=2))
    assert not [text for text in parser.CACHE._entries if len(text) > 5760]
    # Bare words are part of the shape: each query is parsed and planned, within the budgets.
    assert all(during(lambda: distinct_queries(
        lambda filler: f'select id from Status where name is x{filler} and id is "none"'), other, probes=2))
    large = [text for text in parser.CACHE._entries if len(text) > 5760]
    assert 0 < len(large) <= SMALL["parse_cache_bytes"] // (32 * 5760)
    plans = [key for key in limited.server.plans.cache._entries if len(key[0]) > 5760]
    assert len(plans) <= SMALL["parse_cache_bytes"] // (400 * 5760)


def test_distinct_megabyte_queries_do_not_accumulate(server, api):
    other = other_user(server, api)
    api.query("select id from Status")  # warm up the code paths
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]

        def megabyte_query():
            filler = uuid.uuid4().hex * 31_000  # a distinct 1 MB query each time
            return api.query(f'select id from Status where name is "{filler}"')

        answers = during(megabyte_query, other, probes=1)
        answers += [megabyte_query() for _ in range(10)]
        gc.collect()  # parse results hold reference cycles: count only what is still reachable
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert all(answer == [] for answer in answers)
    assert not [text for text in parser.CACHE._entries if len(text) > 900_000]  # each over a quarter of the budget
    assert parser.CACHE.bytes <= parser.CACHE.max_bytes
    assert kept < 4 * 1024 * 1024, kept  # a cache by entry count kept about 2 MB per query


# -- answers ------------------------------------------------------------------------------------

def test_response_too_large(admin, other):
    refused_while_other_works(admin, other, [{"action": "query_schemas"}] * 3,
                              "The answer is too large; ask for less", status=413)


def test_a_query_matching_more_rows_than_an_answer_holds_is_refused_before_reading_them(backend, server_factory):
    from clapboard_server.query.select import MIN_ENTITY_BYTES

    with server_factory(backend, max_response_bytes=1000 * MIN_ENTITY_BYTES) as handle:  # at most 1,000 rows
        api = Api(handle)
        schema = api.one('select id from ProjectSchema where name is "VFX Scheme"')
        project = create("Project", name=f"rows-{uuid.uuid4().hex[:8]}", full_name="rows", project_schema=ref(schema))
        api.call(project)
        for batch in range(44):  # small batches: their answers must fit too
            api.call(*(create("Folder", name=f"f{batch}-{n}", parent=ref(project)) for n in range(25)))
        folders = f'select id from Folder where parent_id is "{project["entity_data"]["id"]}"'
        for expression in (folders, f"{folders} limit 5000"):
            response = post(api, query(expression))
            assert response.status_code == 413, response.text
            error = error_of(response)
            assert error["exception"] == "LimitExceededError" and "more than 1,000 rows" in error["content"]
            assert "page it with offset and limit" in error["content"]
        assert len(api.query(f"{folders} limit 200")) == 200
        assert len(api.query(f"{folders} offset 1000 limit 200")) == 100


def test_a_thousand_query_schemas_are_refused_by_default(server, api):
    other = other_user(server, api)
    before = fingerprint(api)
    assert_refused(during(lambda: post(api, [{"action": "query_schemas"}] * 1000), other, probes=2),
                   "LimitExceededError", "(limit max_response_bytes = 67,108,864)", 413)
    assert fingerprint(api) == before


# -- events -------------------------------------------------------------------------------------

def test_event_subscriber_that_never_reads_is_disconnected(limited, admin, other, caplog):
    caplog.set_level(logging.WARNING, logger="clapboard_server")
    hub = limited.server.events
    topic = f"test.slow.{uuid.uuid4().hex}"
    session_id = handshake(limited.server_url, limited.api_user, limited.api_key).text.split(":")[0]
    silent = socket_url(limited.server_url, session_id)
    import websocket
    sluggard = websocket.create_connection(silent, timeout=30)
    try:
        subscribe = {"topic": "ftrack.meta.subscribe",
                     "data": {"subscriber": {"id": "never-reads"}, "subscription": f"topic={topic}"}}
        sluggard.send("5:::" + json.dumps({"name": "ftrack.event", "args": [subscribe]}))
        wait_until(lambda: any("never-reads" in c.subscribers for c in hub.router.connections()),
                   what="the subscription")
        slow = next(c for c in hub.router.connections() if "never-reads" in c.subscribers)
        with Client(limited, user=other.headers["ftrack-user"], key=other.headers["ftrack-api-key"]) as reader:
            reader.subscribe(f"topic={topic}")
            blob = "x" * 64 * 1024
            for index in range(400):  # 25 MB: more than the socket buffers and the queue hold
                hub.publish({"topic": topic, "data": {"index": index, "blob": blob}})
                # The reader keeps up (it is served while the other is dropped).
                reader.wait_event(lambda event, index=index: event["data"].get("index") == index, timeout=30)
                if slow not in hub.router.connections():
                    break
                if index % 50 == 0:
                    probe(other)
            wait_until(lambda: slow not in hub.router.connections(), what="the slow subscriber's disconnection")
            hub.publish({"topic": topic, "data": {"index": "after"}})
            assert reader.wait_event(lambda event: event["data"].get("index") == "after")
        assert slow.queued_bytes <= SMALL["max_queued_event_bytes"]
        assert any("reads too slowly" in record.getMessage() and "max_queued_event_bytes" in record.getMessage()
                   for record in caplog.records)
    finally:
        sluggard.close()
    probe(other)


# -- half-sent requests -------------------------------------------------------------------------

def _address(server):
    host, port = server.server_url.rsplit("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def _read_until_closed(connection, timeout=30):
    connection.settimeout(timeout)
    received = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return received
        received += chunk


def _timeout_answer(received, words):
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received
    error = strict_json(body.decode())
    assert error["exception"] == "RequestTimeoutError" and words in error["content"], error


@pytest.mark.parametrize("sent", [b"", b"POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"],
                         ids=["nothing", "half-headers"])
def test_half_sent_headers_are_answered_408_and_closed(limited, admin, other, sent):
    before = fingerprint(admin)
    with socket.create_connection(_address(limited)) as connection:
        connection.sendall(sent)
        probe(other)  # served while the half-sent request holds its connection
        _timeout_answer(_read_until_closed(connection), "The request headers did not arrive within 1 s")
    assert fingerprint(admin) == before


def test_stalled_body_is_answered_408_and_closed(limited, admin, other):
    before = fingerprint(admin)
    head = (f"POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
            f"ftrack-user: {limited.api_user}\r\nftrack-api-key: {limited.api_key}\r\n\r\n").encode()
    with socket.create_connection(_address(limited)) as connection:
        connection.sendall(head + b'[{"action": "create", "entity_type": "Note"')
        probe(other)
        _timeout_answer(_read_until_closed(connection), "The request body stalled for 1 s")
    assert fingerprint(admin) == before


def test_headers_trickling_in_do_not_extend_the_deadline(limited, other):
    started = time.monotonic()
    with socket.create_connection(_address(limited)) as connection:
        connection.settimeout(0.2)
        closed = False
        for byte in b"POST /api HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"y" * 200:
            try:
                connection.sendall(bytes([byte]))
                if connection.recv(65536).startswith(b"HTTP/1.1 408"):
                    closed = True
                    break
            except TimeoutError:
                continue  # nothing yet: the attacker sends its next byte (this is the attack's pace)
            except OSError:
                closed = True
                break
        assert closed, "the trickling request was never cut off"
    assert time.monotonic() - started < 20
    probe(other)


def test_kept_alive_connections_still_work(admin):
    for _ in range(3):
        assert admin.call({"action": "query_server_information"})[0]["version"]


# -- configuration ------------------------------------------------------------------------------

def test_limits_from_environment_arguments_and_defaults():
    environment = {"CLAPBOARD_SERVER_MAX_BODY_BYTES": "1_000", "CLAPBOARD_SERVER_HEADER_TIMEOUT": "2.5",
                   "CLAPBOARD_SERVER_MAX_OPERATIONS": "7"}
    resolved = Limits.resolve({"max_operations": 9}, environment)
    assert (resolved.max_body_bytes, resolved.header_timeout, resolved.max_operations) == (1000, 2.5, 9)
    assert resolved.max_query_depth == Limits().max_query_depth
    with pytest.raises(TypeError, match="Unknown server limit 'max_bananas'"):
        Limits.resolve({"max_bananas": 1}, {})
    with pytest.raises(ValueError, match="CLAPBOARD_SERVER_MAX_LIMIT must be a number"):
        Limits.resolve({}, {"CLAPBOARD_SERVER_MAX_LIMIT": "lots"})
    with pytest.raises(ValueError, match="must be a positive number"):
        Limits(max_operations=0)
    assert Limits.parse_assignment("max-body-bytes=12") == ("max_body_bytes", 12)
    with pytest.raises(ValueError, match="Expected NAME=VALUE"):
        Limits.parse_assignment("max_body_bytes")


def test_embedded_start_takes_limits(tmp_path):
    from clapboard_server import embedded

    with embedded.start(data_dir=tmp_path, limits=Limits(max_operations=3), max_query_depth=2) as handle:
        assert (handle.server.limits.max_operations, handle.server.limits.max_query_depth) == (3, 2)
        api = Api(handle)
        error = error_of(post(api, [{"action": "query_server_information"}] * 4))
        assert error["content"] == "The batch has 4 operations (limit max_operations = 3)."


@pytest.mark.backends("sqlite")
def test_server_command_takes_limits_from_options_and_environment(tmp_path, backend):
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])),
                   "CLAPBOARD_SERVER_MAX_QUERY_DEPTH": "2"}
    command = [sys.executable, "-m", "clapboard.cli", "server", "--data-dir", str(tmp_path), "--port", "0",
               "--limit", "max_operations=2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    try:
        output = ""
        for line in process.stdout:
            output += line
            if line.startswith("Press Ctrl+C"):
                break
        url = output.split("listening on ")[1].split()[0]
        handle = type("Handle", (), {"server_url": url, "api_user": "admin",
                                     "api_key": (tmp_path / "admin-api-key").read_text().strip()})
        api = Api(handle)
        assert "(limit max_operations = 2)" in error_of(post(api, [{"action": "query_server_information"}] * 3))["content"]
        nested = "select id from Project where not not not name is \"x\""
        assert "(limit max_query_depth = 2)" in error_of(post(api, query(nested)))["content"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    bad = subprocess.run([*command[:-1], "max_bananas=1"], capture_output=True, text=True, env=environment,
                         timeout=60, check=False)
    assert bad.returncode == 2 and "--limit: Expected NAME=VALUE" in bad.stderr


@pytest.mark.backends("sqlite")
def test_sqlite_refusing_a_query_is_a_clear_error_when_the_depth_limit_is_raised(backend, server_factory):
    with server_factory(backend, max_query_depth=40) as handle:
        api = Api(handle)
        expression = "select id from Task"
        for _ in range(20):
            expression = f"select id from Task where id in ({expression})"
        other = other_user(handle, api)
        before = fingerprint(api)
        assert_refused(during(lambda: post(api, query(expression)), other), "LimitExceededError",
                       "The query is too complex for the database (parser stack overflow)", 400)
        assert fingerprint(api) == before
