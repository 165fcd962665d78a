"""The "Publishing for web review" usage example with the real ftrack client.

Arguments: an already encoded movie and an image. Both become review components of a version in
ftrack.server with their ``ftr_meta``; a new session reads them back.
"""

import json
import sys
import uuid

import ftrack_api
import requests


def main(movie, image):
    session = ftrack_api.Session(auto_connect_event_hub=False)
    schema = session.query("ProjectSchema").first()
    name = f"web_review_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    asset = session.create("Asset", {"name": "plate", "parent": project})
    created = session.create("AssetVersion", {"asset": asset})
    session.commit()

    version = session.get("AssetVersion", created["id"])
    server_location = session.query('Location where name is "ftrack.server"').one()
    component = version.create_component(path=movie, data={"name": "ftrackreview-mp4"}, location=server_location)
    component["metadata"]["ftr_meta"] = json.dumps({"frameIn": 0, "frameOut": 50, "frameRate": 25})
    component.session.commit()

    component = version.create_component(path=image, data={"name": "ftrackreview-image"}, location=server_location)
    component["metadata"]["ftr_meta"] = json.dumps({"format": "image"})
    component.session.commit()

    with ftrack_api.Session(auto_connect_event_hub=False) as check:
        published = {c["name"]: c for c in check.get("AssetVersion", created["id"])["components"]}
        assert sorted(published) == ["ftrackreview-image", "ftrackreview-mp4"], sorted(published)
        assert json.loads(published["ftrackreview-mp4"]["metadata"]["ftr_meta"])["frameRate"] == 25
        assert json.loads(published["ftrackreview-image"]["metadata"]["ftr_meta"]) == {"format": "image"}
        location = check.query('Location where name is "ftrack.server"').one()
        downloaded = requests.get(location.get_url(published["ftrackreview-mp4"]), timeout=60).content
        with open(movie, "rb") as original:
            assert downloaded == original.read()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
