"""Media for the encoding tests, made and read back with the same ffmpeg the server uses.

imageio-ffmpeg ships no ffprobe, so :func:`read_back` parses ``ffmpeg -i`` and decodes every
frame to the null muxer: a file it reads completely is playable.
"""

import email
import email.policy
import re
import socket
import subprocess
import time

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(path, seconds=2, size="1920x1080", rate=25):
    """Write an H.264 test-pattern clip of *seconds* at *size* and *rate* to *path*."""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
         "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)],
        check=True, stdin=subprocess.DEVNULL,
    )
    return path


def make_image(path, size="64x32"):
    """Write a still test pattern of *size* to *path* (format from its extension)."""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=1",
         "-frames:v", "1", "-update", "1", str(path)],
        check=True, stdin=subprocess.DEVNULL,
    )
    return path


def read_back(path):
    """Return ``{codec, width, height, fps, frames}`` of *path*'s video, decoding all of it."""
    described = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], check=False, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL).stderr
    stream = re.search(r"Stream #\d+:\d+.*?: Video: (\w+).*?, (\d+)x(\d+)[^\n]*", described)
    assert stream, described
    fps = re.search(r", ([\d.]+) fps", stream.group(0))
    decoded = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                             check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert decoded.returncode == 0, decoded.stderr
    frames = re.findall(r"frame=\s*(\d+)", decoded.stderr)
    return {
        "codec": stream.group(1), "width": int(stream.group(2)), "height": int(stream.group(3)),
        "fps": float(fps.group(1)) if fps else None, "frames": int(frames[-1]) if frames else 0,
    }


def finished_job(fetch, timeout):
    """Poll *fetch()* (a Job as a dict or entity) until its status is done or failed; return it."""
    def state():
        job = fetch()
        return job if job["status"] in ("done", "failed") else None
    return wait_for(state, timeout)


def wait_for(predicate, timeout, interval=0.25):
    """Poll *predicate* until it returns a true value (returned) or *timeout* seconds pass (fail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"not done within {timeout} s"
        time.sleep(interval)


class SmtpSink:
    """A local SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=port)
        self.port = port

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}?from=review@studio.example"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"to": envelope.rcpt_tos, "from": envelope.mail_from, "message": message})
        return "250 Message accepted for delivery"

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc_info):
        self._controller.stop()
