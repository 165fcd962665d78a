"""Storage hardening: signed single-use uploads bound to size and MD5, download tokens instead of
API keys in links, one credential pair per request, safe download headers, a private data folder."""

import base64
import hashlib
import os
import socket
import stat
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from clapboard_server import admin, embedded, settings
from server_api import Api, create, ref
from storage_support import on_s3, stored_data

pytestmark = pytest.mark.storages("disk", "s3")
TIMEOUT = 30


def md5_of(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def stored_path(server, component_id):
    return server.data_dir / "files" / component_id[:2] / component_id


def metadata(api, data, file_name="main.bin", component_id=None, **options):
    operation = {"action": "get_upload_metadata", "component_id": component_id or str(uuid.uuid4()),
                 "file_name": file_name, "file_size": len(data), "checksum": md5_of(data)}
    operation.update(options)
    return api.call(operation)[0]


def upload(api, data, **options):
    answer = metadata(api, data, **options)
    response = requests.put(answer["url"], data=data, headers=answer["headers"], timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return answer["component_id"]


def download(server, component_id, route="get", allow_redirects=True, **params):
    params = params or {"username": server.api_user, "apiKey": server.api_key}
    return requests.get(f"{server.server_url}/component/{route}", params={"id": component_id, **params},
                        timeout=TIMEOUT, allow_redirects=allow_redirects)


def served_as(server, component_id, route="get"):
    """(content type, content disposition or None) a download of *component_id* is served with.

    On S3 the server redirects, with its safe headers, to a presigned URL asking the store to
    answer with that type and disposition (``response-content-*``; AWS honours them, moto not).
    """
    response = download(server, component_id, route, allow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    if not on_s3(server):
        assert response.status_code == 200
        return response.headers["content-type"], response.headers.get("content-disposition")
    assert response.status_code == 307 and response.headers["cache-control"] == "no-store"
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert requests.get(response.headers["location"], timeout=TIMEOUT).status_code == 200
    return query["response-content-type"][0], query.get("response-content-disposition", [None])[0]


@pytest.mark.parametrize(("file_name", "content_type", "inline"), [
    ("page.html", "text/html", False),
    ("drawing.svg", "image/svg+xml", False),
    ("notes.txt", "text/plain", False),
    ("plate.png", "image/png", True),
    ("review.mp4", "video/mp4", True),
])
def test_stored_files_are_served_safely(server, api, file_name, content_type, inline):
    component_id = upload(api, b"<script>alert(document.cookie)</script>", file_name=file_name)
    for route in ("get", "thumbnail"):
        served_type, disposition = served_as(server, component_id, route)
        assert served_type.startswith(content_type)
        assert disposition == (None if inline else "attachment")


@pytest.mark.storages("disk")  # S3 refuses a Content-Type its presigned URL was not signed for
def test_a_malformed_stored_content_type_is_served_as_octet_stream(server, api):
    answer = metadata(api, b"data")
    headers = dict(answer["headers"], **{"Content-Type": "text/html; x=\"<b>\""})
    assert requests.put(answer["url"], data=b"data", headers=headers, timeout=TIMEOUT).status_code == 200
    assert served_as(server, answer["component_id"]) == ("application/octet-stream", "attachment")


# -- one credential pair ------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["get", "thumbnail", "remove"])
def test_several_credential_pairs_are_refused_without_trying_them(server, api, route):
    component_id = upload(api, b"secret data")
    guesses = "&".join(f"username=u{i}&apiKey={uuid.uuid4()}" for i in range(400))  # a ~20 KB URL
    url = (f"{server.server_url}/component/{route}?id={component_id}&{guesses}"
           f"&username={server.api_user}&apiKey={server.api_key}")
    response = requests.get(url, timeout=TIMEOUT)  # trying pairs would find the valid last one
    assert response.status_code == 400
    assert response.json()["exception"] == "ValidationError"
    assert "given 401 times" in response.json()["content"]
    assert stored_data(server, component_id) is not None


def test_one_pair_is_accepted_encoded_or_verbatim(server, api):
    component_id = upload(api, b"data")
    verbatim = f"{server.server_url}/component/get?id={component_id}&username={server.api_user}&apiKey={server.api_key}"
    assert requests.get(verbatim, timeout=TIMEOUT).content == b"data"
    assert download(server, component_id).content == b"data"


# -- download links with tokens -----------------------------------------------------------------


@pytest.fixture
def thumbnail_link(server, api, project_schema):
    """(component id, link) of a project's thumbnail as a query answers it."""
    component_id = upload(api, b"thumbnail bytes", file_name="thumb.png")
    api.call(create("FileComponent", id=component_id, name="thumbnail", file_type=".png", size=15))
    project = create("Project", name=f"p-{uuid.uuid4().hex[:8]}", full_name="links",
                     project_schema=ref(project_schema), thumbnail_id=component_id)
    api.call(project)
    link = api.one(f"select thumbnail_url from Project where id is {project['entity_data']['id']}")["thumbnail_url"]
    return component_id, link["url"]


def test_links_in_query_results_carry_a_token_not_the_api_key(server, thumbnail_link):
    component_id, link = thumbnail_link
    query = parse_qs(urlsplit(link).query)
    assert set(query) == {"id", "token"} and query["id"] == [component_id]
    assert server.api_key not in link
    response = requests.get(server.server_url + link, timeout=TIMEOUT)  # no key needed
    assert response.status_code == 200 and response.content == b"thumbnail bytes"
    get_link = link.replace("/component/thumbnail?", "/component/get?")
    assert requests.get(server.server_url + get_link, timeout=TIMEOUT).content == b"thumbnail bytes"


def test_a_download_token_does_not_allow_removal(server, thumbnail_link):
    component_id, link = thumbnail_link
    remove = link.replace("/component/thumbnail?", "/component/remove?")
    response = requests.get(server.server_url + remove, timeout=TIMEOUT)
    assert response.status_code == 401
    assert stored_data(server, component_id) is not None


def test_forged_reused_elsewhere_or_expired_download_tokens_are_refused(server, api, thumbnail_link):
    component_id, link = thumbnail_link
    token = parse_qs(urlsplit(link).query)["token"][0]
    other = upload(api, b"other data")
    tokens = server.server.storage.tokens
    admin_id = api.one(f'select id from User where username is "{server.api_user}"')["id"]
    expired = tokens.sign_download(component_id, admin_id, expires=time.time() - 1)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for target, bad in ((component_id, forged), (other, token), (component_id, expired),
                        (component_id, "garbage")):
        response = download(server, target, token=bad)
        assert response.status_code == 403, (target, bad)
        assert response.json()["exception"] == "PermissionError"


def test_a_download_token_dies_with_its_user(server):
    name = f"viewer-{uuid.uuid4().hex[:8]}"
    admin.add_user(server.server.database, name)
    component_id = upload(Api(server), b"data")
    user_id = Api(server).one(f'select id from User where username is "{name}"')["id"]
    token = server.server.storage.tokens.sign_download(component_id, user_id)
    assert download(server, component_id, token=token).status_code == 200
    admin.set_active(server.server.database, name, False)
    response = download(server, component_id, token=token)
    assert response.status_code == 401 and response.json()["exception"] == "InvalidCredentialsError"


# -- uploads ------------------------------------------------------------------------------------


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_an_upload_url_can_be_used_once(server, api):
    answer = metadata(api, b"first")
    assert requests.put(answer["url"], data=b"first", headers=answer["headers"], timeout=TIMEOUT).status_code == 200
    again = requests.put(answer["url"], data=b"first", headers=answer["headers"], timeout=TIMEOUT)
    assert again.status_code == 403 and "already used" in again.json()["content"]
    assert stored_data(server, answer["component_id"]) == b"first"


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_each_upload_url_is_new_even_for_the_same_file_in_the_same_second(server, api):
    component_id = str(uuid.uuid4())
    first, second = (metadata(api, b"same", component_id=component_id) for _ in range(2))
    assert first["url"] != second["url"]
    assert requests.put(first["url"], data=b"same", headers=first["headers"], timeout=TIMEOUT).status_code == 200
    assert requests.put(second["url"], data=b"same", headers=second["headers"], timeout=TIMEOUT).status_code == 200


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_a_failed_upload_leaves_its_url_usable(server, api):
    answer = metadata(api, b"right")
    wrong = requests.put(answer["url"], data=b"wrong", headers=answer["headers"], timeout=TIMEOUT)
    assert wrong.status_code == 400 and "checksum" in wrong.json()["content"]
    assert requests.put(answer["url"], data=b"right", headers=answer["headers"], timeout=TIMEOUT).status_code == 200


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_the_signed_size_and_checksum_bind_the_upload(server, api):
    existing = upload(api, b"kept")
    answer = metadata(api, b"12345", component_id=existing)
    declared_more = requests.put(answer["url"], data=b"1234567890", headers={"Content-Length": "10"}, timeout=TIMEOUT)
    assert declared_more.status_code == 400 and "issued for" in declared_more.json()["content"]
    other_md5 = requests.put(answer["url"], data=b"12345", headers={"Content-MD5": md5_of(b"54321")}, timeout=TIMEOUT)
    assert other_md5.status_code == 400 and "checksum its URL was issued for" in other_md5.json()["content"]
    unsigned_header_md5 = requests.put(answer["url"], data=b"54321", timeout=TIMEOUT)  # size right, digest wrong
    assert unsigned_header_md5.status_code == 400
    assert stored_data(server, existing) == b"kept"


def _chunked_put(url, first_chunk):
    """Send a chunked PUT whose body is not finished; return the response status line."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as connection:
        connection.sendall(
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n".encode()
            + f"{len(first_chunk):x}\r\n".encode() + first_chunk + b"\r\n"
        )
        return connection.recv(65536).split(b"\r\n", 1)[0]  # answered before the body ends


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_a_chunked_body_longer_than_signed_is_refused_while_streaming(server, api):
    answer = metadata(api, b"x" * 5)
    status = _chunked_put(answer["url"], b"y" * 300_000)
    assert b" 400 " in status
    assert stored_data(server, answer["component_id"]) is None


# -- the secret and the data folder -------------------------------------------------------------


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_the_storage_secret_is_shared_through_the_database(server, api, tmp_path):
    assert not (server.data_dir / "storage-secret").exists()
    assert settings.get(server.server.database, "secret.storage")
    with embedded.start(data_dir=tmp_path, database=server.server.database.url) as other:
        answer = metadata(api, b"across processes")  # signed by the first server
        url = answer["url"].replace(server.server_url, other.server_url)
        assert requests.put(url, data=b"across processes", headers=answer["headers"], timeout=TIMEOUT).status_code == 200
        again = answer["url"]  # and used once for both
        assert requests.put(again, data=b"across processes", headers=answer["headers"], timeout=TIMEOUT).status_code == 403


def _modes(server, data_dir):
    """(component id, folder modes, {file name: mode}) after an upload to ``server``."""
    component_id = upload(Api(server), b"private", file_name="plate.png")
    folders = [data_dir, data_dir / "files", stored_path(server, component_id).parent]
    folder_modes = {oct(stat.S_IMODE(path.stat().st_mode)) for path in folders}
    file_modes = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in data_dir.rglob("*") if path.is_file()}
    return component_id, folder_modes, file_modes


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_the_data_folder_is_private_whatever_the_umask(tmp_path, backend, umask):
    previous = os.umask(umask)
    try:
        data_dir = tmp_path / "new" / "data"
        with embedded.start(data_dir=data_dir) as server:
            component_id, folder_modes, file_modes = _modes(server, data_dir)
    finally:
        os.umask(previous)
    assert set(file_modes) >= {"clapboard.db", "clapboard.db-wal", "clapboard.db-shm", "admin-api-key",
                               component_id, f"{component_id}.json"}
    assert folder_modes == {oct(0o700)}
    assert file_modes == dict.fromkeys(file_modes, oct(0o600))


@pytest.mark.backends("postgresql")
def test_the_data_folder_is_private_with_postgresql_too(server_factory, backend):
    previous = os.umask(0)
    try:
        with server_factory(backend) as server:
            component_id, folder_modes, file_modes = _modes(server, server.data_dir)
    finally:
        os.umask(previous)
    assert set(file_modes) >= {"admin-api-key", component_id, f"{component_id}.json"}
    assert not any(name.startswith("clapboard.db") for name in file_modes)
    assert folder_modes == {oct(0o700)}
    assert file_modes == dict.fromkeys(file_modes, oct(0o600))


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_an_upload_url_dies_with_the_user_it_was_issued_to(server):
    name = f"uploader-{uuid.uuid4().hex[:8]}"
    key = admin.add_user(server.server.database, name, [admin.RoleGrant("User")])  # may upload anywhere
    answer = metadata(Api(server, name, key), b"late upload")
    admin.set_active(server.server.database, name, False)
    response = requests.put(answer["url"], data=b"late upload", headers=answer["headers"], timeout=TIMEOUT)
    assert response.status_code == 401 and response.json()["exception"] == "InvalidCredentialsError"
    assert stored_data(server, answer["component_id"]) is None


@pytest.mark.storages("disk")  # the server's upload URLs (S3: test_storage_s3.py)
def test_upload_tokens_name_their_user_and_reject_tampering(server, api):
    answer = metadata(api, b"data")
    token = parse_qs(urlsplit(answer["url"]).query)["token"][0]
    expiry, size, digest, nonce, rest = token.split(".", 4)
    user_id, _, signature = rest.rpartition(".")
    assert size == "4" and digest == hashlib.md5(b"data").hexdigest() and len(nonce) >= 12
    assert user_id == api.one(f'select id from User where username is "{server.api_user}"')["id"]
    for forged in (f"{expiry}.{size}.{digest}.{nonce}.someone-else.{signature}",
                   f"{expiry}.99.{digest}.{nonce}.{user_id}.{signature}",
                   f"{expiry}..{digest}.{nonce}.{user_id}.{signature}",
                   f"{expiry}.{size}..{nonce}.{user_id}.{signature}",
                   f"{expiry}.{size}.{digest}.other-nonce.{user_id}.{signature}",
                   f"{expiry}.{size}.{digest}.{user_id}.{signature}"):
        url = answer["url"].replace(token, forged)
        response = requests.put(url, data=b"data", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
        assert response.status_code == 403, forged
    assert stored_data(server, answer["component_id"]) is None
