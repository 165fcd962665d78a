from clapboard.operation import (
    CreateEntityOperation,
    DeleteEntityOperation,
    Operations,
    UpdateEntityOperation,
)
from clapboard.symbol import CREATED, DELETED, MODIFIED, NOT_SET


def key(value):
    return {"id": value}


def test_operations_record_in_order():
    operations = Operations()
    create = CreateEntityOperation("User", key("a"), {"username": "x"})
    update = UpdateEntityOperation("User", key("a"), "email", NOT_SET, "x@y")
    operations.push(create)
    operations.push(update)
    assert list(operations) == [create, update]
    assert len(operations) == 2
    assert operations.pop() is update
    operations.clear()
    assert len(operations) == 0


def test_states_follow_the_operations():
    operations = Operations()
    operations.push(CreateEntityOperation("User", key("a"), {}))
    operations.push(UpdateEntityOperation("User", key("a"), "email", NOT_SET, "x"))
    operations.push(UpdateEntityOperation("User", key("b"), "email", NOT_SET, "x"))
    assert operations.state(("User", "a")) is CREATED
    assert operations.state(("User", "b")) is MODIFIED
    assert operations.state(("User", "c")) is NOT_SET
    operations.push(DeleteEntityOperation("User", key("b")))
    assert operations.state(("User", "b")) is DELETED
    assert operations.identities(CREATED) == [("User", "a")]
    operations.pop()
    assert operations.state(("User", "b")) is MODIFIED
    operations.clear()
    assert operations.state(("User", "a")) is NOT_SET


def test_values_are_shallow_copied():
    data = {"tags": ["a"], "name": "x"}
    operation = CreateEntityOperation("User", key("a"), data)
    data["tags"].append("b")
    data["name"] = "y"
    assert operation.entity_data == {"tags": ["a"], "name": "x"}
    old, new = ["a"], ["a", "b"]
    update = UpdateEntityOperation("User", key("a"), "tags", old, new)
    new.append("c")
    assert update.old_value == ["a"] and update.new_value == ["a", "b"]
    assert update.identity == ("User", "a")
    assert "UpdateEntityOperation User(a)" in repr(update)
