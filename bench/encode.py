"""Media encoding: an ``encode_media`` Job end to end, against running its ffmpeg command directly.

Both encode the same generated clip (2 seconds at 1920x1080 by default) to the same outputs; the
anchor is the ffmpeg command the job builds, run by hand. The ratio is what the job adds: reading
the source, progress writes, storing and registering the components, and the polling client.

    python bench/encode.py [--seconds 2] [--size 1920x1080] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clapboard
from clapboard_server import embedded
from clapboard_server.media import encoding
from clapboard_server.media.ffmpeg import Ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test"))
from media_support import make_clip


def direct(ffmpeg: Ffmpeg, clip: Path, folder: Path) -> float:
    """Seconds the job's ffmpeg command takes on its own."""
    info = ffmpeg.probe(clip)
    outputs = {output: folder / f"{output.name}{output.file_type}" for output in encoding.plan(clip.suffix)}
    started = time.perf_counter()
    subprocess.run([ffmpeg.binary, "-hide_banner", "-loglevel", "error", *encoding.command(outputs, clip, info)],
                   check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def job(session: clapboard.Session, component: clapboard.entity.base.Entity) -> float:
    """Seconds from ``encode_media`` to the Job being done, polling every 100 ms."""
    started = time.perf_counter()
    job_id = session.encode_media(component)["id"]
    while True:
        found = session.query(f'select status, data from Job where id is "{job_id}"').one()
        if found["status"] == "done":
            return time.perf_counter() - started
        if found["status"] == "failed":
            raise RuntimeError(json.loads(found["data"])["error"])
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, embedded.start() as server:
        folder = Path(folder)
        clip = make_clip(folder / "clip.mov", seconds=arguments.seconds, size=arguments.size)
        session = clapboard.Session(server.server_url, server.api_key, server.api_user, schema_cache_path=False)
        location = session.get("Location", clapboard.symbol.SERVER_LOCATION_ID)
        component = session.create_component(str(clip), location=location)
        ffmpeg = Ffmpeg()
        anchors, jobs = [], []
        for _ in range(arguments.repeat):  # interleaved, so machine load affects both alike
            anchors.append(direct(ffmpeg, clip, folder))
            jobs.append(job(session, component))
        anchor, measured = statistics.median(anchors), statistics.median(jobs)
        print(f"clip: {arguments.seconds} s at {arguments.size}, median of {arguments.repeat}")
        print(f"ffmpeg command alone (anchor): {anchor:6.2f} s")
        print(f"encode_media job, end to end:  {measured:6.2f} s  ({measured / anchor:.2f}x the anchor)")


if __name__ == "__main__":
    main()
