"""Caches and key makers."""

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
