"""Running ffmpeg: finding the binary, reading what a file holds, and transcoding with progress.

The binary is the one configured (``ffmpeg=`` of the server, or :envvar:`CLAPBOARD_FFMPEG`), else the
one shipped in the ``imageio-ffmpeg`` wheel. That build has no ffprobe, so :meth:`Ffmpeg.probe`
remuxes the first video stream to the null muxer (no decoding) and reads the stream description
and the exact frame count from ffmpeg's report.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Environment variable naming the ffmpeg binary to use.
FFMPEG_VARIABLE = "CLAPBOARD_FFMPEG"

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+).*?, (\d+)x(\d+)")
_FPS = re.compile(r"([\d.]+) fps")
_FRAME = re.compile(r"frame=\s*(\d+)")
#: Codecs that hold one picture rather than a moving image.
STILL_CODECS = frozenset({"mjpeg", "png", "bmp", "tiff", "webp", "gif", "exr", "dpx", "targa", "sgi", "jpeg2000",
                          "pgm", "ppm", "pam", "qoi", "hdr"})


class MediaError(Exception):
    """ffmpeg could not read or write a file; the message says why in plain words."""


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds (its first video stream)."""

    codec: str
    width: int
    height: int
    frame_rate: float
    frames: int
    duration: float
    has_audio: bool

    @property
    def is_still(self) -> bool:
        """Whether this is a single picture (an image file, or a one-frame image stream)."""
        return self.codec in STILL_CODECS and self.frames <= 1


def find_ffmpeg(configured: str | os.PathLike | None = None) -> str:
    """The ffmpeg binary: ``configured``, else :envvar:`CLAPBOARD_FFMPEG`, else imageio-ffmpeg's."""
    path = configured or os.environ.get(FFMPEG_VARIABLE)
    if path:
        return str(path)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise MediaError(
            "No ffmpeg is available: install the server extra (imageio-ffmpeg) or set CLAPBOARD_FFMPEG."
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def _reason(stderr: str) -> str:
    """The most telling line of ffmpeg's error output."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if "At least one output file" not in line]
    for line in reversed(lines):
        if "Invalid data" in line or "No such file" in line or "not found" in line:
            return re.sub(r"^\[[^\]]*\]\s*", "", line)
    return re.sub(r"^\[[^\]]*\]\s*", "", lines[-1]) if lines else "ffmpeg gave no reason"


class Ffmpeg:
    """One ffmpeg binary, and the processes it runs (so that they can be stopped)."""

    def __init__(self, binary: str | os.PathLike | None = None) -> None:
        self._configured = binary
        self._binary: str | None = None
        self._processes: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def binary(self) -> str:
        if self._binary is None:
            self._binary = find_ffmpeg(self._configured)
        return self._binary

    def _start(self, arguments: Sequence[str], **options) -> subprocess.Popen:
        with self._lock:
            if self._stopped:
                raise MediaError("The server is stopping; encoding was cancelled.")
            try:
                process = subprocess.Popen(
                    [self.binary, "-hide_banner", "-nostdin", *arguments], stdin=subprocess.DEVNULL,
                    stderr=subprocess.PIPE, text=True, errors="replace", **options,
                )
            except OSError as error:
                raise MediaError(f"Cannot run ffmpeg ({self.binary}): {error.strerror}.") from None
            self._processes.add(process)
        return process

    def _finish(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    def run(self, arguments: Sequence[str], timeout: float | None = None) -> str:
        """Run ffmpeg with ``arguments``; return its error output (where it reports)."""
        process = self._start(arguments, stdout=subprocess.DEVNULL)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise MediaError(f"ffmpeg did not finish within {timeout} s.") from None
        finally:
            self._finish(process)
        self._check_stopped()
        return stderr

    def transcode(self, arguments: Sequence[str], duration: float,
                  on_progress: Callable[[float], None] | None = None) -> None:
        """Run an encoding command, calling ``on_progress(fraction)`` as output time advances.

        Raise :class:`MediaError` with ffmpeg's reason when it fails.
        """
        process = self._start(["-progress", "pipe:1", "-nostats", *arguments], stdout=subprocess.PIPE)
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
        reader.start()
        try:
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit() and duration > 0 and on_progress is not None:
                    on_progress(min(1.0, int(value) / 1e6 / duration))
            process.wait()
        finally:
            reader.join()
            self._finish(process)
        if process.returncode != 0:
            self._check_stopped()
            raise MediaError(f"ffmpeg failed to encode the media: {_reason(''.join(errors))}.")

    def _check_stopped(self) -> None:
        if self._stopped:
            raise MediaError("The server stopped while encoding; encoding was cancelled.")

    def probe(self, path: Path) -> MediaInfo:
        """Describe ``path``; :class:`MediaError` when ffmpeg finds no picture in it.

        One ffmpeg run remuxes the first video stream to the null muxer: its report holds the
        stream description and the exact frame count, without decoding.
        """
        stderr = self.run(["-i", str(path), "-map", "0:v:0?", "-c", "copy", "-f", "null", "-"], timeout=120)
        video = _VIDEO.search(stderr)
        if video is None:
            if "Input #0" in stderr:
                raise MediaError("The media has no video stream or picture to encode.")
            raise MediaError(f"The media could not be read: {_reason(stderr)}.")
        codec, width, height = video.group(1), int(video.group(2)), int(video.group(3))
        line = stderr[video.start():].splitlines()[0]
        fps_match = _FPS.search(line)
        frame_rate = float(fps_match.group(1)) if fps_match else 25.0
        duration_match = _DURATION.search(stderr)
        duration = 0.0
        if duration_match:
            hours, minutes, seconds = duration_match.groups()
            duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        has_audio = re.search(r"Stream #\d+:\d+.*?: Audio:", stderr) is not None
        counted = _FRAME.findall(stderr)
        frames = int(counted[-1]) if counted else 0
        if frames < 1:
            raise MediaError(f"The media holds no readable frames: {_reason(stderr)}.")
        return MediaInfo(codec, width, height, round(frame_rate, 3), frames, duration, has_audio)

    def stop(self) -> None:
        """Kill running processes and refuse new ones."""
        with self._lock:
            self._stopped = True
            processes = list(self._processes)
        for process in processes:
            process.kill()
