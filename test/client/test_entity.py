"""Entity classes built from schemas, and the dict-like entity interface."""

import clapboard
import pytest
from clapboard import attribute, exception
from clapboard.entity.base import DynamicEntityTypeMetaclass, Entity
from clapboard.entity.factory import Factory, StandardFactory
from clapboard.symbol import NOT_SET


def test_a_class_per_schema(session, schemas):
    assert set(session.types) == {schema["id"] for schema in schemas}
    task = session.types["Task"]
    assert task.entity_type == "Task"
    assert task.primary_key_attributes == ["id"]
    assert task.default_projections == ["context_type", "id", "name"]
    assert repr(task) == "<dynamic clapboard class 'Task'>"
    assert isinstance(task, DynamicEntityTypeMetaclass)
    assert issubclass(task, Entity)


def test_attribute_kinds(session):
    attributes = session.types["Task"].attributes
    assert isinstance(attributes.get("name"), attribute.ScalarAttribute)
    assert attributes.get("name").data_type == "string"
    assert attributes.get("bid").data_type == "float"
    assert attributes.get("start_date").data_type == "datetime"
    assert isinstance(attributes.get("status"), attribute.ReferenceAttribute)
    assert attributes.get("status").entity_type == "Status"
    assert isinstance(attributes.get("timelogs"), attribute.CollectionAttribute)
    assert isinstance(attributes.get("metadata"), attribute.KeyValueMappedCollectionAttribute)
    assert isinstance(attributes.get("custom_attributes"), attribute.KeyValueMappedCollectionAttribute)
    assert attributes.get("custom_attribute_links") is None  # restricted projection
    assert not attributes.get("id").mutable
    assert attributes.get("name").mutable
    assert attributes.get("thumbnail_url").computed
    assert "ScalarAttribute(name)" in repr(attributes.get("name"))


def test_relationship_pairs(session):
    task = session.types["Task"]
    assert task.attributes.get("children").inverse == "parent"
    assert task.attributes.get("parent").inverse == "children"
    assert session.types["Timelog"].attributes.get("user").inverse == "timelogs"


def test_helper_bases(session):
    from clapboard.entity import job, note, project_schema, user

    assert issubclass(session.types["User"], user.User)
    assert issubclass(session.types["Note"], note.Note)
    assert issubclass(session.types["Job"], job.Job)
    assert issubclass(session.types["ProjectSchema"], project_schema.ProjectSchema)
    assert hasattr(session.types["Task"], "create_note")
    assert hasattr(session.types["Task"], "create_thumbnail")


def test_new_entity_defaults_and_not_set(session):
    user = session.create("User", {"username": "martin"})
    assert len(user["id"]) == 36
    assert user["resource_type"] == "user"
    assert user["first_name"] is NOT_SET
    assert isinstance(user, session.types["User"])
    assert repr(user) == f"<User \"martin\" {user['id'][:8]} · created>"


def test_dict_like_interface(session):
    user = session.create("User", {"username": "martin"})
    assert "username" in user
    assert "nope" not in user
    assert set(user.keys()) == set(type(user).attributes.keys())
    assert len(user) == len(type(user).attributes)
    assert user.get("username") == "martin"
    assert user.get("nope", 1) == 1
    user.update({"first_name": "Martin", "last_name": "P"})
    assert user["first_name"] == "Martin"
    assert dict(user.items())["last_name"] == "P"
    assert "P" in user.values()
    with pytest.raises(KeyError):
        user["nope"]
    with pytest.raises(KeyError):
        user["nope"] = 1


def test_delete_key_resets_to_not_set(session):
    user = session.create("User", {"username": "martin"})
    del user["username"]
    assert user["username"] is NOT_SET
    with pytest.raises(KeyError):
        del user["nope"]


def test_equality_and_hash_follow_identity(session):
    user = session.create("User", {})
    clone = session.decode(session.encode(user))
    assert clone is not user
    assert clone == user
    assert hash(clone) == hash(user)
    assert user != session.create("User", {})
    assert user != "not an entity"


def test_immutable_attributes(session):
    user = session.create("User", {})
    with pytest.raises(exception.ImmutableAttributeError):
        user["id"] = "other"
    user["id"] = NOT_SET  # clearing is allowed
    loaded = session.create("User", {"id": "u1", "resource_type": "user"}, reconstructing=True)
    with pytest.raises(exception.ImmutableAttributeError):
        loaded["resource_type"] = "group"


def test_reconstructing_sets_remote_values_without_recording(session):
    user = session.create("User", {"id": "u1", "username": "bob"}, reconstructing=True)
    assert type(user).attributes.get("username").get_remote_value(user) == "bob"
    assert type(user).attributes.get("username").get_local_value(user) is NOT_SET
    assert len(session.recorded_operations) == 0


def test_job_type_is_checked(session):
    with pytest.raises(ValueError):
        session.create("Job", {"type": "other"})
    assert session.create("Job", {})["type"] == "api_job"


def test_unknown_entity_type(session):
    with pytest.raises(exception.UnrecognisedEntityTypeError):
        session.create("Nope", {})


def test_factory_without_helpers_and_custom_attributes():
    schema = {
        "id": "Thing",
        "primary_key": ["id"],
        "default_projections": ["id"],
        "properties": {
            "id": {"type": "string", "default": "{uid}"},
            "size": {"type": "integer", "default": 3},
            "tags": {"type": "mapped_array", "items": {"$ref": "Metadata"}},
            "odd": {"type": "weird"},
            "fk": {"format": "foreign_key"},
        },
    }
    cls = Factory().create(schema)
    assert sorted(cls.attributes.keys()) == ["id", "size"]
    assert cls.attributes.get("size").default_value == 3
    standard = StandardFactory().create(schema)
    assert sorted(standard.attributes.keys()) == ["id", "size", "tags"]


def test_entity_methods_on_instances_do_not_need_dict(session):
    user = session.create("User", {})
    with pytest.raises(AttributeError):
        user.anything = 1  # __slots__: no per-instance dict


def test_mixin(session):
    class Greeter:
        __slots__ = ()

        def greet(self):
            return f"hi {self['username']}"

    class Loose:
        def shout(self):
            return self["username"].upper()

    user = session.create("User", {"username": "bob"})
    assert clapboard.mixin(user, Greeter) is user
    assert user.greet() == "hi bob"
    assert isinstance(user, Greeter)
    assert isinstance(user, session.types["User"])
    other = session.create("User", {"username": "ann"})
    clapboard.mixin(other, Loose, name="LoudUser")
    assert other.shout() == "ANN"
    assert type(other).__name__ == "LoudUser"


def test_collection_classes():
    from clapboard import collection

    assert attribute.CollectionAttribute.collection_class is collection.Collection
    assert attribute.KeyValueMappedCollectionAttribute.collection_class is collection.KeyValueMappedCollectionProxy
    assert attribute.CustomAttributeCollectionAttribute.collection_class is collection.CustomAttributeCollectionProxy
