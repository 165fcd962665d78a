"""File storage: upload and download throughput of the ``ftrack.server`` location, S3 against disk.

Two embedded servers in one run: one keeping files in its data folder (the anchor), one in a
bucket of a local moto S3 server. clapboard's :class:`~clapboard.accessor.server.ServerAccessor`
uploads and downloads the same files to each, small ones (many requests) and one large one
(in parts on S3). Figures are MB/s and the S3/disk ratio. moto is an in-process Python server,
so the S3 figures say nothing about a real object store; they show the overhead of the extra
request (``get_upload_metadata`` answering a presigned URL, the download redirect).

    python bench/storage.py [--small 50] [--small-size 65536] [--large-mb 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

import boto3
import clapboard
from clapboard.accessor.server import ServerAccessor
from clapboard_server import embedded
from moto.server import ThreadedMotoServer

BUCKET = "clapboard-bench"
PART_SIZE = 8 * 1024 * 1024


@contextlib.contextmanager
def s3_storage() -> Iterator[dict]:
    """``storage`` and ``storage_options`` of a bucket on a moto server for the benchmark's duration."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    options = {"endpoint_url": f"http://{host}:{port}", "region_name": "us-east-1",
               "aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}
    boto3.client("s3", **options).create_bucket(Bucket=BUCKET)
    try:
        yield {"storage": f"s3://{BUCKET}/bench", "storage_options": options}
    finally:
        moto.stop()


def best(operation: Callable[[], None], repeat: int) -> float:
    """Best wall time of *repeat* runs of *operation*, in seconds."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - started)
    return min(timings)


def measure(server: embedded.EmbeddedServer, payloads: dict[str, list[bytes]], repeat: int) -> dict[str, float]:
    """MB/s of uploads and downloads of each kind of payload through *server*."""
    rates = {}
    with clapboard.Session(server_url=server.server_url, api_user=server.api_user, api_key=server.api_key,
                           auto_connect_event_hub=False, plugin_paths=[]) as session:
        accessor = ServerAccessor(session, progress=False, part_size=PART_SIZE)
        for kind, blobs in payloads.items():
            total = sum(len(blob) for blob in blobs) / 1e6
            ids: list[str] = []

            def upload(ids: list[str] = ids, blobs: list[bytes] = blobs) -> None:
                ids[:] = [str(uuid.uuid4()) for _ in blobs]  # new components: an upload URL is single-use
                for component_id, blob in zip(ids, blobs):
                    target = accessor.open(component_id, "wb")
                    target.write(blob)
                    target.close()

            def download(ids: list[str] = ids) -> None:
                for component_id in ids:
                    accessor.open(component_id, "rb").close()

            accessor._file_name = lambda resource_identifier: f"{resource_identifier}.bin"  # no component rows
            rates[f"{kind} upload"] = total / best(upload, repeat)
            rates[f"{kind} download"] = total / best(download, repeat)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=50, help="number of small files")
    parser.add_argument("--small-size", type=int, default=64 * 1024, help="bytes per small file")
    parser.add_argument("--large-mb", type=int, default=24, help="size of the large file in MB")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    payloads = {
        f"{arguments.small} x {arguments.small_size // 1024} KB": [os.urandom(arguments.small_size)
                                                                   for _ in range(arguments.small)],
        f"1 x {arguments.large_mb} MB": [os.urandom(arguments.large_mb * 1024 * 1024)],
    }
    with tempfile.TemporaryDirectory() as folder:
        with embedded.start(data_dir=os.path.join(folder, "disk")) as disk:
            anchor = measure(disk, payloads, arguments.repeat)
        with s3_storage() as files, embedded.start(data_dir=os.path.join(folder, "s3"), **files) as s3:
            rates = measure(s3, payloads, arguments.repeat)
    print(f"{'transfer':<28}{'disk MB/s':>12}{'S3 (moto) MB/s':>16}{'S3/disk':>10}")
    for name, rate in anchor.items():
        print(f"{name:<28}{rate:>12.1f}{rates[name]:>16.1f}{rates[name] / rate:>10.2f}")


if __name__ == "__main__":
    main()
