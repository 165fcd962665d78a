"""The "Working with entities" documentation, against the embedded server."""

import textwrap
import uuid

import arrow
import clapboard
import clapboard.inspection
import pytest
from clapboard import attribute
from clapboard.collection import Collection
from clapboard.symbol import CREATED, DELETED, MODIFIED, NOT_SET
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture
def tree(server):
    """A committed project with one shot holding a task with a note and a timelog."""
    with new_session(server) as setup:
        schema = setup.query("ProjectSchema").first()
        name = f"entities_{uuid.uuid4().hex[:8]}"
        project = setup.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        shot = setup.create("Shot", {"name": "010", "parent": project})
        status = schema.get_statuses("Task")[0]
        task_type = schema.get_types("Task")[0]
        task = setup.create("Task", {"name": "model", "parent": shot, "status": status, "type": task_type})
        author = setup.query("User").first()
        task.create_note("Hello", author)
        setup.create("Timelog", {"context": task, "user": author, "start": arrow.utcnow(), "duration": 60})
        setup.commit()
        return {"project": project["id"], "shot": shot["id"], "task": task["id"], "user": author["id"]}


def test_notes_are_dict_like_with_helpers(session, tree, server):
    note = session.query(f'Note where parent_id is "{tree["task"]}"').first()
    assert "content" in note
    assert note["content"] == "Hello"
    note["content"] = "A different message!"
    author = session.get("User", tree["user"])
    reply = note.create_reply("Thanks", author)
    session.commit()
    with new_session(server) as check:
        stored = check.get("Note", note["id"])
        assert stored["content"] == "A different message!"
        assert [item["content"] for item in stored["replies"]] == ["Thanks"]
        assert check.get("Note", reply["id"])["in_reply_to"]["id"] == note["id"]


def test_attributes(session, tree, server):
    task = session.get("Task", tree["task"])
    assert {"id", "name"} <= set(task.keys())
    kinds = {item.name: type(item) for item in type(task).attributes}
    assert kinds["id"] is attribute.ScalarAttribute
    assert kinds["name"] is attribute.ScalarAttribute
    assert kinds["status"] is attribute.ReferenceAttribute
    assert kinds["timelogs"] is attribute.CollectionAttribute
    assert kinds["metadata"] is attribute.KeyValueMappedCollectionAttribute
    assert "ScalarAttribute(id)" in repr(type(task).attributes.get("id"))

    assert task["name"] == "model"
    task["name"] = "comp"
    status = task["status"]
    assert repr(status) == f"<Status {status['id'][:8]}>"  # the name is not loaded: showing fetches nothing
    name = status["name"]
    assert repr(status) == f"<Status \"{name}\" {status['id'][:8]}>"
    new_status = session.query("Status").first()
    task["status"] = new_status
    assert isinstance(task["timelogs"], Collection)
    assert len(task["timelogs"][:]) == 1
    new_timelog = session.create("Timelog", {"start": arrow.utcnow(), "duration": 30, "user_id": tree["user"]})
    task["timelogs"].append(new_timelog)
    assert new_timelog["context"] is task
    session.commit()
    with new_session(server) as check:
        stored = check.get("Task", tree["task"])
        assert stored["name"] == "comp"
        assert stored["status"]["id"] == new_status["id"]
        assert len(stored["timelogs"]) == 2


def test_bidirectional_relationships(session, tree, server):
    task = session.get("Task", tree["task"])
    old_parent = task["parent"]
    assert task in old_parent["children"]
    new_parent = session.create("Shot", {"name": "020", "parent": session.get("Project", tree["project"])})
    task["parent"] = new_parent
    assert task in new_parent["children"]
    assert task not in old_parent["children"]
    session.commit()
    assert task in new_parent["children"]
    assert task not in old_parent["children"]
    with new_session(server) as check:
        assert [child["id"] for child in check.get("Shot", new_parent["id"])["children"]] == [task["id"]]


def test_creating_entities(session):
    calls = session.transport.call_count
    new_user = session.create("User", {"username": f"martin_{uuid.uuid4().hex[:8]}"})
    assert str(uuid.UUID(new_user["id"])) == new_user["id"]
    assert new_user["first_name"] is NOT_SET
    assert session.transport.call_count == calls


def test_updating_entities(session, tree, server):
    task = session.query(f'Task where id is "{tree["task"]}"').first()
    task["bid"] = 8
    with session.auto_populating(False):
        task = session.query(f'Task where id is "{tree["task"]}"').first()
        task["bid"] = 8
    session.commit()
    with new_session(server) as check:
        assert check.get("Task", tree["task"])["bid"] == 8


def test_reset_remote_api_key(session, server):
    username = f"test_user_{uuid.uuid4().hex[:6]}"
    session.create("User", {"username": username})
    session.commit()
    result = session.reset_remote("api_key", entity=session.query(f'User where username is "{username}"').one())
    assert result["api_key"]


def test_deleting_entities(session, tree, server):
    task_to_delete = session.get("Task", tree["task"])
    note_ids = [note["id"] for note in task_to_delete["notes"]]
    assert note_ids
    session.delete(task_to_delete)
    session.commit()
    assert task_to_delete["name"] == "model"  # the local instance stays usable
    with new_session(server) as check:
        assert check.get("Task", tree["task"]) is None
        assert check.query(f'Note where id is "{note_ids[0]}"').first() is None


def test_populating_entities(session, tree):
    users = session.query("User")
    calls = session.transport.call_count
    session.populate(users, "first_name, last_name")
    with session.auto_populating(False):
        for user in users:
            assert user["first_name"] is not NOT_SET
            assert user["email"] is NOT_SET
    assert session.transport.call_count - calls <= 2


def test_entity_states(session, tree):
    new_user = session.create("User", {})
    assert clapboard.inspection.state(new_user) is CREATED
    existing_user = session.query("User").first()
    assert clapboard.inspection.state(existing_user) is NOT_SET
    existing_user["email"] = "martin@example.com"
    assert clapboard.inspection.state(existing_user) is MODIFIED
    session.delete(new_user)
    assert clapboard.inspection.state(new_user) is DELETED


def test_default_projections(session):
    user = session.query("User").first()
    with session.auto_populating(False):
        items = dict(user.items())
    assert items["id"] == user["id"]
    assert items["username"] is NOT_SET
    assert items["first_name"] is NOT_SET


FACTORY_PLUGIN = """
import clapboard.entity.base
import clapboard.entity.factory


def get_full_name(self):
    '''Return full name for user.'''
    return '{0} {1}'.format(self['first_name'], self['last_name']).strip()


class CustomUser(clapboard.entity.base.Entity):
    '''Represent user.'''

    def greeting(self):
        return 'Hello ' + self.get_full_name()


class Factory(clapboard.entity.factory.StandardFactory):
    '''Entity class factory.'''

    def create(self, schema, bases=None):
        '''Create and return entity class from *schema*.'''
        if bases is None:
            bases = [clapboard.entity.base.Entity]
        if schema['id'] == 'User':
            bases = [CustomUser]
        cls = super(Factory, self).create(schema, bases=bases)
        if schema['id'] == 'User':
            cls.default_projections = ['id', 'username']
            cls.get_full_name = get_full_name
        return cls


def register(session):
    factory = Factory()

    def construct_entity_type(event):
        return factory.create(event['data']['schema'], bases=None)

    session.event_hub.subscribe('topic=ftrack.api.session.construct-entity-type', construct_entity_type)
"""


def test_customising_entity_types(server, tmp_path):
    (tmp_path / "construct_entity_type.py").write_text(textwrap.dedent(FACTORY_PLUGIN))
    with new_session(server, plugin_paths=[str(tmp_path)]) as session:
        user = session.query('User where username is "admin"').first()
        with session.auto_populating(False):
            items = dict(user.items())
            assert items["username"] == "admin"
            assert items["first_name"] is NOT_SET
        assert user.get_full_name() == "Admin"
        assert user.greeting() == "Hello Admin"
        assert repr(type(user).__mro__[:2]) == (
            "(<dynamic clapboard class 'User'>, <dynamic clapboard class 'CustomUser'>)"
        )
    with new_session(server, plugin_paths=[str(tmp_path)]) as session:
        user = session.query('select id from User where username is "admin"').first()
        with session.auto_populating(False):
            assert user["username"] is NOT_SET
