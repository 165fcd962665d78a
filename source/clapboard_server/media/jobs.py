"""Encoding jobs: a worker pool that turns a queued ``encode_media`` Job into review components.

The ``encode_media`` action creates the Job (``queued``, its ``data`` naming the output components
to come) and hands its id to :meth:`EncodeJobs.submit` once the request's transaction commits. A
worker then marks it ``running``, encodes with one ffmpeg run, moves the files into the server
storage and, in one transaction, creates the components (with their ``ftr_meta`` metadata and
``ftrack.server`` registration), links them to the Job and the version, and marks the Job ``done``.
Any failure marks the Job ``failed`` with the reason in ``data["error"]`` and removes every file
the job wrote. Each change is published as ``ftrack.update`` and as a :data:`EVENT_TOPIC` event.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import NotFoundError
from ..values import utc_now
from ..writes import Writer
from . import encoding
from .ffmpeg import Ffmpeg, MediaError, MediaInfo

if TYPE_CHECKING:
    from ..server import Server

log = logging.getLogger(__name__)

#: Job ``type`` of encoding jobs.
JOB_TYPE = "encode_media"
#: Topic of the events reporting an encoding job's status and progress.
EVENT_TOPIC = "clapboard.encode_media"
SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"
#: Folder of the data folder where encodes are written before they are stored.
WORK_FOLDER = "encoding"
#: Least time between two progress writes of one job, in seconds.
PROGRESS_INTERVAL = 1.0


def default_workers() -> int:
    """One encoder per two cores (ffmpeg itself uses several threads), at least one."""
    return max(1, (os.cpu_count() or 1) // 2)


class EncodeJobs:
    """Runs encoding jobs of one server in a pool of worker threads."""

    def __init__(self, server: Server, ffmpeg: Ffmpeg, workers: int | None = None) -> None:
        self.server = server
        self.ffmpeg = ffmpeg
        self._pool = ThreadPoolExecutor(max_workers=workers or default_workers(),
                                        thread_name_prefix="clapboard-encode")
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def work_dir(self) -> Path:
        return self.server.data_dir / WORK_FOLDER

    def submit(self, job_id: str) -> None:
        """Encode the queued Job ``job_id`` in the background."""
        with self._lock:
            if self._closed:
                return
            self._active.add(job_id)
            self._pool.submit(self._run, job_id)

    def finish_or_fail_abandoned(self) -> None:
        """Settle the encoding Jobs a stopped process left queued or running: finished when their
        outputs were committed (only the discarded source's file was left to remove), else failed.

        Only safe when no other process encodes for this database: the server calls it on SQLite,
        whose data folder one process holds at a time.
        """
        database = self.server.database
        jobs = database.catalog.table(database.registry.get("Job"))
        components = database.catalog.table(database.registry.get("Component"))
        with database.engine.connect() as connection:
            abandoned = connection.execute(sa.select(jobs.c.id, jobs.c.data).where(
                jobs.c.type == JOB_TYPE, jobs.c.status.in_(("queued", "running")))).all()
            outputs = {job_id: [entry["component_id"] for entry in _data({"data": data}).get("output", [])]
                       for job_id, data in abandoned}
            registered = set(connection.execute(sa.select(components.c.id).where(
                components.c.id.in_([i for ids in outputs.values() for i in ids]))).scalars())
        for job_id, data in abandoned:
            shutil.rmtree(self.work_dir / job_id, ignore_errors=True)
            if _data({"data": data}).get("progress") == 1.0 and outputs[job_id] and \
                    all(component_id in registered for component_id in outputs[job_id]):
                job = self._load(job_id)  # its outputs were committed: only the last step is left
                if job is not None:
                    self.finish(job, _data(job))
                continue
            for component_id in outputs[job_id]:
                if component_id not in registered:  # stored by the dead process, never registered
                    self.server.storage.files.remove(component_id)
            self._fail(job_id, "The server stopped before the encoding finished.")

    def close(self) -> None:
        """Stop encoding: running ffmpeg processes are killed and their Jobs marked failed."""
        with self._lock:
            self._closed = True
        self.ffmpeg.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for job_id in list(self._active):
            self._fail(job_id, "The server stopped before the encoding finished.")

    # -- one job ----------------------------------------------------------------------------------

    def _run(self, job_id: str) -> None:
        try:
            job = self._load(job_id)
            if job is None or job["status"] != "queued":
                return
            EncodeRun(self, job).execute()
        except Exception as error:  # the Job records why; nothing escapes the worker
            if not isinstance(error, MediaError):
                log.exception("Encoding job %s failed", job_id)
            self._fail(job_id, str(error) if isinstance(error, MediaError) else f"Encoding failed: {error}")
        finally:
            with self._lock:
                self._active.discard(job_id)

    def _load(self, job_id: str) -> dict[str, Any] | None:
        database = self.server.database
        jobs = database.catalog.table(database.registry.get("Job"))
        with database.engine.connect() as connection:
            row = connection.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return dict(row) if row is not None else None

    def write(self, user_id: str | None, change: Callable[[Writer], Any]) -> Any:
        """Run ``change(writer)`` in one transaction; publish what it changed."""
        database = self.server.database
        with database.transaction() as connection:
            writer = Writer(database.catalog, connection, user_id)
            result = change(writer)
            writer.finish()
        if writer.changes:
            self.server.after_commit(writer.changes, user_id)
        return result

    def update_job(self, job: dict[str, Any], data: dict[str, Any], **values: Any) -> None:
        """Store the Job's ``data`` and other ``values``; publish its state."""
        job["data"] = json.dumps(data)
        job.update(values)
        self.write(job.get("user_id"), lambda writer: writer.update("Job", [job["id"]], {"data": job["data"], **values}))
        event = {"job_id": job["id"], "status": job["status"], "progress": data.get("progress", 0.0)}
        if "error" in data:
            event["error"] = data["error"]
        self.server.events.publish({"topic": EVENT_TOPIC, "data": event})

    def finish(self, job: dict[str, Any], data: dict[str, Any]) -> None:
        """Mark ``job`` done once its outputs are registered: the discarded source's file is
        removed first, so a Job reported done has nothing left to clean up."""
        if data.get("discarded_resource"):
            self.server.storage.files.remove(data["discarded_resource"])
        job.update(status="done")
        self.write(job.get("user_id"),
                   lambda writer: writer.update("Job", [job["id"]], {"status": "done", "finished_at": utc_now()}))
        self.server.events.publish({"topic": EVENT_TOPIC, "data": {
            "job_id": job["id"], "status": "done", "progress": 1.0, "output": data.get("output", [])}})

    def _fail(self, job_id: str, reason: str) -> None:
        try:
            job = self._load(job_id)
            if job is None or job["status"] in ("done", "failed"):
                return
            data = _data(job)
            data.update(error=reason, description=f"Encoding failed: {reason}", output=[])
            self.update_job(job, data, status="failed", finished_at=utc_now())
        except Exception:
            log.exception("Could not mark encoding job %s failed (%s)", job_id, reason)


def _data(job: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(job.get("data") or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


class EncodeRun:
    """The encoding of one Job, from its queued record to its components."""

    def __init__(self, jobs: EncodeJobs, job: dict[str, Any]) -> None:
        self.jobs = jobs
        self.job = job
        self.data = _data(job)
        self.files = jobs.server.storage.files
        self.stored: list[str] = []
        self._source_resource_id: str | None = None
        self._last_progress = 0.0

    def execute(self) -> None:
        work = self.jobs.work_dir / self.job["id"]
        local = contextlib.ExitStack()  # the source as a local file, for ffmpeg
        try:
            self.data["progress"] = 0.0
            self.jobs.update_job(self.job, self.data, status="running")
            try:
                source = local.enter_context(self.files.local_path(self._source_resource()))
            except NotFoundError:
                raise MediaError("The source component has no data in the ftrack.server location.") from None
            info = self.jobs.ffmpeg.probe(source)
            outputs = self._outputs(info)
            work.mkdir(parents=True, exist_ok=True)
            paths = {output: work / f"{component_id}{output.file_type}" for output, component_id in outputs}
            self.jobs.ffmpeg.transcode(encoding.command(paths, source, info), info.duration, self._progress)
            metas = {}
            for output, component_id in outputs:
                path = paths[output]
                if not path.is_file() or path.stat().st_size == 0:
                    raise MediaError(f"ffmpeg wrote no {output.name} output.")
                written = self.jobs.ffmpeg.probe(path) if output.format.startswith("video/") else info
                metas[component_id] = encoding.ftr_meta(output, written)
            sizes = {}
            for output, component_id in outputs:
                sizes[component_id] = self.files.adopt(component_id, paths[output], output.format)
                self.stored.append(component_id)
            self.jobs.write(self.job.get("user_id"), lambda writer: self._register(writer, outputs, sizes, metas))
        except BaseException:
            for component_id in self.stored:
                self.files.remove(component_id)
            raise
        finally:
            local.close()
            shutil.rmtree(work, ignore_errors=True)
        self.jobs.finish(self.job, self.data)

    def _source_resource(self) -> str:
        """The storage key of the source component in ``ftrack.server``."""
        source_id = self.data.get("source_component_id")
        database = self.jobs.server.database
        locations = database.catalog.table(database.registry.get("ComponentLocation"))
        with database.engine.connect() as connection:
            resource = connection.execute(
                sa.select(locations.c.resource_identifier).where(
                    locations.c.component_id == source_id, locations.c.location_id == SERVER_LOCATION_ID)
            ).scalar()
        if resource is None:
            raise MediaError("The source component is no longer in the ftrack.server location.")
        self._source_resource_id = resource
        return resource

    def _outputs(self, info: MediaInfo) -> list[tuple[encoding.Output, str]]:
        """The planned outputs, as (output, component id); a single picture cannot become a movie."""
        planned = [(encoding.OUTPUTS[entry["name"]], entry["component_id"]) for entry in self.data.get("output", [])]
        names = {output.name for output, _ in planned}
        if info.is_still and encoding.MP4.name in names:
            raise MediaError("The source is a single picture; encode it as an image (for example a .jpg or .png).")
        return planned

    def _progress(self, fraction: float) -> None:
        """Record progress at most every :data:`PROGRESS_INTERVAL` seconds (completion is recorded once, at the end)."""
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self.data["progress"] = round(fraction, 3)
        self.jobs.update_job(self.job, self.data)

    def _register(self, writer: Writer, outputs: list[tuple[encoding.Output, str]], sizes: dict[str, int],
                  metas: dict[str, dict[str, Any]]) -> None:
        version_id = self.data.get("version_id")
        for output, component_id in outputs:
            component = {"id": component_id, "name": output.name, "file_type": output.file_type,
                         "size": sizes[component_id]}
            if version_id:
                component["version_id"] = version_id
            writer.create("FileComponent", component)
            writer.create("ComponentLocation", {"component_id": component_id, "location_id": SERVER_LOCATION_ID,
                                                "resource_identifier": component_id})
            writer.create("Metadata", {"parent_id": component_id, "parent_type": "FileComponent", "key": "ftr_meta",
                                       "value": json.dumps(metas[component_id])})
            writer.create("JobComponent", {"job_id": self.job["id"], "component_id": component_id})
            if output is encoding.THUMBNAIL and version_id:
                writer.update("AssetVersion", [version_id], {"thumbnail_id": component_id})
        if not self.data.get("keep_original", True):
            writer.delete("FileComponent", [self.data["source_component_id"]])
            self.data["discarded_resource"] = self._source_resource_id  # removed by finish()
        self.data["progress"] = 1.0
        self.job.update(data=json.dumps(self.data))
        writer.update("Job", [self.job["id"]], {"data": self.job["data"]})
