"""The session facade, against a fake server."""

import json
import textwrap

import clapboard
import pytest
from clapboard import exception, inspection
from clapboard.schema import schema_hash
from clapboard.symbol import CREATED, DELETED, MODIFIED, NOT_SET
from clapboard.transport import MockTransport

USERS = [{"__entity_type__": "User", "id": f"u{index}", "username": f"user{index}"} for index in range(5)]


def make_session(fake_server, **options):
    options.setdefault("schema_cache_path", False)
    return clapboard.Session("http://clapboard.test", "key", "tester", transport=MockTransport(fake_server), **options)


# Configuration and lifecycle ------------------------------------------------------------------


def test_configuration_from_environment(fake_server, monkeypatch):
    for name in ("CLAPBOARD_SERVER", "CLAPBOARD_API_KEY", "CLAPBOARD_API_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FTRACK_SERVER", "http://ftrack.test/")
    monkeypatch.setenv("FTRACK_API_KEY", "ftrack-key")
    monkeypatch.setenv("FTRACK_API_USER", "ftrack-user")
    session = clapboard.Session(transport=MockTransport(fake_server), schema_cache_path=False)
    assert (session.server_url, session.api_key, session.api_user) == (
        "http://ftrack.test",
        "ftrack-key",
        "ftrack-user",
    )
    monkeypatch.setenv("CLAPBOARD_SERVER", "http://clapboard.test")
    monkeypatch.setenv("CLAPBOARD_API_KEY", "clapboard-key")
    monkeypatch.setenv("CLAPBOARD_API_USER", "clapboard-user")
    session = clapboard.Session(transport=MockTransport(fake_server), schema_cache_path=False)
    assert (session.server_url, session.api_key, session.api_user) == (
        "http://clapboard.test",
        "clapboard-key",
        "clapboard-user",
    )


def test_missing_configuration(fake_server, monkeypatch):
    for name in ("CLAPBOARD_SERVER", "FTRACK_SERVER", "CLAPBOARD_API_KEY", "FTRACK_API_KEY", "FTRACK_APIKEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(TypeError, match="server_url"):
        clapboard.Session(transport=MockTransport(fake_server))
    with pytest.raises(TypeError, match="api_key"):
        clapboard.Session("http://x", transport=MockTransport(fake_server))


def test_context_manager_closes(fake_server):
    with make_session(fake_server) as session:
        assert not session.closed
        assert session.server_information["version"] == "4.13.8"
    assert session.closed
    with pytest.raises(exception.ConnectionClosedError):
        session.query("User").first()
    with pytest.raises(exception.ConnectionClosedError):
        session.commit()
    session.close()  # closing twice is harmless


def test_incompatible_server(fake_server):
    fake_server.server_information = {"version": "3.0.1"}
    with pytest.raises(exception.ServerCompatibilityError):
        make_session(fake_server)
    fake_server.server_information = {}
    with pytest.raises(exception.ServerCompatibilityError):
        make_session(fake_server)
    fake_server.server_information = {"version": "dev"}
    make_session(fake_server).check_server_compatibility()


def test_bad_credentials(fake_server):
    fake_server.error = {"exception": "InvalidCredentialsError", "content": "The API key is invalid."}
    with pytest.raises(exception.AuthenticationError, match="API key is invalid"):
        make_session(fake_server)


# Schema cache ---------------------------------------------------------------------------------


def test_schema_cache(fake_server, tmp_path):
    transport = MockTransport(fake_server)
    fake_server.server_information = {"version": "4.13.8", "schema_hash": schema_hash(fake_server.schemas)}
    first = clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    assert [op["action"] for op in transport.requests[0]] == ["query_server_information", "query_schemas"]
    assert len(list(tmp_path.iterdir())) == 1
    second = clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    assert [op["action"] for op in transport.requests[1]] == ["query_server_information"]
    assert len(transport.requests) == 2
    assert set(second.types) == set(first.types)
    fake_server.server_information["schema_hash"] = "changed"
    clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    assert [op["action"] for op in transport.requests[-1]] == ["query_schemas"]


def test_schema_cache_path_from_environment(fake_server, tmp_path, monkeypatch):
    monkeypatch.delenv("CLAPBOARD_API_SCHEMA_CACHE_PATH", raising=False)
    monkeypatch.setenv("FTRACK_API_SCHEMA_CACHE_PATH", str(tmp_path))
    clapboard.Session("http://s", "k", "u", transport=MockTransport(fake_server))
    (path,) = tmp_path.iterdir()
    assert json.loads(path.read_text()) == fake_server.schemas


# Customisation through plugins ----------------------------------------------------------------

PLUGIN = """
import clapboard.entity.base
import clapboard.entity.factory


class CustomUser(clapboard.entity.base.Entity):
    '''Represent user.'''

    def get_full_name(self):
        return '{0} {1}'.format(self['first_name'], self['last_name']).strip()


class Factory(clapboard.entity.factory.StandardFactory):
    def create(self, schema, bases=None):
        if schema['id'] == 'User':
            bases = [CustomUser]
        cls = super().create(schema, bases=bases)
        if schema['id'] == 'User':
            cls.default_projections = ['id', 'username']
        return cls


def register(session, prefix='', **kw):
    factory = Factory()
    seen.append(prefix)

    def construct(event):
        return factory.create(event['data']['schema'])

    session.event_hub.subscribe('topic=ftrack.api.session.construct-entity-type', construct)


seen = []
"""


def test_plugins_customise_entity_classes(fake_server, tmp_path):
    (tmp_path / "construct_entity_type.py").write_text(textwrap.dedent(PLUGIN))
    session = make_session(fake_server, plugin_paths=[str(tmp_path)], plugin_arguments={"prefix": "x", "other": 1})
    user_class = session.types["User"]
    assert [cls.__name__ for cls in user_class.__mro__[:2]] == ["User", "CustomUser"]
    assert repr(user_class.__mro__[1]) == "<dynamic clapboard class 'CustomUser'>"
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "User", "id": "u1", "username": "martin", "first_name": "Martin", "last_name": "P"}
    ]
    user = session.query("User").first()
    assert fake_server.queries[-1].startswith("select id, username from User")
    assert user.get_full_name() == "Martin P"
    assert isinstance(user, session.types["User"])


def test_plugin_path_from_environment(fake_server, tmp_path, monkeypatch):
    (tmp_path / "plugin.py").write_text("def register(session):\n    session.event_hub.subscribe('topic=x', print)\n")
    monkeypatch.setenv("CLAPBOARD_EVENT_PLUGIN_PATH", str(tmp_path))
    session = make_session(fake_server)
    assert any(str(s.subscription) == "topic=x" for s in session.event_hub._subscribers)


def test_ready_and_reset_events(session):
    seen = []
    session.event_hub.subscribe("topic=ftrack.api.session.reset", lambda event: seen.append(event["data"]["session"]))
    session.reset()
    assert seen == [session]


# Unit of work ---------------------------------------------------------------------------------


def test_documented_operations_and_commit(session, fake_server):
    user = session.create("User", {})
    user["username"] = "martin"
    other_user = session.create("User", {"username": "bjorn"})
    other_user["email"] = "bjorn@example.com"
    assert [type(op).__name__ for op in session.recorded_operations] == [
        "CreateEntityOperation",
        "UpdateEntityOperation",
        "CreateEntityOperation",
        "UpdateEntityOperation",
    ]
    assert session.created == [user, other_user]
    session.commit()
    (batch,) = fake_server.commits
    assert [(op["action"], op["entity_data"].get("username")) for op in batch] == [
        ("create", "martin"),
        ("create", "bjorn"),
    ]
    assert batch[1]["entity_data"]["email"] == "bjorn@example.com"
    assert len(session.recorded_operations) == 0
    assert inspection.state(user) is NOT_SET
    with session.auto_populating(False):
        assert user["username"] == "martin"


def test_states(session):
    new_user = session.create("User", {})
    assert inspection.state(new_user) is CREATED
    existing = session.create("User", {"id": "u1", "username": "x"}, reconstructing=True)
    assert inspection.state(existing) is NOT_SET
    existing["email"] = "martin@example.com"
    assert inspection.state(existing) is MODIFIED
    session.delete(new_user)
    assert inspection.state(new_user) is DELETED
    assert inspection.states([existing, new_user]) == [MODIFIED, DELETED]
    assert session.modified == [existing]
    assert session.deleted == [new_user]
    assert inspection.identity(existing) == ("User", ["u1"])
    assert list(inspection.primary_key(existing).items()) == [("id", "u1")]


def test_commit_merges_server_values(session, fake_server):
    def echo_with_server_values(batch):
        answer = original(batch)
        for operation, result in zip(batch, answer):
            if operation["action"] == "create":
                result["data"] = dict(result["data"], created_at={"__type__": "datetime", "value": "2024-01-01T00:00:00"})
        return answer

    original = fake_server.__call__
    session.transport.handler = echo_with_server_values
    user = session.create("User", {"username": "x"})
    session.commit()
    with session.auto_populating(False):
        assert user["username"] == "x"
    attribute = type(user).attributes.get("username")
    assert attribute.get_local_value(user) is NOT_SET
    assert attribute.get_remote_value(user) == "x"


def test_failed_commit_keeps_local_state(session, fake_server):
    user = session.create("User", {"username": "x"})
    existing = session.create("User", {"id": "u1", "username": "a"}, reconstructing=True)
    existing["username"] = "b"
    fake_server.error = {"exception": "ValidationError", "content": "username taken"}
    with pytest.raises(exception.ServerError, match="username taken"):
        session.commit()
    assert len(session.recorded_operations) == 2
    assert inspection.state(user) is CREATED
    assert existing["username"] == "b"
    session.commit()
    assert len(session.recorded_operations) == 0


def test_rollback(session, fake_server):
    user = session.create("User", {"username": "x"})
    existing = session.create("User", {"id": "u1", "username": "a"}, reconstructing=True)
    existing["username"] = "b"
    session.rollback()
    assert len(session.recorded_operations) == 0
    assert existing["username"] == "a"
    assert session.get("User", user["id"]) is None  # detached: asks the server, which knows nothing
    session.commit()
    assert fake_server.commits == []


def test_create_then_delete_sends_nothing(session, fake_server):
    user = session.create("User", {})
    session.delete(user)
    session.commit()
    assert fake_server.commits == []


def test_delete_is_sent_and_evicts(session, fake_server):
    user = session.create("User", {"id": "u1"}, reconstructing=True)
    session.delete(user)
    session.commit()
    assert fake_server.commits == [[{"action": "delete", "entity_type": "User", "entity_key": ["u1"]}]]
    assert session.get("User", "u1") is None


def test_operation_recording(session):
    user = session.create("User", {"id": "u1"}, reconstructing=True)
    with session.operation_recording(False):
        user["username"] = "change_not_recorded"
    assert len(session.recorded_operations) == 0
    assert session.record_operations
    session.record_operations = False
    session.create("User", {})
    session.record_operations = True
    assert len(session.recorded_operations) == 0


def test_commit_in_one_request_with_children_promoted(session, fake_server):
    project = session.create("Project", {"name": "p"})
    for index in range(3):
        sequence = session.create("Sequence", {"name": f"s{index}", "parent": project})
        for shot_index in range(2):
            session.create("Shot", {"name": f"{shot_index}", "parent": sequence})
    session.commit()
    assert len(fake_server.commits) == 1
    assert len(fake_server.commits[0]) == 10
    queries = len(fake_server.queries)
    assert [child["name"] for child in project["children"]] == ["s0", "s1", "s2"]
    assert len(project["children"][0]["children"]) == 2
    assert len(fake_server.queries) == queries  # the new entities' children are known


# Reading ---------------------------------------------------------------------------------------


def test_query_adds_default_projections(session, fake_server):
    session.query("User where username is bob").all()
    assert fake_server.queries == ["select id from User where username is bob offset 0 limit 500"]
    session.query("select username from User").all()
    assert fake_server.queries[-1] == "select username from User offset 0 limit 500"
    with pytest.raises(exception.UnrecognisedEntityTypeError):
        session.query("Nope")


def test_query_pages(session, fake_server):
    fake_server.query_handler = lambda expression: USERS
    result = session.query("User", page_size=2)
    assert fake_server.queries == []
    assert [user["id"] for user in result] == ["u0", "u1", "u2", "u3", "u4"]
    assert [q.split(" from User ")[1] for q in fake_server.queries] == [
        "offset 0 limit 2",
        "offset 2 limit 2",
        "offset 4 limit 2",
    ]
    assert len(result) == 5 and result[1]["id"] == "u1"


def test_query_honours_offset_and_limit(session, fake_server):
    fake_server.query_handler = lambda expression: USERS
    result = session.query("User offset 1 limit 3", page_size=2).all()
    assert [user["id"] for user in result] == ["u1", "u2", "u3"]
    assert [q.split(" from User ")[1] for q in fake_server.queries] == ["offset 1 limit 2", "offset 3 limit 1"]


def test_first_and_one(session, fake_server):
    fake_server.query_handler = lambda expression: USERS
    assert session.query("User").first()["id"] == "u0"
    assert fake_server.queries[-1].endswith(" limit 1")
    with pytest.raises(exception.MultipleResultsFoundError):
        session.query("User").one()
    assert fake_server.queries[-1].endswith(" limit 2")
    with pytest.raises(ValueError):
        session.query("User limit 1").one()
    with pytest.raises(ValueError):
        session.query("User offset 1").one()
    with pytest.raises(ValueError):
        session.query("User limit 1").first()
    fake_server.query_handler = lambda expression: []
    assert session.query("User").first() is None
    with pytest.raises(exception.NoResultFoundError):
        session.query("User").one()


def test_get_uses_the_session_first(session, fake_server):
    fake_server.query_handler = lambda expression: USERS[:1]
    user = session.get("User", "u0")
    assert fake_server.queries == ['select id from User where (id is "u0") limit 1']
    assert session.get("User", "u0") is user
    assert session.get("User", ["u0"]) is user
    assert len(fake_server.queries) == 1
    new = session.create("User", {})
    assert session.get("User", new["id"]) is new
    assert session.get("Metadata", {"parent_id": "p", "key": "k"}) is user  # the fake answers anything
    assert fake_server.queries[-1].endswith('where (parent_id is "p" and key is "k") limit 1')
    with pytest.raises(ValueError):
        session.get("Metadata", "k")


def test_populate(session, fake_server):
    users = [session.create("User", {"id": f"u{i}"}, reconstructing=True) for i in range(3)]
    users[0]["email"] = "local@x"
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "User", "id": f"u{i}", "email": f"remote{i}@x", "first_name": f"F{i}"} for i in range(3)
    ]
    session.populate(users + [session.create("User", {})], "email, first_name")
    assert fake_server.queries == ['select email, first_name from User where id in ("u0","u1","u2") offset 0 limit 500']
    with session.auto_populating(False):
        assert [user["email"] for user in users] == ["local@x", "remote1@x", "remote2@x"]
        assert users[2]["first_name"] == "F2"
    session.populate(session.create("User", {}), ["email"])
    assert len(fake_server.queries) == 1


def test_ensure(session, fake_server):
    fake_server.query_handler = lambda expression: []
    user = session.ensure("User", {"username": "martin"})
    assert fake_server.queries[-1] == 'select id from User where username is "martin" limit 2'
    assert [op["action"] for op in fake_server.commits[-1]] == ["create"]
    fake_server.query_handler = lambda expression: [{"__entity_type__": "User", "id": user["id"], "username": "martin"}]
    assert session.ensure("User", {"username": "martin"}) is user
    assert len(fake_server.commits) == 1
    session.ensure("User", {"username": "martin", "email": "m@x"}, identifying_keys=["username"])
    assert fake_server.commits[-1][0]["entity_data"] == {"__entity_type__": "User", "email": "m@x"}
    with pytest.raises(KeyError):
        session.ensure("User", {"username": "martin"}, identifying_keys=["email"])
    with pytest.raises(ValueError):
        session.ensure("User", {})


def test_ensure_quotes_values(session, fake_server):
    import datetime

    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "Timelog", "id": "l1", "comment": 'say "hi"', "duration": 5, "user_id": None,
         "start": {"__type__": "datetime", "value": "2024-01-01T10:00:00.000005"}}
    ]
    session.ensure(
        "Timelog",
        {"comment": 'say "hi"', "duration": 5, "user_id": None, "start": datetime.datetime(2024, 1, 1, 10, 0, 0, 5)},
    )
    assert fake_server.queries[-1] == (
        'select id from Timelog where comment is "say \\"hi\\"" and duration is 5 and user_id is None'
        ' and start is "2024-01-01T10:00:00.000005" limit 2'  # microseconds kept, as stored
    )

def test_call_merges_results(session, fake_server):
    fake_server.query_handler = lambda expression: USERS[:1]
    (result,) = session.call([{"action": "query", "expression": "select id from User"}])
    assert result["data"][0] is session.get("User", "u0")


def test_entity_reference(session):
    user = session.create("User", {"id": "u1"}, reconstructing=True)
    assert session.entity_reference(user) == {"__entity_type__": "User", "id": "u1"}


def test_server_actions(session, fake_server):
    user = session.create("User", {"id": "u1"}, reconstructing=True)
    session.send_user_invites([user])
    assert fake_server.batches[-1] == [{"action": "send_user_invite", "user_id": "u1"}]
    session.reset_remote("api_key", entity=user)
    assert fake_server.batches[-1] == [
        {"action": "reset_remote", "reset_type": "api_key", "entity_type": "User", "entity_key": "u1"}
    ]
    fake_server.error = {"exception": "InvalidActionError", "content": "Invalid action u'get_widget_url'"}
    with pytest.raises(exception.ServerCompatibilityError):
        session.get_widget_url("info", entity=user)


CUSTOM_INIT_PLUGIN = """
import clapboard.entity.base
import clapboard.entity.factory


class CountingUser(clapboard.entity.base.Entity):
    def __init__(self, session, data=None, reconstructing=False):
        super().__init__(session, data, reconstructing)
        self.initialised = True


class Factory(clapboard.entity.factory.StandardFactory):
    def create(self, schema, bases=None):
        return super().create(schema, bases=[CountingUser] if schema['id'] == 'User' else bases)


def register(session):
    factory = Factory()
    session.event_hub.subscribe(
        'topic=ftrack.api.session.construct-entity-type', lambda event: factory.create(event['data']['schema'])
    )
"""


def test_custom_initialisers_run(fake_server, tmp_path):
    (tmp_path / "plugin.py").write_text(CUSTOM_INIT_PLUGIN)
    session = make_session(fake_server, plugin_paths=[str(tmp_path)])
    user = session.create("User", {"username": "x", "metadata": {"a": "1"}})
    assert user.initialised
    assert [type(op).__name__ for op in session.recorded_operations][:2] == [
        "CreateEntityOperation",
        "CreateEntityOperation",
    ]
    assert session.recorded_operations[1].entity_type == "Metadata"
    assert session.create("User", {"id": "u1"}, reconstructing=True).initialised
