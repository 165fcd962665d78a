"""File storage of the ``ftrack.server`` location: signed uploads, downloads, thumbnails, removal.

Raw HTTP against the embedded server, as the ftrack client does it (wire protocol 4.12 and 9).
"""

import asyncio
import base64
import hashlib
import socket
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from clapboard_server.errors import ValidationError
from clapboard_server.storage.files import FileStore


def md5_of(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


@pytest.fixture
def metadata(api):
    """``metadata(data, component_id=None)``: the get_upload_metadata answer for *data*."""

    def get(data, component_id=None, file_name="main.png", checksum=True):
        component_id = component_id or str(uuid.uuid4())
        result = api.call({
            "action": "get_upload_metadata", "component_id": component_id, "file_name": file_name,
            "file_size": len(data), "checksum": md5_of(data) if checksum else None,
        })[0]
        assert result["component_id"] == component_id
        return result

    return get


def credentials(server, **extra):
    return {"username": server.api_user, "apiKey": server.api_key, **extra}


def stored_path(server, component_id):
    return server.data_dir / "files" / component_id[:2] / component_id


def leftovers(server, component_id):
    """Files (complete or temporary) stored for *component_id*."""
    folder = stored_path(server, component_id).parent
    return [path for path in folder.glob("*") if component_id in path.name] if folder.exists() else []


def upload(metadata, data, **options):
    """Upload *data* through a fresh signed URL; return the component id."""
    answer = metadata(data, **options)
    response = requests.put(answer["url"], data=data, headers=answer["headers"], timeout=30)
    assert response.status_code == 200, response.text
    return answer["component_id"]


def test_upload_metadata_shape(server, metadata):
    data = b"\x89PNG fake image"
    answer = metadata(data)
    assert answer["headers"] == {"Content-Type": "image/png", "Content-Length": str(len(data)),
                                 "Content-MD5": md5_of(data)}
    url = urlsplit(answer["url"])
    assert f"{url.scheme}://{url.netloc}" == server.server_url
    assert url.path == "/component/put"
    query = parse_qs(url.query)
    assert query["id"] == [answer["component_id"]]
    expiry, _, signature = query["token"][0].partition(".")
    assert int(expiry) > time.time() + 60 and signature


def test_upload_metadata_without_checksum(metadata):
    answer = metadata(b"abc", file_name="notes.unknownext", checksum=False)
    assert answer["headers"] == {"Content-Type": "application/octet-stream", "Content-Length": "3"}


def test_upload_metadata_rejects_a_bad_component_id(api):
    error = api.error({"action": "get_upload_metadata", "component_id": "../../etc/passwd",
                       "file_name": "x", "file_size": 1, "checksum": None})
    assert error["exception"] == "ValidationError"


def test_round_trip(server, metadata):
    data = bytes(range(256)) * 5000  # 1.28 MB: several chunks
    component_id = upload(metadata, data)
    response = requests.get(f"{server.server_url}/component/get",
                            params=credentials(server, id=component_id), timeout=30)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"] == "image/png"
    assert stored_path(server, component_id).read_bytes() == data


def test_empty_file_round_trip(server, metadata):
    component_id = upload(metadata, b"")
    response = requests.get(f"{server.server_url}/component/get",
                            params=credentials(server, id=component_id), timeout=30)
    assert response.status_code == 200 and response.content == b""


def test_credentials_may_be_unencoded(server, metadata):
    """Location.get_url() formats the query string without URL-encoding."""
    component_id = upload(metadata, b"plain")
    url = (f"{server.server_url}/component/get?id={component_id}"
           f"&username={server.api_user}&apiKey={server.api_key}")
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.content == b"plain"


def test_thumbnail_returns_the_stored_bytes(server, metadata):
    component_id = upload(metadata, b"thumbnail bytes")
    response = requests.get(f"{server.server_url}/component/thumbnail",
                            params=credentials(server, id=component_id, size=300), timeout=30)
    assert response.status_code == 200
    assert response.content == b"thumbnail bytes"
    assert response.headers["Content-Type"] == "image/png"


def test_upload_replaces_earlier_data(server, metadata):
    component_id = upload(metadata, b"first version")
    upload(metadata, b"second", component_id=component_id)
    assert stored_path(server, component_id).read_bytes() == b"second"


def test_bad_token_is_refused(server, metadata):
    answer = metadata(b"data")
    url = answer["url"]
    expiry, _, signature = parse_qs(urlsplit(url).query)["token"][0].partition(".")
    forged = url.replace(signature, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"))
    other = url.replace(answer["component_id"], str(uuid.uuid4()))
    longer = url.replace(f"token={expiry}.", f"token={int(expiry) + 3600}.")
    missing = url.split("&token=")[0]
    for bad in (forged, other, longer, missing):
        response = requests.put(bad, data=b"data", headers=answer["headers"], timeout=30)
        assert response.status_code == 403, (bad, response.text)
        assert response.json()["exception"] == "PermissionError"
    assert not stored_path(server, answer["component_id"]).exists()


def test_expired_token_is_refused(server):
    component_id = str(uuid.uuid4())
    token = server.server.storage.tokens.sign_upload(component_id, "a-user", expires=time.time() - 1)
    response = requests.put(f"{server.server_url}/component/put?id={component_id}&token={token}",
                            data=b"late", timeout=30)
    assert response.status_code == 403
    assert "expired" in response.json()["content"]
    assert not stored_path(server, component_id).exists()


def test_checksum_mismatch_stores_nothing(server, metadata):
    answer = metadata(b"the real data")
    component_id = answer["component_id"]
    headers = dict(answer["headers"], **{"Content-Length": "13"})
    response = requests.put(answer["url"], data=b"not the data!", headers=headers, timeout=30)
    assert response.status_code == 400
    assert response.json()["exception"] == "ValidationError"
    assert leftovers(server, component_id) == []


def test_malformed_checksum_is_refused(server, metadata):
    answer = metadata(b"data", checksum=False)
    response = requests.put(answer["url"], data=b"data", headers={"Content-MD5": "not base64!"}, timeout=30)
    assert response.status_code == 400
    assert not stored_path(server, answer["component_id"]).exists()


async def _chunks(*chunks):
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize("chunks", [(b"01234",), (b"01234", b"56789", b"!")])
def test_content_length_is_enforced(tmp_path, chunks):
    """Data shorter or longer than the declared Content-Length is refused and not stored."""
    store = FileStore(tmp_path)
    with pytest.raises(ValidationError, match="Content-Length"):
        asyncio.run(store.write("abcd", _chunks(*chunks), expected_size=10))
    assert list(tmp_path.rglob("*")) == [tmp_path / "ab"]


def test_interrupted_upload_stores_nothing(server, metadata):
    answer = metadata(b"0123456789", checksum=False)
    url = urlsplit(answer["url"])
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 10\r\n\r\n01234".encode()
        )
        connection.shutdown(socket.SHUT_WR)
        connection.recv(65536)
    deadline = time.monotonic() + 10
    while leftovers(server, answer["component_id"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(server, answer["component_id"]) == []


def test_missing_file_is_404(server):
    for route in ("get", "thumbnail"):
        response = requests.get(f"{server.server_url}/component/{route}",
                                params=credentials(server, id=str(uuid.uuid4())), timeout=30)
        assert response.status_code == 404
        assert response.json()["exception"] == "NotFoundError"


@pytest.mark.parametrize("route", ["get", "thumbnail", "remove"])
def test_wrong_credentials_are_refused(server, metadata, route):
    component_id = upload(metadata, b"secret")
    for params in ({"id": component_id, "username": server.api_user, "apiKey": str(uuid.uuid4())},
                   {"id": component_id, "username": "nobody", "apiKey": server.api_key},
                   {"id": component_id}):
        response = requests.get(f"{server.server_url}/component/{route}", params=params, timeout=30)
        assert response.status_code == 401, (route, params)
        assert response.json()["exception"] == "InvalidCredentialsError"
        assert b"secret" not in response.content
    assert stored_path(server, component_id).exists()


def test_remove(server, metadata):
    component_id = upload(metadata, b"to be removed")
    response = requests.get(f"{server.server_url}/component/remove",
                            params=credentials(server, id=component_id), timeout=30)
    assert response.status_code == 200
    assert response.json() == {"component_id": component_id, "removed": True}
    assert not stored_path(server, component_id).exists()
    response = requests.get(f"{server.server_url}/component/get",
                            params=credentials(server, id=component_id), timeout=30)
    assert response.status_code == 404
    again = requests.get(f"{server.server_url}/component/remove",
                         params=credentials(server, id=component_id), timeout=30)
    assert again.status_code == 200 and again.json()["removed"] is False
