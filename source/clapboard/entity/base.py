"""Base class of all entity classes.

Entity classes are built at run time from the server's schemas (see
:mod:`clapboard.entity.factory`). Instances are dict-like: keys are attribute
names, values load on first access. Each instance holds only its session,
two plain dicts of values (local and remote, see :mod:`clapboard.attribute`)
and its identity ``(entity_type, *primary_key_values)``.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, ClassVar

from .. import display, exception
from ..attribute import (
    EMPTY,
    AbstractCollectionAttribute,
    ReferenceAttribute,
    ScalarAttribute,
    attach_all,
    relink,
)
from ..symbol import NOT_SET

if TYPE_CHECKING:  # pragma: no cover
    from ..attribute import Attribute, Attributes
    from ..session import Session


def _defer(attribute: Attribute, value: Any) -> bool:
    """Return whether setting *value* must wait until the new entity is recorded.

    Relationship collections relink their members and mappings create member
    entities: both record operations that must follow the entity's create.
    """
    if getattr(attribute, "inverse", None) is not None:
        return bool(value)
    return hasattr(value, "keys") and not hasattr(value, "collection")


class DynamicEntityTypeMetaclass(abc.ABCMeta):
    """Custom metaclass to customise representation of dynamic classes.

    .. note:: Derive from same metaclass as derived bases to avoid conflicts.
    """

    def __repr__(cls) -> str:
        return f"<dynamic clapboard class '{cls.__name__}'>"


class Entity(MutableMapping, metaclass=DynamicEntityTypeMetaclass):
    """Base class for all entities."""

    __slots__ = ("__weakref__", "_identity", "_local", "_remote", "_siblings", "session")

    entity_type = "Entity"
    # Set on every class the factory builds; None only on this base class.
    attributes: ClassVar[Attributes] = None  # type: ignore[assignment]
    primary_key_attributes: ClassVar[list[str]] = None  # type: ignore[assignment]
    default_projections: ClassVar[list[str]] = None  # type: ignore[assignment]

    # Lookup tables computed from the attributes by ``factory.prepare_class``.
    #: Attribute name → attribute (same objects as :attr:`attributes`).
    _attribute_map: ClassVar[dict[str, Attribute]] = {}
    #: ``(name, default)`` of attributes with a default for new entities.
    _defaults: ClassVar[tuple[tuple[str, Any], ...]] = ()
    #: Names of attributes that must be applied after the create is recorded.
    _deferred: ClassVar[frozenset[str]] = frozenset()
    _pk_names: ClassVar[tuple[str, ...]] = ()
    _collection_attributes: ClassVar[tuple[tuple[str, AbstractCollectionAttribute], ...]] = ()
    _collection_names: ClassVar[frozenset[str]] = frozenset()
    #: ``(reference name, inverse collection name)`` pairs.
    _inverse_references: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: ``(collection name, inverse reference name)`` pairs.
    _inverse_collections: ClassVar[tuple[tuple[str, str], ...]] = ()

    logger = logging.getLogger("clapboard.entity")

    def __init__(self, session: Session, data: dict[str, Any] | None = None, reconstructing: bool = False):
        """Initialise entity.

        *session* is the :class:`~clapboard.session.Session` this entity is
        bound to; *data* maps attribute names to initial values. When
        *reconstructing* (an existing entity, e.g. from a query), *data* are
        remote values and no defaults apply; otherwise *data* are local values
        completed with the schema defaults.
        """
        deferred = self._construct(session, data or {}, reconstructing)
        if deferred:
            with session.operation_recording(False):
                for name, value in deferred.items():
                    self._attribute_map[name].set_local_value(self, value)

    def _construct(self, session: Session, data: dict[str, Any], reconstructing: bool) -> dict[str, Any]:
        """Set up storage from *data*; return the values to apply once attached."""
        self.session = session
        self._local = EMPTY
        self._remote: dict[str, Any] = {}
        attributes = self._attribute_map
        deferred: dict[str, Any] = {}
        if reconstructing:
            self._identity = self._identity_from(data)
            for name, value in data.items():
                attribute = attributes.get(name)
                if attribute is not None:
                    attribute.set_remote_value(self, value)
            return deferred
        local: dict[str, Any] = {}
        for name, default in self._defaults:
            if name not in data:
                local[name] = default(self) if callable(default) else default
        self._local = local
        references = []
        for name, value in data.items():
            attribute = attributes.get(name)
            if attribute is None:
                raise self._unknown(name)
            if value is NOT_SET:
                continue
            if attribute.value_check is not None and isinstance(attribute, ScalarAttribute):
                attribute.check_value(self.entity_type, value)
            if name in self._deferred and _defer(attribute, value):
                deferred[name] = value
                continue
            if isinstance(attribute, ReferenceAttribute):
                if value is not None:
                    if getattr(value, "_identity", None) is None:
                        raise TypeError(f"{name!r} expects an entity or None, got {value!r}.")
                    value = session._attach(value)
                    if attribute.inverse is not None:
                        references.append((attribute.inverse, value))
            elif isinstance(attribute, AbstractCollectionAttribute):
                value = attribute._adapt(self, attach_all(self, attribute._members(value)))
            local[name] = value
        self._identity = self._identity_from(local)
        for inverse, target in references:
            relink(self, inverse, NOT_SET, target, local=True)
        return deferred

    @classmethod
    def _identity_from(cls, values: dict[str, Any]) -> tuple[Any, ...]:
        key: list[Any] = [cls.entity_type]
        for name in cls.primary_key_attributes or ():
            value = values.get(name, NOT_SET)
            key.append(value if value.__class__ is str or value is NOT_SET else str(value))
        return tuple(key)

    # Mapping interface -----------------------------------------------------------------------

    @classmethod
    def _unknown(cls, name: Any) -> exception.UnknownAttributeError:
        """The error for *name*, which is not an attribute of this type (with suggestions)."""
        return exception.UnknownAttributeError(cls.entity_type, name, cls._attribute_map)

    def __getitem__(self, key: str) -> Any:
        attribute = self._attribute_map.get(key)
        if attribute is None:
            raise self._unknown(key)
        return attribute.get_value(self)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of *key*, or *default* when the type has no such attribute."""
        attribute = self._attribute_map.get(key)
        if attribute is None:
            return default
        return attribute.get_value(self)

    def __setitem__(self, key: str, value: Any) -> None:
        attribute = self._attribute_map.get(key)
        if attribute is None:
            raise self._unknown(key)
        attribute.set_local_value(self, value)

    def __delitem__(self, key: str) -> None:
        """Forget the value of *key*.

        The local value is cleared (cancelling any pending change) and so is
        the last known remote value: the next access loads it again, or shows
        :data:`~clapboard.symbol.NOT_SET` when not auto-populating.
        """
        attribute = self._attribute_map.get(key)
        if attribute is None:
            raise self._unknown(key)
        attribute.set_local_value(self, NOT_SET)
        if key not in (self.primary_key_attributes or ()):
            attribute.set_remote_value(self, NOT_SET)

    def __iter__(self) -> Iterator[str]:
        return iter(self._attribute_map)

    def __len__(self) -> int:
        return len(self._attribute_map)

    def __contains__(self, key: Any) -> bool:
        return key in self._attribute_map

    def __eq__(self, other: object) -> bool:
        """Return whether *other* is the same entity (same type and primary key)."""
        if other is self:
            return True
        identity = getattr(other, "_identity", None)
        return identity is not None and identity == self._identity

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._identity)

    def __repr__(self) -> str:
        """Return e.g. ``<Task "compositing" sq010/sh020 b4d594f9 · modified>`` (no request is sent).

        The type, the loaded name (or another identifying attribute), the
        path of a context from loaded data, a short id and the local state.
        """
        try:
            return display.entity_summary(self)
        except AttributeError:  # still being constructed: no values or identity yet
            return f"<{self.entity_type} (being constructed)>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the loaded attributes one per line in IPython (one line inside containers)."""
        if cycle or display.nested(printer):
            printer.text(display.entity_summary(self))
        else:
            display.pretty_lines(printer, display.entity_lines(self))

    def _repr_html_(self) -> str:
        """Return an HTML table of the loaded attributes (Jupyter)."""
        return display.entity_html(self)

    def _ipython_key_completions_(self) -> list[str]:
        """Return the attribute names, completed by IPython after ``entity['``."""
        return list(self._attribute_map)

    def _snapshot(self) -> Entity:
        """Return self: operations keep entities as they are (see :mod:`clapboard.operation`)."""
        return self

    def _unloaded(self) -> list[str]:
        local, remote = self._local, self._remote
        return [name for name in self._attribute_map if name not in local and name not in remote]

    def _populate_unset(self) -> None:
        from ..attribute import is_created

        session = self.session
        if not session.auto_populate or is_created(self):
            return
        names = self._unloaded()
        if names:
            session.populate([self], ", ".join(names))

    def _current(self, name: str) -> Any:
        attribute = self._attribute_map[name]
        value = attribute.get_local_value(self)
        if value is NOT_SET:
            value = attribute.get_remote_value(self)
        if value is NOT_SET and hasattr(attribute, "_empty_local"):
            from ..attribute import is_created

            if is_created(self):
                value = attribute._empty_local(self)
        return value

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        """Return list of tuples of (key, value) pairs.

        Unloaded values are fetched first, all in one request.
        """
        self._populate_unset()
        return [(name, self._current(name)) for name in self._attribute_map]

    def values(self) -> list[Any]:  # type: ignore[override]
        """Return list of values, fetching unloaded ones first in one request."""
        self._populate_unset()
        return [self._current(name) for name in self._attribute_map]

    def clear(self) -> None:
        """Reset all locally modified attribute values."""
        self._local = EMPTY

    def merge(self, entity: Entity, merged: dict[Any, Any] | None = None) -> list[dict[str, Any]]:
        """Merge *entity* attribute values and other data into this entity.

        Only values of *entity* that are not NOT_SET are merged. Return a list
        of changes, each a mapping with keys ``type`` (``'remote_attribute'``,
        ``'local_attribute'`` or ``'property'``), ``name``, ``old_value`` and
        ``new_value``.
        """
        from ..merge import merge_entity

        return merge_entity(self, entity, {} if merged is None else merged)
