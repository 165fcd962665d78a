"""The project tree, task/shot, version and search pages in a real Chromium (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from web_support import DEMO_PROJECT

TREE_COLUMNS = ["Parent", "Name", "Kind", "Status", "Type", "Assignees", "Bid", "Logged"]


@pytest.fixture
def fresh_task(admin_session):
    """A new task under the demo project's first shot (tests that change things use their own)."""
    shot = admin_session.query(f'Shot where project.name is "{DEMO_PROJECT}" and name is "sq001_sh0010"').one()
    task = admin_session.create("Task", {"name": f"task-{uuid.uuid4().hex[:8]}", "parent": shot})
    admin_session.commit()
    return task


def status_named(session, name):
    return session.query(f'Status where name is "{name}"').one()


def status_of(session, entity_id):
    return session.query(f'select status.name from TypedContext where id is "{entity_id}"').one()["status"]["name"]


def row_of(page, entity_id):
    return page.locator(f'table tbody tr[data-entity-id="{entity_id}"]')


def test_the_tree_shows_the_seeded_shots_and_task_statuses(logged_in_page, web_user, admin_session, screenshot):
    page = logged_in_page(*web_user("Viewer", (DEMO_PROJECT,)))
    page.get_by_role("link", name=DEMO_PROJECT, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clapboard demo")
    expect(page).to_have_title("Clapboard demo · clapboard")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link")).to_have_text(["Projects", DEMO_PROJECT])
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(TREE_COLUMNS)

    shots = admin_session.query(f'select name, parent.name, status.name, children[Task].name, '
                                f'children[Task].status.name from Shot where project.name is "{DEMO_PROJECT}"').all()
    assert len(shots) == 6
    page.get_by_label("Per page").select_option("200")
    page.get_by_role("button", name="Filter").click()
    for shot in shots:
        row = row_of(page, shot["id"])
        expect(row.get_by_role("cell")).to_have_text(
            [shot["parent"]["name"], re.compile(rf"^{shot['name']}\b"), "Shot", shot["status"]["name"], "", "",
             "0 h", "0 h"])
        expect(row.get_by_role("link", name=shot["name"], exact=True)).to_have_attribute(
            "href", f"/contexts/{shot['id']}")
        for task in shot["children"]:
            task_row = row_of(page, task["id"])
            expect(task_row.get_by_role("cell").nth(0)).to_have_text(f"{shot['parent']['name']} / {shot['name']}")
            expect(task_row.get_by_role("cell").nth(1)).to_have_text(task["name"])
            expect(task_row.get_by_role("cell").nth(3)).to_have_text(task["status"]["name"])
    screenshot(page, "project-tree")

    page.get_by_label("Kind").select_option("Shot")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#tree-summary")).to_have_text(re.compile(r"1–6 of 6"))
    names = table.locator("tbody tr td.name > a:first-child")
    expect(names).to_have_text(sorted(shot["name"] for shot in shots))
    page.get_by_role("link", name="Name", exact=True).click()  # ascending by name
    page.get_by_role("link", name="Name", exact=True).click()  # then descending
    expect(page.get_by_role("columnheader", name="Name")).to_have_attribute("aria-sort", "descending")
    expect(names).to_have_text(sorted((shot["name"] for shot in shots), reverse=True))


def test_the_tree_pages_filters_and_sorts_on_the_server(logged_in_page, web_user, admin_session):
    schema = admin_session.query('ProjectSchema where name is "VFX Scheme"').one()
    name = f"tree-{uuid.uuid4().hex[:8]}"
    project = admin_session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    shot = admin_session.create("Shot", {"name": "sh010", "parent": project})
    done = status_named(admin_session, "Approved")
    for number in range(60):
        task = admin_session.create("Task", {"name": f"t{number:03d}", "parent": shot, "bid": 3600 * number})
        if number % 10 == 0:
            task["status"] = done
    admin_session.commit()

    page = logged_in_page(*web_user("Viewer", (name,)))
    page.goto(f"/projects/{project['id']}?size=25&sort=name")
    expect(page.locator("#tree-summary")).to_have_text("1–25 of 61 (page 1 of 3)")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first.locator("td.name > a").first).to_have_text("sh010")
    pager = page.get_by_role("navigation", name="Pages")
    pager.get_by_role("link", name="Last page").click()
    expect(page.locator("#tree-summary")).to_have_text("51–61 of 61 (page 3 of 3)")
    expect(rows).to_have_count(11)
    expect(rows.last.locator("td.name > a").first).to_have_text("t059")

    page.get_by_role("link", name="Bid", exact=True).click()
    page.get_by_role("link", name="Bid", exact=True).click()
    expect(rows.first.get_by_role("cell").nth(1)).to_have_text("t059")
    expect(rows.first.get_by_role("cell").nth(6)).to_have_text("59 h")

    page.get_by_label("Status").select_option(label="Approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#tree-summary")).to_have_text("1–6 of 6 (page 1 of 1)")
    expect(rows.locator("td.name > a")).to_have_text(["t050", "t040", "t030", "t020", "t010", "t000"])
    page.get_by_label("Name contains").fill("t05")
    page.get_by_role("button", name="Filter").click()
    expect(rows.locator("td.name > a")).to_have_text(["t050"])

    page.goto(f"/projects/{project['id']}?within={shot['id']}&kind=Task&size=25&page=3")
    expect(page.locator("#tree-summary")).to_have_text("51–60 of 60 (page 3 of 3)")


def test_a_task_page_shows_the_task_and_a_note_added_in_the_thread(logged_in_page, web_user, admin_session,
                                                                   fresh_task, screenshot):
    username, password = web_user("User", (DEMO_PROJECT,))
    me = admin_session.query(f'User where username is "{username}"').one()
    fresh_task["assignments"]
    admin_session.create("Appointment", {"context": fresh_task, "resource": me, "type": "assignment"})
    category = admin_session.query("NoteCategory").first()
    admin_session.commit()
    page = logged_in_page(username, password)
    page.goto(f"/contexts/{fresh_task['id']}")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{fresh_task['name']} Task")
    expect(page.get_by_role("heading", level=2)).to_have_text(["Attributes", "Assignees", "Versions",
                                                               re.compile(r"^Notes")])
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")).to_have_text(
        ["Projects", DEMO_PROJECT, "sq001", "sq001_sh0010"])
    expect(page.locator("#assignees li")).to_have_text([username])
    expect(page.get_by_text("No notes yet.")).to_be_visible()

    page.get_by_label("Note", exact=True).fill("Looks good, tighten the timing.\nSecond line.")
    page.get_by_label("Category").select_option(category["id"])
    page.get_by_label("Recipients").select_option(me["id"])
    page.get_by_role("button", name="Add note").click()
    note = page.locator("#notes article.note").first
    expect(note.locator(".content")).to_have_text("Looks good, tighten the timing.\nSecond line.")
    expect(note.locator(".author")).to_have_text(username)
    expect(note.locator(".category")).to_have_text(category["name"])
    expect(note.locator(".recipients")).to_have_text(f"to {username}")
    expect(page.get_by_role("heading", name="Notes (1)")).to_be_visible()

    note.get_by_text("Reply", exact=True).click()
    note.get_by_label(f"Reply to {username}").fill("Done.")
    note.get_by_role("button", name="Send reply").click()
    reply = page.locator("#notes .replies article.note")
    expect(reply.locator(".content")).to_have_text("Done.")
    screenshot(page, "task")

    stored = admin_session.query(f'select content, category_id, recipients.resource_id, replies.content from Note '
                                 f'where parent_id is "{fresh_task["id"]}" and in_reply_to_id is None').all()
    assert [(n["content"], n["category_id"], [r["resource_id"] for r in n["recipients"]],
             [r["content"] for r in n["replies"]]) for n in stored] == [
        ("Looks good, tighten the timing.\nSecond line.", category["id"], [me["id"]], ["Done."])]


def test_a_status_changed_on_the_page_is_read_back_by_the_client(logged_in_page, web_user, admin_session,
                                                                  fresh_task):
    page = logged_in_page(*web_user("User", (DEMO_PROJECT,)))
    page.goto(f"/contexts/{fresh_task['id']}")
    before = status_of(admin_session, fresh_task["id"])
    target = "In progress" if before != "In progress" else "Approved"
    page.get_by_label("Status", exact=True).select_option(label=target)
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(f'[data-status-of="{fresh_task["id"]}"]')).to_have_text(target)
    assert status_of(admin_session, fresh_task["id"]) == target


def test_assignments_made_and_removed_on_the_page_as_the_role_allows(logged_in_page, web_user, admin_session,
                                                                     fresh_task):
    username, password = web_user("User", (DEMO_PROJECT,))
    page = logged_in_page(username, password)
    page.goto(f"/contexts/{fresh_task['id']}")
    me = admin_session.query(f'User where username is "{username}"').one()
    page.get_by_label("Assign", exact=True).select_option(me["id"])
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assignees li")).to_have_text([username])
    assert [a["resource_id"] for a in admin_session.query(
        f'Appointment where context_id is "{fresh_task["id"]}" and type is "assignment"')] == [me["id"]]
    # A User may assign but not unassign ('assignments.delete'): no button; a Project Manager may.
    expect(page.get_by_role("button", name=f"Unassign {username}")).to_have_count(0)
    manager = logged_in_page(*web_user("Project Manager", (DEMO_PROJECT,)))
    manager.goto(f"/contexts/{fresh_task['id']}")
    manager.get_by_role("button", name=f"Unassign {username}").click()
    expect(manager.get_by_text("Nobody is assigned.")).to_be_visible()
    assert not admin_session.query(f'Appointment where context_id is "{fresh_task["id"]}"').all()


def test_a_status_changed_by_the_client_appears_in_the_open_pages(logged_in_page, web_user, admin_session,
                                                                    fresh_task):
    page = logged_in_page(*web_user("Viewer", (DEMO_PROJECT,)))
    page.goto(f"/contexts/{fresh_task['id']}")
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    tree = page.context.new_page()
    tree.goto(f"/projects/{fresh_task['project_id']}?name={fresh_task['name']}")
    expect(tree.locator("html")).to_have_attribute("data-live", "connected")
    badge = f'[data-status-of="{fresh_task["id"]}"]'
    target = "Awaiting approval" if status_of(admin_session, fresh_task["id"]) != "Awaiting approval" else "Approved"

    fresh_task["status"] = status_named(admin_session, target)
    admin_session.commit()
    expect(page.locator(badge)).to_have_text(target, timeout=2000)
    expect(tree.locator(badge)).to_have_text(target, timeout=2000)

    author = admin_session.query(f'User where username is "{admin_session.api_user}"').one()
    fresh_task.create_note("Written in a Python shell", author)
    admin_session.commit()
    expect(page.locator("#notes .note .content")).to_have_text(["Written in a Python shell"], timeout=2000)


def test_a_viewer_sees_no_edit_controls_and_a_forged_edit_is_refused(logged_in_page, web_user, web_client, web_server,
                                                                      admin_session, fresh_task, screenshot):
    username, password = web_user("Viewer", (DEMO_PROJECT,))
    page = logged_in_page(username, password)
    page.goto(f"/contexts/{fresh_task['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{fresh_task['name']} Task")
    expect(page.locator(f'[data-status-of="{fresh_task["id"]}"]')).to_be_visible()
    for name in ("Change status", "Assign", "Add note", "Send reply"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.locator("form[action='/status'], form[action='/notes'], form[action^='/assignments']")).to_have_count(0)
    screenshot(page, "task-viewer")

    client = web_client(username, password)
    before = status_of(admin_session, fresh_task["id"])
    other = next(s for s in admin_session.query("Status") if s["name"] != before)
    forged = client.post(f"{web_server.server_url}/status", allow_redirects=False, timeout=30, data={
        "csrf_token": client.csrf_token, "entity_type": "Task", "entity_id": fresh_task["id"],
        "status_id": other["id"], "next": "/"})
    assert forged.status_code == 403
    assert "Permission denied" in forged.text
    assert status_of(admin_session, fresh_task["id"]) == before
    note = client.post(f"{web_server.server_url}/notes", allow_redirects=False, timeout=30, data={
        "csrf_token": client.csrf_token, "parent_kind": "context", "parent_id": fresh_task["id"],
        "content": "forged"})
    assert note.status_code == 403
    assert not admin_session.query(f'Note where parent_id is "{fresh_task["id"]}"').all()


def test_the_search_page_shows_results_with_links_and_parse_errors(logged_in_page, web_user, web_client,
                                                                   admin_session, screenshot):
    username, password = web_user("Viewer", (DEMO_PROJECT,))
    page = logged_in_page(username, password)
    query = f'select name, status.name, parent.name from Shot where project.name is "{DEMO_PROJECT}" order by name'
    page.get_by_role("searchbox", name="Search").fill(query)
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.get_by_label("Query")).to_have_value(query)
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(["Type", "Entity", "name", "status", "parent"])
    shots = admin_session.query(query).all()
    links = table.locator("tbody tr td:nth-child(2) a")
    expect(links).to_have_text([shot["name"] for shot in shots])
    for index, shot in enumerate(shots):
        expect(links.nth(index)).to_have_attribute("href", f"/contexts/{shot['id']}")
    screenshot(page, "search")
    links.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{shots[0]['name']} Shot")
    page.get_by_role("link", name=f"Everything below {shots[0]['name']} in the project tree").click()
    expect(page.locator("#tree-summary")).to_have_text(re.compile(r"1–\d+ of \d+ \(page 1 of 1\)"))
    expect(page.locator("p.scope")).to_contain_text(f"Showing what is below {shots[0]['name']}")

    page.goto("/search?q=" + "Task where")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("ParseError")
    expect(alert).to_contain_text("of query: 'Task where'")
    expect(page.get_by_role("table")).to_have_count(0)
    client = web_client(username, password)
    answer = client.get(page.url, timeout=30)
    assert answer.status_code == 400 and "Expected a condition after" in answer.text


def test_a_review_version_plays_and_seeks_frame_by_frame(logged_in_page, web_user, admin_session, fresh_task,
                                                         tmp_path, screenshot):
    from media_support import finished_job, make_clip

    asset = admin_session.create("Asset", {"name": "plate", "parent": fresh_task["parent"],
                                           "type": admin_session.query("AssetType").first()})
    version = admin_session.create("AssetVersion", {"asset": asset, "task": fresh_task})
    admin_session.commit()
    job = version.encode_media(str(make_clip(tmp_path / "clip.mp4", seconds=2, size="320x180", rate=25)))
    finished = finished_job(lambda: admin_session.query(f'select status, data from Job where id is "{job["id"]}"')
                            .one(), 120)
    assert finished["status"] == "done", finished["data"]

    page = logged_in_page(*web_user("Viewer", (DEMO_PROJECT,)))
    page.goto(f"/contexts/{fresh_task['id']}")
    card = page.locator(".version-card")
    expect(card.get_by_role("img")).to_have_attribute("alt", "Thumbnail of plate v001")
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("plate v001")
    video = page.locator("video#review-video")
    expect(video.locator("source")).to_have_count(2)
    expect(page.locator(".player")).to_have_attribute("data-duration", re.compile(r"^[12](\.\d+)?$"), timeout=15_000)
    duration = video.evaluate("v => v.duration")
    assert 1.9 < duration < 2.2
    frame = page.locator("#frame-number")
    expect(frame).to_have_text("0")
    page.get_by_role("button", name="Next frame").click()
    expect(frame).to_have_text("1")
    expect(page.locator(".player")).to_have_attribute("data-frame", "1")
    page.get_by_label("Frame", exact=True).fill("37")
    expect(frame).to_have_text("37")
    page.wait_for_function("() => { const v = document.querySelector('video'); return !v.seeking && "
                           "Math.abs(v.currentTime - 37.5 / 25) < 0.01; }")
    page.get_by_role("button", name="Previous frame").click()
    expect(frame).to_have_text("36")
    expect(page.locator(".player")).to_have_attribute("data-frame", "36")  # set once the video has seeked
    assert abs(video.evaluate("v => v.currentTime") - 36.5 / 25) < 0.01
    screenshot(page, "version")


def test_a_note_attachment_is_listed_with_a_preview_and_downloads(logged_in_page, web_user, admin_session,
                                                                  fresh_task, tmp_path):
    from media_support import make_image

    picture = make_image(tmp_path / "reference.png", size="64x32")
    location = admin_session.query('Location where name is "ftrack.server"').one()
    author = admin_session.query(f'User where username is "{admin_session.api_user}"').one()
    note = fresh_task.create_note("See the reference", author)
    component = admin_session.create_component(str(picture), {"name": "reference"}, location=location)
    admin_session.create("NoteComponent", {"note_id": note["id"], "component_id": component["id"]})
    admin_session.commit()

    page = logged_in_page(*web_user("Viewer", (DEMO_PROJECT,)))
    page.goto(f"/contexts/{fresh_task['id']}")
    attachments = page.get_by_role("list", name="Attachments")
    link = attachments.get_by_role("link", name="reference.png")
    expect(link).to_have_attribute("href", re.compile(rf"^/component/get\?id={component['id']}&token="))
    preview = link.locator("img")  # alt="": decorative, the link names the file
    expect(preview).to_have_attribute("src", re.compile(r"^/component/thumbnail\?id=.*&size=96$"))
    page.wait_for_function("() => document.querySelector('.attachments img').naturalWidth > 0")
    downloaded = page.request.get(link.get_attribute("href"))
    assert downloaded.status == 200 and downloaded.body() == picture.read_bytes()


def test_a_status_is_changed_with_the_keyboard_only(logged_in_page, web_user, admin_session, fresh_task):
    page = logged_in_page(*web_user("User", (DEMO_PROJECT,)))
    page.goto(f"/contexts/{fresh_task['id']}")
    for _ in range(30):  # through the header, the breadcrumb, to the status control
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "status-select":
            break
    expect(page.get_by_label("Status", exact=True)).to_be_focused()
    before = page.get_by_label("Status", exact=True).input_value()
    page.keyboard.press("ArrowDown")
    chosen = page.get_by_label("Status", exact=True).input_value()
    assert chosen != before
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change status")).to_be_focused()
    page.keyboard.press("Enter")
    name = admin_session.get("Status", chosen)["name"]
    expect(page.locator(f'[data-status-of="{fresh_task["id"]}"]')).to_have_text(name)
    assert status_of(admin_session, fresh_task["id"]) == name
