"""Documented behaviours a new user meets (issue 11, "Why"), with clapboard's client.

The same behaviours with the real ftrack client: test/compat/scripts/usage_behaviours.py.
"""

import uuid

import arrow
import pytest
from clapboard import exception
from clapboard.symbol import NOT_SET, ORIGIN_LOCATION_ID, SERVER_LOCATION_ID
from live_server import new_session


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


def _project(session, **data):
    name = f"usage_{uuid.uuid4().hex[:10]}"
    schema = session.query("ProjectSchema").first()
    return session.create("Project", {"name": name, "full_name": name, "project_schema": schema, **data})


def test_datetimes_keep_their_microseconds(server, session):
    start = arrow.Arrow(2024, 5, 6, 7, 8, 9, 123456)
    project = _project(session, start_date=start)
    session.commit()
    with new_session(server) as other:
        stored = other.get("Project", project["id"])["start_date"]
        assert stored == start and stored.microsecond == 123456
        found = other.query(f'Project where start_date is "{start.isoformat()}"').all()
        assert [entity["id"] for entity in found] == [project["id"]]


def test_ensure_with_an_arrow_value_matches_the_stored_entity(server, session):
    end = arrow.Arrow(2025, 3, 4, 5, 6, 7, 654321)
    project = _project(session, end_date=end)
    session.commit()
    with new_session(server) as other:
        data = {"name": project["name"], "full_name": project["name"], "end_date": end,
                "project_schema": other.query("ProjectSchema").first()}
        ensured = other.ensure("Project", data, identifying_keys=["name", "end_date"])
        assert ensured["id"] == project["id"]


def test_a_datetime_written_to_the_second_matches_within_that_second(server, session):
    """The ftrack client's ``ensure`` drops microseconds from its query."""
    start = arrow.Arrow(2024, 5, 6, 7, 8, 9, 500000)
    project = _project(session, start_date=start)
    session.commit()
    with new_session(server) as other:
        name = project["name"]
        assert other.query(f'Project where name is "{name}" and start_date is "2024-05-06T07:08:09"').one()
        assert not other.query(f'Project where name is "{name}" and start_date != "2024-05-06T07:08:09"').all()
        assert not other.query(f'Project where name is "{name}" and start_date is "2024-05-06T07:08:10"').all()
        assert other.query(f'Project where name is "{name}" and start_date is "2024-05-06T07:08:09.5"').one()
        assert not other.query(f'Project where name is "{name}" and start_date is "2024-05-06T07:08:09.4"').all()


def test_attributes_never_set_stay_not_set_after_the_commit(session):
    project = _project(session)
    session.commit()
    state = project.attributes.get("end_date").get_local_value(project), \
        project.attributes.get("end_date").get_remote_value(project)
    assert state == (NOT_SET, NOT_SET)
    # Values the server computed do come back.
    assert project.attributes.get("project_id").get_remote_value(project) == project["id"]


def test_create_note_with_a_category_keeps_it(server, session):
    project = _project(session)
    user = session.query(f'User where username is "{session.api_user}"').one()
    category = session.query('NoteCategory where name is "External Note"').one()
    note = project.create_note("With a category", author=user, category=category)
    session.commit()
    with new_session(server) as other:
        assert other.get("Note", note["id"])["category"]["name"] == "External Note"


def test_a_label_link_sets_the_category_of_an_uncategorised_note(server, session):
    """What the ftrack client sends for ``create_note(..., category=category)``."""
    project = _project(session)
    user = session.query(f'User where username is "{session.api_user}"').one()
    category = session.query('NoteCategory where name is "External Note"').one()
    note = session.create("Note", {"content": "labelled", "author": user})
    project["notes"].append(note)
    session.create("NoteLabelLink", {"label_id": category["id"], "note_id": note["id"]})
    session.commit()
    with new_session(server) as other:
        stored = other.get("Note", note["id"])
        assert stored["category"]["id"] == category["id"]
        assert [link["label_id"] for link in stored["note_label_links"]] == [category["id"]]


def test_metadata_get_accepts_any_iterable_key(server, session):
    project = _project(session)
    session.commit()
    session.create("Metadata", {"parent_id": project["id"], "parent_type": "Project", "key": "k", "value": "v"})
    session.commit()
    key = {"parent_id": project["id"], "key": "k"}
    with new_session(server) as other:
        metadata = other.get("Metadata", key.values())
        assert metadata is not None and metadata["value"] == "v"
        assert other.get("Metadata", iter([project["id"], "k"])) is metadata
        with pytest.raises(ValueError, match="Incompatible entity_key"):
            other.get("Metadata", (value for value in [project["id"]]))


class _Recorder:
    """Wraps the accessor's HTTP session and records the timeout of each request."""

    def __init__(self, http):
        self.http = http
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.http, name)
        if name not in ("get", "put", "post"):
            return method

        def call(url, *args, **kwargs):
            self.calls.append((name, url.split("?")[0].rsplit("/", 1)[-1], kwargs.get("timeout")))
            return method(url, *args, **kwargs)
        return call


def test_server_accessor_honours_the_session_timeout(server, tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(b"some data")
    with new_session(server, timeout=17) as session:
        location = session.get("Location", SERVER_LOCATION_ID)
        accessor = location.accessor
        assert accessor.timeout == 17
        recorder = _Recorder(accessor.http)
        accessor._http = recorder
        component = session.create_component(str(path), location=location)
        data = accessor.open(component["id"], "rb")
        assert data.read() == b"some data"
        data.close()
        location.remove_component(component)
        assert {(method, route) for method, route, _ in recorder.calls} >= {("get", "get"), ("get", "remove")}
        assert any(method == "put" for method, _, _ in recorder.calls)
        assert {timeout for _, _, timeout in recorder.calls} == {17}
    with new_session(server, timeout=17) as session:
        accessor = session.get("Location", SERVER_LOCATION_ID).accessor
        accessor.timeout = 3
        assert accessor.timeout == 3


@pytest.mark.parametrize("missing", ["accessor", "structure"])
def test_adding_or_removing_without_accessor_or_structure_raises_location_error(server, tmp_path, missing):
    path = tmp_path / "data.txt"
    path.write_bytes(b"x")
    with new_session(server) as session:
        location = session.get("Location", SERVER_LOCATION_ID)
        component = session.create_component(str(path), location=location)
        setattr(location, missing, None)
        with pytest.raises(exception.LocationError, match=f"No {missing} defined"):
            location.remove_component(component)
        other = session.create_component(str(path), location=None)
        with pytest.raises(exception.LocationError, match=f"No {missing} defined"):
            location.add_component(other, session.get("Location", ORIGIN_LOCATION_ID))


def test_an_attribute_of_one_subtype_is_reached_without_a_cast(server, session):
    """``resource.username`` of an Appointment means a User resource, ``resource.name`` a Group;
    an attribute several subtypes have, or none, is still an error."""
    project = _project(session)
    user = session.create("User", {"username": f"cast_{uuid.uuid4().hex[:8]}", "is_active": True})
    group = session.create("Group", {"name": f"cast_{uuid.uuid4().hex[:8]}"})
    for resource in (user, group):
        session.create("Appointment", {"context": project, "resource": resource, "type": "allocation"})
    session.commit()
    with new_session(server) as other:
        def allocated(criteria):
            found = other.query(f'Appointment where context_id is "{project["id"]}" and {criteria}').all()
            return [appointment["resource_id"] for appointment in found]

        assert allocated(f'resource.username is "{user["username"]}"') == [user["id"]]
        assert allocated(f'resource.name is "{group["name"]}"') == [group["id"]]
        assert allocated(f'resource.name is "{user["username"]}"') == []
        with pytest.raises(exception.ServerError, match="memberships"):
            allocated("resource.memberships any (id is 1)")
        with pytest.raises(exception.ServerError, match="no attribute 'nonsense'"):
            allocated('resource.nonsense is "x"')
