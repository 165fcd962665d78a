"""S3 storage beyond the shared storage tests: multipart uploads, the server's own upload route into
the bucket, redirects only after the credentials, configuration errors, and several servers on one
database and one bucket. Against the moto S3 server the suite starts on 127.0.0.1."""

import base64
import hashlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from clapboard_server import embedded
from clapboard_server.storage.s3 import MIN_PART_SIZE, StorageConfigurationError, parse_url
from security_world import make_user
from server_api import Api
from storage_support import leftovers, stored_data

pytestmark = pytest.mark.storages("s3")
SOURCE = str(Path(__file__).resolve().parents[2] / "source")
TIMEOUT = 60
#: Over two parts of S3's smallest part size: three parts, the last a short one.
LARGE = os.urandom(2 * MIN_PART_SIZE + 1_000_003)


def md5_of(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def parts_of(data, size):
    return [data[start:start + size] for start in range(0, len(data), size)]


def multipart_metadata(api, data, part_size=MIN_PART_SIZE, checksums=True, component_id=None):
    operation = {"action": "get_upload_metadata", "component_id": component_id or str(uuid.uuid4()),
                 "file_name": "plate.exr", "file_size": len(data), "checksum": md5_of(data),
                 "parts": -(-len(data) // part_size), "part_size": part_size}
    if checksums:
        operation["part_checksums"] = [md5_of(part) for part in parts_of(data, part_size)]
    return api.call(operation)[0]


def put_parts(answer, chunks):
    """PUT each chunk to its part URL; return the parts for complete_multipart_upload."""
    parts = []
    for entry, chunk in zip(answer["urls"], chunks):
        headers = dict(entry["headers"], **{"Content-Length": str(len(chunk))})
        response = requests.put(entry["signed_url"], data=chunk, headers=headers, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        parts.append({"part_number": entry["part_number"], "e_tag": response.headers["ETag"].strip('"')})
    return parts


def complete(api, answer, parts):
    return {"action": "complete_multipart_upload", "component_id": answer["component_id"],
            "upload_id": answer["upload_id"], "parts": parts}


def download(server, component_id, user=None, **options):
    """GET the component's data from *server* as the admin of *user* (default: *server*)."""
    user = user or server
    return requests.get(f"{server.server_url}/component/get", timeout=TIMEOUT, **options,
                        params={"id": component_id, "username": user.api_user, "apiKey": user.api_key})


def test_a_file_over_the_part_size_is_uploaded_in_parts(server, api):
    answer = multipart_metadata(api, LARGE)
    assert answer["part_size"] == MIN_PART_SIZE and "url" not in answer
    assert [entry["part_number"] for entry in answer["urls"]] == [1, 2, 3]
    assert [entry["headers"]["Content-Length"] for entry in answer["urls"]] == [
        str(MIN_PART_SIZE), str(MIN_PART_SIZE), "1000003"]
    for entry in answer["urls"]:  # each part's URL is bound to its size and MD5
        assert "content-length%3Bcontent-md5" in entry["signed_url"] or \
            "content-length;content-md5" in requests.utils.unquote(entry["signed_url"])
    assert stored_data(server, answer["component_id"]) is None  # nothing visible before completion
    parts = put_parts(answer, parts_of(LARGE, MIN_PART_SIZE))
    result = api.call(complete(api, answer, parts))[0]
    assert result["component_id"] == answer["component_id"] and result["size"] == len(LARGE)
    assert result["url"].startswith(f"/component/get?id={answer['component_id']}&token=")
    response = download(server, answer["component_id"])
    assert response.status_code == 200 and hashlib.md5(response.content).digest() == hashlib.md5(LARGE).digest()


def test_a_multipart_upload_of_another_size_is_refused_and_removed(server, api):
    answer = multipart_metadata(api, LARGE, checksums=False)
    chunks = parts_of(LARGE, MIN_PART_SIZE)
    parts = put_parts(answer, [*chunks[:2], chunks[2][:-3]])  # a store that does not check Content-Length
    error = api.error(complete(api, answer, parts))
    assert error["exception"] == "ValidationError" and "not the" in error["content"]
    assert leftovers(server, answer["component_id"]) == []
    assert download(server, answer["component_id"]).status_code == 404


@pytest.mark.parametrize(("options", "message"), [
    ({"part_size": 1024}, "part_size must be at least"),
    ({"part_checksums": ["AAAAAAAAAAAAAAAAAAAAAA=="]}, "part_checksums must list"),
    ({"file_size": None}, "needs file_size"),
    ({"parts": "many"}, "parts must be a byte count"),
])
def test_bad_multipart_requests_are_refused(api, options, message):
    operation = {"action": "get_upload_metadata", "component_id": str(uuid.uuid4()), "file_name": "a.bin",
                 "file_size": len(LARGE), "checksum": None, "parts": 3, "part_size": MIN_PART_SIZE}
    operation.update(options)
    error = api.error(operation)
    assert error["exception"] == "ValidationError" and message in error["content"], error


def test_a_file_of_one_part_gets_a_single_upload_url(server, api):
    answer = multipart_metadata(api, b"small", part_size=MIN_PART_SIZE)
    assert "urls" not in answer and answer["url"].startswith(server.server.storage_options["endpoint_url"])


def test_an_aborted_multipart_upload_leaves_nothing(server, api):
    answer = multipart_metadata(api, LARGE)
    put_parts(answer, parts_of(LARGE, MIN_PART_SIZE)[:1])
    assert leftovers(server, answer["component_id"])  # the unfinished upload
    api.call({"action": "abort_multipart_upload", "component_id": answer["component_id"],
              "upload_id": answer["upload_id"]})
    assert leftovers(server, answer["component_id"]) == []
    error = api.error(complete(api, answer, [{"part_number": 1, "e_tag": "x"}]))
    assert error["exception"] == "ValidationError"


def test_only_a_user_who_may_upload_completes_or_aborts_a_multipart_upload(server, api):
    answer = multipart_metadata(api, LARGE)
    parts = put_parts(answer, parts_of(LARGE, MIN_PART_SIZE))
    _, stranger, _ = make_user(server, api, name="stranger")  # no role on any project
    abort = {"action": "abort_multipart_upload", "component_id": answer["component_id"],
             "upload_id": answer["upload_id"]}
    for operation in (complete(api, answer, parts), abort):
        assert stranger.error(operation)["exception"] == "PermissionError"
    assert leftovers(server, answer["component_id"])  # the upload is still there, unfinished
    assert api.call(complete(api, answer, parts))[0]["size"] == len(LARGE)


def test_completing_with_malformed_parts_is_refused(api):
    answer = multipart_metadata(api, LARGE)
    for parts in ([], [{"part_number": "1", "e_tag": "x"}], "all"):
        assert api.error(complete(api, answer, parts))["exception"] == "ValidationError"


@pytest.mark.storages("disk")
def test_a_disk_server_answers_a_multipart_request_with_one_url(server, api):
    answer = multipart_metadata(api, LARGE)
    assert "urls" not in answer and urlsplit(answer["url"]).path == "/component/put"
    error = api.error(complete(api, {"component_id": answer["component_id"], "upload_id": "u"}, []))
    assert error["exception"] == "ValidationError" and "on disk" in error["content"]


def test_the_servers_own_upload_route_stores_into_the_bucket(server, api):
    """Uploads through the server (signed server URLs) are verified, then stored in the bucket."""
    component_id = str(uuid.uuid4())
    user_id = api.one(f'select id from User where username is "{server.api_user}"')["id"]
    storage = server.server.storage
    url = storage.upload_url(server.server_url, component_id, user_id, 7, hashlib.md5(b"through").digest())
    wrong = requests.put(url, data=b"THROUGH", timeout=TIMEOUT)
    assert wrong.status_code == 400 and leftovers(server, component_id) == []
    assert requests.put(url, data=b"through", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT).status_code == 200
    assert requests.put(url, data=b"through", timeout=TIMEOUT).status_code == 403  # used once
    assert stored_data(server, component_id) == b"through"
    assert storage.files.stat(component_id).content_type == "text/plain"


def test_downloads_redirect_only_after_the_credentials_are_checked(server, api):
    answer = api.call({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()), "file_name": "a.png",
                       "file_size": 4, "checksum": md5_of(b"data")})[0]
    requests.put(answer["url"], data=b"data", headers=answer["headers"], timeout=TIMEOUT).raise_for_status()
    refused = requests.get(f"{server.server_url}/component/get", params={"id": answer["component_id"]},
                           allow_redirects=False, timeout=TIMEOUT)
    assert refused.status_code == 401 and "location" not in refused.headers
    redirect = download(server, answer["component_id"], allow_redirects=False)
    assert redirect.status_code == 307
    target = urlsplit(redirect.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == server.server.storage_options["endpoint_url"]
    assert server.api_key not in redirect.headers["location"]
    missing = download(server, str(uuid.uuid4()), allow_redirects=False)
    assert missing.status_code == 404 and missing.json()["exception"] == "NotFoundError"


@pytest.mark.backends("postgresql")
def test_servers_sharing_a_database_and_a_bucket_serve_each_others_files(backend, database_url, s3_storage,
                                                                         tmp_path):
    """Two hosts (data folders) on one PostgreSQL database and one bucket: nothing lives in a folder."""
    files = s3_storage()
    with embedded.start(data_dir=tmp_path / "a", database=database_url, **files) as first, \
            embedded.start(data_dir=tmp_path / "b", database=database_url, **files) as second:
        api = Api(first)
        answer = multipart_metadata(api, LARGE)
        parts = put_parts(answer, parts_of(LARGE, MIN_PART_SIZE))
        api.call(complete(api, answer, parts))
        small = api.call({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                          "file_name": "a.txt", "file_size": 5, "checksum": md5_of(b"small")})[0]
        requests.put(small["url"], data=b"small", headers=small["headers"], timeout=TIMEOUT).raise_for_status()
        assert second.api_key is None  # the admin's key stays with the first host: use it on the second
        assert download(second, answer["component_id"], first).content == LARGE
        assert download(second, small["component_id"], first).content == b"small"
        removed = requests.get(f"{second.server_url}/component/remove", timeout=TIMEOUT, params={
            "id": small["component_id"], "username": first.api_user, "apiKey": first.api_key})
        assert removed.json()["removed"] is True
        assert download(first, small["component_id"]).status_code == 404
    assert not any((tmp_path / name / "files").exists() for name in ("a", "b"))


def test_storage_urls_are_parsed():
    assert parse_url("s3://bucket") == ("bucket", "")
    assert parse_url("s3://bucket/studio/files/") == ("bucket", "studio/files/")
    for bad in ("bucket", "https://bucket/x", "s3:///x", "s3://bucket?x=1"):
        with pytest.raises(StorageConfigurationError, match="s3://BUCKET"):
            parse_url(bad)


def test_an_unusable_bucket_stops_the_server_with_a_clear_message(s3_storage, tmp_path):
    files = s3_storage()
    with pytest.raises(StorageConfigurationError, match="s3://no-such-bucket cannot be used"):
        embedded.start(data_dir=tmp_path, storage="s3://no-such-bucket", storage_options=files["storage_options"])
    with pytest.raises(StorageConfigurationError, match="Unknown storage"):
        embedded.start(data_dir=tmp_path, storage="ftp://files")


def test_the_cli_takes_the_storage_and_its_endpoint(s3_storage, tmp_path):
    """``clapboard server --storage s3://...``: region and credentials from the AWS environment variables."""
    files = s3_storage()
    options = files["storage_options"]
    environment = dict(os.environ, AWS_ACCESS_KEY_ID=options["aws_access_key_id"],
                       AWS_SECRET_ACCESS_KEY=options["aws_secret_access_key"], AWS_DEFAULT_REGION="us-east-1",
                       PYTHONPATH=os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "clapboard", "server", "--data-dir", str(tmp_path), "--port", "0",
               "--storage-endpoint-url", options["endpoint_url"], "--storage"]
    failed = subprocess.run([*command, "s3://no-such-bucket"], check=False, capture_output=True, text=True,
                            env=environment, timeout=TIMEOUT)
    assert failed.returncode == 1 and "s3://no-such-bucket cannot be used" in failed.stderr
    process = subprocess.Popen([*command, files["storage"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=environment)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        output = "".join(lines)
        assert f"files:       {files['storage']}" in output, output
        url = output.split("listening on ")[1].split()[0]
        admin = SimpleNamespace(server_url=url, api_user="admin",
                                api_key=(tmp_path / "admin-api-key").read_text().strip())
        answer = Api(admin).call({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                                  "file_name": "a.txt", "file_size": 2, "checksum": md5_of(b"ok")})[0]
        assert answer["url"].startswith(options["endpoint_url"])
        requests.put(answer["url"], data=b"ok", headers=answer["headers"], timeout=TIMEOUT).raise_for_status()
        assert download(admin, answer["component_id"]).content == b"ok"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.backends("postgresql")
def test_worker_processes_share_the_bucket(backend, database_url, s3_storage, tmp_path, monkeypatch):
    """``clapboard server --workers 2 --storage s3://...``: whichever worker a request lands on."""
    from server_process import ServerProcess

    files = s3_storage()
    options = files["storage_options"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", options["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", options["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", options["endpoint_url"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = ServerProcess(tmp_path / "data", database=database_url,
                           arguments=("--workers", "2", "--storage", files["storage"]))
    try:
        assert f"files:       {files['storage']}" in server.output
        api = Api(server)
        uploaded = {}
        for index in range(6):  # fresh connections: the kernel spreads them over the workers
            api.http.close()
            data = f"file {index}".encode() * 1000
            answer = api.call({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                               "file_name": "f.bin", "file_size": len(data), "checksum": md5_of(data)})[0]
            requests.put(answer["url"], data=data, headers=answer["headers"], timeout=TIMEOUT).raise_for_status()
            uploaded[answer["component_id"]] = data
        for component_id, data in uploaded.items():
            assert download(server, component_id).content == data  # a new connection each time
    finally:
        assert server.stop() == 0
    assert not (tmp_path / "data" / "files").exists()


def test_presigned_urls_name_the_public_endpoint(s3_storage, tmp_path):
    """Servers may reach the store under another name than clients (``public_endpoint_url``)."""
    files = s3_storage()
    public = files["storage_options"]["endpoint_url"].replace("127.0.0.1", "localhost")
    files["storage_options"]["public_endpoint_url"] = public
    with embedded.start(data_dir=tmp_path, **files) as server:
        api = Api(server)
        answer = api.call({"action": "get_upload_metadata", "component_id": str(uuid.uuid4()),
                           "file_name": "a.txt", "file_size": 6, "checksum": md5_of(b"public")})[0]
        assert answer["url"].startswith(public + "/")
        requests.put(answer["url"], data=b"public", headers=answer["headers"], timeout=TIMEOUT).raise_for_status()
        parts = multipart_metadata(api, LARGE)
        assert all(entry["signed_url"].startswith(public + "/") for entry in parts["urls"])
        redirect = download(server, answer["component_id"], allow_redirects=False)
        assert redirect.headers["location"].startswith(public + "/")
        assert download(server, answer["component_id"]).content == b"public"
