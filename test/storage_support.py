"""Looking at what a test server stored, whichever storage it uses (data folder or S3 bucket)."""

from clapboard_server.errors import NotFoundError


def on_s3(server):
    """Whether *server* (an embedded server handle) keeps its files in an S3 bucket."""
    return server.server.storage_url is not None


def stored_data(server, component_id):
    """The bytes stored (and servable) for *component_id*, or None."""
    try:
        stored = server.server.storage.files.open(component_id)
    except NotFoundError:
        return None
    return b"".join(stored.chunks())


def leftovers(server, component_id):
    """Anything stored for *component_id*, complete or not: files, objects, unfinished multipart uploads."""
    files = server.server.storage.files
    if on_s3(server):
        key = files.key(component_id)
        objects = files.client.list_objects_v2(Bucket=files.bucket, Prefix=key).get("Contents", [])
        uploads = files.client.list_multipart_uploads(Bucket=files.bucket, Prefix=key).get("Uploads", [])
        return [item["Key"] for item in objects + uploads]
    folder = files.path(component_id).parent
    return [path for path in folder.glob("*") if component_id in path.name] if folder.exists() else []
