"""Writes sent together: batched updates and rows read ahead behave as writes one by one.

A batch's updates are sent with ``executemany`` per statement and set of columns, and the rows
of a batch with many updates are read in a few queries before it runs. Every later operation
must still see the batch's earlier writes, in order; refusals still name the problem and
leave the database unchanged.
"""

import uuid

import pytest
from clapboard_server.writes import READ_AHEAD_FROM
from server_api import create, ref
from test_integrity import delete, refusal, update

#: Enough updates in one batch for its rows to be read ahead.
MANY = READ_AHEAD_FROM + 5


@pytest.fixture
def shots(api, make_project):
    """``shots(count)``: the ids of ``count`` new shots under one new sequence (and that sequence)."""

    def make(count):
        project = make_project()
        sequence = create("Sequence", name="sq", parent=ref(project))
        made = [create("Shot", name=f"sh{index:03d}", parent=ref(sequence)) for index in range(count)]
        api.call(sequence, *made)
        return [shot["entity_data"]["id"] for shot in made], sequence["entity_data"]["id"]

    return make


def descriptions(api, ids):
    rows = api.query(f"select id, description from Shot where id in ({', '.join(repr(i) for i in ids)})")
    return {row["id"]: row["description"] for row in rows}


def test_many_updates_in_one_batch_all_apply_and_answer_their_values(api, shots):
    ids, _ = shots(MANY)
    results = api.call(*(update("Shot", shot_id, description=f"d{index}") for index, shot_id in enumerate(ids)))
    assert [result["data"]["description"] for result in results] == [f"d{index}" for index in range(MANY)]
    assert descriptions(api, ids) == {shot_id: f"d{index}" for index, shot_id in enumerate(ids)}


def test_updates_of_one_row_with_different_columns_apply_in_order(api, shots):
    ids, _ = shots(MANY)
    first = ids[0]
    batch = [update("Shot", shot_id, description="other") for shot_id in ids[1:]]
    batch[3:3] = [
        update("Shot", first, description="one"),
        update("Shot", first, description="two", name="renamed"),
        update("Shot", first, description="three"),
    ]
    results = api.call(*batch)
    assert results[5]["data"]["description"] == "three"
    stored = api.one(f'select name, description from Shot where id is "{first}"')
    assert (stored["name"], stored["description"]) == ("renamed", "three")


def test_a_query_in_the_batch_sees_the_updates_before_it(api, shots):
    ids, _ = shots(MANY)
    batch = [update("Shot", shot_id, description=f"d{index}") for index, shot_id in enumerate(ids)]
    batch.insert(3, {"action": "query", "expression": f'select description from Shot where id is "{ids[1]}"'})
    results = api.call(*batch)
    assert [row["description"] for row in results[3]["data"]] == ["d1"]


def test_a_name_freed_by_an_update_can_be_taken_by_a_create_of_the_same_batch(api, shots):
    ids, sequence_id = shots(MANY)
    batch = [update("Shot", shot_id, description="kept") for shot_id in ids[1:]]
    batch.append(update("Shot", ids[0], name="sh-renamed"))
    newcomer = create("Shot", name="sh000", parent={"__entity_type__": "Sequence", "id": sequence_id})
    api.call(*batch, newcomer)
    taken = api.one(f'select id from Shot where parent.id is "{sequence_id}" and name is "sh000"')
    assert taken["id"] == newcomer["entity_data"]["id"]


def test_an_update_clashing_with_a_unique_name_refuses_the_batch(api, server, shots):
    ids, _ = shots(MANY)
    batch = [update("Shot", shot_id, description="lost") for shot_id in ids[1:]]
    batch.append(update("Shot", ids[0], name="sh001"))
    error = refusal(api, server, *batch)
    assert error["exception"] == "DuplicateEntryError"
    assert "IntegrityError: cannot update Shot: the new values clash with an existing entity" in error["content"]
    assert set(descriptions(api, ids).values()) == {None}


def test_an_update_of_a_row_deleted_earlier_in_the_batch_is_refused(api, server, shots):
    ids, _ = shots(MANY)
    batch = [update("Shot", shot_id, description="lost") for shot_id in ids]
    batch.insert(2, delete("Shot", ids[-1]))
    error = refusal(api, server, *batch)
    assert error["exception"] == "NotFoundError"
    assert f"Cannot update Shot ['{ids[-1]}']: it does not exist." in error["content"]


def test_an_update_after_a_move_sees_the_moved_rows(api, make_project, shots):
    """Moving a shot rewrites its row's project outside the update queue: later operations see it."""
    ids, _ = shots(MANY)
    other = make_project()
    target = create("Sequence", name="elsewhere", parent=ref(other))
    api.call(target)
    batch = [update("Shot", shot_id, description="kept") for shot_id in ids[1:]]
    batch.insert(0, update("Shot", ids[0], parent=ref(target)))
    batch.append(update("Shot", ids[0], description="after the move"))
    api.call(*batch)
    moved = api.one(f'select project_id, description from Shot where id is "{ids[0]}"')
    assert moved["project_id"] == other["entity_data"]["id"]
    assert moved["description"] == "after the move"


def test_updates_of_missing_or_malformed_keys_are_refused_as_before(api, server, shots):
    ids, _ = shots(MANY)
    batch = [update("Shot", shot_id, description="lost") for shot_id in ids]
    missing = str(uuid.uuid4())
    error = refusal(api, server, *batch, update("Shot", missing, description="x"))
    assert f"Cannot update Shot ['{missing}']: it does not exist." in error["content"]
    error = refusal(api, server, *batch, update("Shot", [ids[0], "extra"], description="x"))
    assert error["exception"] == "ValidationError" and "entity_key of Shot must hold 1 value(s)" in error["content"]


def test_malformed_updates_among_many_are_refused_by_their_own_run(api, server, shots):
    ids, _ = shots(MANY)
    batch = [update("Shot", shot_id, description="lost") for shot_id in ids]
    malformed = {"action": "update", "entity_type": [None], "entity_key": ["x"], "entity_data": {"name": "y"}}
    error = refusal(api, server, *batch, malformed)
    assert error["exception"] == "ValidationError"
    assert "The update action needs an 'entity_type' string." in error["content"]
