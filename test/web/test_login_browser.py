"""The login, projects list and logout of the web view, in a real Chromium."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect
from web_support import DEMO_PROJECT, log_in


def test_login_page_then_projects_list(new_page, web_user, screenshot, admin_session):
    username, password = web_user("Viewer", (DEMO_PROJECT,))
    page = new_page()
    page.goto("/")
    expect(page).to_have_url("/login?next=%2F")
    expect(page).to_have_title("Log in · clapboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("User name")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    screenshot(page, "login")

    log_in(page, username, password)
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(["Name", "Full name", "Status", "Start", "End"])
    demo_id = admin_session.query(f'select id from Project where name is "{DEMO_PROJECT}"').one()["id"]
    demo = table.get_by_role("link", name=DEMO_PROJECT, exact=True)
    expect(demo).to_have_attribute("href", f"/projects/{demo_id}")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=DEMO_PROJECT, exact=True))
    expect(row.get_by_role("cell")).to_have_text([DEMO_PROJECT, "Clapboard demo", "active", "", ""])
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Projects")).to_have_attribute("href", "/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_visible()
    expect(page.locator(".username")).to_have_text(username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot(page, "projects")


def test_wrong_password_shows_an_error_and_stays_out(new_page, web_user):
    username, _ = web_user("Viewer")
    page = new_page()
    page.goto("/login")
    log_in(page, username, "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("User name")).to_have_value(username)
    page.goto("/")
    expect(page).to_have_url("/login?next=%2F")


def test_logout_ends_the_session(logged_in_page, web_user, browser, web_server):
    page = logged_in_page(*web_user("Viewer"))
    cookies = page.context.cookies()
    session = [cookie for cookie in cookies if cookie["name"] == "clapboard_session"]
    assert len(session) == 1 and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    expect(page).to_have_url("/login?next=%2F")
    # The old cookie, replayed in another browser context, no longer opens a page either.
    replay = browser.new_context(base_url=web_server.server_url)
    try:
        replay.add_cookies(session)
        other = replay.new_page()
        other.goto("/")
        expect(other).to_have_url("/login?next=%2F")
    finally:
        replay.close()


def test_a_user_sees_no_project_without_a_role_on_it(logged_in_page, web_user, admin_session):
    nothing = logged_in_page(*web_user(None))
    expect(nothing.get_by_role("heading", level=1)).to_have_text("Projects")
    expect(nothing.get_by_role("table")).to_have_count(0)
    expect(nothing.get_by_text("No projects to show")).to_be_visible()

    schema = admin_session.query('ProjectSchema where name is "VFX Scheme"').one()
    other = f"web-{uuid.uuid4().hex[:8]}"
    admin_session.create("Project", {"name": other, "full_name": other, "project_schema": schema})
    admin_session.commit()
    page = logged_in_page(*web_user("Viewer", (other,)))
    links = page.get_by_role("table").get_by_role("link")
    expect(links).to_have_text([other])
    expect(page.get_by_role("link", name=DEMO_PROJECT, exact=True)).to_have_count(0)



def test_a_request_without_the_csrf_token_is_refused(logged_in_page, web_user):
    page = logged_in_page(*web_user("Viewer"))
    token = page.evaluate("document.body.dataset.csrfToken")
    assert len(token) >= 43
    statuses = page.evaluate("""async (token) => {
        const post = (headers, body) => fetch('/logout', {method: 'POST', headers, body, redirect: 'manual'});
        return [(await post({})).status,
                (await post({'X-CSRF-Token': 'forged'})).status,
                (await post({'Content-Type': 'application/x-www-form-urlencoded'}, 'csrf_token=forged')).status];
    }""", token)
    assert statuses == [403, 403, 403]
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")


def test_a_cross_site_form_is_refused_even_with_the_token(logged_in_page, web_user, web_server):
    page = logged_in_page(*web_user("Viewer"))
    token = page.evaluate("document.body.dataset.csrfToken")
    attacker = page.context.new_page()
    attacker.route("http://evil.example/**", lambda route: route.fulfill(content_type="text/html", body=(
        f'<form method="post" action="{web_server.server_url}/logout">'
        f'<input type="hidden" name="csrf_token" value="{token}"><button>Win a prize</button></form>')))
    attacker.goto("http://evil.example/prize")
    with attacker.expect_navigation() as navigation:
        attacker.get_by_role("button", name="Win a prize").click()
    # SameSite=Strict keeps the session cookie off the cross-site post, and its Origin is refused.
    assert navigation.value.status in (401, 403)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _chat_page(page, server_url):
    """A page of another site with a link to the web view, as in a chat message or an email."""
    page.route("http://chat.example/**", lambda route: route.fulfill(
        content_type="text/html", body=f'<p><a href="{server_url}/?page=1">Look at this</a></p>'))
    page.goto("http://chat.example/message")


def test_a_link_from_another_site_opens_the_page_when_logged_in(logged_in_page, new_page, web_user, web_server):
    page = logged_in_page(*web_user("Viewer", (DEMO_PROJECT,)))
    chat = page.context.new_page()
    _chat_page(chat, web_server.server_url)
    chat.get_by_role("link", name="Look at this").click()
    chat.wait_for_url(f"{web_server.server_url}/?page=1")
    expect(chat.get_by_role("heading", level=1)).to_have_text("Projects")
    expect(chat.get_by_role("link", name=DEMO_PROJECT, exact=True)).to_be_visible()

    stranger = new_page()  # without a session the same link ends at the login form
    _chat_page(stranger, web_server.server_url)
    stranger.get_by_role("link", name="Look at this").click()
    stranger.wait_for_url(f"{web_server.server_url}/login?next=%2F%3Fpage%3D1")
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Log in")


def test_logging_in_and_out_with_the_keyboard_only(new_page, web_user):
    username, password = web_user("Viewer", (DEMO_PROJECT,))
    page = new_page()
    page.goto("/login")
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus, once the page has run it
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
