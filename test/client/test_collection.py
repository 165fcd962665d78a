"""Collections, mapped collections and relationships kept in sync."""

import pytest
from clapboard import exception, inspection
from clapboard.collection import Collection
from clapboard.operation import CreateEntityOperation, UpdateEntityOperation
from clapboard.symbol import CREATED, MODIFIED, NOT_SET


def reconstruct(session, entity_type, **values):
    return session.create(entity_type, values, reconstructing=True)


def operations(session):
    return [
        (type(op).__name__, op.entity_type, getattr(op, "attribute_name", None))
        for op in session.recorded_operations
    ]


def test_mutating_records_the_whole_membership(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    scope = reconstruct(session, "Scope", id="s1")
    project["scopes"].append(scope)
    (operation,) = session.recorded_operations
    assert isinstance(operation, UpdateEntityOperation)
    assert operation.attribute_name == "scopes"
    assert operation.old_value == [] and operation.new_value == [scope]
    assert inspection.state(project) is MODIFIED


def test_duplicates_are_refused(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    scope = reconstruct(session, "Scope", id="s1")
    project["scopes"].append(scope)
    with pytest.raises(exception.DuplicateItemInCollectionError):
        project["scopes"].append(scope)
    with pytest.raises(exception.DuplicateItemInCollectionError):
        project["scopes"] = [scope, scope]


def test_immutable_collection(session):
    project = reconstruct(session, "Project", id="p")
    attribute = type(project).attributes.get("scopes")
    collection = Collection(project, attribute, mutable=False)
    with pytest.raises(exception.ImmutableCollectionError):
        collection.append(reconstruct(session, "Scope", id="s1"))


def test_sequence_interface(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    scopes = [reconstruct(session, "Scope", id=f"s{index}") for index in range(4)]
    collection = project["scopes"]
    collection.extend(scopes[:3])
    collection.insert(0, scopes[3])
    assert collection[:] == [scopes[3], scopes[0], scopes[1], scopes[2]]
    assert collection.index(scopes[1]) == 2 and collection.count(scopes[1]) == 1
    assert scopes[0] in collection
    del collection[0]
    collection.remove(scopes[0])
    collection[0] = scopes[3]
    assert list(collection) == [scopes[3], scopes[2]]
    collection.reverse()
    assert collection.pop() is scopes[3]
    collection.clear()
    assert len(collection) == 0
    assert project["scopes"] is collection


def test_copy_on_write_keeps_server_state(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    scope = reconstruct(session, "Scope", id="s1")
    collection = project["scopes"]
    collection.append(scope)
    attribute = type(project).attributes.get("scopes")
    assert attribute.get_local_value(project) is collection
    assert list(attribute.get_remote_value(project)) == []
    assert attribute.is_modified(project)
    session.rollback()
    assert list(project["scopes"]) == []


def test_setting_parent_moves_task_between_loaded_children(session):
    old = reconstruct(session, "Shot", id="old")
    new = reconstruct(session, "Shot", id="new", children=[])
    task = reconstruct(session, "Task", id="t", parent=old)
    old["children"]  # not loaded: stays unloaded
    old_children = reconstruct(session, "Shot", id="old", children=[task])["children"]
    assert task in old_children and task["parent"] is old
    task["parent"] = new
    assert task in new["children"]
    assert task not in old["children"]
    assert operations(session) == [("UpdateEntityOperation", "Task", "parent")]
    # The server state is kept apart until commit.
    assert list(type(new).attributes.get("children").get_remote_value(new)) == []


def test_appending_to_children_sets_the_parent(session):
    project = session.create("Project", {"name": "p"})
    sequence = session.create("Sequence", {"name": "s"})
    project["children"].append(sequence)
    assert sequence["parent"] is project
    assert list(project["children"]) == [sequence]
    assert operations(session) == [
        ("CreateEntityOperation", "Project", None),
        ("CreateEntityOperation", "Sequence", None),
        ("UpdateEntityOperation", "Sequence", "parent"),
    ]
    project["children"].remove(sequence)
    assert sequence["parent"] is None
    assert list(project["children"]) == []


def test_creating_with_parent_fills_the_new_parents_children(session):
    project = session.create("Project", {"name": "p"})
    sequences = [session.create("Sequence", {"name": f"s{i}", "parent": project}) for i in range(3)]
    assert list(project["children"]) == sequences
    assert all(isinstance(op, CreateEntityOperation) for op in session.recorded_operations)


def test_creating_with_children_sets_their_parent(session):
    shot = session.create("Shot", {"name": "a"})
    sequence = session.create("Sequence", {"name": "s", "children": [shot]})
    assert shot["parent"] is sequence
    assert operations(session)[-1] == ("UpdateEntityOperation", "Shot", "parent")


def test_replacing_children_relinks_members(session):
    sequence = reconstruct(session, "Sequence", id="q", children=[])
    a = reconstruct(session, "Shot", id="a", parent=sequence)
    b = reconstruct(session, "Shot", id="b")
    assert list(sequence["children"]) == [a]
    sequence["children"] = [b]
    assert a["parent"] is None and b["parent"] is sequence
    assert list(sequence["children"]) == [b]


def test_merged_collections_link_their_members(session):
    child = reconstruct(session, "Shot", id="c")
    project = reconstruct(session, "Project", id="p", children=[child])
    with session.auto_populating(False):
        assert child["parent"] is project


def test_delete_removes_from_loaded_children(session):
    shot = reconstruct(session, "Shot", id="s", children=[])
    task = reconstruct(session, "Task", id="t", parent=shot)
    assert task in shot["children"]
    session.delete(task)
    assert task not in shot["children"]


def test_metadata_mapping(session):
    sequence = reconstruct(
        session,
        "Sequence",
        id="q",
        metadata=[reconstruct(session, "Metadata", parent_id="q", key="frame_padding", value="4")],
    )
    metadata = sequence["metadata"]
    assert metadata["frame_padding"] == "4"
    assert list(metadata.keys()) == ["frame_padding"]
    assert dict(metadata.items()) == {"frame_padding": "4"}
    metadata["frame_padding"] = "5"
    assert operations(session) == [("UpdateEntityOperation", "Metadata", "value")]
    metadata["focal_length"] = "70"
    created = session.created[0]
    assert created.entity_type == "Metadata"
    assert created["parent_id"] == "q" and created["parent_type"] == "Sequence"
    assert created["key"] == "focal_length" and created["value"] == "70"
    assert operations(session)[-1] == ("UpdateEntityOperation", "Sequence", "metadata")
    with pytest.raises(KeyError):
        metadata["missing"]
    del metadata["frame_padding"]
    assert "frame_padding" not in metadata
    assert session.deleted[0]["key"] == "frame_padding"


def test_metadata_assigned_as_a_mapping_replaces_entries(session):
    sequence = session.create("Sequence", {"name": "s", "metadata": {"a": "1", "b": "2"}})
    assert dict(sequence["metadata"]) == {"a": "1", "b": "2"}
    sequence["metadata"] = {"b": "3", "c": "4"}
    assert dict(sequence["metadata"]) == {"b": "3", "c": "4"}
    kinds = [op.entity_type for op in session.recorded_operations if isinstance(op, CreateEntityOperation)]
    assert kinds[0] == "Sequence"


def test_dense_custom_attributes(session, fake_server):
    value = reconstruct(
        session, "ContextCustomAttributeValue", configuration_id="c1", entity_id="t", key="fstart", value=1001
    )
    task = reconstruct(session, "Task", id="t", custom_attributes=[value])
    assert task["custom_attributes"]["fstart"] == 1001
    task["custom_attributes"]["fstart"] = 1010
    (operation,) = session.recorded_operations
    assert operation.entity_type == "ContextCustomAttributeValue"
    assert operation.entity_key == {"configuration_id": "c1", "entity_id": "t"}
    with pytest.raises(KeyError):
        task["custom_attributes"]["unknown"] = 1


def test_custom_attribute_on_a_new_entity_records_an_upsert(session, fake_server):
    fake_server.query_handler = lambda expression: [
        {
            "__entity_type__": "CustomAttributeConfiguration",
            "id": "c1",
            "key": "fstart",
            "entity_type": "task",
            "object_type_id": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
            "project_id": None,
            "is_hierarchical": False,
            "default": None,
        }
    ]
    task = session.create("Task", {"name": "t"})
    task["custom_attributes"]["fstart"] = 1001
    assert task["custom_attributes"]["fstart"] == 1001
    kinds = [(type(op).__name__, op.entity_type) for op in session.recorded_operations]
    assert ("CreateEntityOperation", "ContextCustomAttributeValue") not in kinds
    assert ("UpdateEntityOperation", "ContextCustomAttributeValue") in kinds
    assert inspection.state(task) is CREATED


def test_collection_equality(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    scope = reconstruct(session, "Scope", id="s1")
    project["scopes"].append(scope)
    assert project["scopes"] == [scope]
    assert project["scopes"] != [reconstruct(session, "Scope", id="s2")]
    assert Collection(project, None, data=[]) == []
    assert project["scopes"].__eq__(1) is NotImplemented
    assert NOT_SET not in project["scopes"]


def test_server_data_moves_children_between_loaded_parents(session, fake_server):
    old = reconstruct(session, "Shot", id="old", children=[])
    new = reconstruct(session, "Shot", id="new", children=[])
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "Task", "id": "t", "parent": {"__entity_type__": "Shot", "id": "old"}}
    ]
    task = session.query("select parent from Task").one()
    assert list(old["children"]) == [task]
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "Task", "id": "t", "parent": {"__entity_type__": "Shot", "id": "new"}}
    ]
    session.query("select parent from Task").one()
    assert list(old["children"]) == [] and list(new["children"]) == [task]
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "Shot", "id": "old", "children": [{"__entity_type__": "Task", "id": "t"}]}
    ]
    session.query("select children from Shot").one()
    with session.auto_populating(False):
        assert task["parent"] is old
    assert list(new["children"]) == [] and list(old["children"]) == [task]


def test_committed_relationships_become_server_state(session, fake_server):
    shot = reconstruct(session, "Shot", id="s", children=[])
    task = session.create("Task", {"name": "t", "parent": shot})
    session.commit()
    attribute = type(shot).attributes.get("children")
    assert attribute.get_local_value(shot) is NOT_SET
    assert list(attribute.get_remote_value(shot)) == [task]
    session.delete(task)
    session.commit()
    assert list(shot["children"]) == []


def test_collections_hold_entities_only(session):
    project = reconstruct(session, "Project", id="p", scopes=[])
    with pytest.raises(TypeError):
        project["scopes"] = ["not an entity"]
    with pytest.raises(TypeError):
        project["scopes"].append("not an entity")
