"""The documentation's media and review usage examples, run with clapboard against the embedded server.

One test per heading: "Encoding media", "Publishing for web review", "Working with thumbnails"
(with "Retrieving thumbnail URL"), "Using review sessions" and "Invite user"; plus
``Session.get_widget_url``. The review-session and user invitations are emailed to a local SMTP
server (aiosmtpd) started by the test.
"""

import io
import json
import time
import uuid

import clapboard
import clapboard.symbol
import pytest
import requests
from event_support import wait_for as event_wait
from live_server import new_session
from media_support import SmtpSink, finished_job, make_clip, make_image, read_back
from PIL import Image

ENCODE_SECONDS = 15
#: Bound for the jobs that are not timed (a loaded machine must not fail them).
PATIENCE = 180


@pytest.fixture
def session(server):
    with new_session(server) as session:
        yield session


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return str(make_clip(tmp_path_factory.mktemp("usage-media") / "clip.mov"))


@pytest.fixture
def asset_version(session):
    schema = session.query("ProjectSchema").first()
    name = f"media_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    task_type = schema.get_types("Task")[0]
    task = session.create("Task", {"name": "comp", "parent": project, "type": task_type,
                                   "status": schema.get_statuses("Task", task_type["id"])[0]})
    asset = session.create("Asset", {"name": "plate", "parent": project,
                                     "type": session.query("AssetType").first()})
    version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    return version


def wait(server, job, timeout=PATIENCE):
    """Wait for *job* to finish; return it as seen by a new session."""
    with new_session(server) as fresh:
        return finished_job(lambda: fresh.query(
            f'select status, data, job_components from Job where id is "{job["id"]}"').one(), timeout)


def test_encoding_media(session, server, clip, tmp_path):
    started = time.monotonic()
    job = session.encode_media(clip)
    job_data = json.loads(job["data"])
    assert job_data["keep_original"] is False
    assert session.get("FileComponent", job_data["source_component_id"]) is not None
    assert [output["format"] for output in job_data["output"]] == ["video/mp4", "video/webm", "image/jpeg"]
    done = wait(server, job, ENCODE_SECONDS)
    assert time.monotonic() - started <= ENCODE_SECONDS
    assert done["status"] == "done", done["data"]

    location = session.query('Location where name is "ftrack.server"').one()
    with new_session(server) as fresh:
        components = [link["component"] for link in fresh.get("Job", job["id"])["job_components"]]
        assert {component["id"] for component in components} == {o["component_id"] for o in job_data["output"]}
        for component in components:
            url = location.get_url(component)
            assert url.startswith(server.server_url)
            if component["name"] in ("ftrackreview-mp4", "ftrackreview-webm"):
                path = tmp_path / f"{component['name']}{component['file_type']}"
                path.write_bytes(requests.get(url, timeout=30).content)
                meta = json.loads(component["metadata"]["ftr_meta"])
                played = read_back(path)
                assert (played["width"], played["height"]) == (meta["width"], meta["height"])
                assert played["width"] == (1920 if component["name"] == "ftrackreview-mp4" else 1280)
                assert (0, played["frames"], played["fps"]) == (meta["frameIn"], meta["frameOut"], meta["frameRate"])
        assert fresh.query(f'FileComponent where id is "{job_data["source_component_id"]}"').all() == []


def test_encoding_media_for_an_asset_version(session, server, clip, asset_version):
    job = asset_version.encode_media(clip)
    assert wait(server, job)["status"] == "done"
    with new_session(server) as fresh:
        version = fresh.get("AssetVersion", asset_version["id"])
        names = sorted(component["name"] for component in version["components"])
        assert names == ["ftrackreview-mp4", "ftrackreview-webm", "thumbnail"]
        assert version["thumbnail"]["name"] == "thumbnail"


def test_encoding_media_of_a_component_in_another_location(session, server, clip):
    component = session.create_component(clip, location=None)
    location = session.query('Location where name is "ftrack.server"').one()
    # The documentation omits add_component's source argument, which ftrack_api requires too.
    location.add_component(component, session.get("Location", clapboard.symbol.ORIGIN_LOCATION_ID))
    session.commit()
    job = session.encode_media(component)
    assert json.loads(job["data"])["keep_original"] is True
    assert wait(server, job)["status"] == "done"
    assert new_session(server).get("FileComponent", component["id"]) is not None


def test_encoding_corrupt_media_fails_the_job_and_keeps_no_files(session, server, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 500)
    job = session.encode_media(str(corrupt), keep_original=True)
    planned = {output["component_id"] for output in json.loads(job["data"])["output"]}
    done = wait(server, job)
    assert done["status"] == "failed"
    assert "could not be read" in json.loads(done["data"])["error"]
    assert not [path for path in (server.data_dir / "files").rglob("*") if path.name.split(".")[0] in planned]
    assert all(session.get("FileComponent", component_id) is None for component_id in planned)
    assert session.get("FileComponent", json.loads(job["data"])["source_component_id"]) is not None  # kept


def test_encode_media_refuses_anything_but_a_path_or_file_component(session):
    with pytest.raises(ValueError, match="Unable to encode media"):
        session.encode_media(42)


def test_publishing_for_web_review(session, server, asset_version, clip, tmp_path):
    version = session.get("AssetVersion", asset_version["id"])
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = version.create_component(path=clip, data={"name": "ftrackreview-mp4"}, location=server_location)
    component["metadata"]["ftr_meta"] = json.dumps({"frameIn": 0, "frameOut": 50, "frameRate": 25})
    component.session.commit()
    image_path = str(make_image(tmp_path / "image.jpg"))
    image = version.create_component(path=image_path, data={"name": "ftrackreview-image"}, location=server_location)
    image["metadata"]["ftr_meta"] = json.dumps({"format": "image"})
    image.session.commit()
    with new_session(server) as fresh:
        published = {c["name"]: c for c in fresh.get("AssetVersion", version["id"])["components"]}
        assert json.loads(published["ftrackreview-mp4"]["metadata"]["ftr_meta"])["frameOut"] == 50
        assert json.loads(published["ftrackreview-image"]["metadata"]["ftr_meta"]) == {"format": "image"}
        location = fresh.get("Location", clapboard.symbol.SERVER_LOCATION_ID)
        downloaded = requests.get(location.get_url(published["ftrackreview-mp4"]), timeout=30).content
        with open(clip, "rb") as original:
            assert downloaded == original.read()


def test_working_with_thumbnails(session, server, asset_version, tmp_path):
    image = str(make_image(tmp_path / "image.png", size="640x360"))
    task = session.get("Task", asset_version["task"]["id"])
    thumbnail_component = task.create_thumbnail(image)
    assert thumbnail_component["name"] == "thumbnail"
    server_location = session.query('Location where name is "ftrack.server"').one()
    other = session.create_component(image, {"name": "thumbnail"}, location=server_location)
    version = session.get("AssetVersion", asset_version["id"])
    version["thumbnail"] = other
    session.commit()
    with new_session(server) as later:
        asset_version = later.get("AssetVersion", version["id"])
        asset_parent = asset_version["asset"]["parent"]
        asset_parent["thumbnail_id"] = asset_version["thumbnail_id"]
        later.commit()
    with new_session(server) as fresh:
        assert fresh.get("Task", task["id"])["thumbnail_id"] == thumbnail_component["id"]
        assert fresh.get("Project", asset_parent["id"])["thumbnail_id"] == other["id"]
        url = server.server_url + fresh.get("Task", task["id"])["thumbnail_url"]["url"]
        assert Image.open(io.BytesIO(requests.get(url, timeout=30).content)).size == (640, 360)


def test_retrieving_thumbnail_url(session, tmp_path):
    server_location = session.get("Location", clapboard.symbol.SERVER_LOCATION_ID)
    thumbnail_component = session.create_component(str(make_image(tmp_path / "thumb.png", size="640x360")),
                                                   {"name": "thumbnail"}, location=server_location)
    thumbnail_url = server_location.get_thumbnail_url(thumbnail_component)
    thumbnail_url_tiny = server_location.get_thumbnail_url(thumbnail_component, size=10)
    thumbnail_url_large = server_location.get_thumbnail_url(thumbnail_component, size=500)
    assert Image.open(io.BytesIO(requests.get(thumbnail_url, timeout=30).content)).size == (640, 360)
    tiny = Image.open(io.BytesIO(requests.get(thumbnail_url_tiny, timeout=30).content))
    assert max(tiny.size) <= 10
    assert Image.open(io.BytesIO(requests.get(thumbnail_url_large, timeout=30).content)).size == (500, 281)


@pytest.fixture(scope="module")
def mail_server(server_factory):
    """A server that emails invitations to a local SMTP server: (server, sink)."""
    with SmtpSink() as sink, server_factory("sqlite", smtp=sink.url) as handle:
        yield handle, sink


def test_using_review_sessions(mail_server, asset_version):
    server, sink = mail_server
    with new_session(server) as session:
        schema = session.query("ProjectSchema").first()
        name = f"review_{uuid.uuid4().hex[:8]}"
        project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        asset = session.create("Asset", {"name": "plate", "parent": project})
        asset_version = session.create("AssetVersion", {"asset": asset})
        review_session = session.create("ReviewSession", {
            "name": "Weekly review", "description": "See updates from last week.", "project": project})
        session.create("ReviewSessionObject", {
            "name": "Compositing", "description": "Fixed shadows.", "version": "Version 3",
            "review_session": review_session, "asset_version": asset_version})
        invitee = session.create("ReviewSessionInvitee", {
            "name": "John Doe", "email": "john.doe@example.com", "review_session": review_session})
        leaving = session.create("ReviewSessionInvitee", {
            "name": "Jane Roe", "email": "jane.roe@example.com", "review_session": review_session})
        session.commit()
        review_sessions = session.query('ReviewSession where name is "Weekly review"').all()
        assert review_session in review_sessions
        assert list(project["review_sessions"]) == [review_session]
        assert [o["name"] for o in review_session["review_session_objects"]] == ["Compositing"]
        assert {i["name"] for i in review_session["review_session_invitees"]} == {"John Doe", "Jane Roe"}
        session.delete(leaving)
        session.commit()
        before = len(sink.messages)
        session.send_review_session_invite(invitee)
        session.send_review_session_invites([invitee])
        assert [m["to"] for m in sink.messages[before:]] == [["john.doe@example.com"]] * 2
        assert "Weekly review" in sink.messages[-1]["message"]["Subject"]
    with new_session(server) as check:
        stored = check.get("ReviewSession", review_session["id"])
        assert [i["name"] for i in stored["review_session_invitees"]] == ["John Doe"]
        assert stored["review_session_invitees"][0]["last_sent_at"] is not None


def test_invite_user(mail_server):
    server, sink = mail_server
    with new_session(server) as session:
        user_email = f"artist-{uuid.uuid4().hex[:6]}@mail.vfx-company.com"
        new_user = session.create("User", {"username": user_email, "email": user_email, "is_active": True})
        session.commit()
        before = len(sink.messages)
        new_user.send_invite()
        assert [m["to"] for m in sink.messages[before:]] == [[user_email]]


def test_get_widget_url(session, asset_version):
    task = session.get("Task", asset_version["task"]["id"])
    url = session.get_widget_url("tasks", entity=task["parent"], theme="light")
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and "comp" in page.text
    info = requests.get(session.get_widget_url("info", entity=task), timeout=30)
    assert info.status_code == 200 and "comp" in info.text
    assert requests.get(url.replace("token=", "token=x"), timeout=30).status_code == 403


def test_encoding_and_invitations_publish_events(server, tmp_path):
    with new_session(server, auto_connect_event_hub=True) as session:
        hub = session.event_hub
        seen = []
        hub.subscribe("topic=clapboard.encode_media or topic=clapboard.invite", seen.append)
        assert hub.flush(30)
        job = session.encode_media(str(make_image(tmp_path / "still.png")))
        done = event_wait(hub, lambda: [e for e in seen if e["data"].get("status") == "done"], timeout=PATIENCE)
        statuses = [e["data"]["status"] for e in seen if e["topic"] == "clapboard.encode_media"]
        assert statuses[0] == "running" and statuses[-1] == "done"
        assert done[0]["data"]["job_id"] == job["id"] and done[0]["data"]["progress"] == 1.0
        assert [o["component_id"] for o in done[0]["data"]["output"]] == [
            o["component_id"] for o in json.loads(job["data"])["output"]]
        user_email = f"invited-{uuid.uuid4().hex[:6]}@example.com"
        user = session.create("User", {"username": user_email, "email": user_email})
        session.commit()
        user.send_invite()
        invited = event_wait(hub, lambda: [e for e in seen if e["topic"] == "clapboard.invite"])
        assert invited[0]["data"]["recipient_id"] == user["id"] and invited[0]["data"]["emailed"] is False
