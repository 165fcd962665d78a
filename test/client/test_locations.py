"""Locations: the documentation's examples and the built-in locations, against the embedded server."""

import base64
import hashlib
import os
import uuid

import clapboard
import clapboard.accessor.disk
import clapboard.entity.location
import clapboard.structure.id
import clapboard.structure.origin
import clapboard.structure.standard
import pytest
from clapboard import exception
from clapboard.accessor.server import ServerAccessor
from clapboard.symbol import (
    COMPONENT_ADDED_TO_LOCATION_TOPIC,
    COMPONENT_REMOVED_FROM_LOCATION_TOPIC,
    ORIGIN_LOCATION_ID,
    SERVER_LOCATION_ID,
    UNMANAGED_LOCATION_ID,
)
from live_server import new_session


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture
def disk_location(server, tmp_path):
    """Name of a location "test.disk.<hex>" committed on the server; its data goes in tmp_path/"disk"."""
    name = f"test.disk.{uuid.uuid4().hex[:8]}"
    with new_session(server) as setup:
        setup.create("Location", {"name": name})
        setup.commit()
    return name, str(tmp_path / "disk")


PLUGIN = """
import clapboard
import clapboard.accessor.disk
import clapboard.structure.id
import clapboard.structure.origin
import clapboard.structure.standard


def configure_locations(event):
    \'\'\'Configure locations for session.\'\'\'
    session = event['data']['session']
    location = session.query('Location where name is "{name}"').one()
    location.accessor = clapboard.accessor.disk.DiskAccessor(prefix={prefix!r})
    location.structure = clapboard.structure.{structure}()
    location.priority = {priority}


def register(session):
    \'\'\'Register plugin with *session*.\'\'\'
    session.event_hub.subscribe('topic=ftrack.api.session.configure-location', configure_locations)
"""


def _configured_session(server, name, prefix, structure="id.IdStructure", priority=30):
    """Session configuring location *name* through a configure-location plugin (the docs' example)."""
    plugins = os.path.join(os.path.dirname(prefix), f"plugins-{uuid.uuid4().hex[:6]}")
    os.makedirs(plugins)
    with open(os.path.join(plugins, "configure_locations.py"), "w") as handle:
        handle.write(PLUGIN.format(name=name, prefix=prefix, structure=structure, priority=priority))
    return new_session(server, plugin_paths=[plugins])


@pytest.fixture
def files(tmp_path):
    """Write source files and return a helper making more."""

    def make(name="file.txt", content=b"clapboard data"):
        path = tmp_path / "source" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return str(path)

    return make


# Built-in locations -----------------------------------------------------------------------------


def test_builtin_locations_are_configured_without_requests(server):
    with new_session(server) as session:
        calls = session.transport.call_count
        origin = session.get("Location", ORIGIN_LOCATION_ID)
        unmanaged = session.get("Location", UNMANAGED_LOCATION_ID)
        server_location = session.get("Location", SERVER_LOCATION_ID)
        assert session.transport.call_count == calls
        assert (origin.priority, unmanaged.priority, server_location.priority) == (100, 90, 150)
        assert isinstance(origin, clapboard.entity.location.OriginLocationMixin)
        assert isinstance(unmanaged, clapboard.entity.location.UnmanagedLocationMixin)
        assert isinstance(server_location, clapboard.entity.location.ServerLocationMixin)
        assert isinstance(server_location.accessor, ServerAccessor)
        # Querying returns the same configured instances.
        assert session.query('Location where name is "ftrack.origin"').one() is origin
        assert session.query('Location where name is "ftrack.server"').one() is server_location


def test_locations_stay_configured_after_reset(session):
    origin = session.get("Location", ORIGIN_LOCATION_ID)
    session.reset()
    assert session.get("Location", ORIGIN_LOCATION_ID) is origin
    assert session.pick_location()["name"] == "ftrack.unmanaged"


def test_pick_location_default_is_unmanaged(session):
    location = session.pick_location()
    assert location["id"] == UNMANAGED_LOCATION_ID


def test_create_component_only_in_origin(session, files):
    path = files()
    component = session.create_component(path, location=None)
    assert component.entity_type == "FileComponent"
    assert component["name"] == "main"
    assert component["file_type"] == ".txt"
    assert component["size"] == len(b"clapboard data")
    origin = session.get("Location", ORIGIN_LOCATION_ID)
    assert origin.get_resource_identifier(component) == path
    assert origin.get_filesystem_path(component) == path
    assert session.get_component_availability(component) == {
        **{location["id"]: 0.0 for location in session.query("Location").all()},
        ORIGIN_LOCATION_ID: 100.0,
    }
    assert session.pick_location(component)["id"] == ORIGIN_LOCATION_ID
    # Nothing reached the server.
    assert session.created == [component]


def test_create_component_auto_registers_path_in_unmanaged(server, session, files):
    path = files()
    component = session.create_component(path, data={"name": "plate"})
    unmanaged = session.get("Location", UNMANAGED_LOCATION_ID)
    assert unmanaged.get_resource_identifier(component) == path
    assert unmanaged.get_filesystem_path(component) == path
    assert component.get_availability([unmanaged]) == {UNMANAGED_LOCATION_ID: 100.0}
    assert session.pick_location(component)["id"] == UNMANAGED_LOCATION_ID
    with new_session(server) as other:
        registration = other.query(
            f"ComponentLocation where component_id is {component['id']} and location_id is {UNMANAGED_LOCATION_ID}"
        ).one()
        assert registration["resource_identifier"] == path
        assert other.get("FileComponent", component["id"])["name"] == "plate"
    unmanaged.remove_component(component)
    assert os.path.exists(path)  # unmanaged: data left alone
    assert unmanaged.get_component_availability(component) == 0.0
    with pytest.raises(exception.ComponentNotInLocationError):
        unmanaged.get_resource_identifier(component)


def test_mixin_unmanaged_on_user_location(server, disk_location, files):
    """Docs: ``mixin(location, UnmanagedLocationMixin)`` keeps a location from managing data."""
    name, prefix = disk_location
    with new_session(server) as session:
        location = session.query(f'Location where name is "{name}"').one()
        clapboard.mixin(location, clapboard.entity.location.UnmanagedLocationMixin)
        location.accessor = clapboard.accessor.disk.DiskAccessor(prefix="")
        location.structure = clapboard.structure.origin.OriginStructure()
        location.priority = 50
        path = files()
        component = session.create_component(path, location=location)
        assert location.get_filesystem_path(component) == path
        assert not os.path.exists(prefix)


# A user disk location (docs: configuring locations) ---------------------------------------------


def test_disk_location_add_remove_and_availability(server, disk_location, files):
    name, prefix = disk_location
    session = _configured_session(server, name, prefix)
    with session:
        location = session.query(f'Location where name is "{name}"').one()
        assert location.priority == 30
        assert session.pick_location()["name"] == name

        # create_component with the default 'auto' picks the highest priority location.
        path_a = files("a.txt", b"A")
        component_a = session.create_component(path=path_a)
        path = location.get_filesystem_path(component_a)
        assert path.startswith(prefix)
        assert _read(path) == b"A"

        # Explicit location.
        component_b = session.create_component(path=files("b.txt", b"B"), location=location)
        assert location.get_component_availability(component_b) == 100.0

        # Origin only, then added from the origin location.
        component_c = session.create_component(path=files("c.txt", b"C"), location=None)
        assert location.get_component_availability(component_c) == 0.0
        origin_location = session.query('Location where name is "ftrack.origin"').one()
        location.add_component(component_c, origin_location)
        assert _read(location.get_filesystem_path(component_c)) == b"C"
        availability = session.get_component_availability(component_c)
        assert availability[location["id"]] == 100.0
        assert component_c.get_availability()[location["id"]] == 100.0
        assert location.get_component_availabilities([component_a, component_b, component_c]) == [100.0] * 3

        with pytest.raises(exception.ComponentInLocationError):
            location.add_component(component_c, origin_location)

        # Removing deletes the data and the registration.
        path_b = location.get_filesystem_path(component_b)
        location.remove_component(component_b)
        assert not os.path.exists(path_b)
        assert location.get_component_availability(component_b) == 0.0
        with pytest.raises(exception.ComponentNotInLocationError):
            location.remove_component(component_b)
        with pytest.raises(exception.ComponentNotInLocationError):
            location.get_filesystem_path(component_b)

    # Another session sees the registrations.
    with _configured_session(server, name, prefix) as other:
        location = other.query(f'Location where name is "{name}"').one()
        component = other.get("FileComponent", component_a["id"])
        assert other.pick_location(component)["name"] == name
        assert _read(location.get_filesystem_path(component)) == b"A"
        assert location.get_resource_identifiers([component]) == [location.get_resource_identifier(component)]


def test_existing_target_data_is_not_overwritten(server, disk_location, files):
    name, prefix = disk_location
    with _configured_session(server, name, prefix) as session:
        location = session.query(f'Location where name is "{name}"').one()
        component = session.create_component(files(), location=None)
        target = location.accessor.get_filesystem_path(location.structure.get_resource_identifier(component))
        os.makedirs(os.path.dirname(target))
        with open(target, "wb") as handle:
            handle.write(b"precious")
        origin = session.get("Location", ORIGIN_LOCATION_ID)
        with pytest.raises(exception.LocationError, match="already exists"):
            location.add_component(component, origin)
        assert _read(target) == b"precious"


def test_location_events_are_published(server, disk_location, files):
    name, prefix = disk_location
    with _configured_session(server, name, prefix) as session:
        received = []
        session.event_hub.subscribe(f"topic={COMPONENT_ADDED_TO_LOCATION_TOPIC}", received.append)
        session.event_hub.subscribe(f"topic={COMPONENT_REMOVED_FROM_LOCATION_TOPIC}", received.append)
        location = session.query(f'Location where name is "{name}"').one()
        component = session.create_component(files(), location=location)
        location.remove_component(component)
        events = [(event["topic"], event["data"]["location_id"]) for event in received]
        assert (COMPONENT_ADDED_TO_LOCATION_TOPIC, location["id"]) in events
        assert (COMPONENT_REMOVED_FROM_LOCATION_TOPIC, location["id"]) in events


def test_sequence_component(server, disk_location, files):
    name, prefix = disk_location
    for index in (1, 2, 3, 5):
        files(f"seq/image.{index:04d}.exr", f"frame {index}".encode())
    expression = os.path.join(os.path.dirname(files("x")), "seq", "image.%04d.exr [1-3, 5]")
    with _configured_session(server, name, prefix) as session:
        location = session.query(f'Location where name is "{name}"').one()
        sequence = session.create_component(expression, location=location)
        assert sequence.entity_type == "SequenceComponent"
        assert sequence["padding"] == 4
        assert sequence["file_type"] == ".exr"
        members = sorted(sequence["members"], key=lambda member: int(member["name"]))
        assert [member["name"] for member in members] == ["0001", "0002", "0003", "0005"]  # as written, like ftrack
        assert sequence["size"] == sum(member["size"] for member in members) == 4 * len(b"frame 1")
        assert location.get_component_availability(sequence) == 100.0
        for member in members:
            data = _read(location.get_filesystem_path(member))
            assert data == f"frame {int(member['name'])}".encode()
        assert location.get_filesystem_path(sequence).endswith("file.%04d.exr")

        # Partial availability once a member is removed.
        location.remove_component(members[0], recursive=False)
        assert location.get_component_availability(sequence) == 75.0
        location.remove_component(sequence)
        assert location.get_component_availability(sequence) == 0.0
        assert all(not location.get_component_availability(member) for member in members)


def test_standard_structure_disk_location(server, disk_location, files):
    """Docs' DiskAccessor + StandardStructure: paths follow the project hierarchy."""
    name, prefix = disk_location
    with _configured_session(server, name, prefix, structure="standard.StandardStructure") as session:
        schema = session.query("ProjectSchema").first()
        project_name = f"loc_{uuid.uuid4().hex[:8]}"
        project = session.create("Project", {"name": project_name, "full_name": project_name, "project_schema": schema})
        shot = session.create("Shot", {"name": "sh010", "parent": project})
        asset_type = session.query("AssetType").first()
        asset = session.create("Asset", {"name": "plate", "parent": shot, "type": asset_type})
        version = session.create("AssetVersion", {"asset": asset})
        session.commit()
        location = session.query(f'Location where name is "{name}"').one()
        component = version.create_component(files("main.jpg", b"jpg"), data={"name": "main"}, location=location)
        session.commit()
        resource_identifier = location.get_resource_identifier(component)
        assert resource_identifier == f"{project_name}/sh010/plate/v{version['version']:03d}/main.jpg"
        assert _read(os.path.join(prefix, resource_identifier)) == b"jpg"


def test_errors_for_unconfigured_location(server, disk_location, files):
    name, _ = disk_location
    with new_session(server) as session:
        location = session.query(f'Location where name is "{name}"').one()
        component = session.create_component(files(), location=None)
        # Not configured: still usable for availability, not for adding.
        assert location.get_component_availability(component) == 0.0
        with pytest.raises(exception.LocationError):
            location.add_component(component, session.get("Location", ORIGIN_LOCATION_ID))
        with pytest.raises(exception.ComponentNotInLocationError):
            location.get_url(component)


# ftrack.server -----------------------------------------------------------------------------------


def test_server_accessor_urls(session):
    accessor = ServerAccessor(session)
    url = accessor.get_url("abc")
    assert url == f"{session.server_url}/component/get?id=abc&username={session.api_user}&apiKey={session.api_key}"
    assert accessor.get_thumbnail_url("abc", 300).endswith("&size=300")
    with pytest.raises(exception.AccessorUnsupportedOperationError):
        accessor.list("")
    with pytest.raises(exception.AccessorUnsupportedOperationError):
        accessor.get_filesystem_path("abc")


@pytest.mark.storages("disk", "s3")
def test_server_location_round_trip(server, session, files):
    path = files("image.png", b"\x89PNG not really" * 1000)
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = session.create_component(path, location=server_location)
    assert server_location.get_resource_identifier(component) == component["id"]
    assert server_location.get_component_availability(component) == 100.0
    url = server_location.get_url(component)
    assert url.startswith(f"{session.server_url}/component/get?id={component['id']}")

    progress = []
    accessor = ServerAccessor(session, progress=lambda done, total: progress.append((done, total)), chunk_size=4096)
    data = accessor.open(component["id"], "rb")
    assert data.read() == b"\x89PNG not really" * 1000
    data.close()
    assert progress[-1][0] == len(b"\x89PNG not really" * 1000)
    assert accessor.exists(component["id"])
    assert accessor.size(component["id"]) == len(b"\x89PNG not really" * 1000)

    # Another session finds the component in the server location.
    with new_session(server) as other:
        remote = other.get("FileComponent", component["id"])
        assert other.pick_location(remote)["name"] == "ftrack.server"

    server_location.remove_component(component)
    assert not accessor.exists(component["id"])
    assert server_location.get_component_availability(component) == 0.0


@pytest.mark.storages("disk", "s3")
def test_server_location_to_disk_transfer(server, disk_location, files):
    name, prefix = disk_location
    with _configured_session(server, name, prefix) as session:
        server_location = session.get("Location", SERVER_LOCATION_ID)
        component = session.create_component(files("a.bin", b"abc" * 5000), location=server_location)
        location = session.query(f'Location where name is "{name}"').one()
        location.add_component(component, server_location)
        assert _read(location.get_filesystem_path(component)) == b"abc" * 5000


@pytest.mark.storages("disk", "s3")
def test_server_accessor_upload_progress(session, files):
    component = session.create_component(files("p.bin", b"x" * 10000), location=None)
    progress = []
    accessor = ServerAccessor(session, chunk_size=1000)
    requested = []
    real_metadata = session.get_upload_metadata

    def spy(**kw):
        requested.append(kw)
        return real_metadata(**kw)

    session.get_upload_metadata = spy
    data = accessor.open(component["id"], "wb", progress=lambda done, total: progress.append((done, total)))
    data.write(b"x" * 10000)
    data.close()
    assert progress[0] == (0, 10000)
    assert progress[-1] == (10000, 10000)
    assert requested == [{
        "component_id": component["id"], "file_name": "main.bin", "file_size": 10000,
        "checksum": base64.b64encode(hashlib.md5(b"x" * 10000).digest()).decode(),
    }]
    assert accessor.open(component["id"], "rb").read() == b"x" * 10000


@pytest.mark.storages("disk", "s3")
def test_server_accessor_missing_data_and_download_retries(session, files, monkeypatch):
    import requests

    accessor = ServerAccessor(session, backoff=0)
    missing = str(uuid.uuid4())
    assert not accessor.exists(missing)
    with pytest.raises(exception.AccessorResourceNotFoundError):
        accessor.open(missing, "rb")

    component = session.create_component(files("r.bin", b"retry"), location=session.get("Location", SERVER_LOCATION_ID))
    real_get = accessor.http.get
    failures = []

    def flaky_get(url, **kw):
        if len(failures) < 2:
            failures.append(url)
            raise requests.exceptions.ConnectionError("connection reset")
        return real_get(url, **kw)

    monkeypatch.setattr(accessor.http, "get", flaky_get)
    assert accessor.open(component["id"], "rb").read() == b"retry"
    assert len(failures) == 2

    failures.clear()
    accessor.max_retries = 1
    with pytest.raises(exception.AccessorOperationFailedError):
        accessor.open(component["id"], "rb")


@pytest.mark.storages("disk", "s3")
def test_create_thumbnail_uploads_to_server_location(server, session, files):
    schema = session.query("ProjectSchema").first()
    name = f"thumb_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    session.commit()
    thumbnail = project.create_thumbnail(files("thumb.jpg", b"jpeg bytes"))
    assert thumbnail["name"] == "thumbnail"
    server_location = session.get("Location", SERVER_LOCATION_ID)
    assert server_location.get_component_availability(thumbnail) == 100.0
    assert server_location.get_thumbnail_url(thumbnail, size=100).endswith("&size=100")
    with new_session(server) as other:
        assert other.get("Project", project["id"])["thumbnail_id"] == thumbnail["id"]
        assert other.get("Location", SERVER_LOCATION_ID).accessor.open(thumbnail["id"]).read() == b"jpeg bytes"


@pytest.mark.storages("disk", "s3")
def test_server_location_sequence(server, session, files):
    for index in (1, 2, 4):
        files(f"seq/plate.{index:04d}.png", f"frame {index}".encode() * 100)
    expression = os.path.join(os.path.dirname(files("x")), "seq", "plate.%04d.png [1-2, 4]")
    server_location = session.get("Location", SERVER_LOCATION_ID)
    sequence = session.create_component(expression, location=server_location)
    members = sorted(sequence["members"], key=lambda member: int(member["name"]))
    assert server_location.get_component_availability(sequence) == 100.0
    with new_session(server) as other:
        accessor = other.get("Location", SERVER_LOCATION_ID).accessor
        for member in members:
            assert accessor.open(member["id"]).read() == f"frame {int(member['name'])}".encode() * 100
    server_location.remove_component(members[0], recursive=False)
    assert server_location.get_component_availability(sequence) == pytest.approx(200 / 3)
    assert not server_location.accessor.exists(members[0]["id"])
    server_location.remove_component(sequence)
    assert server_location.get_component_availability(sequence) == 0.0
    assert not any(server_location.accessor.exists(member["id"]) for member in members)


@pytest.mark.in_process
@pytest.mark.storages("disk", "s3")
def test_server_accessor_uploads_a_large_file_in_parts(server, session, files):
    """Over the part size: in parts where the server's store offers them (S3), else in one PUT."""
    data = os.urandom(11 * 1024 * 1024 + 17)
    part_size = 5 * 1024 * 1024
    component = session.create_component(files("large.exr", data), location=None)
    accessor = ServerAccessor(session, part_size=part_size, progress=False)
    calls = []
    real_call = session.call
    session.call = lambda operations: calls.append(operations) or real_call(operations)
    target = accessor.open(component["id"], "wb")
    target.write(data)
    target.close()
    del session.call
    on_s3 = server.server.storage_url is not None
    assert [operation["action"] for batch in calls for operation in batch] == (
        ["complete_multipart_upload"] if on_s3 else [])
    if on_s3:
        assert [part["part_number"] for part in calls[0][0]["parts"]] == [1, 2, 3]
    assert hashlib.md5(accessor.open(component["id"], "rb").read()).digest() == hashlib.md5(data).digest()
    assert accessor.size(component["id"]) == len(data)


@pytest.mark.storages("s3")
def test_a_failed_part_aborts_the_multipart_upload(server, session, files, monkeypatch):
    import requests
    from storage_support import leftovers

    data = os.urandom(6 * 1024 * 1024)
    component = session.create_component(files("fails.bin", data), location=None)
    accessor = ServerAccessor(session, part_size=5 * 1024 * 1024, progress=False)
    real_put = accessor.http.put
    puts = []

    def failing_second_part(url, **kw):
        puts.append(url)
        if len(puts) == 2:
            raise requests.exceptions.ConnectionError("connection reset")
        return real_put(url, **kw)

    monkeypatch.setattr(accessor.http, "put", failing_second_part)
    target = accessor.open(component["id"], "wb")
    target.write(data)
    with pytest.raises(exception.AccessorOperationFailedError):
        target.close()
    assert len(puts) == 2
    assert leftovers(server, component["id"]) == []
    assert not accessor.exists(component["id"])


@pytest.mark.parametrize("chunk_size", [1, 7, 10, 64])
def test_upload_digests_cover_the_whole_data_and_each_part(chunk_size):
    """The checksums sent with a multipart request, however the data is read in chunks."""
    from clapboard.accessor.server import _Digests

    data = os.urandom(45)
    digests = _Digests(part_size=10)
    for start in range(0, len(data), chunk_size):
        digests.update(data[start:start + chunk_size])
    b64 = lambda chunk: base64.b64encode(hashlib.md5(chunk).digest()).decode()
    assert digests.size == 45 and digests.checksum == b64(data)
    assert digests.parts == [b64(data[start:start + 10]) for start in range(0, 45, 10)]
