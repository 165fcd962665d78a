"""Caching framework.

A :class:`Cache` stores values against unique keys; a :class:`KeyMaker` turns
arbitrary items into such keys. Combining both, a :class:`Memoiser` caches
function results by arguments; :func:`memoise` is a ready-made decorator.

A session always uses a :class:`LayeredCache` whose top level is a
:class:`MemoryCache`; a user supplied cache becomes the next level.
"""

from __future__ import annotations

import abc
import copy
import functools
import pickle
import re
from collections.abc import Callable, Iterable
from typing import Any


class Cache(abc.ABC):
    """Cache interface.

    Derive from this to define concrete caches: keys are unique across the
    cache.
    """

    @abc.abstractmethod
    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""

    @abc.abstractmethod
    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""

    @abc.abstractmethod
    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        raise NotImplementedError()

    def values(self) -> list[Any]:
        """Return values for current keys."""
        values = []
        for key in self.keys():
            try:
                values.append(self.get(key))
            except KeyError:
                continue
        return values

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern* (a regular expression), or all keys."""
        expression = re.compile(pattern) if pattern is not None else None
        for key in self.keys():
            if expression is not None and not expression.search(str(key)):
                continue
            try:
                self.remove(key)
            except KeyError:
                pass


class ProxyCache(Cache):
    """Proxy another cache."""

    def __init__(self, proxied: Cache):
        """Initialise cache with *proxied* cache instance."""
        self.proxied = proxied
        super().__init__()

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        return self.proxied.get(key)

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""
        self.proxied.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""
        self.proxied.remove(key)

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        return self.proxied.keys()


class LayeredCache(Cache):
    """Layered cache."""

    def __init__(self, caches: Iterable[Cache]):
        """Initialise cache with *caches*, shallowest first."""
        super().__init__()
        self.caches = list(caches)

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found.

        Attempt each layer in turn, starting with the shallowest; set a found
        value in each shallower layer.
        """
        target_caches = []
        for cache in self.caches:
            try:
                value = cache.get(key)
            except KeyError:
                target_caches.append(cache)
                continue
            for target in target_caches:
                target.set(key, value)
            return value
        raise KeyError(key)

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key* in every layer."""
        for cache in self.caches:
            cache.set(key, value)

    def remove(self, key: Any) -> None:
        """Remove *key* from every layer; raise :exc:`KeyError` if in none."""
        found = False
        for cache in self.caches:
            try:
                cache.remove(key)
            except KeyError:
                continue
            found = True
        if not found:
            raise KeyError(key)

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        keys: dict[Any, None] = {}
        for cache in self.caches:
            keys.update(dict.fromkeys(cache.keys()))
        return list(keys)


class MemoryCache(Cache):
    """Memory based cache."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        return self._cache[key]

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*."""
        self._cache[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*; raise :exc:`KeyError` if not found."""
        del self._cache[key]

    def keys(self) -> list[Any]:
        """Return list of keys at this current time."""
        return list(self._cache)


class KeyMaker(abc.ABC):
    """Generate unique keys."""

    def __init__(self) -> None:
        self.item_separator = ""

    def key(self, *items: Any) -> str:
        """Return key for *items*."""
        return self.item_separator.join(self._key(item) for item in items)

    @abc.abstractmethod
    def _key(self, obj: Any) -> str:
        """Return key for *obj*."""


class StringKeyMaker(KeyMaker):
    """Generate string key."""

    def _key(self, obj: Any) -> str:
        return str(obj)


class ObjectKeyMaker(KeyMaker):
    """Generate unique keys for objects."""

    def __init__(self) -> None:
        super().__init__()
        self.item_separator = "\0"
        self.mapping_identifier = "\1"
        self.mapping_pair_separator = "\2"
        self.iterable_identifier = "\3"
        self.name_identifier = "\4"

    def _key(self, item: Any) -> str:
        if isinstance(item, dict):
            pairs = (
                f"{self._key(key)}{self.mapping_pair_separator}{self._key(item[key])}"
                for key in sorted(item, key=repr)
            )
            return self.mapping_identifier + self.item_separator.join(pairs) + self.mapping_identifier
        if isinstance(item, (list, tuple)):
            inner = self.item_separator.join(self._key(element) for element in item)
            return self.iterable_identifier + inner + self.iterable_identifier
        if callable(item) and hasattr(item, "__qualname__"):
            module = getattr(item, "__module__", "")
            return f"{self.name_identifier}{module}.{item.__qualname__}{self.name_identifier}"
        try:
            return repr(pickle.dumps(item, protocol=2))
        except Exception:  # noqa: BLE001 - unpicklable objects are keyed by identity
            return f"{type(item).__name__}@{id(item)}"


class Memoiser:
    """Memoise function calls using a :class:`KeyMaker` and :class:`Cache`."""

    def __init__(
        self,
        cache: Cache | None = None,
        key_maker: KeyMaker | None = None,
        return_copies: bool = True,
    ):
        """Initialise with *cache* and *key_maker* to use.

        Defaults are a :class:`MemoryCache` and an :class:`ObjectKeyMaker`.
        With *return_copies*, results are deep copies so cached values cannot
        be mutated indirectly.
        """
        self.cache = cache if cache is not None else MemoryCache()
        self.key_maker = key_maker if key_maker is not None else ObjectKeyMaker()
        self.return_copies = return_copies

    def call(self, function: Callable, args: Any = None, kw: Any = None) -> Any:
        """Call *function* with *args* and *kw* and return result, memoised."""
        args = tuple(args or ())
        kw = dict(kw or {})
        key = self.key_maker.key(function, args, kw)
        try:
            value = self.cache.get(key)
        except KeyError:
            value = function(*args, **kw)
            self.cache.set(key, value)
        if self.return_copies:
            value = copy.deepcopy(value)
        return value


def memoise_decorator(memoiser: Memoiser) -> Callable:
    """Decorator to memoise function calls using *memoiser*."""

    def outer(function: Callable) -> Callable:
        @functools.wraps(function)
        def inner(*args: Any, **kw: Any) -> Any:
            return memoiser.call(function, args, kw)

        return inner

    return outer


#: Default memoiser.
memoiser = Memoiser()

#: Default memoise decorator using standard cache and key maker.
memoise = memoise_decorator(memoiser)


class PerSessionDefaultKeyMaker(ObjectKeyMaker):
    """Generate key for session: sessions are keyed by identity."""

    def _key(self, item: Any) -> str:
        if type(item).__name__ == "Session" or hasattr(item, "recorded_operations"):
            return f"session@{id(item)}"
        return super()._key(item)


def memoise_session(function: Callable) -> Callable:
    """Memoiser for use with callables that should be called once per session.

    The result is stored on the session passed as first argument, so it is
    forgotten with the session (and on :meth:`~clapboard.session.Session.reset`).
    """

    @functools.wraps(function)
    def inner(session: Any, *args: Any, **kw: Any) -> Any:
        store = session.__dict__.setdefault("_memoised", {})
        key = (function, args, tuple(sorted(kw.items())))
        try:
            return store[key]
        except KeyError:
            value = store[key] = function(session, *args, **kw)
            return value
        except TypeError:  # unhashable arguments
            return function(session, *args, **kw)

    return inner
