"""Attribute values: local and remote, NOT_SET, loading on access."""

import pytest
from clapboard import exception
from clapboard.attribute import Attributes, ScalarAttribute
from clapboard.symbol import NOT_SET

USER_ID = "11111111-1111-1111-1111-111111111111"
STATUS_ID = "22222222-2222-2222-2222-222222222222"


def loaded_user(session, **values):
    return session.create("User", {"id": USER_ID, **values}, reconstructing=True)


def test_value_states(session):
    user = loaded_user(session, username="bob")
    name = type(user).attributes.get("username")
    assert name.get_remote_value(user) == "bob"
    assert name.get_local_value(user) is NOT_SET
    assert name.is_set(user)
    assert not name.is_modified(user)
    user["username"] = "robert"
    assert name.get_local_value(user) == "robert"
    assert name.get_remote_value(user) == "bob"
    assert name.is_modified(user)
    assert user["username"] == "robert"
    assert name.get_entity_storage(user) == {"local": "robert", "remote": "bob"}
    user["username"] = NOT_SET
    assert user["username"] == "bob"
    assert not name.is_modified(user)


def test_unloaded_value_is_fetched_once(session, fake_server):
    user = loaded_user(session)
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "User", "id": USER_ID, "email": "bob@example.com"}
    ]
    assert user["email"] == "bob@example.com"
    assert fake_server.queries == [f'select email from User where id in ("{USER_ID}") offset 0 limit 500']
    assert user["email"] == "bob@example.com"
    assert len(fake_server.queries) == 1


def test_reference_loads_with_target_default_projections(session, fake_server, schemas):
    task = session.create("Task", {"id": "t1"}, reconstructing=True)
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "Task", "id": "t1", "status": {"__entity_type__": "Status", "id": STATUS_ID}}
    ]
    status = task["status"]
    assert status["id"] == STATUS_ID
    projections = next(s for s in schemas if s["id"] == "Status")["default_projections"]
    expected = ", ".join(f"status.{name}" for name in projections)
    assert fake_server.queries[0].startswith(f"select {expected} from Task where id in (")


def test_no_fetch_when_not_auto_populating(session, fake_server):
    user = loaded_user(session)
    with session.auto_populating(False):
        assert user["email"] is NOT_SET
    assert session.auto_populate
    session.auto_populate = False
    assert user["email"] is NOT_SET
    session.auto_populate = True
    assert fake_server.queries == []


def test_new_entities_never_fetch(session, fake_server):
    user = session.create("User", {})
    assert user["email"] is NOT_SET
    assert len(user["timelogs"]) == 0
    assert fake_server.queries == []


def test_missing_value_stays_not_set(session, fake_server):
    user = loaded_user(session)
    assert user["email"] is NOT_SET
    assert len(fake_server.queries) == 1


def test_null_values(session):
    task = session.create(
        "Task", {"id": "t1", "description": None, "parent": None, "timelogs": None}, reconstructing=True
    )
    assert task["description"] is None
    assert task["parent"] is None
    assert list(task["timelogs"]) == []


def test_immutable_can_be_set_once(session):
    user = loaded_user(session)
    resource_type = type(user).attributes.get("resource_type")
    resource_type.set_local_value(user, "user")
    with pytest.raises(exception.ImmutableAttributeError) as error:
        resource_type.set_local_value(user, "group")
    assert "resource_type" in str(error.value)


def test_reference_accepts_entities_only(session):
    task = session.create("Task", {})
    with pytest.raises(TypeError):
        task["status"] = "not an entity"


def test_items_fetch_all_unloaded_values_in_one_request(session, fake_server):
    user = loaded_user(session, username="bob")
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "User", "id": USER_ID, "email": "b@x", "first_name": "Bob"}
    ]
    values = dict(user.items())
    assert values["email"] == "b@x" and values["username"] == "bob"
    assert len(fake_server.queries) == 1
    assert "username" not in fake_server.queries[0].split(" from ")[0]
    assert values["last_name"] is NOT_SET


def test_attributes_container():
    attributes = Attributes([ScalarAttribute("a", "string")])
    attributes.add(ScalarAttribute("b", "string"))
    with pytest.raises(KeyError):
        attributes.add(ScalarAttribute("a", "string"))
    assert attributes.keys() == ["a", "b"]
    assert "a" in attributes and attributes.get("c") is None
    assert [a.name for a in attributes] == ["a", "b"]
    attributes.remove(attributes.get("a"))
    assert len(attributes) == 1


def test_callable_default_receives_entity():
    attribute = ScalarAttribute("a", "string", default_value=lambda entity: "x")
    assert attribute.default_value(None) == "x"
    assert attribute.name == "a" and attribute.mutable and not attribute.computed
