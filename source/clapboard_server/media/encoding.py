"""What ``encode_media`` makes from a source, and the ffmpeg command that makes it.

A moving image becomes ``ftrackreview-mp4`` (H.264, at most 1920x1080), ``ftrackreview-webm`` (VP8,
at most 1280x720: the fallback for browsers without H.264, kept small because VP8 is the slowest
encoder here) and a ``thumbnail`` still; a picture becomes ``ftrackreview-image`` and a ``thumbnail``. All of one
source's outputs come from a single ffmpeg run, so the source is decoded once. The encoder settings
favour speed (x264 ``ultrafast``, VP8 in real-time mode), as review media is a preview.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ffmpeg import MediaInfo

#: File types treated as pictures when the job is planned (before ffmpeg has seen the file).
IMAGE_TYPES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".exr", ".bmp", ".tga", ".dpx", ".webp",
                         ".psd", ".hdr", ".sgi", ".jp2", ".qoi"})
#: Largest review movie, as ftrack's player expects.
MAX_VIDEO = (1920, 1080)
#: Largest WebM movie.
MAX_WEBM = (1280, 720)
#: Largest review still and thumbnail.
MAX_IMAGE = (4096, 4096)
MAX_THUMBNAIL = (1024, 1024)


@dataclass(frozen=True)
class Output:
    """One file an encode produces, and the component it becomes."""

    name: str
    format: str
    file_type: str

    def describe(self, component_id: str) -> dict[str, Any]:
        """The entry of the Job's ``data["output"]`` for this output."""
        return {"format": self.format, "component_id": component_id}


MP4 = Output("ftrackreview-mp4", "video/mp4", ".mp4")
WEBM = Output("ftrackreview-webm", "video/webm", ".webm")
IMAGE = Output("ftrackreview-image", "image/jpeg", ".jpg")
THUMBNAIL = Output("thumbnail", "image/jpeg", ".jpg")
OUTPUTS = {output.name: output for output in (MP4, WEBM, IMAGE, THUMBNAIL)}


def is_image(file_type: str | None, name: str | None = None) -> bool:
    """Whether a source of ``file_type`` is planned as a picture."""
    kind = (file_type or "").lower()
    if kind in IMAGE_TYPES:
        return True
    guessed = mimetypes.guess_type(f"source{kind}")[0] or ""
    return guessed.startswith("image/") and kind != ".gif"


def plan(file_type: str | None) -> list[Output]:
    """The outputs of a source of ``file_type``."""
    return [IMAGE, THUMBNAIL] if is_image(file_type) else [MP4, WEBM, THUMBNAIL]


def _fit(maximum: tuple[int, int]) -> str:
    """A scale filter shrinking (never enlarging) to fit ``maximum``, with even dimensions."""
    width, height = maximum
    return (f"scale='min({width},iw)':'min({height},ih)':force_original_aspect_ratio=decrease"
            ":force_divisible_by=2")


def ftr_meta(output: Output, info: MediaInfo) -> dict[str, Any]:
    """The ``ftr_meta`` metadata the web player reads for ``output``, as ``info`` describes it."""
    if output.format.startswith("video/"):
        return {"frameIn": 0, "frameOut": info.frames, "frameRate": info.frame_rate, "format": "video",
                "width": info.width, "height": info.height}
    return {"format": "image"}


def command(outputs: dict[Output, Path], source: Path, info: MediaInfo) -> list[str]:
    """ffmpeg arguments writing every output of ``outputs`` (output → file) from ``source``."""
    arguments = ["-y", "-i", str(source)]
    for output, path in outputs.items():
        if output is MP4:
            arguments += ["-map", "0:v:0", "-map", "0:a:0?", "-vf", _fit(MAX_VIDEO), "-c:v", "libx264",
                          "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac",
                          "-b:a", "160k", "-movflags", "+faststart"]
        elif output is WEBM:
            arguments += ["-map", "0:v:0", "-map", "0:a:0?", "-vf", _fit(MAX_WEBM), "-c:v", "libvpx",
                          "-deadline", "realtime", "-cpu-used", "16", "-lag-in-frames", "0", "-auto-alt-ref", "0",
                          "-b:v", "2M", "-threads", "2", "-pix_fmt", "yuv420p", "-c:a", "libvorbis"]
        elif output is IMAGE:
            arguments += ["-map", "0:v:0", "-frames:v", "1", "-vf", _fit(MAX_IMAGE), "-q:v", "2",
                          "-update", "1"]
        elif output is THUMBNAIL:
            middle = max(0, info.frames // 2)
            arguments += ["-map", "0:v:0", "-frames:v", "1",
                          "-vf", f"select='gte(n\\,{middle})',{_fit(MAX_THUMBNAIL)}", "-q:v", "3", "-update", "1"]
        arguments.append(str(path))
    return arguments
