"""Locations: where component data is stored.

A location configured in a session carries an :attr:`~Location.accessor`
(how to reach the data), a :attr:`~Location.structure` (where a component's
data goes), an optional resource identifier transformer and a
:attr:`~Location.priority` used when picking locations automatically (lower
numbers win).

Registrations are ``ComponentLocation`` rows holding the resource
identifier of a component in a location. The mixins change that behaviour:

- :class:`MemoryLocationMixin` keeps registrations in memory for the
  session only;
- :class:`UnmanagedLocationMixin` registers components without touching
  their data;
- :class:`OriginLocationMixin` is the in-memory source location whose
  "sources" are plain filesystem paths;
- :class:`ServerLocationMixin` adds :meth:`~ServerLocationMixin.get_thumbnail_url`.
"""

from __future__ import annotations

import collections.abc
import inspect
from typing import Any

from .. import exception
from ..event.base import Event
from ..progress import Aggregate, ProgressCallback, ProgressOption, Reporter
from ..symbol import CHUNK_SIZE, COMPONENT_ADDED_TO_LOCATION_TOPIC, COMPONENT_REMOVED_FROM_LOCATION_TOPIC, NOT_SET
from .base import Entity


def _is_container(component: Entity) -> bool:
    """Return whether *component* is a container (has members)."""
    return "members" in getattr(type(component), "_attribute_map", {})


def _members(component: Entity) -> list[Entity]:
    """Return members of container *component* (empty for files)."""
    if not _is_container(component):
        return []
    return list(component["members"])


def _reports_progress(accessor: Any) -> bool:
    """Return whether *accessor*'s ``open`` takes a *progress* argument (transfers over a network)."""
    try:
        return "progress" in inspect.signature(accessor.open).parameters
    except (TypeError, ValueError):
        return False


def _open(accessor: Any, resource_identifier: str, mode: str, report: ProgressCallback | None, reporting: bool) -> Any:
    """Open *resource_identifier* through *accessor*, giving it *report* when *reporting*.

    Accessors reporting progress get False otherwise, so they draw no bar of
    their own under the location's.
    """
    if not _reports_progress(accessor):
        return accessor.open(resource_identifier, mode)
    return accessor.open(resource_identifier, mode, progress=report if reporting else False)


def _data_size(components: list[Entity], recursive: bool) -> int | None:
    """Return the bytes of data of *components* (and members when *recursive*), None if unknown."""
    total = 0
    for component in components:
        if _is_container(component):
            if not recursive:
                continue
            size = _data_size(_members(component), recursive)
        else:
            size = component["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            return None
        total += size
    return total


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes, collections.abc.Mapping)) or not isinstance(value, collections.abc.Iterable):
        return [value]
    return list(value)


class Location(Entity):
    """Represent storage for components."""

    # Instances are configured with attributes of their own (no __slots__).
    #: Accessor giving access to the data (NOT_SET when not configured in the session).
    accessor: Any = NOT_SET
    #: Structure computing resource identifiers for new registrations.
    structure: Any = NOT_SET
    #: Optional :class:`~clapboard.resource_identifier_transformer.base.ResourceIdentifierTransformer`.
    resource_identifier_transformer: Any = None
    #: Priority when picking locations automatically: lower numbers are picked first.
    priority: int = 95

    # Adding ------------------------------------------------------------------------------------

    def add_component(
        self, component: Entity, source: Any, recursive: bool = True, progress: ProgressOption = None
    ) -> Entity:
        """Add *component* to location from *source* location.

        Raise :exc:`~clapboard.exception.ComponentInLocationError` if the
        component is already in this location and
        :exc:`~clapboard.exception.LocationError` if managing data and the
        target already exists according to the accessor. A
        :meth:`Session.commit <clapboard.session.Session.commit>` is issued
        to register the component. Return *component*.

        *progress* reports the bytes transferred: a callable
        ``progress(done, total)``, True for a progress bar, False for none,
        None (default) for a bar in interactive sessions only (see
        :mod:`clapboard.progress`).
        """
        self.add_components([component], sources=source, recursive=recursive, progress=progress)
        return component

    def add_components(
        self,
        components: Any,
        sources: Any,
        recursive: bool = True,
        progress: ProgressOption = None,
        _depth: int = 0,
        _aggregate: Aggregate | None = None,
    ) -> None:
        """Add *components* to location from *sources*.

        *sources* is one source location for all components, or a list
        matching *components*. With *recursive*, members of containers are
        added first (from the same source), then the containers.

        Raise :exc:`~clapboard.exception.ComponentInLocationError` if any
        component is already in this location (nothing is changed then).
        If a transfer or the registration fails,
        :exc:`~clapboard.exception.LocationError` is raised with the
        ``transferred`` detail listing the data already written, which is
        left for the caller to clean up.

        *progress* reports the bytes transferred for all components together,
        as for :meth:`add_component`.
        """
        components = _as_list(components)
        if not components:
            return
        if _aggregate is None and self._manages_data():
            with Reporter(progress, f"Adding to {self._display_name()}") as reporter:
                if reporter.active:
                    aggregate = Aggregate(reporter, _data_size(components, recursive))
                    self.add_components(components, sources, recursive, progress, _depth, aggregate)
                    aggregate.finish()
                    return
        source_list = _as_list(sources) if isinstance(sources, (list, tuple)) else [sources] * len(components)
        if len(source_list) != len(components):
            raise ValueError(
                f"Number of sources ({len(source_list)}) does not match number of components ({len(components)})."
            )

        self._check_configured("add_components")
        present = [
            component
            for component, availability in zip(components, self.get_component_availabilities(components))
            if availability > 0.0 and not _is_container(component)
        ]
        present += [
            component for component in components if _is_container(component) and self._is_registered(component)
        ]
        if present:
            raise exception.ComponentInLocationError(present, self)

        if recursive:
            for component, source in zip(components, source_list):
                members = _members(component)
                if members:
                    self.add_components(
                        members, source, recursive=recursive, _depth=_depth + 1, _aggregate=_aggregate
                    )

        transferred: list[tuple[Entity, str]] = []
        registrations: list[tuple[Entity, str]] = []
        for component, source in zip(components, source_list):
            try:
                target = self._add_data(component, source, transferred, _aggregate)
            except exception.Error as error:
                if isinstance(error, exception.LocationError):
                    error.details.setdefault("transferred", transferred)
                    raise
                raise exception.LocationError(
                    "Failed to transfer component {component} data to location {location} due to error:\n"
                    "{error}\nTransferred component data that may require cleanup: {transferred}",
                    details={"component": component, "location": self, "error": error, "transferred": transferred},
                ) from error
            registrations.append((component, target))

        try:
            self._register_components(registrations)
        except exception.Error as error:
            raise exception.LocationError(
                "Failed to register components with location {location} due to error:\n{error}\n"
                "Transferred component data that may require cleanup: {transferred}",
                details={"location": self, "error": error, "transferred": transferred},
            ) from error

        for component, _ in registrations:
            self.session.event_hub.publish(
                Event(
                    topic=COMPONENT_ADDED_TO_LOCATION_TOPIC,
                    data={"component_id": component["id"], "location_id": self["id"]},
                ),
                on_error="ignore",
            )

    def _check_configured(self, operation: str) -> None:
        """Raise LocationError unless a structure (and, where data is managed, an accessor) is set."""
        needed = ("structure", "accessor") if self._needs_accessor() else ("structure",)
        for plugin_name in needed:
            if getattr(self, plugin_name) in (NOT_SET, None):
                raise exception.LocationError(
                    "No {plugin} defined for location {location}: cannot {operation}.",
                    details={"plugin": plugin_name, "location": self, "operation": operation},
                )

    def _needs_accessor(self) -> bool:
        return True

    def _manages_data(self) -> bool:
        return self.accessor is not NOT_SET and self.accessor is not None

    def _target_resource_identifier(self, component: Entity, source: Any) -> str:
        context: dict[str, Any] = {}
        if source is not None and not isinstance(source, str):
            try:
                context["source_resource_identifier"] = source.get_resource_identifier(component)
            except exception.ComponentNotInLocationError:
                if not _is_container(component):
                    raise
        elif isinstance(source, str):
            context["source_resource_identifier"] = source
        return self.structure.get_resource_identifier(component, context)

    def _display_name(self) -> str:
        name = self._local.get("name") or self._remote.get("name")
        return name if isinstance(name, str) else "location"

    def _add_data(
        self, component: Entity, source: Any, transferred: list[tuple[Entity, str]], aggregate: Aggregate | None = None
    ) -> str:
        """Transfer data of *component* from *source*; return the target resource identifier.

        With *aggregate*, the transfer's bytes are reported to it.
        """
        target = self._target_resource_identifier(component, source)
        if not self._manages_data():
            return target
        if _is_container(component):
            return target  # a container has no data of its own: its members were transferred
        accessor = self.accessor
        if accessor.exists(target):
            raise exception.LocationError(
                "Cannot add component {component} to location {location} as data already exists at "
                "target {target}. Transferred component data that may require cleanup: {transferred}",
                details={"component": component, "location": self, "target": target, "transferred": transferred},
            )
        try:
            container = accessor.get_container(target)
        except (exception.AccessorParentResourceNotFoundError, exception.AccessorUnsupportedOperationError):
            container = None
        if container:
            accessor.make_container(container, recursive=True)

        report = aggregate.part() if aggregate is not None else None
        # One side reports: the upload, else the download, else the copy below.
        report_target = report is not None and _reports_progress(accessor)
        report_source = report is not None and not report_target and _reports_progress(source.accessor)
        source_data = _open(source.accessor, source.get_resource_identifier(component), "rb", report, report_source)
        try:
            target_data = _open(accessor, target, "wb", report, report_target)
            try:
                copied = 0
                while True:
                    chunk = source_data.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    target_data.write(chunk)
                    copied += len(chunk)
                    if report is not None and not (report_source or report_target):
                        report(copied, None)
                target_data.flush()
            finally:
                target_data.close()
        finally:
            source_data.close()
        transferred.append((component, target))
        return target

    def _encode(self, component: Entity, resource_identifier: str) -> str:
        transformer = self.resource_identifier_transformer
        if transformer is None:
            return resource_identifier
        return transformer.encode(resource_identifier, context={"component": component})

    def _decode(self, component: Entity, resource_identifier: str) -> str:
        transformer = self.resource_identifier_transformer
        if transformer is None:
            return resource_identifier
        return transformer.decode(resource_identifier, context={"component": component})

    def _register_components(self, registrations: list[tuple[Entity, str]]) -> None:
        """Create ComponentLocation rows for *registrations* and commit."""
        session = self.session
        for component, resource_identifier in registrations:
            session.create(
                "ComponentLocation",
                {
                    "component": component,
                    "location": self,
                    "resource_identifier": self._encode(component, resource_identifier),
                },
            )
        session.commit()

    # Removing ----------------------------------------------------------------------------------

    def remove_component(self, component: Entity, recursive: bool = True) -> None:
        """Remove *component* from location (a commit is issued)."""
        self.remove_components([component], recursive=recursive)

    def remove_components(self, components: Any, recursive: bool = True) -> None:
        """Remove *components* from location (a commit is issued).

        With *recursive*, members of containers are removed too. Managed
        data is removed through the accessor before deregistration. Raise
        :exc:`~clapboard.exception.ComponentNotInLocationError` if any
        component is not in this location.
        """
        components = _as_list(components)
        if not components:
            return
        self._check_configured("remove_components")
        identifiers = self.get_resource_identifiers(components)
        for component, resource_identifier in zip(components, identifiers):
            if recursive:
                members = [member for member in _members(component) if self._is_registered(member)]
                if members:
                    self.remove_components(members, recursive=recursive)
            if self._manages_data() and not _is_container(component):
                self.accessor.remove(resource_identifier)
        self._deregister_components(components)
        for component in components:
            self.session.event_hub.publish(
                Event(
                    topic=COMPONENT_REMOVED_FROM_LOCATION_TOPIC,
                    data={"component_id": component["id"], "location_id": self["id"]},
                ),
                on_error="ignore",
            )

    def _deregister_components(self, components: list[Entity]) -> None:
        session = self.session
        for component in components:
            registration = session.query(
                f"ComponentLocation where component_id is {component['id']} and location_id is {self['id']}"
            ).first()
            if registration is not None:
                session.delete(registration)
        session.commit()

    # Availability and identifiers --------------------------------------------------------------

    def _is_registered(self, component: Entity) -> bool:
        return bool(self._registered_identifiers([component]))

    def _registered_identifiers(self, components: list[Entity]) -> dict[str, str]:
        """Return ``{component id: stored resource identifier}`` for registered *components*."""
        ids = [str(component["id"]) for component in components]
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.session.query(
                "select component_id, resource_identifier from ComponentLocation "
                f"where location_id is {self['id']} and component_id in ({', '.join(chunk)})"
            ).all()
            for row in rows:
                found[str(row["component_id"])] = row["resource_identifier"]
        return found

    def get_component_availability(self, component: Entity) -> float:
        """Return availability of *component* in this location as a float (0 to 100)."""
        return self.get_component_availabilities([component])[0]

    def get_component_availabilities(self, components: Any) -> list[float]:
        """Return availabilities of *components* in this location.

        Return a list of floats (0 to 100) matching *components*.
        """
        components = _as_list(components)
        availabilities = self.session.get_component_availabilities(components, locations=[self])
        return [availability.get(self["id"], 0.0) for availability in availabilities]

    def get_resource_identifier(self, component: Entity) -> str:
        """Return resource identifier for *component*.

        Raise :exc:`~clapboard.exception.ComponentNotInLocationError` if the
        component is not in this location.
        """
        return self.get_resource_identifiers([component])[0]

    def get_resource_identifiers(self, components: Any) -> list[str]:
        """Return resource identifiers for *components*.

        Raise :exc:`~clapboard.exception.ComponentNotInLocationError` if any
        of the components is not in this location.
        """
        components = _as_list(components)
        found = self._registered_identifiers(components)
        missing = [component for component in components if str(component["id"]) not in found]
        if missing:
            raise exception.ComponentNotInLocationError(missing, self)
        return [self._decode(component, found[str(component["id"])]) for component in components]

    def get_filesystem_path(self, component: Entity) -> str:
        """Return filesystem path for *component*.

        Raise :exc:`~clapboard.exception.ComponentNotInLocationError` if it
        is not in this location, and the accessor's errors
        (:exc:`~clapboard.exception.AccessorUnsupportedOperationError`...)
        when no path can be given.
        """
        resource_identifier = self.get_resource_identifier(component)
        self._check_accessor("get_filesystem_path")
        return self.accessor.get_filesystem_path(resource_identifier)

    def get_url(self, component: Entity) -> str:
        """Return url for *component*.

        Raise :exc:`~clapboard.exception.AccessorFilesystemPathError` if the
        URL could not be determined or
        :exc:`~clapboard.exception.AccessorUnsupportedOperationError` if the
        location's accessor does not support URLs.
        """
        resource_identifier = self.get_resource_identifier(component)
        self._check_accessor("get_url")
        return self.accessor.get_url(resource_identifier)

    def _check_accessor(self, operation: str) -> None:
        if not self._manages_data():
            raise exception.LocationError(
                "No accessor defined for location {location}: cannot {operation}.",
                details={"location": self, "operation": operation},
            )


class MemoryLocationMixin:
    """Location keeping its registrations in memory rather than in the database.

    Registrations last for the session only and are never sent to the server.
    """

    __slots__ = ()

    @property
    def _registry(self: Any) -> dict[str, str]:
        """Return the ``{component id: resource identifier}`` registry of this location."""
        return self.__dict__.setdefault("_memory_registry", {})

    def _register_components(self: Any, registrations: list[tuple[Entity, str]]) -> None:
        for component, resource_identifier in registrations:
            self._registry[str(component["id"])] = self._encode(component, resource_identifier)

    def _deregister_components(self: Any, components: list[Entity]) -> None:
        for component in components:
            self._registry.pop(str(component["id"]), None)

    def _registered_identifiers(self: Any, components: list[Entity]) -> dict[str, str]:
        registry = self._registry
        return {str(c["id"]): registry[str(c["id"])] for c in components if str(c["id"]) in registry}

    def get_component_availabilities(self: Any, components: Any) -> list[float]:
        """Return availabilities of *components* in this location (from memory)."""
        components = _as_list(components)
        registry = self._registry
        result = []
        for component in components:
            members = _members(component)
            if members:
                present = sum(1 for member in members if str(member["id"]) in registry)
                result.append(100.0 * present / len(members))
            else:
                result.append(100.0 if str(component["id"]) in registry else 0.0)
        return result


class UnmanagedLocationMixin:
    """Location that does not manage data: components are registered, data is left alone."""

    __slots__ = ()

    def _manages_data(self: Any) -> bool:
        return False

    def _needs_accessor(self: Any) -> bool:
        return False

    def get_filesystem_path(self: Any, component: Entity) -> str:
        """Return filesystem path for *component* (through the accessor when configured)."""
        resource_identifier = self.get_resource_identifier(component)
        if self.accessor is NOT_SET or self.accessor is None:
            return resource_identifier
        return self.accessor.get_filesystem_path(resource_identifier)

    def get_url(self: Any, component: Entity) -> str:
        """Return url for *component* (through the accessor when configured)."""
        resource_identifier = self.get_resource_identifier(component)
        if self.accessor is NOT_SET or self.accessor is None:
            raise exception.AccessorUnsupportedOperationError("get_url", resource_identifier=resource_identifier)
        return self.accessor.get_url(resource_identifier)


class OriginLocationMixin(MemoryLocationMixin, UnmanagedLocationMixin):
    """Special origin location whose sources are filesystem paths.

    ``origin.add_component(component, '/path/to/file')`` registers the path
    as the component's resource identifier without transferring data.
    """

    __slots__ = ()

    def _target_resource_identifier(self: Any, component: Entity, source: Any) -> str:
        if not isinstance(source, str):
            raise exception.LocationError(
                "Origin location expects a path as source for component {component}, not {source!r}.",
                details={"component": component, "source": source},
            )
        return self.structure.get_resource_identifier(component, {"source_resource_identifier": source})


class ServerLocationMixin:
    """Location representing the clapboard server's storage."""

    __slots__ = ()

    def get_thumbnail_url(self: Any, component: Entity, size: int | None = None) -> str:
        """Return thumbnail url for *component*.

        Optionally, *size* constrains the downscaled image to size x size
        pixels. Raise :exc:`~clapboard.exception.AccessorFilesystemPathError`
        if the URL could not be determined or
        :exc:`~clapboard.exception.AccessorUnsupportedOperationError` if the
        accessor does not support thumbnails.
        """
        resource_identifier = self.get_resource_identifier(component)
        get_thumbnail_url = getattr(self.accessor, "get_thumbnail_url", None)
        if get_thumbnail_url is None:
            raise exception.AccessorUnsupportedOperationError(
                "get_thumbnail_url", resource_identifier=resource_identifier
            )
        return get_thumbnail_url(resource_identifier, size)


__all__ = [
    "Location",
    "MemoryLocationMixin",
    "OriginLocationMixin",
    "ServerLocationMixin",
    "UnmanagedLocationMixin",
]
