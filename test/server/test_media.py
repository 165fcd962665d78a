"""Media and review on the server: encode_media jobs, scaled thumbnails, widget pages, invitations.

Raw wire-protocol calls against the embedded server, on SQLite and PostgreSQL. Clips are made by
the test with the ffmpeg the server uses, and outputs are read back by decoding them completely.
"""

import io
import json
import socket
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from clapboard_server.widgets import PURPOSE as WIDGET_PURPOSE
from media_support import SmtpSink, finished_job, make_clip, make_image, read_back, wait_for
from PIL import Image
from security_world import make_user
from server_api import Api, create, ref

SERVER_LOCATION = {"__entity_type__": "Location", "id": "3a372bde-05bc-11e4-8908-20c9d081909b"}
#: The issue's bound for encoding the 2-second 1080p clip.
ENCODE_SECONDS = 15
#: Bound for the jobs that are not timed (a loaded machine must not fail them).
PATIENCE = 180


def add_to_server(api, path, **component):
    """Create a FileComponent for *path*, upload it to ftrack.server as the client does; return its id."""
    data = path.read_bytes()
    component_id = str(uuid.uuid4())
    answer = api.call({"action": "get_upload_metadata", "component_id": component_id,
                       "file_name": path.name, "file_size": len(data), "checksum": None})[0]
    response = requests.put(answer["url"], data=data, headers=answer["headers"], timeout=30)
    assert response.status_code == 200, response.text
    file_component = create("FileComponent", id=component_id, name=component.pop("name", "main"),
                            file_type=path.suffix, size=len(data), **component)
    api.call(file_component, create("ComponentLocation", component=ref(file_component), location=SERVER_LOCATION,
                                    resource_identifier=component_id))
    return component_id


def job_of(api, job_id):
    return api.one(f'select status, data, type, job_components.component_id from Job where id is "{job_id}"')


def finished(api, job_id, timeout=PATIENCE):
    return finished_job(lambda: job_of(api, job_id), timeout)


def download(server, component_id):
    response = requests.get(f"{server.server_url}/component/get", timeout=30,
                            params={"id": component_id, "username": server.api_user, "apiKey": server.api_key})
    assert response.status_code == 200, response.text
    return response.content


def stored_files(server):
    return sorted(path.name for path in (server.data_dir / "files").rglob("*") if path.is_file())


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("media") / "clip.mov")


@pytest.fixture
def version(api, make_project):
    project = make_project()
    asset = create("Asset", name="plate", context_id=project["entity_data"]["id"])
    version = create("AssetVersion", asset=ref(asset))
    api.call(asset, version)
    return version["entity_data"]["id"]


def test_encoding_a_1080p_clip_makes_playable_review_components(api, server, clip, tmp_path):
    source_id = add_to_server(api, clip)
    started = time.monotonic()
    answer = api.call({"action": "encode_media", "component_id": source_id, "version_id": None,
                       "keep_original": True})[0]
    queued = job_of(api, answer["job_id"])
    data = json.loads(queued["data"])
    assert data["source_component_id"] == source_id and data["keep_original"] is True
    assert [entry["format"] for entry in data["output"]] == ["video/mp4", "video/webm", "image/jpeg"]
    job = finished(api, answer["job_id"], ENCODE_SECONDS)
    assert time.monotonic() - started <= ENCODE_SECONDS
    assert job["status"] == "done", job["data"]
    assert json.loads(job["data"])["progress"] == 1.0
    outputs = {entry["format"]: entry["component_id"] for entry in json.loads(job["data"])["output"]}
    assert {link["component_id"] for link in job["job_components"]} == set(outputs.values())
    for media_type, codec, size in (("video/mp4", "h264", (1920, 1080)), ("video/webm", "vp8", (1280, 720))):
        component = api.one(f'select name, file_type, size, metadata.key, metadata.value from FileComponent where id is "{outputs[media_type]}"')
        assert component["name"] == f"ftrackreview-{media_type.split('/')[1]}"
        meta = json.loads({m["key"]: m["value"] for m in component["metadata"]}["ftr_meta"])
        assert (meta["frameIn"], meta["frameOut"], meta["frameRate"]) == (0, 50, 25.0)
        path = tmp_path / f"out{component['file_type']}"
        path.write_bytes(download(server, outputs[media_type]))
        assert component["size"] == path.stat().st_size
        played = read_back(path)
        assert (played["codec"], played["width"], played["height"]) == (codec, *size)
        assert (meta["width"], meta["height"]) == size
        assert (played["frames"], played["fps"]) == (meta["frameOut"] - meta["frameIn"], meta["frameRate"])
    thumbnail = Image.open(io.BytesIO(download(server, outputs["image/jpeg"])))
    assert thumbnail.format == "JPEG" and thumbnail.size == (1024, 576)
    assert api.one(f'select id from FileComponent where id is "{source_id}"')  # kept
    assert not list((server.data_dir / "encoding").glob("*"))


def test_a_corrupt_source_fails_the_job_with_the_reason_and_leaves_no_files(api, server, tmp_path):
    corrupt = tmp_path / "broken.mov"
    corrupt.write_bytes(b"this is not a movie" * 100)
    source_id = add_to_server(api, corrupt)
    job_id = api.call({"action": "encode_media", "component_id": source_id, "version_id": None,
                       "keep_original": False})[0]["job_id"]
    planned = [entry["component_id"] for entry in json.loads(job_of(api, job_id)["data"])["output"]]
    job = finished(api, job_id)
    assert job["status"] == "failed"
    data = json.loads(job["data"])
    assert "could not be read" in data["error"] and "Invalid data" in data["error"]
    assert data["output"] == [] and job["job_components"] == []
    assert not [name for name in stored_files(server) if name.split(".")[0] in planned]
    assert api.query("select id from Component where id in ({})".format(", ".join(f'"{i}"' for i in planned))) == []
    assert not (server.data_dir / "encoding" / job_id).exists()
    assert api.one(f'select id from FileComponent where id is "{source_id}"')  # nothing deleted on failure


def test_encoding_for_a_version_links_outputs_and_sets_its_thumbnail(api, server, clip, version):
    source_id = add_to_server(api, clip)
    job_id = api.call({"action": "encode_media", "component_id": source_id, "version_id": version,
                       "keep_original": False})[0]["job_id"]
    job = finished(api, job_id)
    assert job["status"] == "done", job["data"]
    outputs = {entry["format"]: entry["component_id"] for entry in json.loads(job["data"])["output"]}
    linked = api.query(f'select name from FileComponent where version_id is "{version}"')
    assert {component["id"] for component in linked} == set(outputs.values())
    assert api.one(f'select thumbnail_id from AssetVersion where id is "{version}"')["thumbnail_id"] == outputs["image/jpeg"]
    assert api.query(f'select id from FileComponent where id is "{source_id}"') == []  # keep_original false
    assert source_id not in stored_files(server)


@pytest.mark.in_process
def test_jobs_a_stopped_server_left_are_finished_or_failed_at_start(api, server, tmp_path):
    """Outputs committed: only the discarded source's file was left to remove, so the job is
    finished; anything else is failed and its unregistered files removed."""
    (tmp_path / "a.bin").write_bytes(b"a" * 64)
    output, discarded = (add_to_server(api, tmp_path / "a.bin") for _ in range(2))
    unregistered = str(uuid.uuid4())
    server.server.storage.files.adopt(unregistered, tmp_path / "a.bin", "video/mp4")

    def job(progress, component_id, **data):
        operation = create("Job", type="encode_media", status="running", data=json.dumps({
            "progress": progress, "output": [{"format": "video/mp4", "component_id": component_id}], **data}))
        api.call(operation)
        return operation["entity_data"]["id"]

    committed = job(1.0, output, discarded_resource=discarded)
    interrupted = job(0.5, unregistered)
    server.server.encoding.finish_or_fail_abandoned()
    assert job_of(api, committed)["status"] == "done" and job_of(api, interrupted)["status"] == "failed"
    assert output in stored_files(server)
    assert discarded not in stored_files(server) and unregistered not in stored_files(server)


@pytest.mark.storages("disk", "s3")
def test_an_image_becomes_a_review_image_and_a_thumbnail(api, server, tmp_path):
    source_id = add_to_server(api, make_image(tmp_path / "still.png", size="640x360"))
    job_id = api.call({"action": "encode_media", "component_id": source_id, "keep_original": True})[0]["job_id"]
    job = finished(api, job_id)
    assert job["status"] == "done", job["data"]
    outputs = json.loads(job["data"])["output"]
    names = api.query("select name, metadata.key, metadata.value from FileComponent where id in ({})".format(
        ", ".join(f'"{entry["component_id"]}"' for entry in outputs)))
    assert sorted(component["name"] for component in names) == ["ftrackreview-image", "thumbnail"]
    for component in names:
        assert json.loads(component["metadata"][0]["value"]) == {"format": "image"}
    assert Image.open(io.BytesIO(download(server, outputs[0]["component_id"]))).size == (640, 360)


def test_encode_media_refuses_components_outside_the_server_location(api):
    component = create("FileComponent", name="main", file_type=".mov")
    api.call(component)
    error = api.error({"action": "encode_media", "component_id": component["entity_data"]["id"],
                       "keep_original": True})
    assert error["exception"] == "ValidationError" and "ftrack.server" in error["content"]
    error = api.error({"action": "encode_media", "component_id": str(uuid.uuid4()), "keep_original": True})
    assert "does not exist" in error["content"]
    sequence = create("SequenceComponent", name="frames", padding=4)
    api.call(sequence)
    error = api.error({"action": "encode_media", "component_id": sequence["entity_data"]["id"], "keep_original": True})
    assert "only a FileComponent" in error["content"]
    assert api.query(f'select id from Job where type is "encode_media" and data like "%{component["entity_data"]["id"]}%"') == []


# -- thumbnails --------------------------------------------------------------------------------------


def thumbnail(server, component_id, **params):
    query = {"id": component_id, "username": server.api_user, "apiKey": server.api_key, **params}
    return requests.get(f"{server.server_url}/component/thumbnail", params=query, timeout=30)


@pytest.mark.storages("disk", "s3")
def test_a_sized_thumbnail_fits_the_size_and_is_cached(api, server, tmp_path):
    component_id = add_to_server(api, make_image(tmp_path / "wide.png", size="64x32"))
    response = thumbnail(server, component_id, size=10)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(response.content)).size) <= 10
    assert Image.open(io.BytesIO(response.content)).size == (10, 5)
    cached = list((server.data_dir / "thumbnails").rglob(f"{component_id}/10-*"))
    assert len(cached) == 1
    assert thumbnail(server, component_id, size=10).content == response.content
    assert Image.open(io.BytesIO(thumbnail(server, component_id, size=40).content)).size == (40, 20)
    assert thumbnail(server, component_id).content == (tmp_path / "wide.png").read_bytes()


@pytest.mark.parametrize("size", ["0", "-3", "big", "5000"])
def test_an_invalid_thumbnail_size_is_refused(api, server, tmp_path, size):
    component_id = add_to_server(api, make_image(tmp_path / "small.png"))
    response = thumbnail(server, component_id, size=size)
    assert response.status_code == 400 and "size" in response.json()["content"]


def test_data_that_is_not_a_readable_picture_is_answered_as_stored(api, server, tmp_path):
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>')
    response = thumbnail(server, add_to_server(api, svg), size=10)
    assert response.status_code == 200 and response.content == svg.read_bytes()
    assert response.headers["content-type"] == "image/svg+xml"


def test_thumbnail_url_links_scale_without_credentials(api, server, tmp_path, make_project):
    component_id = add_to_server(api, make_image(tmp_path / "thumb.png"), name="thumbnail")
    project = make_project()
    api.call({"action": "update", "entity_type": "Project", "entity_key": [project["entity_data"]["id"]],
              "entity_data": {"thumbnail_id": component_id}})
    link = api.one(f'select thumbnail_url from Project where id is "{project["entity_data"]["id"]}"')["thumbnail_url"]["url"]
    assert link.startswith(f"/component/thumbnail?id={component_id}&token=")
    url = server.server_url + link
    assert requests.get(url, timeout=30).content == (tmp_path / "thumb.png").read_bytes()
    assert max(Image.open(io.BytesIO(requests.get(url + "&size=16", timeout=30).content)).size) == 16
    token = parse_qs(urlsplit(url).query)["token"][0]
    other = add_to_server(api, make_image(tmp_path / "other.png"))
    response = requests.get(f"{server.server_url}/component/thumbnail", params={"id": other, "token": token}, timeout=30)
    assert response.status_code == 403
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert requests.get(tampered, timeout=30).status_code == 403


# -- widgets -----------------------------------------------------------------------------------------


@pytest.fixture
def project_with_task(api, make_project, project_schema):
    project = make_project(name=f"w<b>{uuid.uuid4().hex[:6]}</b>")
    status = api.one('select id from Status where name is "In progress"')
    task_type = api.one('select id from Type where name is "Compositing"')
    shot = create("Shot", name="sh010", parent=ref(project))
    task = create("Task", name="comp & paint", parent=ref(shot), status=ref(status), type=ref(task_type))
    user = create("User", username=f"artist-{uuid.uuid4().hex[:6]}", first_name="Ada", last_name="Lovelace")
    api.call(shot, task, user, create("Appointment", context=ref(task), resource=ref(user), type="assignment"))
    return project, task


def widget_url(api, name, entity=None, theme=None):
    operation = {"action": "get_widget_url", "name": name, "theme": theme}
    if entity is not None:
        operation.update(entity_type=entity["entity_type"], entity_key=[entity["entity_data"]["id"]])
    return api.call(operation)[0]["widget_url"]


def test_the_info_widget_renders_the_entity_escaped(api, server, project_with_task):
    project, _ = project_with_task
    url = widget_url(api, "info", project, theme="light")
    assert url.startswith(f"{server.server_url}/widget/info?token=")
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    name = project["entity_data"]["name"]
    assert name not in response.text and name.replace("<", "&lt;").replace(">", "&gt;") in response.text
    assert "theme-light" in response.text


def test_the_tasks_widget_lists_tasks_with_status_and_assignees(api, project_with_task):
    project, _ = project_with_task
    page = requests.get(widget_url(api, "tasks", project), timeout=30)
    assert page.status_code == 200, page.text
    assert "comp &amp; paint" in page.text and "In progress" in page.text and "Ada Lovelace" in page.text
    assert "Compositing" in page.text and "theme-dark" in page.text


def test_tampered_expired_or_misrouted_widget_urls_are_refused(api, server, project_with_task):
    project, _ = project_with_task
    url = widget_url(api, "info", project)
    token = parse_qs(urlsplit(url).query)["token"][0]
    claims, signature = token.split(".")
    flipped = claims[:-1] + ("A" if claims[-1] != "A" else "B")
    for bad in (f"{server.server_url}/widget/info?token={flipped}.{signature}",
                f"{server.server_url}/widget/tasks?token={token}",
                f"{server.server_url}/widget/info?token=",
                f"{server.server_url}/widget/info"):
        response = requests.get(bad, timeout=30)
        assert response.status_code == 403, bad
        assert "not valid" in response.text
    signer = server.server.signer
    expired = signer.sign(WIDGET_PURPOSE, {"user": "x", "name": "info", "type": "Project",
                                           "id": project["entity_data"]["id"], "theme": "dark"}, ttl=-1)
    response = requests.get(f"{server.server_url}/widget/info?token={expired}", timeout=30)
    assert response.status_code == 403 and "expired" in response.text


def test_a_widget_shows_only_what_its_user_may_read(api, server, project_with_task):
    project, _ = project_with_task
    _, stranger, _ = make_user(server, api, name="stranger")
    url = stranger.call({"action": "get_widget_url", "name": "info", "entity_type": "Project",
                         "entity_key": [project["entity_data"]["id"]]})[0]["widget_url"]
    response = requests.get(url, timeout=30)
    assert response.status_code == 404 and "not visible" in response.text
    assert project["entity_data"]["name"].replace("<", "&lt;").replace(">", "&gt;") not in response.text
    tasks = requests.get(stranger.call({"action": "get_widget_url", "name": "tasks", "entity_type": "Project",
                                        "entity_key": [project["entity_data"]["id"]]})[0]["widget_url"], timeout=30)
    assert tasks.status_code == 404 and "comp &amp; paint" not in tasks.text
    mine = requests.get(stranger.call({"action": "get_widget_url", "name": "tasks"})[0]["widget_url"], timeout=30)
    assert mine.status_code == 200 and "No tasks." in mine.text


def test_a_widget_url_of_a_disabled_user_is_refused(api, server, project_with_task):
    project, _ = project_with_task
    user_id, _, _ = make_user(server, api, role="Viewer", projects=[project["entity_data"]["id"]], name="viewer")
    claims = {"user": user_id, "name": "info", "type": "Project", "id": project["entity_data"]["id"], "theme": "dark"}
    url = f"{server.server_url}/widget/info?token={server.server.signer.sign(WIDGET_PURPOSE, claims, ttl=60)}"
    assert requests.get(url, timeout=30).status_code == 200
    api.call({"action": "update", "entity_type": "User", "entity_key": [user_id],
              "entity_data": {"is_active": False}})
    response = requests.get(url, timeout=30)
    assert response.status_code == 401 and "disabled" in response.text


def test_get_widget_url_checks_its_arguments(api):
    assert "Unknown widget" in api.error({"action": "get_widget_url", "name": "calendar"})["content"]
    assert "needs an entity" in api.error({"action": "get_widget_url", "name": "info"})["content"]
    missing = {"action": "get_widget_url", "name": "info", "entity_type": "Task", "entity_key": [str(uuid.uuid4())]}
    assert "does not exist" in api.error(missing)["content"]


# -- invitations -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mailing(backend, server_factory):
    """(server, api, sink): a server sending email to a local SMTP sink."""
    with SmtpSink() as sink, server_factory(backend, smtp=sink.url) as mail_server:
        yield mail_server, Api(mail_server), sink


def invitations(server, recipient_id):
    tables = server.server.database.tables
    with server.server.database.engine.connect() as connection:
        table = tables["invitation"]
        return connection.execute(table.select().where(table.c.recipient_id == recipient_id)).mappings().all()


def test_a_review_session_invite_is_recorded_and_emailed(mailing, make_review_session):
    server, api, sink = mailing
    invitee_id = make_review_session(api)
    before = len(sink.messages)
    assert api.call({"action": "send_review_session_invite", "review_session_invitee_id": invitee_id}) == [
        {"sent": True, "emailed": True}]
    message = sink.messages[before]
    assert message["to"] == ["john.doe@example.com"] and message["from"] == "review@studio.example"
    assert message["message"]["Subject"] == "Review session: Weekly review"
    assert "Weekly review" in message["message"].get_content() and "See updates" in message["message"].get_content()
    assert api.one(f'select last_sent_at from ReviewSessionInvitee where id is "{invitee_id}"')["last_sent_at"]
    assert [row["emailed"] for row in invitations(server, invitee_id)] == [True]


def test_a_user_invite_is_recorded_and_emailed(mailing):
    server, api, sink = mailing
    user = create("User", username="artist@mail.vfx-company.com", email="artist@mail.vfx-company.com", is_active=True)
    api.call(user)
    before = len(sink.messages)
    api.call({"action": "send_user_invite", "user_id": user["entity_data"]["id"]})
    assert sink.messages[before]["to"] == ["artist@mail.vfx-company.com"]
    assert "artist@mail.vfx-company.com" in sink.messages[before]["message"].get_content()
    assert len(invitations(server, user["entity_data"]["id"])) == 1


def test_a_batch_with_a_bad_invite_emails_nobody(mailing, make_review_session):
    server, api, sink = mailing
    invitee_id = make_review_session(api)
    before = len(sink.messages)
    error = api.error({"action": "send_review_session_invite", "review_session_invitee_id": invitee_id},
                      {"action": "send_review_session_invite", "review_session_invitee_id": str(uuid.uuid4())})
    assert "does not exist" in error["content"]
    assert len(sink.messages) == before
    assert invitations(server, invitee_id) == []


def test_without_smtp_an_invite_is_recorded_but_not_emailed(api, server, make_review_session):
    invitee_id = make_review_session(api)
    assert api.call({"action": "send_review_session_invite", "review_session_invitee_id": invitee_id}) == [
        {"sent": True, "emailed": False}]
    assert [row["emailed"] for row in invitations(server, invitee_id)] == [False]


def test_an_invite_that_cannot_be_emailed_fails_and_records_nothing(backend, server_factory, make_review_session):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with server_factory(backend, smtp=f"smtp://127.0.0.1:{port}") as unreachable:
        api = Api(unreachable)
        invitee_id = make_review_session(api)
        error = api.error({"action": "send_review_session_invite", "review_session_invitee_id": invitee_id})
        assert "could not be sent" in error["content"] and "john.doe@example.com" in error["content"]
        assert api.one(f'select last_sent_at from ReviewSessionInvitee where id is "{invitee_id}"')["last_sent_at"] is None
        assert invitations(unreachable, invitee_id) == []


def test_invites_need_an_existing_recipient_with_an_email(api):
    user = create("User", username=f"noemail-{uuid.uuid4().hex[:6]}")
    api.call(user)
    assert "no email address" in api.error({"action": "send_user_invite", "user_id": user["entity_data"]["id"]})["content"]
    missing = {"action": "send_review_session_invite", "review_session_invitee_id": str(uuid.uuid4())}
    assert "does not exist" in api.error(missing)["content"]


@pytest.fixture
def make_review_session():
    """``make(api)``: a review session with one invitee on a new project of *api*'s server; the invitee id."""

    def make(api):
        schema = api.one('select id from ProjectSchema where name is "VFX Scheme"')
        name = f"review-{uuid.uuid4().hex[:8]}"
        project = create("Project", name=name, full_name=name, project_schema=ref(schema))
        session = create("ReviewSession", name="Weekly review", description="See updates from last week.",
                         project=ref(project))
        invitee = create("ReviewSessionInvitee", name="John Doe", email="john.doe@example.com",
                         review_session=ref(session))
        api.call(project, session, invitee)
        return invitee["entity_data"]["id"]

    return make


# -- failures after encoding ------------------------------------------------------------------------


@pytest.mark.in_process
def test_a_failure_while_registering_outputs_removes_their_files(api, server, tmp_path, monkeypatch):
    from clapboard_server.media import jobs

    def refuse(self, writer, outputs, sizes, metas):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(jobs.EncodeRun, "_register", refuse)
    source_id = add_to_server(api, make_image(tmp_path / "still.png"))
    before = stored_files(server)
    job = finished(api, api.call({"action": "encode_media", "component_id": source_id,
                                  "keep_original": True})[0]["job_id"])
    assert job["status"] == "failed"
    assert json.loads(job["data"])["error"] == "Encoding failed: database unavailable"
    assert stored_files(server) == before
    assert not list((server.data_dir / "encoding").glob("*"))


def test_stopping_the_server_cancels_running_encodes(tmp_path):
    from clapboard_server import embedded

    long_clip = make_clip(tmp_path / "long.mov", seconds=60, size="1280x720")
    data_dir = tmp_path / "data"
    with embedded.start(data_dir=data_dir) as first:
        api = Api(first)
        source_id = add_to_server(api, long_clip)
        job_id = api.call({"action": "encode_media", "component_id": source_id, "keep_original": True})[0]["job_id"]
        wait_for(lambda: job_of(api, job_id)["status"] == "running", PATIENCE)
        files_before = stored_files(first)
    with embedded.start(data_dir=data_dir) as second:
        job = job_of(Api(second), job_id)
        assert job["status"] == "failed"
        assert "stopped" in json.loads(job["data"])["error"]
        assert stored_files(second) == files_before
        assert not list((data_dir / "encoding").glob("*"))


def test_jobs_a_killed_server_left_are_failed_on_restart(tmp_path, monkeypatch):
    from clapboard_server import embedded
    from clapboard_server.media.jobs import EncodeJobs

    data_dir = tmp_path / "data"
    with monkeypatch.context() as patch, embedded.start(data_dir=data_dir) as first:
        patch.setattr(EncodeJobs, "submit", lambda self, job_id: None)  # the process dies before encoding
        api = Api(first)
        source_id = add_to_server(api, make_image(tmp_path / "still.png"))
        job_id = api.call({"action": "encode_media", "component_id": source_id, "keep_original": True})[0]["job_id"]
        planned = json.loads(job_of(api, job_id)["data"])["output"][0]["component_id"]
        orphan = tmp_path / "orphan.jpg"
        orphan.write_bytes(b"partial")
        first.server.storage.files.adopt(planned, orphan)  # stored, never registered
        (data_dir / "encoding" / job_id).mkdir(parents=True)
    with embedded.start(data_dir=data_dir) as second:
        job = job_of(Api(second), job_id)
        assert job["status"] == "failed" and "stopped" in json.loads(job["data"])["error"]
        assert planned not in stored_files(second)
        assert not (data_dir / "encoding" / job_id).exists()


@pytest.mark.storages("disk", "s3")
def test_new_data_gets_a_new_thumbnail(api, server, tmp_path):
    component_id = add_to_server(api, make_image(tmp_path / "first.png", size="64x32"))
    assert Image.open(io.BytesIO(thumbnail(server, component_id, size=16).content)).size == (16, 8)
    replacement = make_image(tmp_path / "second.png", size="32x64").read_bytes()
    answer = api.call({"action": "get_upload_metadata", "component_id": component_id, "file_name": "main.png",
                       "file_size": len(replacement), "checksum": None})[0]
    assert requests.put(answer["url"], data=replacement, headers=answer["headers"], timeout=30).status_code == 200
    assert Image.open(io.BytesIO(thumbnail(server, component_id, size=16).content)).size == (8, 16)
    assert len(list((server.data_dir / "thumbnails").rglob(f"{component_id}/16-*"))) == 1


def test_a_sized_thumbnail_needs_credentials_or_a_token(api, server, tmp_path):
    component_id = add_to_server(api, make_image(tmp_path / "private.png"))
    for params in ({"id": component_id, "size": 10},
                   {"id": component_id, "size": 10, "username": server.api_user, "apiKey": str(uuid.uuid4())},
                   {"id": component_id, "size": 10, "token": "1.2.3"}):
        response = requests.get(f"{server.server_url}/component/thumbnail", params=params, timeout=30)
        assert response.status_code in (401, 403), params
        assert response.headers["content-type"].startswith("application/json")
    assert not list((server.data_dir / "thumbnails").rglob(f"{component_id}/*"))
