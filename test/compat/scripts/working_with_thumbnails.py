"""The "Working with thumbnails" and "Retrieving thumbnail URL" usage examples with the real ftrack client.

Argument: a 640x360 image. Sets thumbnails with ``create_thumbnail``, with the ``thumbnail`` relation
and by reusing a version's ``thumbnail_id``; fetches ``get_thumbnail_url`` at full size, 10 px and
500 px and ``thumbnail_url`` without credentials, printing ``RESULT <json>`` with the sizes of the
images (read by the calling test, as this environment has no imaging library).
"""

import base64
import json
import sys
import uuid

import ftrack_api
import ftrack_api.symbol
import requests


def fetch(url):
    response = requests.get(url, timeout=60)
    response.raise_for_status()
    return base64.b64encode(response.content).decode("ascii")


def main(image):
    session = ftrack_api.Session(auto_connect_event_hub=False)
    schema = session.query("ProjectSchema").first()
    name = f"thumbs_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    task_type = schema.get_types("Task")[0]
    task = session.create("Task", {"name": "comp", "parent": project, "type": task_type,
                                   "status": schema.get_statuses("Task", task_type["id"])[0]})
    asset = session.create("Asset", {"name": "plate", "parent": project})
    asset_version = session.create("AssetVersion", {"asset": asset, "task": task})
    session.commit()
    my_task_id, my_asset_version_id = task["id"], asset_version["id"]

    task = session.get("Task", my_task_id)
    thumbnail_component = task.create_thumbnail(image)
    assert thumbnail_component["name"] == "thumbnail"

    server_location = session.query('Location where name is "ftrack.server"').one()
    other = session.create_component(image, {"name": "thumbnail"}, location=server_location)
    version = session.get("AssetVersion", my_asset_version_id)
    version["thumbnail"] = other
    session.commit()

    with ftrack_api.Session(auto_connect_event_hub=False) as later:
        asset_version = later.get("AssetVersion", my_asset_version_id)
        asset_parent = asset_version["asset"]["parent"]
        asset_parent["thumbnail_id"] = asset_version["thumbnail_id"]
        later.commit()

    with ftrack_api.Session(auto_connect_event_hub=False) as check:
        assert check.get("Task", my_task_id)["thumbnail_id"] == thumbnail_component["id"]
        assert check.get("Project", project["id"])["thumbnail_id"] == other["id"]
        attribute_url = check.server_url + check.get("Task", my_task_id)["thumbnail_url"]["url"]

    server_location = session.get("Location", ftrack_api.symbol.SERVER_LOCATION_ID)
    thumbnail_url = server_location.get_thumbnail_url(thumbnail_component)
    thumbnail_url_tiny = server_location.get_thumbnail_url(thumbnail_component, size=10)
    thumbnail_url_large = server_location.get_thumbnail_url(thumbnail_component, size=500)
    print("RESULT " + json.dumps({
        "full": fetch(thumbnail_url), "tiny": fetch(thumbnail_url_tiny), "large": fetch(thumbnail_url_large),
        "attribute": fetch(attribute_url),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
