"""Progress of uploads, downloads, transfers between locations and long pagings, against the embedded server."""

import io
import sys
import uuid

import clapboard.accessor.disk
import clapboard.structure.id
import pytest
from clapboard import progress
from clapboard.accessor.server import ServerAccessor
from clapboard.symbol import ORIGIN_LOCATION_ID, SERVER_LOCATION_ID
from live_server import new_session

#: Over two chunks of clapboard.symbol.CHUNK_SIZE, so every transfer reports several times.
SIZE = 2 * 1024 * 1024 + 12345


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture
def source_file(tmp_path):
    path = tmp_path / "plate.exr"
    path.write_bytes(bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256))
    return str(path)


@pytest.fixture
def disk_location(session, tmp_path):
    """A location storing files under tmp_path/disk, configured in *session*."""
    location = session.create("Location", {"name": f"test.progress.{uuid.uuid4().hex[:8]}"})
    session.commit()
    location.accessor = clapboard.accessor.disk.DiskAccessor(prefix=str(tmp_path / "disk"))
    location.structure = clapboard.structure.id.IdStructure()
    location.priority = 30
    return location


def recorder():
    reports = []

    def record(done, total):
        reports.append((done, total))

    record.reports = reports
    return record


def assert_progressing(reports, size):
    """Several reports, never going backwards, the last one saying all *size* bytes are done."""
    assert len(reports) > 2, reports
    done = [report[0] for report in reports]
    assert done == sorted(done)
    totals = [report[1] for report in reports if report[1] is not None]
    assert totals == sorted(totals) and totals[-1] == size
    assert reports[-1] == (size, size)


def test_upload_to_the_server_location(session, source_file):
    record = recorder()
    server_location = session.get("Location", SERVER_LOCATION_ID)
    component = session.create_component(source_file, location=server_location, progress=record)
    assert_progressing(record.reports, SIZE)
    assert server_location.get_component_availability(component) == 100.0


def test_upload_and_download_through_the_accessor(session, source_file):
    component = session.create_component(source_file, location=None)
    accessor = ServerAccessor(session)
    uploads, downloads = recorder(), recorder()
    target = accessor.open(component["id"], "wb", progress=uploads)
    with open(source_file, "rb") as source:
        target.write(source.read())
    target.close()
    assert_progressing(uploads.reports, SIZE)
    data = accessor.open(component["id"], "rb", progress=downloads)
    assert len(data.read()) == SIZE
    data.close()
    assert_progressing(downloads.reports, SIZE)


def test_transfer_from_the_server_to_disk_reports_the_download(session, source_file, disk_location):
    server_location = session.get("Location", SERVER_LOCATION_ID)
    component = session.create_component(source_file, location=server_location, progress=False)
    record = recorder()
    disk_location.add_component(component, server_location, progress=record)
    assert_progressing(record.reports, SIZE)
    with open(disk_location.get_filesystem_path(component), "rb") as copy, open(source_file, "rb") as original:
        assert copy.read() == original.read()


def test_transfer_between_disks_reports_the_copy(session, source_file, disk_location):
    component = session.create_component(source_file, location=None)
    record = recorder()
    disk_location.add_component(component, session.get("Location", ORIGIN_LOCATION_ID), progress=record)
    assert_progressing(record.reports, SIZE)


def test_sequence_reports_all_its_members_as_one_transfer(session, tmp_path):
    sizes = {1: 1_500_000, 2: 1_200_000, 3: 10}
    for frame, size in sizes.items():
        (tmp_path / f"shot.{frame:04d}.exr").write_bytes(b"f" * size)
    record = recorder()
    server_location = session.get("Location", SERVER_LOCATION_ID)
    sequence = session.create_component(
        str(tmp_path / "shot.%04d.exr [1-3]"), location=server_location, progress=record
    )
    assert_progressing(record.reports, sum(sizes.values()))
    assert server_location.get_component_availability(sequence) == 100.0


def test_long_paging_reports_rows_loaded_over_the_server_count(session):
    project = session.create("Project", {
        "name": f"paging_{uuid.uuid4().hex[:8]}", "full_name": "Paging",
        "project_schema": session.query("ProjectSchema").first(),
    })
    for index in range(7):
        session.create("Sequence", {"name": f"sq{index:03d}", "parent": project})
    session.commit()
    expression = f"Sequence where project_id is {project['id']}"
    record = recorder()
    assert len(session.query(expression, page_size=3, progress=record).all()) == 7
    assert record.reports == [(3, 7), (6, 7), (7, 7)]
    single_page = recorder()
    session.query(expression, page_size=10, progress=single_page).all()
    assert single_page.reports == []  # one page is not long work
    assert session.query(expression).server_count() == 7
    assert session.query(f"{expression} order by name descending offset 2 limit 4").server_count() == 4
    assert session.query(f'{expression} and name is "none"').server_count() == 0


class Terminal(io.StringIO):
    """Standard error attached to a terminal."""

    def isatty(self):
        return True


@pytest.fixture
def terminal_stderr(monkeypatch):
    """Standard error for :func:`report_a_transfer`: a terminal, in a script (no ``sys.ps1``)."""
    monkeypatch.delenv("CLAPBOARD_PROGRESS", raising=False)
    monkeypatch.delattr(sys, "ps1", raising=False)
    return Terminal()


def report_a_transfer(option, stderr):
    """Report a transfer with *option* while standard error is *stderr*.

    Replaced here, not in a fixture: pytest sets its own standard error for each test phase.
    """
    saved, sys.stderr = sys.stderr, stderr
    try:
        with progress.Reporter(option, "Uploading plate") as reporter:
            for done in range(0, 101, 25):
                reporter(done, 100)
    finally:
        sys.stderr = saved


def test_a_bar_is_drawn_in_an_interactive_terminal(terminal_stderr, monkeypatch):
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    report_a_transfer(None, terminal_stderr)
    assert "Uploading plate" in terminal_stderr.getvalue() and "100%" in terminal_stderr.getvalue()


def test_no_bar_in_a_script_unless_asked_for(terminal_stderr, monkeypatch):
    report_a_transfer(None, terminal_stderr)
    assert terminal_stderr.getvalue() == ""
    report_a_transfer(True, terminal_stderr)
    assert "100%" in terminal_stderr.getvalue()


def test_no_bar_when_turned_off(terminal_stderr, monkeypatch):
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    report_a_transfer(False, terminal_stderr)
    monkeypatch.setenv("CLAPBOARD_PROGRESS", "0")
    report_a_transfer(None, terminal_stderr)
    assert terminal_stderr.getvalue() == ""
    monkeypatch.setenv("CLAPBOARD_PROGRESS", "1")
    monkeypatch.delattr(sys, "ps1")
    report_a_transfer(None, terminal_stderr)
    assert "100%" in terminal_stderr.getvalue()


def test_no_bar_without_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    monkeypatch.delenv("CLAPBOARD_PROGRESS", raising=False)
    report_a_transfer(None, stream)
    assert stream.getvalue() == ""


def test_a_callback_gets_reports_and_draws_no_bar(terminal_stderr, monkeypatch):
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    record = recorder()
    report_a_transfer(record, terminal_stderr)
    assert record.reports == [(0, 100), (25, 100), (50, 100), (75, 100), (100, 100)]
    assert terminal_stderr.getvalue() == ""
