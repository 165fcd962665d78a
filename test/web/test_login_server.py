"""Logins, passwords, session cookies and CSRF protection of the web view, against the real server."""

from __future__ import annotations

import base64
import html
import re
import uuid
from urllib.parse import urljoin

import arrow
import pytest
import requests
import sqlalchemy as sa
from web_support import DEMO_PROJECT, login_form_token


def _address():
    """A documentation address (RFC 5737) for a client, so failures here count against no other test."""
    number = uuid.uuid4().int
    return f"198.51.{number % 250}.{number // 250 % 250 + 1}"


def _post_login(web_server, username, password, origin=None, client=None):
    """POST the login form as a browser at a client address of its own (see ``_address``) would."""
    client = client or requests.Session()
    client.headers["Origin"] = origin or web_server.server_url
    client.headers.setdefault("X-Forwarded-For", _address())  # uvicorn trusts it from 127.0.0.1 (a local proxy)
    token = login_form_token(client.get(f"{web_server.server_url}/login", timeout=30))
    return client.post(f"{web_server.server_url}/login", timeout=30, allow_redirects=False,
                       data={"username": username, "password": password, "csrf_token": token, "next": "/"})


def _session_cookie(response):
    return [header for header in response.raw.headers.getlist("set-cookie") if header.startswith("clapboard_session=")]


def test_a_wrong_password_is_refused(web_server, web_user):
    username, password = web_user("Viewer")
    for name, secret in ((username, password + "x"), (username, ""), (f"nobody-{uuid.uuid4().hex}", password)):
        response = _post_login(web_server, name, secret)
        assert response.status_code == 401
        assert "Wrong user name or password." in response.text
        assert _session_cookie(response) == []
    assert _post_login(web_server, username, password).status_code == 303


def test_a_disabled_user_cannot_log_in_and_loses_open_sessions(web_server, web_user, web_client):
    from clapboard_server import admin

    username, password = web_user("Viewer")
    client = web_client(username, password)
    admin.set_active(web_server.server.database, username, False)
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 303
    assert _post_login(web_server, username, password).status_code == 401


def _failures(database, username):
    from clapboard_server.web import tables

    table = database.tables[tables.LOGIN_FAILURE_TABLE]
    with database.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).where(table.c.subject == f"user:{username}")).scalar()


def test_failed_logins_are_rate_limited_per_user_name(web_server, web_user):
    from clapboard_server.web import login_limits

    username, password = web_user("Viewer")
    other, other_password = web_user("Viewer")
    for _ in range(login_limits.MAX_PER_USER):
        assert _post_login(web_server, username, "wrong password").status_code == 401
    assert _failures(web_server.server.database, username) == login_limits.MAX_PER_USER
    refused = _post_login(web_server, username, password)  # even the right password, while limited
    assert refused.status_code == 429
    assert "Too many failed logins: try again in 15 minutes." in refused.text
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert _session_cookie(refused) == []
    assert _post_login(web_server, other, other_password).status_code == 303  # other users are not locked out


def test_the_limit_is_shared_by_every_server_on_the_database(web_server, web_user, tmp_path):
    """Failures counted through one server refuse logins on another serving the same database."""
    from clapboard_server import embedded
    from clapboard_server.web import login_limits

    username, password = web_user("Viewer")
    with embedded.start(data_dir=tmp_path, database=web_server.server.database.url) as second:
        for attempt in range(login_limits.MAX_PER_USER):
            target = web_server if attempt % 2 else second
            assert _post_login(target, username, "wrong password").status_code == 401
        assert _post_login(second, username, password).status_code == 429
        assert _post_login(web_server, username, password).status_code == 429


def test_parallel_attempts_get_no_more_guesses_than_the_allowance(web_server, web_user):
    """Each attempt is recorded before its password is checked, so parallel ones see each other."""
    from concurrent.futures import ThreadPoolExecutor

    from clapboard_server.web import login_limits

    username, _ = web_user("Viewer")
    forms = []
    for _ in range(4 * login_limits.MAX_PER_USER):
        client = requests.Session()
        client.headers.update({"Origin": web_server.server_url, "X-Forwarded-For": _address()})
        forms.append((client, login_form_token(client.get(f"{web_server.server_url}/login", timeout=30))))

    def guess(form):
        client, token = form
        return client.post(f"{web_server.server_url}/login", allow_redirects=False, timeout=60,
                           data={"username": username, "password": "a guess", "csrf_token": token}).status_code

    with ThreadPoolExecutor(len(forms)) as pool:
        statuses = list(pool.map(guess, forms))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= login_limits.MAX_PER_USER
    assert _failures(web_server.server.database, username) == statuses.count(401)


def test_a_successful_login_forgets_earlier_failures(web_server, web_user):
    from clapboard_server.web import login_limits

    username, password = web_user("Viewer")
    for _ in range(login_limits.MAX_PER_USER - 1):
        _post_login(web_server, username, "wrong password")
    assert _post_login(web_server, username, password).status_code == 303
    assert _failures(web_server.server.database, username) == 0
    assert _post_login(web_server, username, "wrong password").status_code == 401
    assert _post_login(web_server, username, password).status_code == 303


@pytest.mark.in_process  # changes a setting of the server's code
def test_failed_logins_are_rate_limited_per_address(web_server, web_user, monkeypatch):
    from clapboard_server.web import login_limits

    monkeypatch.setattr(login_limits, "MAX_PER_ADDRESS", 3)
    username, password = web_user("Viewer")
    forwarded = {"X-Forwarded-For": _address()}
    for _ in range(3):
        client = requests.Session()
        client.headers.update(forwarded)
        assert _post_login(web_server, f"nobody-{uuid.uuid4().hex}", "wrong", client=client).status_code == 401
    client = requests.Session()
    client.headers.update(forwarded)
    assert _post_login(web_server, username, password, client=client).status_code == 429
    assert _post_login(web_server, username, password).status_code == 303  # from another address


def _stored_hash(database, username):
    from clapboard_server.web import tables

    passwords = database.tables[tables.PASSWORD_TABLE]
    users = database.catalog.table(database.registry.get("User"))
    with database.engine.connect() as connection:
        return connection.execute(
            sa.select(passwords.c.password_hash).join(users, users.c.id == passwords.c.user_id)
            .where(users.c.username == username)).scalar_one()


def test_passwords_are_stored_as_salted_scrypt_hashes(web_server):
    from clapboard_server import admin
    from clapboard_server.web import passwords

    database = web_server.server.database
    password = f"same password {uuid.uuid4().hex}"
    names = [f"hash-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        admin.add_user(database, name)
        passwords.set_password(database, name, password)
    stored = [_stored_hash(database, name) for name in names]
    for value in stored:
        assert password not in value and password.encode().hex() not in value
        scheme, cost, block_size, parallelism, salt, digest = value.split("$")
        assert (scheme, int(cost), int(block_size), int(parallelism)) == ("scrypt", 2 ** 15, 8, 1)
        assert (len(base64.b64decode(salt)), len(base64.b64decode(digest))) == (16, 32)
        assert passwords.verify_password(password, value)
        assert not passwords.verify_password(password + " ", value)
    assert stored[0].split("$")[4] != stored[1].split("$")[4]  # a salt of its own per user
    assert stored[0] != stored[1]


def test_the_session_cookie_is_httponly_and_samesite_strict(web_server, web_user):
    username, password = web_user("Viewer")
    (cookie,) = _session_cookie(_post_login(web_server, username, password))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # plain HTTP: a Secure cookie would never come back
    assert re.match(r"clapboard_session=[A-Za-z0-9_-]{43}$", cookie.split(";")[0])


def test_the_session_cookie_is_secure_behind_tls(web_server, web_user):
    """Behind a TLS-terminating proxy (``X-Forwarded-Proto: https``) both cookies are Secure."""
    username, password = web_user("Viewer")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": _address(),
               "Origin": web_server.server_url.replace("http:", "https:")}
    form = requests.get(f"{web_server.server_url}/login", headers=headers, timeout=30)
    (login_cookie,) = form.raw.headers.getlist("set-cookie")
    assert "secure" in [part.strip().lower() for part in login_cookie.split(";")]
    # requests keeps Secure cookies for https: send it as the browser would over TLS.
    headers["Cookie"] = login_cookie.split(";")[0]
    response = requests.post(f"{web_server.server_url}/login", headers=headers, allow_redirects=False, timeout=30,
                             data={"username": username, "password": password,
                                   "csrf_token": login_form_token(form), "next": "/"})
    (cookie,) = _session_cookie(response)
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_the_database_keeps_only_a_hash_of_the_session_token(web_server, web_user):
    from clapboard_server.web import tables

    username, password = web_user("Viewer")
    token = _session_cookie(_post_login(web_server, username, password))[0].split(";")[0].split("=", 1)[1]
    database = web_server.server.database
    sessions = database.tables[tables.SESSION_TABLE]
    with database.engine.connect() as connection:
        stored = [row.token_hash for row in connection.execute(sa.select(sessions.c.token_hash))]
    assert token not in stored and all(token not in value for value in stored)


def test_logout_ends_the_session(web_server, web_user, web_client):
    username, password = web_user("Viewer")
    client = web_client(username, password)
    cookie = client.cookies.get("clapboard_session")
    response = client.post(f"{web_server.server_url}/logout", data={"csrf_token": client.csrf_token},
                           allow_redirects=False, timeout=30)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "clapboard_session=" in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    replay = requests.get(f"{web_server.server_url}/", cookies={"clapboard_session": cookie},
                          allow_redirects=False, timeout=30)
    assert replay.status_code == 303 and replay.headers["location"] == "/login?next=%2F"


def _state_changing_routes(server):
    """(method, path) of every web route that is not GET or HEAD, path parameters filled in."""
    from clapboard_server import web
    from starlette.routing import Route

    found = []
    for route in web.routes(server):
        if isinstance(route, Route):
            for method in sorted(set(route.methods or ()) - {"GET", "HEAD"}):
                found.append((method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)))
    return found


def test_state_changing_requests_without_the_csrf_token_are_refused(web_server, web_user, web_client):
    client = web_client(*web_user("Administrator"))
    routes = _state_changing_routes(web_server.server)
    assert ("POST", "/logout") in routes and ("POST", "/login") in routes
    for method, path in routes:
        url = f"{web_server.server_url}{path}"
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
            response = client.request(method, url, data=data, allow_redirects=False, timeout=30)
            assert response.status_code == 403, (method, path, data, response.status_code)
            assert "try again" in response.text  # a page saying why
        response = client.request(method, url, headers={"X-CSRF-Token": client.csrf_token[:-1]},
                                  allow_redirects=False, timeout=30)
        assert response.status_code == 403, (method, path)
    # The session survived every refused logout.
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 200


def test_cross_site_requests_are_refused_even_with_the_token(web_server, web_user, web_client):
    username, password = web_user("Administrator")
    client = web_client(username, password)
    for method, path in _state_changing_routes(web_server.server):
        if path == "/login":
            continue
        url = f"{web_server.server_url}{path}"
        for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                        {"Origin": web_server.server_url.replace("127.0.0.1", "localhost")},
                        {"Origin": None, "Sec-Fetch-Site": "cross-site"}, {"Origin": None, "Sec-Fetch-Site": "same-site"},
                        {"Origin": None}):
            response = client.request(method, url, data={"csrf_token": client.csrf_token}, headers=headers,
                                      allow_redirects=False, timeout=30)
            assert response.status_code == 403, (method, path, headers, response.status_code)
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 200
    # The login form too: from another site, or without its token, it logs nobody in.
    assert _post_login(web_server, username, password, origin="http://evil.example").status_code == 403
    bare = requests.post(f"{web_server.server_url}/login", data={"username": username, "password": password},
                         headers={"Origin": web_server.server_url}, allow_redirects=False, timeout=30)
    assert bare.status_code == 403 and _session_cookie(bare) == []


def test_the_logout_form_works_without_origin_from_a_same_origin_fetch(web_server, web_user, web_client):
    client = web_client(*web_user("Viewer"))
    response = client.post(f"{web_server.server_url}/logout", data={"csrf_token": client.csrf_token},
                           headers={"Origin": None, "Sec-Fetch-Site": "same-origin"}, allow_redirects=False,
                           timeout=30)
    assert response.status_code == 303


def test_requests_without_a_session(web_server):
    page = requests.get(f"{web_server.server_url}/?page=2", allow_redirects=False, timeout=30)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F%3Fpage%3D2"
    post = requests.post(f"{web_server.server_url}/logout", headers={"Origin": web_server.server_url},
                         allow_redirects=False, timeout=30)
    assert post.status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_redirects_only_to_this_server(web_server, web_user, target):
    username, password = web_user("Viewer")
    client = requests.Session()
    client.headers["Origin"] = web_server.server_url
    token = login_form_token(client.get(f"{web_server.server_url}/login", params={"next": target}, timeout=30))
    response = client.post(f"{web_server.server_url}/login", allow_redirects=False, timeout=30,
                           data={"username": username, "password": password, "csrf_token": token, "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_api_keys_never_appear_in_a_page(web_server, web_user, web_client):
    from clapboard_server import admin

    username, password = web_user("Administrator")
    key = admin.reset_key(web_server.server.database, username)
    client = web_client(username, password)
    pages = [client.get(f"{web_server.server_url}{path}", timeout=30) for path in ("/", "/login", "/?page=1")]
    pages.append(requests.get(f"{web_server.server_url}/login", timeout=30))
    for response in pages:
        assert response.status_code == 200
        assert key not in response.text and web_server.api_key not in response.text
        assert "api_key" not in response.text.lower() and "api-key" not in response.text.lower()


def test_pages_carry_security_headers(web_server, web_user, web_client):
    client = web_client(*web_user("Viewer"))
    for response in (client.get(f"{web_server.server_url}/", timeout=30),
                     requests.get(f"{web_server.server_url}/login", timeout=30)):
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


def test_api_and_other_routes_are_unchanged(web_server, web_user, web_client):
    url = web_server.server_url
    headers = {"ftrack-user": web_server.api_user, "ftrack-api-key": web_server.api_key}
    answer = requests.post(f"{url}/api", json=[{"action": "query_server_information"}], headers=headers, timeout=30)
    assert answer.status_code == 200 and answer.json()[0]["product"] == "clapboard"
    wrong_method = requests.get(f"{url}/api", timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.json()["exception"] == "HTTPError"
    missing = requests.get(f"{url}/no-such-route", timeout=30)
    assert missing.status_code == 404 and missing.json()["exception"] == "NotFoundError"
    handshake = requests.get(f"{url}/socket.io/1/", timeout=30)
    assert handshake.status_code != 404
    # A web session is no credential for /api.
    client = web_client(*web_user("Administrator"))
    refused = client.post(f"{url}/api", json=[{"action": "query", "expression": "select id from Project"}],
                          headers={"ftrack-strict-api": "true"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["exception"] == "InvalidCredentialsError"


def test_the_projects_list_shows_only_projects_the_user_has_a_role_on(web_server, web_user, web_client,
                                                                      admin_session):
    schema = admin_session.query('ProjectSchema where name is "VFX Scheme"').one()
    other = f"web-{uuid.uuid4().hex[:8]}"
    admin_session.create("Project", {"name": other, "full_name": other, "project_schema": schema,
                                     "start_date": arrow.get("2027-03-01T09:30:00"),
                                     "end_date": arrow.get("2027-09-30T18:00:00")})
    admin_session.commit()
    pages = {role_projects: _every_page(web_client(*web_user(*role_projects)), f"{web_server.server_url}/")
             for role_projects in ((None,), ("Viewer", (other,)), ("Viewer", (DEMO_PROJECT,)), ("Administrator",))}
    link = '>{}</a>'.format
    assert link(other) not in pages[(None,)] and link(DEMO_PROJECT) not in pages[(None,)]
    assert "No projects to show" in pages[(None,)]
    assert link(other) in pages[("Viewer", (other,))] and link(DEMO_PROJECT) not in pages[("Viewer", (other,))]
    assert "<td>2027-03-01</td>" in pages[("Viewer", (other,))] and "<td>2027-09-30</td>" in pages[("Viewer", (other,))]
    assert link(DEMO_PROJECT) in pages[("Viewer", (DEMO_PROJECT,))] and link(other) not in pages[
        ("Viewer", (DEMO_PROJECT,))]
    assert link(other) in pages[("Administrator",)] and link(DEMO_PROJECT) in pages[("Administrator",)]


def _every_page(client, url: str) -> str:
    """The text of the projects list's pages, following its "Next page" links (other tests'
    projects may fill the first pages)."""
    texts = []
    while url:
        texts.append(client.get(url, timeout=30).text)
        following = re.search(r'<a href="([^"]+)" rel="next">', texts[-1])
        url = urljoin(url, html.unescape(following.group(1))) if following else None
    return "\n".join(texts)


@pytest.mark.in_process  # changes a setting of the server's code
def test_the_projects_list_pages_on_the_server(web_server, web_user, web_client, admin_session, monkeypatch):
    from clapboard_server.web.pages import projects

    monkeypatch.setattr(projects, "PAGE_SIZE", 2)
    schema = admin_session.query('ProjectSchema where name is "VFX Scheme"').one()
    prefix = f"pg-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{index}" for index in range(3)]
    for name in names:
        admin_session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    admin_session.commit()
    client = web_client(*web_user("Viewer", tuple(names)))
    first = client.get(f"{web_server.server_url}/", timeout=30).text
    second = client.get(f"{web_server.server_url}/?page=2", timeout=30).text
    assert [name for name in names if f">{name}</a>" in first] == names[:2]
    assert [name for name in names if f">{name}</a>" in second] == names[2:]
    assert 'href="/?page=2" rel="next"' in first and 'rel="next"' not in second
    assert 'href="/?page=1" rel="prev"' in second


def test_an_expired_session_no_longer_opens_pages(web_server, web_user, web_client):
    from clapboard_server.values import utc_now
    from clapboard_server.web import sessions, tables

    username, password = web_user("Viewer")
    client = web_client(username, password)
    token = client.cookies.get(sessions.COOKIE)
    database = web_server.server.database
    table = database.tables[tables.SESSION_TABLE]
    with database.transaction() as connection:
        row = connection.execute(sa.select(table.c.created_at, table.c.expires_at)
                                 .where(table.c.token_hash == sessions.hash_token(token))).one()
        assert row.expires_at - row.created_at == sessions.LIFETIME
        connection.execute(table.update().where(table.c.token_hash == sessions.hash_token(token))
                           .values(expires_at=utc_now()))
    response = client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2F"


def test_oversized_form_bodies_are_refused_unread(web_server, web_user, web_client):
    client = web_client(*web_user("Viewer"))
    too_large = b"csrf_token=" + b"x" * (web_server.server.limits.max_body_bytes + 1)
    for path in ("/logout", "/login"):
        response = client.post(f"{web_server.server_url}{path}", data=too_large, allow_redirects=False, timeout=60,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413, path
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 200


def test_deleting_a_user_deletes_their_password_and_sessions(web_server, web_user, web_client, admin_session):
    from clapboard_server.web import tables

    username, password = web_user("Viewer")
    client = web_client(username, password)
    user = admin_session.query(f'User where username is "{username}"').one()
    user_id = user["id"]
    admin_session.delete(user)
    admin_session.commit()
    database = web_server.server.database
    with database.engine.connect() as connection:
        for name in (tables.PASSWORD_TABLE, tables.SESSION_TABLE):
            table = database.tables[name]
            assert connection.execute(sa.select(sa.func.count()).where(table.c.user_id == user_id)).scalar() == 0
    assert client.get(f"{web_server.server_url}/", allow_redirects=False, timeout=30).status_code == 303


def test_what_the_login_page_shows_again_is_escaped(web_server):
    attack = '"><script>alert(1)</script>'
    form = requests.get(f"{web_server.server_url}/login", params={"next": f"/{attack}"}, timeout=30)
    assert form.status_code == 200 and "<script>" not in form.text
    assert 'value="/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in form.text
    refused = _post_login(web_server, attack, "wrong password")
    assert refused.status_code == 401 and "<script>" not in refused.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in refused.text
