"""Adding a file to the ``ftrack.server`` location, downloading it and removing it.

Follows the client's flow (wire protocol 9.3): ``create_component`` with the
server location uploads through ``get_upload_metadata`` and a signed ``PUT``,
then commits; the data is read back through ``Location.get_url()`` and through
the accessor, a new session sees the registration, and ``remove_component``
deletes the data and the registration. Then the same for a file sequence (one
upload per frame). Run against both server storages (data folder and S3: there
the upload goes straight to the bucket and downloads follow a redirect).

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import os
import tempfile

import ftrack_api
import requests

SERVER_LOCATION_ID = "3a372bde-05bc-11e4-8908-20c9d081909b"


def main():
    data = os.urandom(200_000) + b"clapboard"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "plate.png")
        with open(path, "wb") as handle:
            handle.write(data)

        with ftrack_api.Session() as session:
            server_location = session.query('Location where name is "ftrack.server"').one()
            assert server_location["id"] == SERVER_LOCATION_ID
            component = session.create_component(path, data={"name": "main"}, location=server_location)
            session.commit()
            component_id = component["id"]
            assert server_location.get_component_availability(component) == 100.0

            url = server_location.get_url(component)
            assert f"/component/get?id={component_id}" in url, url
            response = requests.get(url, timeout=60)
            response.raise_for_status()
            assert response.content == data, "downloaded bytes differ"

            accessor_data = server_location.accessor.open(server_location.get_resource_identifier(component))
            assert accessor_data.read() == data, "accessor bytes differ"

            thumbnail = requests.get(server_location.get_thumbnail_url(component, size=100), timeout=60)
            thumbnail.raise_for_status()
            assert thumbnail.content == data

        with ftrack_api.Session() as session:
            component = session.get("FileComponent", component_id)
            assert component is not None, "component not committed"
            assert component["file_type"] == ".png" and component["size"] == len(data)
            server_location = session.get("Location", SERVER_LOCATION_ID)
            assert server_location.get_resource_identifier(component) == component_id
            server_location.remove_component(component)
            assert server_location.get_component_availability(component) == 0.0

        with ftrack_api.Session() as session:
            registrations = session.query(
                f"ComponentLocation where component_id is {component_id} and location_id is {SERVER_LOCATION_ID}"
            ).all()
            assert len(registrations) == 0, "registration not removed"
            response = requests.get(
                f"{session.server_url}/component/get",
                params={"id": component_id, "username": session.api_user, "apiKey": session.api_key},
                timeout=60,
            )
            assert response.status_code == 404, response.status_code
    sequence()
    print("server_location: ok")


def sequence():
    """A file sequence: each frame is uploaded, read back and removed on its own."""
    frames = {index: os.urandom(1000) + str(index).encode() for index in (1, 2, 3)}
    with tempfile.TemporaryDirectory() as folder:
        for index, data in frames.items():
            with open(os.path.join(folder, f"plate.{index:04d}.exr"), "wb") as handle:
                handle.write(data)
        with ftrack_api.Session() as session:
            server_location = session.get("Location", SERVER_LOCATION_ID)
            container = session.create_component(os.path.join(folder, "plate.%04d.exr [1-3]"),
                                                 location=server_location)
            session.commit()
            assert server_location.get_component_availability(container) == 100.0
            members = {int(member["name"]): member for member in container["members"]}
            assert set(members) == set(frames)
            for index, member in members.items():
                data = server_location.accessor.open(server_location.get_resource_identifier(member)).read()
                assert data == frames[index], f"frame {index} differs"
            server_location.remove_component(container)
            assert server_location.get_component_availability(container) == 0.0
            for member in members.values():
                response = requests.get(
                    f"{session.server_url}/component/get",
                    params={"id": member["id"], "username": session.api_user, "apiKey": session.api_key},
                    timeout=60,
                )
                assert response.status_code == 404, response.status_code


if __name__ == "__main__":
    main()
