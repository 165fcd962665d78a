"""``clapboard upload`` and ``clapboard download``: component files, through locations."""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
from typing import Any

from .. import exception
from ..progress import ProgressOption, Reporter
from ..query import quote
from ._connection import add_connection_arguments, connect

DEFAULT_LOCATION = "ftrack.server"


def _location(session: Any, name: str) -> Any:
    location = session.query(f"Location where name is {quote(name)}").first()
    if location is None:
        raise exception.LocationError(f"No location named {name!r}.")
    return location


def _progress(arguments: argparse.Namespace) -> ProgressOption:
    """Return the progress option: a bar when standard error is a terminal, unless told otherwise."""
    if arguments.progress is not None:
        return arguments.progress
    if os.environ.get("CLAPBOARD_PROGRESS"):
        return None  # the library reads it
    return sys.stderr.isatty()


def _add_progress_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="draw a progress bar on standard error (default: when it is a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false", help="draw no progress bar")


def _upload(arguments: argparse.Namespace) -> int:
    if not os.path.isfile(arguments.path):
        raise exception.AccessorResourceNotFoundError(resource_identifier=arguments.path)
    with connect(arguments) as session:
        data: dict[str, Any] = {"name": arguments.name}
        if arguments.version:
            data["version_id"] = arguments.version
        component = session.create_component(
            os.path.abspath(arguments.path), data, location=_location(session, arguments.location),
            progress=_progress(arguments),
        )
        print(component["id"])
    return 0


def _file_name(component: Any) -> str:
    extension = component["file_type"] or ""
    return f"{component['name']}{extension}"


def _copy(location: Any, component: Any, destination: str, progress: ProgressOption) -> None:
    resource_identifier = location.get_resource_identifier(component)
    accessor = location.accessor
    with Reporter(progress, f"Downloading {_file_name(component)}") as reporter:
        if reporter.active and "progress" in inspect.signature(accessor.open).parameters:
            source = accessor.open(resource_identifier, "rb", progress=reporter)  # a network transfer
        else:
            source = accessor.open(resource_identifier, "rb")
    try:
        with open(destination, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    finally:
        source.close()


def _download(arguments: argparse.Namespace) -> int:
    with connect(arguments) as session:
        component = session.get("Component", arguments.component_id)
        if component is None:
            raise exception.NotFoundError(f"No component with id {arguments.component_id!r}.")
        if arguments.location:
            location = _location(session, arguments.location)
        else:
            location = session.pick_location(component)
            if location is None:
                raise exception.ComponentNotInAnyLocationError()
        members = list(component["members"]) if "members" in component else []
        if members:  # a sequence or other container: its files go into the destination folder
            os.makedirs(arguments.destination, exist_ok=True)
            for member in members:
                _copy(location, member, os.path.join(arguments.destination, _file_name(member)),
                      _progress(arguments))
            print(arguments.destination)
            return 0
        destination = arguments.destination
        if os.path.isdir(destination):
            destination = os.path.join(destination, _file_name(component))
        _copy(location, component, destination, _progress(arguments))
        print(destination)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``upload`` and ``download`` to the ``clapboard`` command."""
    upload = commands.add_parser(
        "upload",
        help="store a file as a new component in a location",
        description="Create a FileComponent from PATH and add it to a location (by default the "
        "server's own storage, ftrack.server). Prints the new component's id.",
    )
    upload.add_argument("path", metavar="PATH", help="file to upload")
    upload.add_argument("--name", default="main", help="component name (default: main)")
    upload.add_argument("--version", metavar="VERSION_ID", help="id of the AssetVersion the component belongs to")
    upload.add_argument("--location", default=DEFAULT_LOCATION,
                        help=f"name of the location to add it to (default: {DEFAULT_LOCATION})")
    _add_progress_arguments(upload)
    add_connection_arguments(upload)
    upload.set_defaults(run=_upload)

    download = commands.add_parser(
        "download",
        help="fetch a component's file from a location",
        description="Copy the data of component COMPONENT_ID to DESTINATION (a file, or a folder "
        "to put it in under the component's name). The location is the best one holding the "
        "component unless --location names one. A sequence's files all go into DESTINATION, "
        "then a folder. Prints where the data went.",
    )
    download.add_argument("component_id", metavar="COMPONENT_ID", help="id of the component")
    download.add_argument("destination", metavar="DESTINATION", help="file or folder to write to")
    download.add_argument("--location", help="name of the location to read from")
    _add_progress_arguments(download)
    add_connection_arguments(download)
    download.set_defaults(run=_download)
