"""The pure parts behind media and review: token signing, SMTP settings, output plans, sizes."""

import pytest
from clapboard_server.errors import ValidationError
from clapboard_server.mail import Mailer, SmtpSettings
from clapboard_server.media import encoding
from clapboard_server.media.ffmpeg import MediaError, MediaInfo, find_ffmpeg
from clapboard_server.media.thumbnails import parse_size
from clapboard_server.signing import InvalidTokenError, Signer


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_a_token_carries_its_claims_until_it_expires():
    clock = Clock()
    signer = Signer(b"k" * 32, clock)
    token = signer.sign("widget", {"user": "u1", "id": "abc"}, ttl=360)
    assert signer.verify("widget", token)["user"] == "u1"
    clock.now += 361
    with pytest.raises(InvalidTokenError, match="expired"):
        signer.verify("widget", token)


@pytest.mark.parametrize("change", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
    lambda token: ("A" if token[0] != "A" else "B") + token[1:],
    lambda token: token.split(".")[0],
    lambda token: "",
    lambda token: "é." + token.split(".")[1],
])
def test_a_changed_token_is_refused(change):
    signer = Signer(b"k" * 32)
    token = signer.sign("widget", {"user": "u1"}, ttl=60)
    with pytest.raises(InvalidTokenError):
        signer.verify("widget", change(token))


def test_a_token_works_only_for_its_purpose_and_secret():
    token = Signer(b"k" * 32).sign("widget", {}, ttl=60)
    with pytest.raises(InvalidTokenError):
        Signer(b"k" * 32).verify("component", token)
    with pytest.raises(InvalidTokenError):
        Signer(b"j" * 32).verify("widget", token)


def test_smtp_urls():
    settings = SmtpSettings.from_url("smtps://user%40x:p%3Ass@mail.example.com?from=review@studio.example")
    assert (settings.host, settings.port, settings.tls, settings.starttls) == ("mail.example.com", 465, True, False)
    assert (settings.username, settings.password, settings.sender) == ("user@x", "p:ss", "review@studio.example")
    plain = SmtpSettings.from_url("smtp://127.0.0.1:2525?starttls=true")
    assert (plain.port, plain.starttls, plain.sender) == (2525, True, "clapboard@localhost")
    with pytest.raises(ValidationError):
        SmtpSettings.from_url("http://mail.example.com")
    assert Mailer(None).send("a@b.c", "subject", "body") is False


def test_the_plan_follows_the_file_type():
    assert encoding.plan(".mov") == [encoding.MP4, encoding.WEBM, encoding.THUMBNAIL]
    assert encoding.plan(".MP4") == [encoding.MP4, encoding.WEBM, encoding.THUMBNAIL]
    for still in (".jpg", ".PNG", ".exr", ".tif"):
        assert encoding.plan(still) == [encoding.IMAGE, encoding.THUMBNAIL]
    assert encoding.plan(None) == [encoding.MP4, encoding.WEBM, encoding.THUMBNAIL]


def test_ftr_meta_of_movies_and_pictures():
    info = MediaInfo("h264", 1920, 1080, 24.0, 48, 2.0, False)
    assert encoding.ftr_meta(encoding.MP4, info) == {
        "frameIn": 0, "frameOut": 48, "frameRate": 24.0, "format": "video", "width": 1920, "height": 1080}
    assert encoding.ftr_meta(encoding.THUMBNAIL, info) == {"format": "image"}
    assert MediaInfo("png", 64, 64, 25.0, 1, 0.04, False).is_still
    assert not info.is_still


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("10", 10), ("4096", 4096)])
def test_thumbnail_sizes(value, expected):
    assert parse_size(value) == expected


def test_a_configured_ffmpeg_wins(monkeypatch):
    monkeypatch.setenv("CLAPBOARD_FFMPEG", "/opt/ffmpeg/bin/ffmpeg")
    assert find_ffmpeg() == "/opt/ffmpeg/bin/ffmpeg"
    assert find_ffmpeg("/usr/local/bin/ffmpeg") == "/usr/local/bin/ffmpeg"


def test_a_missing_ffmpeg_is_a_media_error(tmp_path):
    from clapboard_server.media.ffmpeg import Ffmpeg

    with pytest.raises(MediaError, match="Cannot run ffmpeg"):
        Ffmpeg(tmp_path / "no-ffmpeg").probe(tmp_path / "clip.mov")
