"""The "Caching" documentation and the session's use of its cache, against the embedded server."""

import functools
import json
import logging
import sqlite3
import uuid

import arrow
import clapboard
import clapboard.cache
import clapboard.entity.base
import clapboard.inspection
import clapboard.symbol
import pytest
from clapboard.symbol import NOT_SET
from live_server import new_session


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def file_cache_maker(cache_path, **encode_options):
    """The docs' cache maker: the session's encode/decode over a FileCache at *cache_path*."""

    def cache_maker(session):
        """Return cache to use for *session*."""
        return clapboard.cache.SerialisedCache(
            clapboard.cache.FileCache(cache_path),
            encode=functools.partial(session.encode, **encode_options),
            decode=session.decode,
        )

    return cache_maker


class SelectiveCache(clapboard.cache.ProxyCache):
    """Proxy cache that won't cache newly created entities (the docs' example)."""

    def set(self, key, value):
        """Set *value* for *key*."""
        if (
            isinstance(value, clapboard.entity.base.Entity)
            and clapboard.inspection.state(value) is clapboard.symbol.CREATED
        ):
            return
        super().set(key, value)


def key_of(session, entity):
    return session.cache_key_maker.key(clapboard.inspection.identity(entity))


def stored(cache_path, session, entity):
    """Return the JSON stored for *entity* in the file at *cache_path*, or None."""
    connection = sqlite3.connect(cache_path)
    try:
        row = connection.execute("SELECT value FROM entries WHERE key = ?", (key_of(session, entity),)).fetchone()
    finally:
        connection.close()
    return json.loads(row[0]) if row else None


@pytest.fixture
def cache_path(tmp_path):
    return tmp_path / "ftrack_session_cache.dbm"


@pytest.fixture
def shot(server):
    """A shot with two tasks, in a new project."""
    with new_session(server) as session:
        schema = session.query("ProjectSchema").first()
        name = unique("cache")
        project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        shot = session.create("Shot", {"name": "010", "parent": project, "description": "A shot"})
        for task_name in ("layout", "animation"):
            session.create("Task", {"name": task_name, "parent": shot, "bid": 3600})
        session.commit()
        return {"id": shot["id"], "project_id": project["id"], "task_ids": sorted(task["id"] for task in shot["children"])}


# The documentation ----------------------------------------------------------------------------


def test_first_get_requests_later_gets_use_the_cache(server, shot):
    with new_session(server) as session:
        calls = session.transport.call_count
        task = session.get("Task", shot["task_ids"][0])
        assert session.transport.call_count == calls + 1
        assert session.get("Task", shot["task_ids"][0]) is task
        assert session.transport.call_count == calls + 1


def test_related_data_merges_regardless_of_how_it_was_retrieved(server, shot, cache_path):
    with new_session(server) as session:
        user = session.query(f'User where username is "{server.api_user}"').one()
        timelog = session.create(
            "Timelog", {"user": user, "start": arrow.utcnow(), "duration": 1, "comment": "Some comment"}
        )
        session.commit()
    with new_session(server, cache=file_cache_maker(cache_path)) as session:
        user = session.query(f'User where username is "{server.api_user}"').one()
        timelog = next(item for item in user["timelogs"] if item["id"] == timelog["id"])
        with session.auto_populating(False):
            assert timelog["comment"] is NOT_SET
        session.query(f'select comment from Timelog where id is "{timelog["id"]}"').all()
        with session.auto_populating(False):
            assert timelog["comment"] == "Some comment"


def test_default_cache_is_a_memory_cache_in_a_layered_cache(server):
    with new_session(server) as session:
        assert isinstance(session.cache, clapboard.cache.LayeredCache)
        assert isinstance(session.cache.caches[0], clapboard.cache.MemoryCache)
        assert len(session.cache.caches) == 1
        assert repr(session.cache).startswith("<clapboard.cache.LayeredCache object at ")


def test_configuring_a_persistent_session_cache(server, shot, cache_path):
    """The docs' cache maker: a new session gets entities from the file without a request."""
    cache_maker = file_cache_maker(cache_path)
    with new_session(server, cache=cache_maker) as session:
        assert isinstance(session.cache, clapboard.cache.LayeredCache)
        top, user_cache = session.cache.caches
        assert isinstance(top, clapboard.cache.MemoryCache)
        assert isinstance(user_cache, clapboard.cache.SerialisedCache)
        assert isinstance(user_cache.proxied, clapboard.cache.FileCache)
        shot_entity = session.query(f'select name, description, parent from Shot where id is "{shot["id"]}"').one()
        assert user_cache.keys().count(key_of(session, shot_entity)) == 1

    with new_session(server, cache=cache_maker) as session:
        calls = session.transport.call_count
        shot_entity = session.get("Shot", shot["id"])
        assert session.transport.call_count == calls
        with session.auto_populating(False):
            assert shot_entity["name"] == "010"
            assert shot_entity["description"] == "A shot"
            assert shot_entity["parent"]["id"] == shot["project_id"]
            assert shot_entity["parent"] is session.get("Project", shot["project_id"])
        assert session.transport.call_count == calls
        assert shot_entity["parent"]["name"].startswith("cache_")  # not cached: loaded on demand
        assert session.transport.call_count == calls + 1


def test_query_results_merge_with_cached_values(server, shot, cache_path):
    cache_maker = file_cache_maker(cache_path)
    task_id = shot["task_ids"][0]
    with new_session(server, cache=cache_maker) as session:
        session.query(f'select name, bid from Task where id is "{task_id}"').one()
    with new_session(server) as session:  # someone renames the task; the cache does not know
        task = session.get("Task", task_id)
        task["name"] = "renamed"
        session.commit()
    with new_session(server, cache=cache_maker) as session:
        task = session.query(f'select name, description from Task where id is "{task_id}"').one()
        calls = session.transport.call_count
        with session.auto_populating(False):
            assert task["name"] == "renamed"  # the server's value wins
            assert task["description"] in (None, "")
            assert task["bid"] == 3600  # from the cache
        assert session.transport.call_count == calls
    with new_session(server, cache=cache_maker) as session:
        task = session.get("Task", task_id)
        with session.auto_populating(False):
            assert (task["name"], task["bid"]) == ("renamed", 3600)
            assert task["description"] is not NOT_SET


def test_cache_maker_may_return_none(server):
    with new_session(server, cache=lambda session: None) as session:
        assert len(session.cache.caches) == 1
        assert session.query("User").first() is not None


def test_cache_instance_becomes_the_second_layer(server, shot):
    user_cache = clapboard.cache.MemoryCache()
    with new_session(server, cache=user_cache) as session:
        assert session.cache.caches[1] is user_cache
        task = session.get("Task", shot["task_ids"][0])
        assert user_cache.get(key_of(session, task)) is task
    with new_session(server, cache=user_cache) as other:
        calls = other.transport.call_count
        again = other.get("Task", shot["task_ids"][0])
        assert other.transport.call_count == calls
        assert again is not task and again.session is other and task.session is session
        assert again["name"] == task["name"]


def test_reset_clears_only_the_top_layer(server, shot, cache_path):
    with new_session(server, cache=file_cache_maker(cache_path)) as session:
        task = session.get("Task", shot["task_ids"][0])
        assert session.cache.get(key_of(session, task)) is task
        session.reset()
        # Only the session's configured locations survive a reset (they keep their configuration).
        assert all(key.startswith("('Location'") for key in session.cache.caches[0].keys())  # noqa: SIM118 - Cache.keys()
        assert session.cache.caches[1].keys() == [key_of(session, task)]
        calls = session.transport.call_count
        again = session.get("Task", shot["task_ids"][0])
        assert session.transport.call_count == calls
        assert again is not task and again["name"] == task["name"]


def test_top_layer_presents_the_session_entities(server, shot):
    with new_session(server) as session:
        task = session.get("Task", shot["task_ids"][0])
        key = key_of(session, task)
        top = session.cache.caches[0]
        assert session.cache.get(key) is task
        assert top.keys().count(key) == 1 and task in top.values()
        session.cache.set("not an entity", 42)
        assert session.cache.get("not an entity") == 42
        session.cache.remove(key)  # bypass the cache: the next get asks the server
        calls = session.transport.call_count
        again = session.get("Task", shot["task_ids"][0])
        assert session.transport.call_count == calls + 1
        assert again is not task
        with pytest.raises(KeyError):
            session.cache.get("('Task', ['missing'])")


def test_selective_cache_keeps_new_entities_out_of_the_file(server, shot, cache_path):
    """The docs' SelectiveCache: new entities stay in memory until committed."""

    def cache_maker(session):
        """Return cache to use for *session*."""
        return SelectiveCache(
            clapboard.cache.SerialisedCache(
                clapboard.cache.FileCache(cache_path), encode=session.encode, decode=session.decode
            )
        )

    with new_session(server, cache=cache_maker) as session:
        parent = session.get("Shot", shot["id"])
        task = session.create("Task", {"name": "new", "parent": parent})
        assert stored(cache_path, session, task) is None
        assert session.cache.get(key_of(session, task)) is task  # the memory layer holds it
        session.commit()
        assert stored(cache_path, session, task)["name"] == "new"

    plain = file_cache_maker(cache_path)
    with new_session(server, cache=plain) as session:  # without it, as ftrack, new entities are cached
        task = session.create("Task", {"name": "new", "parent": session.get("Shot", shot["id"])})
        assert stored(cache_path, session, task)["name"] == "new"
        session.rollback()  # ... and forgotten on rollback
        assert stored(cache_path, session, task) is None


def test_persisted_only_keeps_local_modifications_out_of_the_file(server, shot, cache_path):
    task_id = shot["task_ids"][0]
    expression = f'select name, bid, time_logged from Task where id is "{task_id}"'

    def modify_and_store(cache_maker):
        with new_session(server, cache=cache_maker) as session:
            task = session.query(expression).one()
            task["name"] = "modified locally"
            session.query(expression).one()  # merging server data writes the entity again
            return stored(cache_path, session, task)

    value = modify_and_store(file_cache_maker(cache_path))  # default strategy: set_only
    assert value["name"] == "modified locally"
    assert "time_logged" in value
    value = modify_and_store(file_cache_maker(cache_path, entity_attribute_strategy="persisted_only"))
    assert value["name"] != "modified locally"
    assert value["bid"] == 3600
    assert "time_logged" not in value  # computed: not cached long term


def test_docs_final_setup(server, shot, cache_path):
    """SelectiveCache over a persisted_only SerialisedCache: only server state reaches the file."""

    def cache_maker(session):
        """Return cache to use for *session*."""
        return SelectiveCache(
            clapboard.cache.SerialisedCache(
                clapboard.cache.FileCache(cache_path),
                encode=functools.partial(session.encode, entity_attribute_strategy="persisted_only"),
                decode=session.decode,
            )
        )

    with new_session(server, cache=cache_maker) as session:
        parent = session.get("Shot", shot["id"])
        parent["description"] = "changed, not committed"
        task = session.create("Task", {"name": "draft", "parent": parent})
        session.query(f'select description from Shot where id is "{shot["id"]}"').one()
        assert stored(cache_path, session, task) is None
        assert stored(cache_path, session, parent)["description"] == "A shot"
        session.commit()
        assert stored(cache_path, session, parent)["description"] == "changed, not committed"
        assert stored(cache_path, session, task)["name"] == "draft"


def test_deleted_entities_leave_the_cache(server, shot, cache_path):
    cache_maker = file_cache_maker(cache_path)
    with new_session(server, cache=cache_maker) as session:
        task = session.create("Task", {"name": "doomed", "parent": session.get("Shot", shot["id"])})
        session.commit()
        assert stored(cache_path, session, task) is not None
        session.delete(task)
        session.commit()
        assert stored(cache_path, session, task) is None
    with new_session(server, cache=cache_maker) as session:
        assert session.get("Task", task["id"]) is None


def test_cache_of_another_schema_is_not_trusted(server, shot, cache_path):
    cache_maker = file_cache_maker(cache_path)
    with new_session(server, cache=cache_maker) as session:
        session.get("Task", shot["task_ids"][0])
        schema_hash = session.server_information["schema_hash"]
    connection = sqlite3.connect(cache_path)
    assert dict(connection.execute("SELECT name, value FROM meta"))["schema_hash"] == schema_hash
    connection.execute("UPDATE meta SET value = 'another schema' WHERE name = 'schema_hash'")
    connection.commit()
    connection.close()
    with new_session(server, cache=cache_maker) as session:
        calls = session.transport.call_count
        assert session.get("Task", shot["task_ids"][0]) is not None
        assert session.transport.call_count == calls + 1


def test_corrupt_cache_file_is_rebuilt(server, shot, cache_path, caplog):
    cache_path.write_bytes(b"\x00garbage" * 512)
    cache_maker = file_cache_maker(cache_path)
    with caplog.at_level(logging.WARNING, logger="clapboard.cache"), new_session(server, cache=cache_maker) as session:
        session.get("Task", shot["task_ids"][0])
    assert "unusable" in caplog.text
    with new_session(server, cache=cache_maker) as session:
        calls = session.transport.call_count
        session.get("Task", shot["task_ids"][0])
        assert session.transport.call_count == calls


def test_broken_user_cache_never_breaks_the_session(server, shot, caplog):
    class BrokenCache(clapboard.cache.Cache):
        def get(self, key):
            raise RuntimeError("cannot read")

        def set(self, key, value):
            raise RuntimeError("cannot write")

        def remove(self, key):
            raise RuntimeError("cannot remove")

        def bind(self, server_url, schema_hash):
            raise RuntimeError("cannot bind")

    with caplog.at_level(logging.WARNING, logger="clapboard.cache"), new_session(server, cache=BrokenCache()) as session:
        task = session.get("Task", shot["task_ids"][0])
        assert task["name"] in ("layout", "animation")
        new = session.create("Task", {"name": "x", "parent": task["parent"]})
        session.commit()
        session.delete(new)
        session.commit()
    assert "Could not read" in caplog.text and "Could not write" in caplog.text


def test_undecodable_cached_value_is_a_miss(server, shot, cache_path, caplog):
    cache_maker = file_cache_maker(cache_path)
    with new_session(server, cache=cache_maker) as session:
        task = session.get("Task", shot["task_ids"][0])
        session.cache.caches[1].proxied.set(key_of(session, task), "{not json")
    with caplog.at_level(logging.WARNING, logger="clapboard.cache"), new_session(server, cache=cache_maker) as session:
        assert session.get("Task", shot["task_ids"][0])["name"] == task["name"]
    assert "Could not read" in caplog.text


def test_collections_come_from_the_cache(server, shot, cache_path):
    cache_maker = file_cache_maker(cache_path)
    with new_session(server, cache=cache_maker) as session:
        session.query(f'select name, children, parent from Shot where id is "{shot["id"]}"').one()
    with new_session(server, cache=cache_maker) as session:
        calls = session.transport.call_count
        shot_entity = session.get("Shot", shot["id"])
        with session.auto_populating(False):
            assert sorted(child["id"] for child in shot_entity["children"]) == shot["task_ids"]
            for child in shot_entity["children"]:
                assert child["parent"] is shot_entity
        assert session.transport.call_count == calls


def test_without_a_user_cache_merges_do_not_touch_it(server, shot, monkeypatch):
    from clapboard import session_cache

    def fail(*args, **kwargs):
        raise AssertionError("the entity cache should not run without a user cache")

    monkeypatch.setattr(session_cache.EntityCache, "store", fail)
    monkeypatch.setattr(session_cache.EntityCache, "decode", fail)
    with new_session(server) as session:
        task = session.get("Task", shot["task_ids"][0])
        task["name"] = "unchanged"
        session.rollback()
        session.query("select name from Task").all()
        session.create("Task", {"name": "y", "parent": task["parent"]})
        session.commit()


def test_cache_added_after_start_is_used(server, shot, cache_path):
    with new_session(server) as session:
        file_cache = file_cache_maker(cache_path)(session)
        session.cache.caches.append(file_cache)
        task = session.get("Task", shot["task_ids"][0])
        assert file_cache.keys() == [key_of(session, task)]
