"""How a session uses its cache.

:attr:`Session.cache <clapboard.session.Session.cache>` is a
:class:`~clapboard.cache.LayeredCache`. Its top layer, an
:class:`IdentityMapCache`, presents the session's identity map: the entities
of the session under their cache keys. The layers below it are the user's
cache (e.g. a :class:`~clapboard.cache.SerialisedCache` over a
:class:`~clapboard.cache.FileCache`) and keep entities between sessions.

:class:`EntityCache` connects the session to those lower layers:

- :meth:`Session.get <clapboard.session.Session.get>` finds entities there
  before asking the server;
- entities merged from the server, created or committed are written there;
  the first time an entity is written, values cached earlier (by another
  session) that it lacks are merged into it, so query results add to what
  was cached rather than replacing it. As in ftrack, new entities are
  written before they are committed, and local changes with them unless
  the cache encodes with ``entity_attribute_strategy='persisted_only'``:
  a proxy cache refusing entities in the CREATED state keeps new ones out
  (the documentation's ``SelectiveCache``);
- deleted and rolled back entities are removed.

Errors of the user's cache are logged and otherwise ignored: a cache can make
a session faster, never make it fail. Without a user cache none of this
runs, so merges cost nothing extra.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .attribute import ScalarAttribute, link_members, relink
from .cache import Cache, LayeredCache, MemoryCache
from .symbol import NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    from .entity.base import Entity
    from .session import Session

logger = logging.getLogger("clapboard.cache")


def _is_entity(value: Any) -> bool:
    return getattr(value, "_identity", None) is not None and hasattr(value, "_remote")


def _link_relationships(entity: Entity) -> None:
    """Update the other side of *entity*'s remote relationships, as merging server data does."""
    cls = type(entity)
    remote = entity._remote
    for name, inverse in cls._inverse_references:
        value = remote.get(name)
        if value is not None and value is not NOT_SET:
            relink(entity, inverse, NOT_SET, value, local=False)
    for name, reference in cls._inverse_collections:
        collection = remote.get(name)
        if collection is not None:
            link_members(entity, name, reference, getattr(collection, "collection", collection))


def _adoptable(session: Session, entity: Entity) -> Entity:
    """Return *entity* as an instance *session* may adopt: a copy when it belongs to another session."""
    if entity.session is session:
        return entity
    return session.decode(session.encode(entity, entity_attribute_strategy="persisted_only"))


def _cache_key(session: Session, identity: tuple[Any, ...]) -> Any:
    """Return the cache key of the entity with *identity* (``(type, *primary key)``)."""
    return session.cache_key_maker.key((identity[0], list(identity[1:])))


class IdentityMapCache(MemoryCache):
    """Top layer of a session's cache: the session's entities by cache key.

    Getting a key returns the session's instance; setting an entity merges
    it into the session; removing one (or clearing) takes it out of the
    session, so it is fetched again when next asked for. Values that are
    not entities are kept as by a :class:`~clapboard.cache.MemoryCache`.
    """

    def __init__(self, session: Session):
        """Initialise as the top layer of *session*'s cache."""
        super().__init__()
        self._session = session
        self._identities: dict[Any, tuple[Any, ...]] = {}
        self._indexed: set[tuple[Any, ...]] = set()

    def _entity(self, key: Any) -> Entity | None:
        """Return the session's entity under *key*, or None."""
        identity_map = self._session._identity_map
        identity = self._identities.get(key)
        if identity is None:
            self._index()
            identity = self._identities.get(key)
            if identity is None:
                return None
        entity = identity_map.get(identity)
        if entity is None:
            del self._identities[key]
            self._indexed.discard(identity)
        return entity

    def _index(self) -> None:
        """Learn the keys of the entities that joined the identity map since last time."""
        indexed = self._indexed
        for identity in list(self._session._identity_map):
            if identity not in indexed:
                indexed.add(identity)
                self._identities[_cache_key(self._session, identity)] = identity

    def get(self, key: Any) -> Any:
        """Return value for *key*; raise :exc:`KeyError` if not found."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        entity = self._entity(key)
        if entity is None:
            raise KeyError(key)
        return entity

    def set(self, key: Any, value: Any) -> None:
        """Set *value* for *key*; an entity is merged into the session instead."""
        if _is_entity(value):
            if self._session._identity_map.get(value._identity) is not value:
                self._session.merge(_adoptable(self._session, value))
            return
        self._cache[key] = value

    def remove(self, key: Any) -> None:
        """Remove *key*; an entity leaves the session. Raise :exc:`KeyError` if not found."""
        if key in self._cache:
            del self._cache[key]
            return
        entity = self._entity(key)
        if entity is None:
            raise KeyError(key)
        self._session._identity_map.pop(entity._identity, None)

    def keys(self) -> list[Any]:
        """Return the keys of the values and of the session's entities."""
        session = self._session
        return list(self._cache) + [_cache_key(session, identity) for identity in list(session._identity_map)]

    def values(self) -> list[Any]:
        """Return the values and the session's entities."""
        return list(self._cache.values()) + list(self._session._identity_map.values())

    def clear(self, pattern: str | None = None) -> None:
        """Remove all keys matching *pattern*, or all keys (emptying the identity map)."""
        if pattern is not None:
            super().clear(pattern)
            return
        self._cache.clear()
        self._session._identity_map.clear()
        self._identities.clear()
        self._indexed.clear()


class EntityCache:
    """Keep a session's entities in the layers of its cache below the top one."""

    def __init__(self, session: Session):
        """Initialise for *session*."""
        self._session = session
        #: Entities whose earlier cached values were already merged into them.
        self._completed: weakref.WeakSet[Entity] = weakref.WeakSet()

    @property
    def enabled(self) -> bool:
        """Whether the session has a cache below its top layer."""
        cache = self._session.cache
        return not isinstance(cache, LayeredCache) or len(cache.caches) > 1

    def _lower(self) -> Cache | None:
        """Return the layers below the top one as one cache, or None."""
        cache = self._session.cache
        if not isinstance(cache, LayeredCache):
            return cache
        caches = cache.caches
        if len(caches) < 2:
            return None
        return caches[1] if len(caches) == 2 else LayeredCache(caches[1:])

    # Reading -------------------------------------------------------------------------------

    def get(self, identity: tuple[Any, ...]) -> Entity | None:
        """Return the entity with *identity* from the cache, merged into the session, or None."""
        cache = self._lower()
        if cache is None:
            return None
        key = _cache_key(self._session, identity)
        cached = self._read(cache, key)
        if cached is None:
            return None
        try:
            entity = self._session.merge(cached)
            if entity is cached:
                _link_relationships(entity)
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not use %r from the session cache.", key, exc_info=True)
            return None
        self._completed.add(entity)
        return entity

    def _read(self, cache: Cache, key: Any) -> Entity | None:
        """Return the entity cached under *key*, not attached to the session, or None."""
        try:
            value = cache.get(key)
            if not _is_entity(value) or self._session._identity_map.get(value._identity) is value:
                return None
            return _adoptable(self._session, value)
        except KeyError:
            return None
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not read %r from the session cache.", key, exc_info=True)
            return None

    def decode(self, content: bytes) -> Any:
        """Return server *content* decoded and merged into the session; cache the entities in it."""
        hook = self._session._hook
        merged: dict[int, Entity] = {}

        def recording_hook(data: dict[str, Any]) -> Any:
            if "__entity_type__" in data:
                entity = hook(data)
                merged[id(entity)] = entity
                return entity
            return hook(data)

        result = json.loads(content, object_hook=recording_hook)
        self.store(merged.values())
        return result

    # Writing -------------------------------------------------------------------------------

    def store(self, entities: Iterable[Entity]) -> None:
        """Write the session's *entities* to the cache in one batch, completing them first with cached values."""
        cache = self._lower()
        if cache is None:
            return
        try:
            with cache.batch():
                for entity in entities:
                    self._store(cache, entity)
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not write to the session cache.", exc_info=True)

    def _store(self, cache: Cache, entity: Entity) -> None:
        session = self._session
        if session._identity_map.get(entity._identity) is not entity:
            return
        key = _cache_key(session, entity._identity)
        try:
            if entity not in self._completed:
                self._completed.add(entity)
                cached = self._read(cache, key)
                if cached is not None:
                    self._complete(entity, cached)
            cache.set(key, entity)
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not write %r to the session cache.", key, exc_info=True)

    def created(self, entity: Entity) -> None:
        """Write the newly created *entity* (as ftrack does; a selective cache may refuse it)."""
        if self.enabled:
            self._completed.add(entity)
            self.store([entity])

    def forget(self, identities: Iterable[tuple[Any, ...]]) -> None:
        """Remove the entities with *identities* from the cache."""
        cache = self._lower()
        if cache is None:
            return
        try:
            with cache.batch():
                for identity in identities:
                    try:
                        cache.remove(_cache_key(self._session, identity))
                    except KeyError:
                        pass
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not remove entities from the session cache.", exc_info=True)

    def committed(
        self, payloads: Iterable[Any], with_local: Iterable[Entity], deleted: Iterable[tuple[Any, ...]]
    ) -> None:
        """Update the cache after a commit.

        Write the entities created or updated by *payloads* and those that
        held local values (*with_local*); forget the *deleted* identities.
        """
        if not self.enabled:
            return
        identity_map = self._session._identity_map
        changed = {id(entity): entity for entity in with_local}
        for payload in payloads:
            entity = identity_map.get(getattr(payload, "identity", ()))
            if entity is not None:
                changed[id(entity)] = entity
        self.store(changed.values())
        self.forget(deleted)

    def rolled_back(self, created: Iterable[tuple[Any, ...]], reverted: Iterable[Entity]) -> None:
        """Update the cache after a rollback: forget *created* identities, rewrite *reverted* entities."""
        if not self.enabled:
            return
        self.forget(created)
        self.store(reverted)

    def bind(self) -> None:
        """Tell the user's cache which server and schema the session's entities belong to."""
        cache = self._lower()
        if cache is None:
            return
        session = self._session
        schema_hash = session._server_information.get("schema_hash")
        if not schema_hash:
            from .schema import schema_hash as compute_hash

            schema_hash = compute_hash(session.schemas)
        try:
            cache.bind(session.server_url, schema_hash)
        except Exception:  # a broken cache must not break the session
            logger.warning("Could not prepare the session cache.", exc_info=True)

    def _complete(self, entity: Entity, cached: Entity) -> None:
        """Give *entity* the remote values of *cached* that it lacks (fresher values win)."""
        session = self._session
        attributes = type(entity)._attribute_map
        remote = entity._remote
        for name, value in list(cached._remote.items()):
            attribute = attributes.get(name)
            if attribute is None or name in remote or name in entity._local:
                continue
            if not isinstance(attribute, ScalarAttribute):
                value = session.merge(value)
            attribute.set_remote_value(entity, value)
