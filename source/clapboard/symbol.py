"""Named sentinels, well-known identifiers and topics.

:data:`NOT_SET` marks a value that was never set or loaded; :data:`CREATED`,
:data:`MODIFIED` and :data:`DELETED` are the entity states reported by
:func:`clapboard.inspection.state`.
"""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, Symbol] = {}


class Symbol:
    """A named sentinel compared by identity.

    Symbols are falsy, print as their name and keep their identity through
    copying and pickling.
    """

    __slots__ = ("name", "value")
    name: str
    value: Any

    def __new__(cls, name: str, value: Any = True) -> Symbol:  # noqa: PYI034 - instances are shared
        existing = _REGISTRY.get(name)
        if existing is not None:
            return existing
        instance = super().__new__(cls)
        instance.name = name
        instance.value = value
        _REGISTRY[name] = instance
        return instance

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Symbol({self.name})"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> Symbol:
        return self

    def __deepcopy__(self, memo: Any) -> Symbol:
        return self

    def __reduce__(self) -> Any:
        return (Symbol, (self.name, self.value))


#: Symbol representing that no value has been set or loaded.
NOT_SET = Symbol("NOT_SET")

#: Symbol representing created state.
CREATED = Symbol("CREATED")

#: Symbol representing modified state.
MODIFIED = Symbol("MODIFIED")

#: Symbol representing deleted state.
DELETED = Symbol("DELETED")

#: Topic published when component added to a location.
COMPONENT_ADDED_TO_LOCATION_TOPIC = "ftrack.location.component-added"

#: Topic published when component removed from a location.
COMPONENT_REMOVED_FROM_LOCATION_TOPIC = "ftrack.location.component-removed"

#: Identifier of builtin origin location.
ORIGIN_LOCATION_ID = "ce9b348f-8809-11e3-821c-20c9d081909b"

#: Identifier of builtin unmanaged location.
UNMANAGED_LOCATION_ID = "cb268ecc-8809-11e3-a7e2-20c9d081909b"

#: Identifier of builtin review location.
REVIEW_LOCATION_ID = "cd41be70-8809-11e3-b98a-20c9d081909b"

#: Identifier of builtin connect location.
CONNECT_LOCATION_ID = "07b82a97-8cf9-11e3-9383-20c9d081909b"

#: Identifier of builtin server location.
SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"

#: Chunk size used when working with data, default to 1Mb.
CHUNK_SIZE = 1024 * 1024

#: Symbol representing syncing users with ldap.
JOB_SYNC_USERS_LDAP = Symbol("SYNC_USERS_LDAP")
