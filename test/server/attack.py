"""Helpers for hostile-input tests: a second user, a fingerprint of the database, and
running an attack while that other user keeps working."""

import json
import threading
import uuid

from server_api import Api, create

#: What a refused request must leave alone: one query per kind of data.
FINGERPRINT = {
    "Project": "select id, name, full_name, status from Project",
    "TypedContext": "select id, name, parent_id from TypedContext",
    "User": "select id, username, is_active from User",
    "Note": "select id, content from Note",
    "AssetVersion": "select id, version from AssetVersion",
    "Component": "select id, name from Component",
    "Status": "select id, name from Status",
    "CustomAttributeValue": "select entity_id, configuration_id, value from CustomAttributeValue",
    "Timelog": "select id, duration from Timelog",
}


def other_user(server, api):
    """A new user with its own API key, as an :class:`Api`."""
    user = create("User", username=f"other-{uuid.uuid4().hex[:8]}", is_active=True)
    api.call(user)
    answer = api.call({"action": "reset_remote", "reset_type": "api_key", "entity_type": "User",
                       "entity_key": user["entity_data"]["id"]})
    return Api(server, user=user["entity_data"]["username"], key=answer[0]["data"]["api_key"])


def fingerprint(api):
    """What the database holds, in brief: the rows of the :data:`FINGERPRINT` queries.

    Asked with the admin's key, so it also proves that key still works.
    """
    answers = api.call(*({"action": "query", "expression": e} for e in FINGERPRINT.values()))
    return {name: sorted(json.dumps(row, sort_keys=True) for row in answer["data"])
            for name, answer in zip(FINGERPRINT, answers)}


def probe(other):
    """One ordinary request of the other user; fails unless answered correctly."""
    information, statuses = other.call(
        {"action": "query_server_information"}, {"action": "query", "expression": "select id, name from Status"}
    )
    assert information["version"]
    assert statuses["data"] and all(row["name"] for row in statuses["data"])


def during(attack, other, probes=3):
    """Run ``attack()`` over and over in a thread while ``other`` sends ordinary requests.

    Each of the other user's requests must be answered while the attack goes on. Returns what
    the attack calls returned (at least one).
    """
    first = threading.Event()
    stop = threading.Event()
    results, failures = [], []

    def run():
        try:
            while True:
                results.append(attack())
                first.set()
                if stop.is_set():
                    return
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            failures.append(error)
            first.set()

    thread = threading.Thread(target=run, name="attack", daemon=True)
    thread.start()
    try:
        assert first.wait(300), "the attack never completed once"
        for _ in range(probes):
            probe(other)
            assert thread.is_alive() or failures, "the attack stopped before the other user was served"
    finally:
        stop.set()
        thread.join(300)
    if failures:
        raise failures[0]
    return results


def strict_json(text):
    """Decode an answer, failing on anything that is not strict JSON (NaN, Infinity)."""
    def refuse(name):
        raise AssertionError(f"the server produced {name}, which is not JSON")
    return json.loads(text, parse_constant=refuse)


def error_of(response):
    """The wire-protocol error object of an HTTP response (the whole body, strictly decoded)."""
    answer = strict_json(response.text)
    assert isinstance(answer, dict) and set(answer) >= {"exception", "content"}, answer
    assert "{" not in answer["content"] and "}" not in answer["content"]
    assert not any(leak in answer["content"] for leak in ("Traceback", "[SQL:", "sqlite3", "psycopg", "FROM "))
    return answer
