"""The pages' server side without a browser: live events per user, review media ranges, edit
checks (CSRF, policy) and ``Policy.permits`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import queue
import re
import threading
import uuid

import pytest
import requests
from web_support import DEMO_PROJECT


def user_id(session, username):
    return session.query(f'User where username is "{username}"').one()["id"]


@pytest.fixture
def two_projects(admin_session):
    """Two new projects, each with a shot holding a task: ``[(project, task), (project, task)]``."""
    schema = admin_session.query('ProjectSchema where name is "VFX Scheme"').one()
    made = []
    for _ in range(2):
        name = f"pages-{uuid.uuid4().hex[:8]}"
        project = admin_session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
        shot = admin_session.create("Shot", {"name": "sh010", "parent": project})
        made.append((project, admin_session.create("Task", {"name": "comp", "parent": shot})))
    admin_session.commit()
    return made


class LiveStream:
    """``GET /live`` read in a thread: each ``update`` message's data lands in ``updates``."""

    def __init__(self, client: requests.Session, url: str) -> None:
        self.updates: queue.Queue = queue.Queue()
        self.hello = threading.Event()
        self.response = client.get(url, stream=True, timeout=30)
        assert self.response.status_code == 200
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.hello.wait(10), "no hello message"

    def _read(self) -> None:
        name = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: "):
                    if name == "hello":
                        self.hello.set()
                    elif name == "update":
                        self.updates.put(json.loads(line[len("data: "):]))
        except (requests.RequestException, AttributeError):  # closed by close()
            pass

    def close(self) -> None:
        self.response.close()


def test_live_updates_reach_a_page_only_for_what_its_user_may_read(web_server, web_user, web_client, admin_session,
                                                                   two_projects):
    (visible_project, visible_task), (_, hidden_task) = two_projects
    client = web_client(*web_user("Viewer", (visible_project["name"],)))
    stream = LiveStream(client, f"{web_server.server_url}/live")
    try:
        for task in (hidden_task, visible_task):  # the hidden change first: it must never arrive
            task["status"] = admin_session.query('Status where name is "In progress"').one()
            admin_session.commit()
        update = stream.updates.get(timeout=10)
        assert [entity["id"] for entity in update["entities"]] == [visible_task["id"]]
        entity = update["entities"][0]
        assert entity["type"] == "Task" and entity["action"] == "update"
        assert entity["changes"]["status"] == admin_session.query('Status where name is "In progress"').one()["id"]
        assert visible_project["id"] in entity["parents"]
        assert update["user"] == admin_session.api_user
        assert stream.updates.empty()
    finally:
        stream.close()


def test_live_needs_a_session(web_server):
    answer = requests.get(f"{web_server.server_url}/live", allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_edits_need_the_csrf_token_and_the_same_origin(web_server, web_user, web_client, admin_session, two_projects):
    project, task = two_projects[0]
    client = web_client(*web_user("User", (project["name"],)))
    status = admin_session.query('Status where name is "In progress"').one()
    form = {"entity_type": "Task", "entity_id": task["id"], "status_id": status["id"], "next": "/"}
    url = f"{web_server.server_url}/status"
    assert client.post(url, data=form, allow_redirects=False, timeout=30).status_code == 403
    assert client.post(url, data={**form, "csrf_token": "wrong"}, allow_redirects=False, timeout=30).status_code == 403
    cross_site = client.post(url, data={**form, "csrf_token": client.csrf_token}, allow_redirects=False, timeout=30,
                             headers={"Origin": "https://elsewhere.example"})
    assert cross_site.status_code == 403
    assert admin_session.query(f'select status.name from Task where id is "{task["id"]}"').one()["status"]["name"] \
        == "Not started"
    done = client.post(url, data={**form, "csrf_token": client.csrf_token}, allow_redirects=False, timeout=30)
    assert done.status_code == 303 and done.headers["location"] == "/"
    fetched = client.post(url, data={**form, "csrf_token": client.csrf_token}, timeout=30,
                          headers={"Accept": "application/json"})
    assert fetched.status_code == 200 and fetched.json() == {"ok": True}
    assert admin_session.query(f'select status.name from Task where id is "{task["id"]}"').one()["status"]["name"] \
        == "In progress"


def test_a_status_outside_the_workflow_is_refused_with_the_servers_message(web_server, web_user, web_client,
                                                                           admin_session, two_projects):
    project, task = two_projects[0]
    client = web_client(*web_user("User", (project["name"],)))
    normal = admin_session.query('Status where name is "Normal"').one()  # a shot status, not a task one
    answer = client.post(f"{web_server.server_url}/status", allow_redirects=False, timeout=30, data={
        "csrf_token": client.csrf_token, "entity_type": "Task", "entity_id": task["id"], "status_id": normal["id"]})
    assert answer.status_code == 400
    assert "allows &#39;Not started&#39;" in answer.text
    page = client.get(f"{web_server.server_url}/contexts/{task['id']}", timeout=30).text
    assert f'value="{normal["id"]}"' not in page.split('id="status-select"')[1].split("</select>")[0]


def test_the_redirect_after_a_form_stays_on_this_site(web_server, web_user, web_client, two_projects):
    project, task = two_projects[0]
    client = web_client(*web_user("User", (project["name"],)))
    answer = client.post(f"{web_server.server_url}/notes", allow_redirects=False, timeout=30, data={
        "csrf_token": client.csrf_token, "parent_kind": "context", "parent_id": task["id"], "content": "hi",
        "next": "//evil.example/x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_policy_permits_answers_as_the_write_check_would(web_server, web_user, admin_session, two_projects):
    project, task = two_projects[0]
    policy = web_server.server.policy
    viewer = user_id(admin_session, web_user("Viewer", (project["name"],))[0])
    user = user_id(admin_session, web_user("User", (project["name"],))[0])
    stranger = user_id(admin_session, web_user("User", (DEMO_PROJECT,))[0])
    note = {"parent_id": task["id"], "parent_type": "context", "user_id": None}
    for who, may in ((viewer, False), (user, True), (stranger, False)):
        assert policy.permits(who, "update", "Task", {"id": task["id"]}, {"status_id"}) is may
        assert policy.permits(who, "create", "Note", {**note, "user_id": who}) is may
        assert policy.permits(who, "update", "Task", {"id": task["id"]}, {"name"}) is False
    assert policy.permits(user, "update", "Task", {"id": str(uuid.uuid4())}, {"status_id"}) is False


def test_review_media_is_served_with_byte_ranges_to_readers_only(web_server, web_user, web_client, admin_session,
                                                                  two_projects, tmp_path):
    from media_support import make_clip

    project, task = two_projects[0]
    asset = admin_session.create("Asset", {"name": "plate", "parent": task["parent"],
                                           "type": admin_session.query("AssetType").first()})
    version = admin_session.create("AssetVersion", {"asset": asset, "task": task})
    location = admin_session.query('Location where name is "ftrack.server"').one()
    clip = make_clip(tmp_path / "clip.mp4", seconds=1, size="160x90")
    component = version.create_component(str(clip), {"name": "ftrackreview-mp4"}, location=location)
    admin_session.commit()
    data = clip.read_bytes()
    url = f"{web_server.server_url}/review/{component['id']}"

    reader = web_client(*web_user("Viewer", (project["name"],)))
    whole = reader.get(url, timeout=30)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["accept-ranges"] == "bytes"
    part = reader.get(url, headers={"Range": "bytes=100-199"}, timeout=30)
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"

    editor = web_client(*web_user("User", (project["name"],)))
    page = editor.get(f"{web_server.server_url}/versions/{version['id']}", timeout=30).text
    assert f'src="/review/{component["id"]}" type="video/mp4"' in page
    offered = re.findall(r'<option value="[^"]+" ?(?:selected)?>([^<]+)</option>',
                         page.split('id="status-select"')[1].split("</select>")[0])
    schema = admin_session.query('select asset_version_workflow_schema.statuses.name from ProjectSchema '
                                 'where name is "VFX Scheme"').one()
    assert sorted(offered) == sorted(s["name"] for s in schema["asset_version_workflow_schema"]["statuses"])

    outsider = web_client(*web_user("Viewer", (DEMO_PROJECT,)))
    refused = outsider.get(url, timeout=30)
    assert refused.status_code == 403 and data[:50] not in refused.content
    assert requests.get(url, allow_redirects=False, timeout=30).status_code == 303  # no session: log in first


def test_pages_of_a_project_without_a_role_are_not_found(web_server, web_user, web_client, admin_session,
                                                         two_projects):
    project, task = two_projects[0]
    outsider = web_client(*web_user("Supervisor", (DEMO_PROJECT,)))
    for path in (f"/projects/{project['id']}", f"/contexts/{task['id']}", f"/contexts/{task['parent']['id']}"):
        answer = outsider.get(web_server.server_url + path, timeout=30)
        assert answer.status_code == 404, path
        assert "or you may not read it" in answer.text and task["name"] not in answer.text.split("<main")[1]
    search = outsider.get(f"{web_server.server_url}/search", params={"q": f'Task where id is "{task["id"]}"'},
                          timeout=30)
    assert search.status_code == 200 and "No results." in search.text


@pytest.mark.in_process  # stops an embedded server of its own
def test_stopping_the_server_ends_open_pages_event_streams_first(tmp_path):
    from clapboard_server import embedded
    from clapboard_server.web.passwords import set_password
    from web_support import post_login

    server = embedded.start(data_dir=tmp_path / "data")
    try:
        set_password(server.server.database, server.api_user, "correct horse battery")
        client, answer = post_login(server.server_url, server.api_user, "correct horse battery")
        assert answer.status_code == 303
        stream = LiveStream(client, f"{server.server_url}/live")
        serving = server._thread
        closed_while_serving = []
        close = server.server.close

        def close_after_uvicorn():
            closed_while_serving.append(serving.is_alive())
            close()

        server.server.close = close_after_uvicorn
    finally:
        server.stop()
    assert closed_while_serving == [False], "uvicorn was still waiting for the open event stream"
    stream.thread.join(10)
    assert not stream.thread.is_alive()
