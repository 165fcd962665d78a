"""The "Encoding media" usage example with the real ftrack client.

Arguments: a movie to encode and a corrupt one. Encodes the movie from a path, again for an asset
version, and as an existing component added to ftrack.server; waits for each Job; the corrupt file's
Job must fail with a reason. Prints ``RESULT <json>`` naming the outputs for the calling test,
which downloads and decodes them.
"""

import json
import sys
import time
import uuid

import ftrack_api
import ftrack_api.symbol

ENCODE_SECONDS = 15
#: Bound for the jobs that are not timed (a loaded machine must not fail them).
PATIENCE = 180


def wait(job_id, timeout=PATIENCE):
    """Return the finished Job *job_id* as seen by a new session."""
    deadline = time.monotonic() + timeout
    with ftrack_api.Session(auto_connect_event_hub=False) as fresh:
        while True:
            job = fresh.query(f'select status, data from Job where id is "{job_id}"').one()
            if job["status"] in ("done", "failed"):
                return job
            assert time.monotonic() < deadline, f"job {job_id} not finished within {timeout} s: {job['status']} {job['data']}"
            time.sleep(0.25)


def main(movie, corrupt):
    session = ftrack_api.Session(auto_connect_event_hub=False)
    started = time.monotonic()
    job = session.encode_media(movie)
    job_data = json.loads(job["data"])
    print("Source component id", job_data["source_component_id"])
    print("Keeping original component", job_data["keep_original"])
    for output in job_data["output"]:
        print("Output component - id: {}, format: {}".format(output["component_id"], output["format"]))
    assert job_data["keep_original"] is False
    assert [output["format"] for output in job_data["output"]] == ["video/mp4", "video/webm", "image/jpeg"]
    done = wait(job["id"], ENCODE_SECONDS)
    elapsed = time.monotonic() - started
    assert done["status"] == "done", done["data"]
    assert elapsed <= ENCODE_SECONDS, elapsed

    location = session.query('Location where name is "ftrack.server"').one()
    with ftrack_api.Session(auto_connect_event_hub=False) as fresh:
        components = [link["component"] for link in fresh.get("Job", job["id"])["job_components"]]
        urls = {component["name"]: location.get_url(component) for component in components}
        metas = {component["name"]: json.loads(component["metadata"]["ftr_meta"]) for component in components}
    assert sorted(urls) == ["ftrackreview-mp4", "ftrackreview-webm", "thumbnail"], urls

    schema = session.query("ProjectSchema").first()
    name = f"encode_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    asset = session.create("Asset", {"name": "plate", "parent": project})
    asset_version = session.create("AssetVersion", {"asset": asset})
    session.commit()
    version_job = asset_version.encode_media(movie)
    assert wait(version_job["id"])["status"] == "done"
    with ftrack_api.Session(auto_connect_event_hub=False) as fresh:
        version = fresh.get("AssetVersion", asset_version["id"])
        assert sorted(c["name"] for c in version["components"]) == ["ftrackreview-mp4", "ftrackreview-webm", "thumbnail"]
        assert version["thumbnail"]["name"] == "thumbnail"

    component = session.create_component(movie, location=None)
    location.add_component(component, session.get("Location", ftrack_api.symbol.ORIGIN_LOCATION_ID))
    session.commit()
    component_job = session.encode_media(component)
    assert json.loads(component_job["data"])["keep_original"] is True
    assert wait(component_job["id"])["status"] == "done"

    failed = wait(session.encode_media(corrupt)["id"])
    assert failed["status"] == "failed"
    reason = json.loads(failed["data"])["error"]
    assert "could not be read" in reason, reason
    print("RESULT " + json.dumps({"urls": urls, "metas": metas, "elapsed": elapsed}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
