"""The session: an isolated connection to a server and a unit of work.

The session is a facade. It configures itself, owns the identity map, the
operation log and the cache, and delegates: :mod:`clapboard.transport` talks
to the server, :mod:`clapboard.schema` builds entity classes,
:mod:`clapboard.unit_of_work` turns the log into a batch,
:mod:`clapboard.merge` merges server data, :mod:`clapboard.codec` encodes.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from . import collector, exception, merge, plugin, schema
from .attribute import relink
from .cache import Cache, KeyMaker, LayeredCache, StringKeyMaker
from .codec import dumps_payload, encode, entity_reference, plain_hook
from .entity.base import Entity
from .event.base import Event
from .event.hub import EventHub
from .inspection import primary_key
from .operation import CreateEntityOperation, DeleteEntityOperation, Operations, UpdateEntityOperation
from .progress import ProgressOption
from .query import QueryResult, quote
from .session_cache import EntityCache, IdentityMapCache
from .structure.base import split_extension
from .symbol import (
    CREATED,
    DELETED,
    MODIFIED,
    NOT_SET,
    ORIGIN_LOCATION_ID,
    REVIEW_LOCATION_ID,
    SERVER_LOCATION_ID,
    UNMANAGED_LOCATION_ID,
)
from .transport import HttpTransport, SessionAuthentication, Transport, check_settings
from .unit_of_work import OperationPayload, compress

if TYPE_CHECKING:  # pragma: no cover
    from .entity.location import Location

__all__ = [
    "AutoPopulatingContext",
    "OperationPayload",
    "OperationRecordingContext",
    "Session",
    "SessionAuthentication",
]

#: Actions that only read: batches made of them may be retried.
READ_ACTIONS = frozenset({"query", "query_schemas", "query_server_information"})


def _environment(*names: str) -> str | None:
    """The first of ``names`` set in the environment or the ``.env`` file."""
    from .settings import setting

    return setting(*names)


class Session:
    """An isolated session for interaction with a server."""

    def __init__(
        self,
        server_url: str | None = None,
        api_key: str | None = None,
        api_user: str | None = None,
        auto_populate: bool = True,
        plugin_paths: Sequence[str] | None = None,
        cache: Cache | Callable[[Session], Cache | None] | None = None,
        cache_key_maker: KeyMaker | None = None,
        auto_connect_event_hub: bool = False,
        schema_cache_path: str | os.PathLike | bool | None = None,
        plugin_arguments: dict[str, Any] | None = None,
        timeout: float | None = 60,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        strict_api: bool = False,
        transport: Transport | None = None,
    ):
        """Initialise session.

        *server_url* is the server's URL, including any port; default
        :envvar:`CLAPBOARD_SERVER` (or :envvar:`FTRACK_SERVER`). *api_key* and
        *api_user* are the credentials; default :envvar:`CLAPBOARD_API_KEY` and
        :envvar:`CLAPBOARD_API_USER` (or their ``FTRACK_`` twins; the user
        falls back to the login name).

        With *auto_populate* (the default), reading an unloaded attribute
        fetches it from the server. *plugin_paths* lists folders searched for
        plugins; default :envvar:`CLAPBOARD_EVENT_PLUGIN_PATH` (or
        :envvar:`FTRACK_EVENT_PLUGIN_PATH`); *plugin_arguments* are passed to
        their ``register`` functions when they accept them.

        With *auto_connect_event_hub*, :attr:`event_hub` connects to the event
        server in a background thread (start-up does not wait for it); events
        published meanwhile are sent once connected. Otherwise only local and
        synchronous events are handled until ``event_hub.connect()`` is called.

        *cache* is a :class:`~clapboard.cache.Cache`, or a callable taking
        the session and returning one (or None); it becomes the second level
        of the session's :class:`~clapboard.cache.LayeredCache`, under a
        :class:`~clapboard.cache.MemoryCache` presenting the session's
        entities (see :mod:`clapboard.session_cache`). *cache_key_maker*
        makes its keys (default :class:`~clapboard.cache.StringKeyMaker`).

        *schema_cache_path* is the folder of the schema cache (False disables
        it); default :envvar:`CLAPBOARD_API_SCHEMA_CACHE_PATH` (or
        :envvar:`FTRACK_API_SCHEMA_CACHE_PATH`), else the user cache folder.

        *timeout* is in seconds per request; *cookies* and *headers* are sent
        with every request; *strict_api* asks the server for strict mode.
        *transport* replaces the HTTP transport (e.g. a
        :class:`~clapboard.transport.MockTransport` in tests).
        """
        self.logger = logging.getLogger(f"{__name__}.{type(self).__name__}")
        self._closed = False
        server_url = server_url or _environment("CLAPBOARD_SERVER", "FTRACK_SERVER")
        if not server_url:
            raise TypeError(
                'Required "server_url" not specified. Pass as argument or set in '
                "environment variable CLAPBOARD_SERVER."
            )
        api_key = api_key or _environment("CLAPBOARD_API_KEY", "FTRACK_API_KEY", "FTRACK_APIKEY")
        if not api_key:
            raise TypeError(
                'Required "api_key" not specified. Pass as argument or set in '
                "environment variable CLAPBOARD_API_KEY."
            )
        api_user = api_user or _environment("CLAPBOARD_API_USER", "FTRACK_API_USER")
        if not api_user:
            import getpass  # imports termios: not worth it for sessions given a user

            api_user = getpass.getuser()
        self._server_url = check_settings(server_url, api_user, api_key)
        self._api_key = api_key
        self._api_user = api_user

        self._auto_populate = contextvars.ContextVar(f"auto_populate_{id(self)}", default=auto_populate)
        self._record_operations = contextvars.ContextVar(f"record_operations_{id(self)}", default=True)
        self.recorded_operations = Operations()
        self._identity_map: dict[tuple[Any, ...], Entity] = {}
        self._with_local: dict[int, Entity] = {}
        self._memoised: dict[Any, Any] = {}
        self.types: Mapping[str, type[Entity]] = {}
        self.schemas: list[dict[str, Any]] = []

        #: Seconds per request (transport and server accessor), as given.
        self.request_timeout = timeout
        self._transport = transport or HttpTransport(
            self._server_url, api_user, api_key, timeout=timeout, headers=headers, cookies=cookies,
            strict_api=strict_api,
        )
        self._event_hub = EventHub(self._server_url, api_user, api_key, headers=headers, cookies=cookies)

        self.cache_key_maker = cache_key_maker or StringKeyMaker()
        #: The session's cache: a :class:`~clapboard.cache.LayeredCache` whose first level presents the
        #: session's entities, and whose second is the *cache* given, if any.
        self.cache = LayeredCache([IdentityMapCache(self)])
        self._entity_cache = EntityCache(self)
        user_cache = cache(self) if callable(cache) and not isinstance(cache, Cache) else cache
        if user_cache is not None:
            self.cache.caches.append(user_cache)

        if plugin_paths is None:
            value = _environment("CLAPBOARD_EVENT_PLUGIN_PATH", "FTRACK_EVENT_PLUGIN_PATH")
            plugin_paths = value.split(os.pathsep) if value else []
        self._plugin_paths = list(plugin_paths)
        plugin.discover(self._plugin_paths, [self], plugin_arguments or {})

        self._server_information, self.schemas = schema.load(
            lambda operations: self._call(operations, self._decode_plain), self._server_url, schema_cache_path
        )
        if hasattr(self._transport, "idempotent_writes"):
            self._transport.idempotent_writes = bool(self._server_information.get("idempotent_writes"))
        #: Whether query operations may carry the user's own expression (clapboard servers say so).
        self._send_user_expression = bool(self._server_information.get("query_user_expression"))
        # Classes are built on first use, each after its construct-entity-type event.
        self.types = schema.EntityTypes(self.schemas, self._construct_entity_type)
        self._hook = merge.attaching_hook(self)
        self._entity_cache.bind()

        if auto_connect_event_hub:  # in the background: start-up does not wait for the event server
            self._event_hub.connect(background=True)
        self._configure_locations()
        self._event_hub.publish(
            Event(topic="ftrack.api.session.configure-location", data={"session": self}), synchronous=True
        )
        self._event_hub.publish(Event(topic="ftrack.api.session.ready", data={"session": self}), synchronous=True)

    # Configuration and lifecycle ---------------------------------------------------------------

    def __enter__(self) -> Session:  # noqa: PYI034 - subclasses are rare
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} {self._api_user}@{self._server_url}>"

    @property
    def closed(self) -> bool:
        """Return whether session has been closed."""
        return self._closed

    @property
    def server_information(self) -> dict[str, Any]:
        """Return server information such as server version."""
        return dict(self._server_information)

    @property
    def server_url(self) -> str:
        """Return server url used for session."""
        return self._server_url

    @property
    def api_user(self) -> str:
        """Return username used for session."""
        return self._api_user

    @property
    def api_key(self) -> str:
        """Return API key used for session."""
        return self._api_key

    @property
    def event_hub(self) -> EventHub:
        """Return event hub."""
        return self._event_hub

    @property
    def transport(self) -> Transport:
        """Return the transport carrying this session's requests."""
        return self._transport

    @property
    def auto_populate(self) -> bool:
        """Whether reading unloaded attributes fetches them (for the current thread)."""
        return self._auto_populate.get()

    @auto_populate.setter
    def auto_populate(self, value: bool) -> None:
        self._auto_populate.set(bool(value))

    @property
    def record_operations(self) -> bool:
        """Whether changes are recorded as operations (for the current thread)."""
        return self._record_operations.get()

    @record_operations.setter
    def record_operations(self, value: bool) -> None:
        self._record_operations.set(bool(value))

    def auto_populating(self, auto_populate: bool) -> AutoPopulatingContext:
        """Temporarily set auto populate to *auto_populate*.

        A context manager::

            with session.auto_populating(False):
                print(entity['name'])
        """
        return AutoPopulatingContext(self, auto_populate)

    def operation_recording(self, record_operations: bool) -> OperationRecordingContext:
        """Temporarily set operation recording to *record_operations*.

        A context manager::

            with session.operation_recording(False):
                entity['name'] = 'change_not_recorded'
        """
        return OperationRecordingContext(self, record_operations)

    def close(self) -> None:
        """Close session: close connections, clear pending operations and the local cache."""
        if self._closed:
            return
        self._transport.close()
        for location in self._configured_locations():
            close = getattr(location.accessor, "close", None)
            if callable(close):
                close()
        try:
            self._event_hub.disconnect()
        except exception.EventHubError:
            pass
        self._clear_local_state()
        self._closed = True

    def _clear_local_state(self) -> None:
        self.recorded_operations.clear()
        self._identity_map.clear()
        self._with_local.clear()
        self._memoised.clear()
        if isinstance(self.cache, LayeredCache) and self.cache.caches:
            self.cache.caches[0].clear()
        else:
            self.cache.clear()

    def reset(self) -> None:
        """Reset session clearing local state.

        Clear all pending operations and expunge all entities from session;
        clear the top level cache. Entities held elsewhere keep their values
        but should no longer be used.
        """
        locations = self._configured_locations()
        self._clear_local_state()
        for location in locations:  # configured locations stay configured
            self._identity_map[location._identity] = location
        self._event_hub.publish(Event(topic="ftrack.api.session.reset", data={"session": self}), synchronous=True)

    def check_server_compatibility(self) -> None:
        """Check compatibility with connected server."""
        schema.check_server_compatibility(self._server_information)

    # State -----------------------------------------------------------------------------------

    def _entities_in(self, state: Any) -> list[Entity]:
        identity_map = self._identity_map
        entities = (identity_map.get(identity) for identity in self.recorded_operations.identities(state))
        return [entity for entity in entities if entity is not None]

    @property
    def created(self) -> list[Entity]:
        """Return list of newly created entities."""
        return self._entities_in(CREATED)

    @property
    def modified(self) -> list[Entity]:
        """Return list of locally modified entities."""
        return self._entities_in(MODIFIED)

    @property
    def deleted(self) -> list[Entity]:
        """Return list of deleted entities."""
        return self._entities_in(DELETED)

    # Hooks used by attributes and collections (see clapboard.attribute) -----------------------

    def _local_changed(self, entity: Entity, name: str, old_value: Any, new_value: Any) -> None:
        if self._closed:
            self._check_open()
        self._with_local[id(entity)] = entity
        if self._record_operations.get():
            identity = entity._identity
            operation = UpdateEntityOperation(
                entity.entity_type,
                dict(zip(entity.primary_key_attributes, identity[1:])),
                name,
                old_value,
                new_value,
            )
            operation._identity = identity
            self.recorded_operations.push(operation)

    def _mark_local(self, entity: Entity) -> None:
        self._with_local[id(entity)] = entity

    def _attach(self, entity: Entity) -> Entity:
        if self._identity_map.get(entity._identity) is entity:
            return entity
        return self.merge(entity)

    def _rekey(self, entity: Entity) -> None:
        old = entity._identity
        values = dict(entity._remote)
        values.update(entity._local)
        new = entity._identity_from(values)
        if new == old:
            return
        entity._identity = new
        if self._identity_map.get(old) is entity:
            del self._identity_map[old]
            self._identity_map[new] = entity

    # Creating, deleting, reading -----------------------------------------------------------------

    def _entity_class(self, entity_type: str) -> type[Entity]:
        cls = self.types.get(entity_type)
        if cls is None:
            raise exception.UnrecognisedEntityTypeError(entity_type, known_types=self.types.keys())
        return cls

    def create(self, entity_type: str, data: dict[str, Any] | None = None, reconstructing: bool = False) -> Entity:
        """Create and return an entity of *entity_type* with initial *data*.

        Missing values get their schema defaults (such as a new id). With
        *reconstructing*, *data* describes an existing entity instead: no
        defaults apply and nothing is recorded. The entity is merged into
        the session. Unknown attribute names and values that do not fit the
        schema's types raise at once (see
        :exc:`~clapboard.exception.UnknownAttributeError` and
        :exc:`~clapboard.exception.InvalidValueError`).
        """
        if self._closed and not reconstructing:
            self._check_open()
        cls = self._entity_class(entity_type)
        if cls.__init__ is not Entity.__init__:
            # A class of the user's with its own initialiser: let it run.
            if reconstructing:
                return self.merge(cls(self, dict(data or {}), True))
            data = dict(data or {})
            deferred = {name: data.pop(name) for name in cls._deferred.intersection(data)}
            entity = cls(self, data, False)
        else:
            entity = cls.__new__(cls)
            if reconstructing:
                entity._construct(self, dict(data or {}), True)
                return self.merge(entity)
            deferred = entity._construct(self, data or {}, False)
        identity = entity._identity
        existing = self._identity_map.get(identity)
        if existing is not None:
            entity = self.merge(entity)
        else:
            self._identity_map[identity] = entity
        self._with_local[id(entity)] = entity
        if self._record_operations.get():
            operation = CreateEntityOperation(
                entity.entity_type, dict(zip(cls.primary_key_attributes, identity[1:])), entity._local
            )
            operation._identity = identity
            self.recorded_operations.push(operation)
        attributes = cls._attribute_map
        for name, value in deferred.items():
            attributes[name].set_local_value(entity, value)
        self._entity_cache.created(entity)
        return entity

    def delete(self, entity: Entity) -> None:
        """Mark *entity* for deletion; it is deleted on the server at the next commit."""
        self._check_open()
        entity = self._attach(entity)
        if self._record_operations.get():
            identity = entity._identity
            operation = DeleteEntityOperation(
                entity.entity_type, dict(zip(entity.primary_key_attributes, identity[1:]))
            )
            operation._identity = identity
            self.recorded_operations.push(operation)
        for name, inverse in type(entity)._inverse_references:
            parent = entity._local.get(name, NOT_SET)
            if parent is NOT_SET:
                parent = entity._remote.get(name, NOT_SET)
            relink(entity, inverse, parent, NOT_SET, local=True)

    def get(self, entity_type: str, entity_key: Any) -> Entity | None:
        """Return entity of *entity_type* with unique *entity_key*, or None.

        Look in the session first; query the server only when not found.
        *entity_key* is the primary key value, or any iterable (or mapping)
        of values for composite keys, such as ``dict.values()``.
        """
        cls = self._entity_class(entity_type)
        names = list(cls.primary_key_attributes)
        if isinstance(entity_key, Mapping):
            values = [entity_key[name] for name in names]
        elif isinstance(entity_key, Iterable) and not isinstance(entity_key, (str, bytes)):
            values = list(entity_key)
        else:
            values = [entity_key]
        if len(values) != len(names):
            raise ValueError(f"Incompatible entity_key {entity_key!r} for {entity_type} primary key {names}.")
        identity = (entity_type, *[value if isinstance(value, str) else str(value) for value in values])
        entity = self._identity_map.get(identity)
        if entity is not None:
            return entity
        entity = self._entity_cache.get(identity)
        if entity is not None:
            return entity
        criteria = " and ".join(f"{name} is {quote(value)}" for name, value in zip(names, values))
        return self.query(f"{entity_type} where ({criteria})").first()

    def query(self, expression: str, page_size: int = 500, progress: ProgressOption = None) -> QueryResult:
        """Query against remote data according to *expression*.

        Return a :class:`~clapboard.query.QueryResult` that runs the query on
        first access. Without ``select``, the type's default projections are
        used. *page_size* is the most records fetched per request.
        *progress* reports the rows loaded when fetching takes several pages
        (see :mod:`clapboard.progress`).
        """
        written = expression
        if re.match(r"\s*select\s", expression, re.IGNORECASE):
            match = re.search(r"\sfrom\s+(\w+)", expression, re.IGNORECASE)
            if match is not None:
                self._entity_class(match.group(1))
        else:
            match = re.match(r"\s*(\w+)", expression)
            if match is None:
                raise exception.ParseError(f"Cannot determine entity type of query {expression!r}.")
            cls = self._entity_class(match.group(1))
            projections = cls.default_projections or list(cls.primary_key_attributes)
            expression = f"select {', '.join(projections)} from {expression.strip()}"
        return QueryResult(self, expression, page_size=page_size, progress=progress, user_expression=written)

    def _query(self, expression: str, user_expression: str | None = None) -> tuple[list[Entity], int | None]:
        """Run one query request; return the entities and the next page's offset.

        *user_expression* is the text the user wrote, before projections,
        offset and limit were added: the server points its syntax errors
        into it.
        """
        operation = {"action": "query", "expression": expression}
        if user_expression is not None and user_expression != expression and self._send_user_expression:
            operation["user_expression"] = user_expression
        result = self._call([operation])[0]
        metadata = result.get("metadata") or {}
        next_page = metadata.get("next") or {}
        return result.get("data") or [], next_page.get("offset")

    def ensure(
        self, entity_type: str, data: dict[str, Any], identifying_keys: Iterable[str] | None = None
    ) -> Entity:
        """Retrieve entity of *entity_type* with *data*, creating it if necessary.

        Look for an entity whose *identifying_keys* (default: all keys of
        *data*) match *data*; entity values match by reference (their primary
        key). Unknown attribute names raise
        :exc:`~clapboard.exception.UnknownAttributeError` before any request.
        Create it when none is found, update it when its other values
        differ; either way commit.
        Raise :exc:`KeyError` if *data* lacks an identifying key,
        :exc:`ValueError` if there are none, and
        :exc:`~clapboard.exception.MultipleResultsFoundError` if several
        entities match.
        """
        keys = list(identifying_keys) if identifying_keys is not None else list(data)
        if not keys:
            raise ValueError(f"Could not determine any identifying data to check against when ensuring {entity_type!r} with data {data!r}.")
        cls = self._entity_class(entity_type)
        for key in [*keys, *data]:
            if key not in cls._attribute_map:
                raise cls._unknown(key)
        criteria = " and ".join(_criterion(key, data[key]) for key in keys)
        try:
            entity = self.query(f"{entity_type} where {criteria}").one()
        except exception.NoResultFoundError:
            entity = self.create(entity_type, data)
            self.commit()
            return entity
        updated = False
        for key, value in data.items():
            if entity[key] != value:
                entity[key] = value
                updated = True
        if updated:
            self.commit()
        return entity

    def populate(self, entities: Entity | Iterable[Entity], projections: str | Iterable[str]) -> None:
        """Populate *entities* with attributes specified by *projections*.

        Locally set values are kept; clear them first (``del entity[key]``)
        to reload them. Entities created and not yet committed are skipped.
        All entities must be of the same type.
        """
        items: list[Entity] = [entities] if isinstance(entities, Entity) else list(entities)
        if not isinstance(projections, str):
            projections = ", ".join(projections)
        states = self.recorded_operations
        pending = [entity for entity in items if states.state(entity._identity) is not CREATED]
        if not pending:
            return
        entity_type = pending[0].entity_type
        names = list(pending[0].primary_key_attributes)
        for start in range(0, len(pending), 500):
            chunk = pending[start : start + 500]
            if len(names) == 1:
                values = ",".join(quote(entity._identity[1]) for entity in chunk)
                criteria = f"{names[0]} in ({values})"
            else:
                criteria = " or ".join(
                    "(" + " and ".join(f"{name} is {quote(value)}" for name, value in zip(names, entity._identity[1:])) + ")"
                    for entity in chunk
                )
            self.query(f"select {projections} from {entity_type} where {criteria}").all()

    def merge(self, value: Any, merged: dict[int, Any] | None = None) -> Any:
        """Merge *value* into session and return merged value.

        *merged* records merges during the run, to avoid infinite recursion.
        """
        with self.operation_recording(False):
            return merge.merge_value(self, value, {} if merged is None else merged)

    # Unit of work --------------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit all local changes to the server in one request.

        The operation log is compressed first (see
        :mod:`clapboard.unit_of_work`). On failure nothing changes locally:
        fix the problem and commit again, or :meth:`rollback`.
        """
        self._check_open()
        count = len(self.recorded_operations)
        if not count:
            return
        with collector.paused(count):  # a large commit's objects live until it ends
            self._commit()

    def _commit(self) -> None:
        """Do :meth:`commit`'s work; its temporary objects are gone when it returns.

        So the collector, when it resumes, does not walk the request's payloads
        and the server's answer.
        """
        operations = list(self.recorded_operations)
        created = self.recorded_operations.identities(CREATED)
        deleted = self.recorded_operations.identities(DELETED)
        payloads = compress(operations)
        results: list[Any] = []
        if payloads:
            try:
                results = self._transport.call(dumps_payload(payloads), self._decode_plain, idempotent=False)
            except exception.ServerError as error:
                raise _commit_failed(error, payloads) from error
        with_local = list(self._with_local.values())
        self.recorded_operations.clear()
        self._with_local.clear()
        with self.operation_recording(False):
            merge.apply_commit(self, payloads, results, created, deleted, with_local)
        self._entity_cache.committed(payloads, with_local, deleted)

    def rollback(self) -> None:
        """Clear all recorded operations and local state.

        Use after a failed :meth:`commit` to return to a known good state.
        Entities created and not committed leave the session.
        """
        created = {
            operation.identity
            for operation in self.recorded_operations
            if isinstance(operation, CreateEntityOperation)
        }
        self.recorded_operations.clear()
        reverted = list(self._with_local.values())
        for entity in reverted:
            entity.clear()
        self._with_local.clear()
        for identity in created:
            self._identity_map.pop(identity, None)
        self._entity_cache.rolled_back(created, reverted)

    # Wire ----------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise exception.ConnectionClosedError(
                "Connection closed. The session neither talks to the server nor records changes "
                "any more: open a new Session."
            )

    def _decode_attached(self, content: bytes) -> Any:
        if self._entity_cache.enabled:
            return self._entity_cache.decode(content)
        return json.loads(content, object_hook=self._hook)

    @staticmethod
    def _decode_plain(content: bytes) -> Any:
        return json.loads(content, object_hook=plain_hook)

    def _call(self, data: list[dict[str, Any]], decode: Callable[[bytes], Any] | None = None) -> list[Any]:
        self._check_open()
        idempotent = all(operation.get("action") in READ_ACTIONS for operation in data)
        return self._transport.call(dumps_payload(data), decode or self._decode_attached, idempotent=idempotent)

    def call(self, data: list[dict[str, Any]]) -> list[Any]:
        """Make a request to the server with *data* (a list of operations); return the results.

        Entities in the results are merged into the session.
        """
        return self._call(data)

    def encode(self, data: Any, entity_attribute_strategy: str = "set_only") -> str:
        """Return *data* encoded as JSON formatted string.

        *entity_attribute_strategy* selects the entity attributes encoded:

        - ``all``: all attributes, loading any that are NOT_SET;
        - ``set_only``: attributes currently set, without loading;
        - ``modified_only``: attributes modified locally;
        - ``persisted_only``: remote (persisted) values, computed ones excluded.
        """
        return encode(data, entity_attribute_strategy)

    def decode(self, string: str | bytes) -> Any:
        """Return decoded JSON *string*; entities are built but not merged into the session."""
        return json.loads(string, object_hook=merge.detached_hook(self))

    def entity_reference(self, entity: Entity) -> dict[str, Any]:
        """Return entity reference that uniquely identifies *entity*.

        A mapping of ``__entity_type__`` and the primary key values.
        """
        return entity_reference(entity)

    # Startup -------------------------------------------------------------------------------------

    def _construct_entity_type(self, entity_schema: dict[str, Any], schemas: list[dict[str, Any]]) -> type | None:
        """Ask plugins for the class of *entity_schema* (None when none answers)."""
        results = self._event_hub.publish(
            Event(
                topic="ftrack.api.session.construct-entity-type",
                data={"schema": entity_schema, "schemas": schemas},
            ),
            synchronous=True,
        )
        classes = [result for result in results or () if result is not None]
        if len(classes) > 1:
            raise ValueError(
                f"Expected single entity type to represent schema {entity_schema['id']!r} "
                f"but received {len(classes)} entity types instead."
            )
        return classes[0] if classes else None

    # Server actions ------------------------------------------------------------------------------

    def _action(self, operations: list[dict[str, Any]]) -> list[Any]:
        """Call *operations*; report an unknown action as a compatibility error."""
        try:
            return self._call(operations)
        except exception.ServerError as error:
            action = operations[0]["action"]
            if f"Invalid action u'{action}'" in str(error):
                raise exception.ServerCompatibilityError(
                    f'Server version {self._server_information.get("version")!r} does not support '
                    f'"{action}", please update server and try again.'
                ) from error
            raise

    def reset_remote(self, reset_type: str, entity: Entity | None = None) -> Any:
        """Perform a server side reset of *reset_type*, optionally on *entity*.

        Return the server's answer, e.g. ``{'api_key': ...}``.
        """
        operation: dict[str, Any] = {"action": "reset_remote", "reset_type": reset_type}
        if entity is not None:
            operation["entity_type"] = entity.entity_type
            operation["entity_key"] = entity._identity[1]
        return self._action([operation])[0]["data"]

    def get_widget_url(self, name: str, entity: Entity | None = None, theme: str | None = None) -> str:
        """Return an authenticated URL for widget with *name* and given options.

        *name* is ``info``, ``tasks`` or ``tasks_browser``; some need an
        *entity*; *theme* is ``light`` or ``dark``.
        """
        operation: dict[str, Any] = {"action": "get_widget_url", "name": name, "theme": theme}
        if entity is not None:
            operation["entity_type"] = entity.entity_type
            operation["entity_key"] = list(primary_key(entity).values())
        return self._action([operation])[0]["widget_url"]

    def encode_media(
        self, media: Any, version_id: str | None = None, keep_original: Any = "auto", progress: ProgressOption = None
    ) -> Entity:
        """Return a new Job that encodes *media* to make it playable in browsers.

        *media* is a path (a new component is created in the ``ftrack.server``
        location and committed first) or a FileComponent already in that
        location. With *version_id* the outputs belong to that AssetVersion.
        *keep_original* defaults to keeping a component and removing an
        uploaded file. *progress* reports the upload (see
        :mod:`clapboard.progress`). Raise :exc:`ValueError` for any other
        *media*.
        """
        if isinstance(media, str):
            if keep_original == "auto":
                keep_original = False
            data = {"version_id": version_id} if keep_original and version_id else None
            location = self.get("Location", SERVER_LOCATION_ID)
            component = self.create_component(media, data=data, location=location, progress=progress)
            self.commit()
        elif getattr(media, "entity_type", None) == "FileComponent":
            component = media
            if keep_original == "auto":
                keep_original = True
        else:
            raise ValueError(f"Unable to encode media of type: {type(media)}")
        operation = {
            "action": "encode_media",
            "component_id": component["id"],
            "version_id": version_id,
            "keep_original": keep_original,
        }
        job_id = self._action([operation])[0]["job_id"]
        return cast("Entity", self.get("Job", job_id))

    def get_upload_metadata(
        self, component_id: str, file_name: str, file_size: int, checksum: str | None = None, **multipart: Any
    ) -> dict[str, Any]:
        """Return URL and headers used to upload data for *component_id*.

        Upload with HTTP PUT to the URL with the headers; *checksum* (the
        base64 MD5 digest of the data) becomes the ``Content-MD5`` header.

        Beyond the reference API, *multipart* may ask for a multipart upload:
        ``parts`` (a number of parts), ``part_size`` and ``part_checksums``
        (the base64 MD5 digest of each part). A server that stores files in
        an object store then answers ``upload_id``, ``part_size`` and ``urls``
        (``[{"part_number": n, "signed_url": ..., "headers": {...}}, ...]``)
        instead of ``url`` and ``headers``; others ignore the request.
        """
        operation = {
            "action": "get_upload_metadata",
            "component_id": component_id,
            "file_name": file_name,
            "file_size": file_size,
            "checksum": checksum,
        }
        operation.update({key: value for key, value in multipart.items() if value is not None})
        return self._action([operation])[0]

    def send_user_invite(self, user: Entity) -> None:
        """Send an invitation to *user*."""
        self.send_user_invites([user])

    def send_user_invites(self, users: Iterable[Entity]) -> None:
        """Send invitations to *users*."""
        operations = [{"action": "send_user_invite", "user_id": user["id"]} for user in users]
        if operations:
            self._action(operations)

    def send_review_session_invite(self, invitee: Entity) -> None:
        """Send an invite to a review session to *invitee*."""
        self.send_review_session_invites([invitee])

    def send_review_session_invites(self, invitees: Iterable[Entity]) -> None:
        """Send invites to review sessions to *invitees*."""
        operations = [
            {"action": "send_review_session_invite", "review_session_invitee_id": invitee["id"]}
            for invitee in invitees
        ]
        if operations:
            self._action(operations)

    # Locations ---------------------------------------------------------------------------------

    def _configure_locations(self) -> None:
        """Configure the built-in locations locally, without asking the server.

        ``ftrack.origin`` (in memory, sources are paths, priority 100),
        ``ftrack.unmanaged`` (records paths, 90), ``ftrack.review`` (records
        paths, 110) and ``ftrack.server`` (server storage, resource
        identifier = component id, 150). Queries for these locations return
        the same configured instances.
        """
        from .accessor.disk import DiskAccessor
        from .accessor.server import ServerAccessor
        from .entity import location as location_module
        from .mixin import mixin
        from .resource_identifier_transformer.base import ResourceIdentifierTransformer
        from .structure.entity_id import EntityIdStructure
        from .structure.origin import OriginStructure

        builtins: list[tuple[str, str, type, Any, Any, int]] = [
            (ORIGIN_LOCATION_ID, "ftrack.origin", location_module.OriginLocationMixin,
             DiskAccessor(prefix=""), OriginStructure(), 100),
            (UNMANAGED_LOCATION_ID, "ftrack.unmanaged", location_module.UnmanagedLocationMixin,
             DiskAccessor(prefix=""), OriginStructure(), 90),
            (REVIEW_LOCATION_ID, "ftrack.review", location_module.UnmanagedLocationMixin,
             DiskAccessor(prefix=""), OriginStructure(), 110),
            (SERVER_LOCATION_ID, "ftrack.server", location_module.ServerLocationMixin,
             ServerAccessor(self), EntityIdStructure(), 150),
        ]
        for location_id, name, mixin_class, accessor, structure, priority in builtins:
            location = cast("Location", self.create("Location", {"id": location_id, "name": name}, reconstructing=True))
            mixin(location, mixin_class)
            location.accessor = accessor
            location.structure = structure
            location.resource_identifier_transformer = ResourceIdentifierTransformer(self)
            location.priority = priority

    def _configured_locations(self) -> list[Location]:
        """Return Location instances of this session that carry configuration or registrations."""
        from .entity.location import Location

        return [
            entity
            for entity in self._identity_map.values()
            if isinstance(entity, Location) and vars(entity)  # configured attributes or registrations
        ]

    def _get_locations(self, filter_inaccessible: bool = True) -> list[Location]:
        """Return all locations, highest priority (lowest number) first.

        With *filter_inaccessible*, keep only those configured with an
        accessor in this session.
        """
        locations = cast("list[Location]", self.query("select id, name from Location").all())
        if filter_inaccessible:
            locations = [location for location in locations if location.accessor not in (NOT_SET, None)]
        return sorted(locations, key=lambda location: location.priority)

    def pick_location(self, component: Entity | None = None) -> Entity | None:
        """Return suitable location to use.

        Without *component*, return the highest priority accessible
        location; otherwise the highest priority accessible location
        *component* is available in. Return None if none fits.
        """
        if component is None:
            locations = self._get_locations()
            return locations[0] if locations else None
        return self.pick_locations([component])[0]

    def pick_locations(self, components: Iterable[Entity]) -> list[Entity | None]:
        """Return suitable locations for *components*.

        Each entry is the highest priority accessible location the matching
        component is available in, or None.
        """
        components = list(components)
        candidates = self._get_locations()
        availabilities = self.get_component_availabilities(components, locations=candidates)
        picked: list[Entity | None] = []
        for availability in availabilities:
            picked.append(next((loc for loc in candidates if availability.get(loc["id"], 0.0) > 0.0), None))
        return picked

    def create_component(
        self, path: str, data: dict[str, Any] | None = None, location: Any = "auto", progress: ProgressOption = None
    ) -> Entity:
        """Create a new component from *path* with additional *data*.

        *path* is a filesystem path, or a sequence expression
        ``'{head}{padding}{tail} [{ranges}]'`` such as
        ``'/path/to/file.%04d.ext [1-5, 7, 8, 10-20]'``, which creates a
        SequenceComponent with a FileComponent member per frame. *data* is
        passed to :meth:`create` (``name`` defaults to ``main``); ``size``
        and ``file_type`` are filled in from the files.

        The component is registered in the ``ftrack.origin`` location, then
        added to *location*: ``'auto'`` picks one with :meth:`pick_location`,
        None leaves it in the origin location only. Adding to a location
        commits. *progress* reports the bytes transferred to *location* (see
        :mod:`clapboard.progress`).
        """
        import clique

        if location == "auto":
            location = self.pick_location()
        data = dict(data or {})
        data.setdefault("name", "main")
        try:
            collection = clique.parse(path)
        except ValueError:
            return self._create_component("FileComponent", path, data, location, progress)

        data.setdefault("padding", collection.padding)
        container_path = collection.format("{head}{padding}{tail}")
        container = self._create_component("SequenceComponent", container_path, data, None)
        size = 0
        for member_path in collection:
            index = collection.match(member_path).group("index")  # as written: 0001
            member = self._create_component(
                "FileComponent", member_path, {"name": index, "container": container}, None
            )
            if member not in container["members"]:
                container["members"].append(member)
            size += member["size"] or 0
        container["size"] = size
        if location is not None:
            location.add_component(
                container, self.get("Location", ORIGIN_LOCATION_ID), recursive=True, progress=progress
            )
        return container

    def _create_component(
        self, entity_type: str, path: str, data: dict[str, Any], location: Any, progress: ProgressOption = None
    ) -> Entity:
        data = dict(data)
        if entity_type == "FileComponent" and "size" not in data:
            try:
                data["size"] = os.path.getsize(path)
            except OSError:
                data["size"] = 0
        data.setdefault("file_type", split_extension(path)[-1])
        component = self.create(entity_type, data)
        origin = cast("Location", self.get("Location", ORIGIN_LOCATION_ID))
        origin.add_component(component, path, recursive=False)
        if location is not None:
            location.add_component(component, origin, recursive=True, progress=progress)
        return component

    def get_component_availability(self, component: Entity, locations: Iterable[Entity] | None = None) -> dict[str, float]:
        """Return availability of *component* as ``{location_id: percentage}``.

        With *locations*, limit the result to those locations.
        """
        return self.get_component_availabilities([component], locations=locations)[0]

    def get_component_availabilities(
        self, components: Iterable[Entity], locations: Iterable[Entity] | None = None
    ) -> list[dict[str, float]]:
        """Return availabilities of *components*, one ``{location_id: percentage}`` each.

        With *locations*, limit the results to those locations; otherwise
        check every location. A file is 100 when registered in a location,
        else 0; a container is the share of its members registered there.
        """
        from .entity.location import MemoryLocationMixin, _members

        components = list(components)
        locations = self._get_locations(filter_inaccessible=False) if locations is None else list(locations)
        if not components:
            return []
        memory = [location for location in locations if isinstance(location, MemoryLocationMixin)]
        stored = [location for location in locations if not isinstance(location, MemoryLocationMixin)]

        persisted: dict[str, list[Entity]] = {}
        containers: dict[str, list[Entity]] = {}
        for component in components:
            if self.recorded_operations.state(component._identity) is CREATED:
                continue
            persisted.setdefault(component.entity_type, []).append(component)
            if "members" in component._attribute_map:
                containers.setdefault(component.entity_type, []).append(component)
        if stored:
            for group in persisted.values():
                self.populate(group, "component_locations.location_id")
            for group in containers.values():
                self.populate(group, "members.component_locations.location_id")

        def registered_in(component: Entity) -> set[str]:
            if self.recorded_operations.state(component._identity) is CREATED:
                return set()
            return {str(item["location_id"]) for item in component["component_locations"]}

        results: list[dict[str, float]] = []
        for component in components:
            availability: dict[str, float] = {}
            members = _members(component) if stored else []
            member_sets = [registered_in(member) for member in members]
            own = registered_in(component) if stored and not members else set()
            for location in stored:
                location_id = str(location["id"])
                if members:
                    present = sum(1 for ids in member_sets if location_id in ids)
                    availability[location["id"]] = 100.0 * present / len(members)
                else:
                    availability[location["id"]] = 100.0 if location_id in own else 0.0
            for location in memory:
                availability[location["id"]] = location.get_component_availabilities([component])[0]
            results.append(availability)
        return results


def _criterion(key: str, value: Any) -> str:
    """Return the query condition matching attribute *key* to *value* (an entity: by its key)."""
    if isinstance(value, Entity):
        return " and ".join(
            f"{key}.{name} is {quote(part)}"
            for name, part in zip(value.primary_key_attributes or (), value._identity[1:])
        )
    return f"{key} is {quote(value)}"


def _commit_failed(error: exception.ServerError, payloads: list[OperationPayload]) -> exception.ServerError:
    """Return *error* (from a commit of *payloads*) with what to do next."""
    counts: dict[str, int] = {}
    for payload in payloads:
        action = str(payload.get("action"))
        counts[action] = counts.get(action, 0) + 1
    pending = ", ".join(f"{count} {action}" for action, count in counts.items())
    message = (
        f"{error} The commit was refused and nothing was saved ({pending} pending). "
        "Fix what the server names and commit again, or call session.rollback() to "
        "discard the pending changes."
    )
    failed = type(error)(message, details=error.details)
    failed.is_template = False
    return failed


class AutoPopulatingContext:
    """Context manager for temporary change of session auto_populate value."""

    def __init__(self, session: Session, auto_populate: bool):
        """Initialise context."""
        self._session = session
        self._auto_populate = auto_populate
        self._token: contextvars.Token[bool] | None = None

    def __enter__(self) -> None:
        self._token = self._session._auto_populate.set(bool(self._auto_populate))

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            self._session._auto_populate.reset(self._token)


class OperationRecordingContext:
    """Context manager for temporary change of session record_operations."""

    def __init__(self, session: Session, record_operations: bool):
        """Initialise context."""
        self._session = session
        self._record_operations = record_operations
        self._token: contextvars.Token[bool] | None = None

    def __enter__(self) -> None:
        self._token = self._session._record_operations.set(bool(self._record_operations))

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            self._session._record_operations.reset(self._token)
