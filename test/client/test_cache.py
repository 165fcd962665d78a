"""Caches and key makers."""

import json
import logging
import os
import sqlite3

import pytest
from clapboard import cache


def test_memory_cache():
    memory = cache.MemoryCache()
    memory.set("a", 1)
    assert memory.get("a") == 1
    assert memory.keys() == ["a"] and memory.values() == [1]
    memory.remove("a")
    with pytest.raises(KeyError):
        memory.get("a")
    with pytest.raises(KeyError):
        memory.remove("a")


def test_layered_cache_promotes_values_to_shallower_levels():
    top, bottom = cache.MemoryCache(), cache.MemoryCache()
    layered = cache.LayeredCache([top, bottom])
    bottom.set("a", 1)
    assert layered.get("a") == 1
    assert top.get("a") == 1
    layered.set("b", 2)
    assert bottom.get("b") == 2
    assert sorted(layered.keys()) == ["a", "b"]
    layered.remove("a")
    with pytest.raises(KeyError):
        layered.get("a")
    with pytest.raises(KeyError):
        layered.remove("a")
    layered.set("key-1", 1)
    layered.clear(pattern="key-")
    assert layered.keys() == ["b"]


def test_proxy_cache():
    proxy = cache.ProxyCache(cache.MemoryCache())
    proxy.set("a", 1)
    assert proxy.get("a") == 1 and proxy.keys() == ["a"]
    proxy.remove("a")
    assert proxy.keys() == []


def test_key_makers():
    assert cache.StringKeyMaker().key(("User", ["1"])) == "('User', ['1'])"
    maker = cache.ObjectKeyMaker()
    assert maker.key(1, {"a": 2}) == maker.key(1, {"a": 2})
    assert maker.key([1, 2]) != maker.key([2, 1])
    assert maker.key(len) != maker.key(max)


def test_memoiser():
    calls = []

    def add(x, y):
        calls.append((x, y))
        return [x + y]

    memoiser = cache.Memoiser()
    assert memoiser.call(add, (1, 2)) == [3]
    result = memoiser.call(add, (1, 2))
    result.append("mutated")
    assert memoiser.call(add, (1, 2)) == [3]
    assert calls == [(1, 2)]
    memoised = cache.memoise_decorator(cache.Memoiser(return_copies=False))(add)
    assert memoised(2, 2) is memoised(2, 2)


def test_memoise_session(session):
    calls = []

    @cache.memoise_session
    def compute(session, value):
        calls.append(value)
        return value * 2

    assert compute(session, 2) == 4 and compute(session, 2) == 4
    assert calls == [2]
    session.reset()
    compute(session, 2)
    assert calls == [2, 2]


def test_session_cache_is_layered(session):
    assert isinstance(session.cache, cache.LayeredCache)
    assert isinstance(session.cache.caches[0], cache.MemoryCache)


# Interface ------------------------------------------------------------------------------------


def test_values_and_clear_with_pattern():
    memory = cache.MemoryCache()
    for key in ("user-1", "user-2", "task-1"):
        memory.set(key, key.upper())
    assert sorted(memory.values()) == ["TASK-1", "USER-1", "USER-2"]
    memory.clear(pattern=r"^user-")
    assert memory.keys() == ["task-1"]
    memory.clear()
    assert memory.keys() == []


def test_writing_a_new_cache_interface():
    """The docs: subclass Cache and override get, set and remove (and keys)."""

    class DictCache(cache.Cache):
        def __init__(self):
            self.data = {}

        def get(self, key):
            return self.data[key]

        def set(self, key, value):
            self.data[key] = value

        def remove(self, key):
            del self.data[key]

        def keys(self):
            return list(self.data)

    custom = DictCache()
    custom.set("a", 1)
    custom.set("b", 2)
    assert sorted(custom.values()) == [1, 2]
    custom.clear("a")
    assert custom.keys() == ["b"]
    with custom.batch():
        custom.set("c", 3)
    assert custom.get("c") == 3
    custom.bind("http://server", "hash")  # a no-op for caches that do not persist


def test_cache_interface_is_abstract():
    with pytest.raises(TypeError):
        cache.Cache()
    with pytest.raises(TypeError):
        cache.KeyMaker()


def test_serialised_cache_encodes_and_decodes():
    storage = cache.MemoryCache()
    serialised = cache.SerialisedCache(storage, encode=json.dumps, decode=json.loads)
    serialised.set("a", {"x": [1, 2]})
    assert storage.get("a") == '{"x": [1, 2]}'
    assert serialised.get("a") == {"x": [1, 2]}
    assert serialised.values() == [{"x": [1, 2]}]
    assert serialised.keys() == ["a"]
    serialised.remove("a")
    with pytest.raises(KeyError):
        serialised.get("a")
    plain = cache.SerialisedCache(cache.MemoryCache())
    plain.set("b", 2)
    assert plain.get("b") == 2


def test_proxy_cache_clear_uses_an_overridden_remove():
    removed = []

    class Recording(cache.ProxyCache):
        def remove(self, key):
            removed.append(key)
            super().remove(key)

    proxy = Recording(cache.MemoryCache())
    proxy.set("a", 1)
    proxy.clear()
    assert removed == ["a"]


def test_layered_cache_clear_and_bind_reach_every_layer(tmp_path):
    file_cache = cache.FileCache(tmp_path / "cache.sqlite")
    layered = cache.LayeredCache([cache.MemoryCache(), cache.SerialisedCache(file_cache)])
    layered.set("a", "1")
    layered.bind("http://server", "hash")  # entries of unknown origin are not trusted
    assert file_cache.keys() == []
    assert layered.get("a") == "1"  # from the memory layer
    layered.set("b", "2")
    layered.bind("http://server", "hash")
    assert file_cache.keys() == ["b"]
    layered.bind("http://server", "other-hash")
    assert file_cache.keys() == []
    layered.clear()
    assert layered.keys() == []


# FileCache ------------------------------------------------------------------------------------


@pytest.fixture
def file_cache(tmp_path):
    with cache.FileCache(tmp_path / "folder" / "cache.sqlite") as file_cache:
        yield file_cache


def test_file_cache_interface(file_cache):
    with pytest.raises(KeyError):
        file_cache.get("missing")
    file_cache.set("a", "text")
    file_cache.set("b", b"\x00bytes")
    file_cache.set("a", "replaced")
    assert file_cache.get("a") == "replaced"
    assert file_cache.get("b") == b"\x00bytes"
    assert sorted(file_cache.keys()) == ["a", "b"]
    assert sorted(file_cache.values(), key=str) == [b"\x00bytes", "replaced"]
    file_cache.remove("a")
    with pytest.raises(KeyError):
        file_cache.remove("a")
    file_cache.set("user-1", "1")
    file_cache.clear(pattern="^user-")
    assert file_cache.keys() == ["b"]
    file_cache.clear()
    assert file_cache.keys() == []


def test_file_cache_persists_between_instances(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache.FileCache(path).set("a", "1")
    assert cache.FileCache(str(path)).get("a") == "1"


def test_file_cache_refuses_values_it_cannot_store(file_cache):
    with pytest.raises(TypeError, match="SerialisedCache"):
        file_cache.set("a", {"not": "serialised"})
    with pytest.raises(TypeError, match="keys"):
        file_cache.set(("a",), "1")


def test_file_cache_batch_stores_writes_together(file_cache, tmp_path):
    file_cache.set("gone", "1")
    other = cache.FileCache(file_cache.path)
    with file_cache.batch():
        file_cache.set("a", "1")
        with file_cache.batch():
            file_cache.set("b", "2")
        file_cache.remove("gone")
        with pytest.raises(KeyError):
            file_cache.remove("gone")
        assert file_cache.get("a") == "1"
        with pytest.raises(KeyError):
            file_cache.get("gone")
        assert other.get("gone") == "1"  # not stored yet
        with pytest.raises(KeyError):
            other.get("a")
    assert sorted(other.keys()) == ["a", "b"]


def test_file_cache_bind_drops_entries_of_another_schema(file_cache, caplog):
    file_cache.bind("http://server", "hash-1")
    file_cache.set("a", "1")
    file_cache.bind("http://server", "hash-1")
    assert file_cache.keys() == ["a"]
    with caplog.at_level(logging.INFO, logger="clapboard.cache"):
        file_cache.bind("http://server", "hash-2")
    assert file_cache.keys() == []
    assert "dropped 1 entries" in caplog.text
    file_cache.set("b", "2")
    file_cache.bind("http://other-server", "hash-2")
    assert file_cache.keys() == []


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"this is not a database" * 100), id="garbage"),
        pytest.param(lambda path: _truncate(path), id="truncated"),
        pytest.param(lambda path: _foreign_database(path), id="foreign-database"),
        pytest.param(lambda path: _other_format(path), id="other-format"),
    ],
)
def test_file_cache_rebuilds_a_damaged_file(tmp_path, caplog, damage):
    path = tmp_path / "cache.sqlite"
    _fill(path, 500)
    damage(path)
    with caplog.at_level(logging.WARNING, logger="clapboard.cache"):
        file_cache = cache.FileCache(path)
        keys = file_cache.keys()  # reads every page: the damage is noticed and the file rebuilt
        file_cache.set("new", "value")
    assert file_cache.get("new") == "value"
    assert "moved to" in caplog.text
    assert path.with_name("cache.sqlite.corrupt").exists()
    assert keys == []
    assert _integrity(path) == "ok"


def test_file_cache_accepts_an_empty_file(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.touch()  # an empty file is an empty SQLite database
    file_cache = cache.FileCache(path)
    file_cache.set("a", "1")
    assert file_cache.get("a") == "1"


def test_file_cache_moves_a_corrupt_file_aside(tmp_path, caplog):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"garbage" * 1000)
    with caplog.at_level(logging.WARNING, logger="clapboard.cache"):
        cache.FileCache(path).set("a", "1")
    assert "unusable" in caplog.text
    assert (tmp_path / "cache.sqlite.corrupt").read_bytes() == b"garbage" * 1000
    assert cache.FileCache(path).get("a") == "1"


def test_file_cache_reopens_a_file_replaced_by_another_process(tmp_path):
    path = tmp_path / "cache.sqlite"
    first = cache.FileCache(path)
    first.set("a", "1")
    first.recheck_interval = 0
    os.replace(path, tmp_path / "elsewhere.sqlite")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.replace(f"{path}{suffix}", tmp_path / f"elsewhere.sqlite{suffix}")
    second = cache.FileCache(path)
    second.set("b", "2")
    assert first.keys() == ["b"]


def _value(index):
    return f"value-{index}-" + "x" * 300


def _fill(path, count):
    with cache.FileCache(path) as file_cache, file_cache.batch():
        for index in range(count):
            file_cache.set(f"key-{index}", _value(index))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _truncate(path):
    with open(path, "r+b") as stream:
        stream.truncate(path.stat().st_size // 2 + 100)


def _foreign_database(path):
    path.unlink()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE precious (data)")
    connection.commit()
    connection.close()


def _other_format(path):
    connection = sqlite3.connect(path)
    connection.execute("UPDATE meta SET value = 'clapboard.FileCache/0' WHERE name = 'format'")
    connection.commit()
    connection.close()


def _integrity(path):
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


# Key makers and memoisation -------------------------------------------------------------------


def test_string_key_maker_joins_items():
    maker = cache.StringKeyMaker()
    assert maker.key("a", 1, ["b"]) == "a1['b']"


def test_object_key_maker():
    maker = cache.ObjectKeyMaker()
    assert maker.key({"a": 1, "b": 2}) == maker.key({"b": 2, "a": 1})
    assert maker.key({"a", "b", "c"}) == maker.key({"c", "b", "a"})
    assert maker.key((1, 2)) == maker.key([1, 2])
    assert maker.key(1) != maker.key("1") != maker.key(1.0)
    assert maker.key([1, [2, 3]]) != maker.key([[1, 2], 3])
    assert maker.key("a", "b") != maker.key("ab")
    assert maker.key(test_object_key_maker) != maker.key(test_string_key_maker_joins_items)

    class Thing:
        def method(self):
            return self

    one, two = Thing(), Thing()
    assert maker.key(one.method) == maker.key(one.method)
    assert maker.key(one.method) != maker.key(two.method)
    unpicklable = lambda: None
    assert maker.key(unpicklable) == maker.key(unpicklable)


def test_memoiser_docs_example(capsys):
    """The example of Memoiser's documentation."""
    memoiser = cache.Memoiser(cache.MemoryCache(), cache.ObjectKeyMaker())

    def add(x, y):
        "Return sum of *x* and *y*."
        print("Called")
        return x + y

    assert memoiser.call(add, (1, 2), {}) == 3
    assert memoiser.call(add, (1, 2), {}) == 3
    assert memoiser.call(add, (1, 3), {}) == 4
    assert capsys.readouterr().out == "Called\nCalled\n"
    assert memoiser.call(add, kw={"x": 1, "y": 2}) == 3
    assert memoiser.call(add, kw={"y": 2, "x": 1}) == 3


def test_memoise_decorator_uses_the_default_memoiser():
    calls = []

    @cache.memoise
    def square(value):
        calls.append(value)
        return {"square": value * value}

    assert square(3) == {"square": 9}
    square(3)["square"] = "mutated"
    assert square(3) == {"square": 9}
    assert calls == [3]
    assert isinstance(cache.memoiser, cache.Memoiser)
    assert isinstance(cache.memoiser.key_maker, cache.ObjectKeyMaker)


def test_memoiser_with_a_file_cache(tmp_path):
    file_cache = cache.SerialisedCache(cache.FileCache(tmp_path / "memo.sqlite"), encode=json.dumps, decode=json.loads)
    memoised = cache.memoise_decorator(cache.Memoiser(file_cache))
    calls = []

    @memoised
    def compute(value):
        calls.append(value)
        return [value, value]

    assert compute(2) == [2, 2] and compute(2) == [2, 2]
    assert calls == [2]


@pytest.mark.parametrize("strategy", ["set_only", "persisted_only"])
def test_cache_encoding_reads_entity_stores_like_attributes(session, strategy):
    """The fast encoding used for caches selects the values asking each attribute would."""
    from clapboard import codec
    from clapboard.symbol import NOT_SET

    project = session.create("Project", {"name": "p"}, reconstructing=False)
    computed = next(attribute.name for attribute in session.types["Task"].attributes if attribute.computed)
    data = {"id": "t1", "name": "remote", computed: "computed", "parent": project}
    task = session.create("Task", data, reconstructing=True)
    task["name"] = "local"
    task["description"] = "new"
    task._remote["unknown_key"] = "ignored"
    expected = codec.entity_reference(task)
    for attribute in type(task).attributes:
        value = codec._selected_value(attribute, task, strategy)
        if value is not NOT_SET:
            expected[attribute.name] = codec.entity_reference(value) if hasattr(value, "_identity") else value
    assert codec._entity_values(task, strategy) == expected
    assert (computed in expected) is (strategy == "set_only")
