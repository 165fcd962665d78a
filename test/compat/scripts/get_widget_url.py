"""``Session.get_widget_url`` with the real ftrack client: pages open without credentials, a changed URL does not."""

import uuid

import ftrack_api
import requests


def main():
    session = ftrack_api.Session(auto_connect_event_hub=False)
    schema = session.query("ProjectSchema").first()
    name = f"widgets_{uuid.uuid4().hex[:8]}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    task_type = schema.get_types("Task")[0]
    session.create("Task", {"name": "lighting pass", "parent": project, "type": task_type,
                            "status": schema.get_statuses("Task", task_type["id"])[0]})
    session.commit()

    url = session.get_widget_url("info", entity=project, theme="light")
    page = requests.get(url, timeout=60)
    assert page.status_code == 200 and name in page.text, page.status_code
    tasks = requests.get(session.get_widget_url("tasks", entity=project), timeout=60)
    assert tasks.status_code == 200 and "lighting pass" in tasks.text
    assert requests.get(url + "x", timeout=60).status_code == 403


if __name__ == "__main__":
    main()
