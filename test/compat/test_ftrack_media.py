"""The documentation's media and review usage examples with the real ftrack client (3.1.0).

Each test runs a script of ``scripts/`` in the client's virtual environment. Media is made by the
test with the server's ffmpeg; what the script encoded or fetched is checked here, by decoding the
movies completely and opening the images (the client's environment has neither ffmpeg nor Pillow).
Invitations go to a local SMTP server (aiosmtpd) the test starts.
"""

import base64
import io
import json
import uuid

import pytest
import requests
from ftrack_harness import run_ftrack_script
from media_support import SmtpSink, make_clip, make_image, read_back
from PIL import Image

pytestmark = pytest.mark.backends("sqlite")


def result_of(process):
    """The JSON a script printed after ``RESULT``."""
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("compat-media") / "clip.mov")


def test_encoding_media(ftrack_python, server, clip, tmp_path):
    """"Encoding media": a path, a version's media, an existing component; a corrupt file fails."""
    corrupt = tmp_path / "corrupt.mov"
    corrupt.write_bytes(b"not a movie" * 300)
    result = result_of(run_ftrack_script(ftrack_python, server, "encoding_media", clip, corrupt))
    assert result["elapsed"] <= 15
    for name, codec, size in (("ftrackreview-mp4", "h264", (1920, 1080)), ("ftrackreview-webm", "vp8", (1280, 720))):
        path = tmp_path / name
        path.write_bytes(requests.get(result["urls"][name], timeout=60).content)
        played, meta = read_back(path), result["metas"][name]
        assert (played["codec"], played["width"], played["height"]) == (codec, *size)
        assert (meta["frameIn"], meta["frameOut"], meta["frameRate"]) == (0, 50, 25.0)
        assert (played["frames"], played["fps"]) == (meta["frameOut"], meta["frameRate"])
    thumbnail = Image.open(io.BytesIO(requests.get(result["urls"]["thumbnail"], timeout=60).content))
    assert thumbnail.format == "JPEG"


def test_publishing_for_web_review(ftrack_python, server, clip, tmp_path):
    """"Publishing for web review": ready-made review components with their ftr_meta."""
    run_ftrack_script(ftrack_python, server, "publishing_for_web_review", clip, make_image(tmp_path / "still.jpg"))


def test_working_with_thumbnails(ftrack_python, server, tmp_path):
    """"Working with thumbnails" and "Retrieving thumbnail URL"."""
    image = make_image(tmp_path / "image.png", size="640x360")
    result = result_of(run_ftrack_script(ftrack_python, server, "working_with_thumbnails", image))
    sizes = {key: Image.open(io.BytesIO(base64.b64decode(value))).size for key, value in result.items()}
    assert sizes["full"] == sizes["attribute"] == (640, 360)
    assert max(sizes["tiny"]) <= 10
    assert sizes["large"] == (500, 281)


@pytest.fixture(scope="module")
def mail_server(server_factory):
    """(server, sink): a server emailing through a local SMTP server."""
    with SmtpSink() as sink, server_factory("sqlite", smtp=sink.url) as handle:
        yield handle, sink


def test_using_review_sessions(ftrack_python, mail_server):
    """"Using review sessions": sessions, objects, invitees; invites emailed to a local SMTP server."""
    server, sink = mail_server
    before = len(sink.messages)
    run_ftrack_script(ftrack_python, server, "using_review_sessions", uuid.uuid4().hex[:8])
    assert [message["to"] for message in sink.messages[before:]] == [["john.doe@example.com"]] * 2
    assert sink.messages[-1]["message"]["Subject"] == "Review session: Weekly review"


def test_invite_user(ftrack_python, mail_server):
    """"Invite user": User.send_invite and Session.send_user_invites email the new user."""
    server, sink = mail_server
    before = len(sink.messages)
    user_email = f"artist-{uuid.uuid4().hex[:8]}@mail.vfx-company.com"
    run_ftrack_script(ftrack_python, server, "invite_user", user_email)
    assert [message["to"] for message in sink.messages[before:]] == [[user_email]] * 2
    assert user_email in sink.messages[-1]["message"].get_content()


def test_get_widget_url(ftrack_python, server):
    """Session.get_widget_url: signed pages for an entity; a changed URL is refused."""
    run_ftrack_script(ftrack_python, server, "get_widget_url")
