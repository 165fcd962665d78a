"""Compression of the operation log into a commit batch (pure functions)."""

from clapboard.operation import CreateEntityOperation, DeleteEntityOperation, UpdateEntityOperation
from clapboard.symbol import NOT_SET
from clapboard.unit_of_work import (
    compress,
    drop_created_then_deleted,
    drop_updates_before_delete,
    fold_updates,
    payloads_from_operations,
    strip_not_set,
)


class Ref:
    """Stands for an entity: only its identity matters to the compressor."""

    def __init__(self, entity_type, key):
        self._identity = (entity_type, key)

    def __repr__(self):
        return f"Ref{self._identity}"


def create(key, entity_type="User", **data):
    return CreateEntityOperation(entity_type, {"id": key}, {"id": key, **data})


def update(key, name, value, entity_type="User"):
    return UpdateEntityOperation(entity_type, {"id": key}, name, NOT_SET, value)


def delete(key, entity_type="User"):
    return DeleteEntityOperation(entity_type, {"id": key})


def summary(payloads):
    """Return (action, key, data without __entity_type__) per payload."""
    result = []
    for payload in payloads:
        data = {k: v for k, v in payload.get("entity_data", {}).items() if k != "__entity_type__"}
        result.append((payload["action"], payload["entity_key"][0], data))
    return result


def test_payload_shapes():
    payloads = payloads_from_operations([create("a", username="bob"), update("a", "email", "x"), delete("a")])
    assert payloads[0] == {
        "action": "create",
        "entity_type": "User",
        "entity_key": ["a"],
        "entity_data": {"__entity_type__": "User", "id": "a", "username": "bob"},
    }
    assert payloads[1] == {
        "action": "update",
        "entity_type": "User",
        "entity_key": ["a"],
        "entity_data": {"__entity_type__": "User", "email": "x"},
    }
    assert payloads[2] == {"action": "delete", "entity_type": "User", "entity_key": ["a"]}
    assert payloads[0].identity == ("User", "a")


def test_create_followed_by_updates_becomes_one_create():
    batch = compress([create("a", username="bob"), update("a", "username", "foo"), update("a", "email", "b@x")])
    assert summary(batch) == [("create", "a", {"id": "a", "username": "foo", "email": "b@x"})]


def test_repeated_updates_of_one_attribute_become_the_last():
    batch = compress([update("a", "email", "1"), update("a", "email", "2"), update("a", "email", "3")])
    assert summary(batch) == [("update", "a", {"email": "3"})]


def test_create_then_delete_sends_nothing():
    assert compress([create("a"), update("a", "email", "x"), delete("a")]) == []


def test_documented_interleaving():
    """The example of the wire protocol reference, section 4.8."""
    operations = [
        create("a", username="bob"),
        update("a", "username", "foo"),
        update("a", "email", "b@x"),
        create("b", username="ann"),
        update("b", "email", "a@x"),
        update("a", "email", "b@x"),
        update("a", "first_name", "Bob"),
        create("c", username="tmp"),
        update("c", "email", "t@x"),
        delete("c"),
    ]
    assert summary(compress(operations)) == [
        ("create", "a", {"id": "a", "username": "foo", "email": "b@x", "first_name": "Bob"}),
        ("create", "b", {"id": "b", "username": "ann", "email": "a@x"}),
    ]


def test_update_referring_to_a_later_create_stays_after_it():
    b = Ref("Shot", "b")
    operations = [
        create("a", "Task", name="t"),
        create("b", "Shot", name="s"),
        update("a", "parent", b, "Task"),
        update("a", "name", "renamed", "Task"),
    ]
    assert summary(compress(operations)) == [
        ("create", "a", {"id": "a", "name": "renamed"}),
        ("create", "b", {"id": "b", "name": "s"}),
        ("update", "a", {"parent": b}),
    ]


def test_update_referring_to_an_earlier_create_folds():
    p = Ref("Project", "p")
    operations = [create("p", "Project"), create("a", "Task"), update("a", "parent", p, "Task")]
    assert summary(compress(operations)) == [
        ("create", "p", {"id": "p"}),
        ("create", "a", {"id": "a", "parent": p}),
    ]


def test_create_keeps_its_initial_value_when_a_later_value_cannot_fold():
    p1, p2 = Ref("Project", "p1"), Ref("Shot", "p2")
    operations = [create("a", "Task", parent=p1), create("p2", "Shot"), update("a", "parent", p2, "Task")]
    assert summary(compress(operations)) == [
        ("create", "a", {"id": "a", "parent": p1}),
        ("create", "p2", {"id": "p2"}),
        ("update", "a", {"parent": p2}),
    ]


def test_earlier_update_loses_an_attribute_set_again_later():
    b = Ref("Shot", "b")
    operations = [
        update("a", "parent", Ref("Shot", "x"), "Task"),
        update("a", "bid", 1, "Task"),
        create("b", "Shot"),
        update("a", "parent", b, "Task"),
    ]
    assert summary(compress(operations)) == [
        ("update", "a", {"bid": 1}),
        ("create", "b", {"id": "b"}),
        ("update", "a", {"parent": b}),
    ]


def test_interleaved_entities():
    operations = [
        create("a", username="a"),
        update("b", "email", "b1"),
        create("c", username="c"),
        update("a", "email", "a1"),
        update("b", "first_name", "B"),
        delete("d"),
        update("c", "email", "c1"),
        update("b", "email", "b2"),
        delete("c"),
        update("e", "email", "e1"),
        delete("e"),
    ]
    assert summary(compress(operations)) == [
        ("create", "a", {"id": "a", "username": "a", "email": "a1"}),
        ("update", "b", {"email": "b2", "first_name": "B"}),
        ("delete", "d", {}),
        ("delete", "e", {}),
    ]


def test_references_to_created_then_deleted_entities_are_removed():
    gone = Ref("User", "gone")
    kept = Ref("User", "kept")
    operations = [
        create("gone"),
        update("team", "lead", gone, "Group"),
        update("team", "members", [gone, kept], "Group"),
        delete("gone"),
    ]
    assert summary(compress(operations)) == [("update", "team", {"members": [kept]})]


def test_cleared_values_are_not_sent():
    operations = [create("a", username="x", email="e"), update("a", "email", NOT_SET), update("b", "email", NOT_SET)]
    assert summary(compress(operations)) == [("create", "a", {"id": "a", "username": "x"})]


def test_passes_are_pure():
    payloads = payloads_from_operations([create("a"), update("a", "email", "x"), update("a", "name", NOT_SET)])
    before = [dict(payload, entity_data=dict(payload["entity_data"])) for payload in payloads]
    for step in (drop_created_then_deleted, drop_updates_before_delete, fold_updates, strip_not_set):
        step(payloads)
    assert payloads == before


def test_updates_after_delete_of_same_entity_are_kept_separate():
    operations = [delete("a"), update("a", "email", "x")]
    assert summary(compress(operations)) == [("delete", "a", {}), ("update", "a", {"email": "x"})]
