"""The server's integrity rules as the real ftrack client meets them.

- A batch creating a Location without a name, then naming it in a later operation of the
  same batch, is accepted (required attributes are checked when the batch ends).
- ``task['name'] = None`` is refused and the stored name stays.
- A second project of the same name is refused.
- A number custom attribute refuses ``'test'`` (the documentation's validation example);
  text and number values are found by typed queries.
- A status outside the project schema's workflow for the object type is refused.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import json
import uuid

import ftrack_api
import ftrack_api.exception


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def refused(session, expected):
    """Commit, expecting a ServerError whose message holds ``expected``; roll back."""
    try:
        session.commit()
    except ftrack_api.exception.ServerError as error:
        assert expected in str(error), str(error)
        session.rollback()
        return
    raise AssertionError(f"the commit was accepted; expected an error with {expected!r}")


def required_attribute_set_later(session):
    location = session.create("Location", {"description": "named later"})
    session.create("Scope", {"name": unique("scope")})
    name = unique("location")
    location["name"] = name
    session.commit()
    with ftrack_api.Session(auto_connect_event_hub=False) as other:
        assert other.get("Location", location["id"])["name"] == name


def build(session):
    schema = session.query("ProjectSchema").first()
    project = session.create("Project", {"name": unique("integrity"), "full_name": "i", "project_schema": schema})
    shots = [session.create("Shot", {"name": f"sh{i}", "parent": project}) for i in range(3)]
    task = session.create("Task", {"name": "layout", "parent": shots[0]})
    session.commit()
    return schema, project, shots, task


def required_attribute_never_none(session, task):
    task["name"] = None
    refused(session, "required attribute 'name' is missing")
    with ftrack_api.Session(auto_connect_event_hub=False) as other:
        assert other.get("Task", task["id"])["name"] == "layout"


def project_names_unique(session, schema, project):
    session.create("Project", {"name": project["name"], "full_name": "twin", "project_schema": schema})
    refused(session, f"a Project named '{project['name']}' already exists")


def custom_attributes(session, project, shots):
    kinds = {t["name"]: t for t in session.query("CustomAttributeType").all()}
    shot_type = session.query('ObjectType where name is "Shot"').one()
    fstart, label = unique("fstart"), unique("label")
    for key, kind in ((fstart, "number"), (label, "text")):
        session.create("CustomAttributeConfiguration", {
            "entity_type": "task", "object_type_id": shot_type["id"], "type": kinds[kind],
            "label": key, "key": key, "config": json.dumps({}),
        })
    session.commit()
    with ftrack_api.Session(auto_connect_event_hub=False) as other:
        shot = other.get("Shot", shots[0]["id"])
        shot["custom_attributes"][fstart] = "test"
        refused(other, f"Custom attribute value for '{fstart}' must be of type number")
    with ftrack_api.Session(auto_connect_event_hub=False) as other:
        for shot, (number, text) in zip(shots, ((8, "8"), (12, "80"), (1001, "abc"))):
            loaded = other.get("Shot", shot["id"])
            loaded["custom_attributes"][fstart] = number
            loaded["custom_attributes"][label] = text
        other.commit()
    with ftrack_api.Session(auto_connect_event_hub=False) as other:
        def names(criteria):
            query = f'select name from Shot where project.id is "{project["id"]}" and custom_attributes any ({criteria})'
            return sorted(s["name"] for s in other.query(query).all())

        assert names(f'key is "{label}" and value is "8"') == ["sh0"]
        assert names(f'key is "{fstart}" and value > 10') == ["sh1", "sh2"]
        assert other.get("Shot", shots[2]["id"])["custom_attributes"][fstart] == 1001


def statuses_in_workflow(session, schema, shots):
    shot = shots[1]
    shot["status"] = schema.get_statuses("Task")[1]
    refused(session, "the workflow of project schema 'VFX Scheme'")
    shot["status"] = schema.get_statuses("Shot")[1]
    session.commit()


def main():
    with ftrack_api.Session(auto_connect_event_hub=False) as session:
        required_attribute_set_later(session)
        schema, project, shots, task = build(session)
        required_attribute_never_none(session, task)
        project_names_unique(session, schema, project)
        custom_attributes(session, project, shots)
        statuses_in_workflow(session, schema, shots)
    print("integrity: ok")


if __name__ == "__main__":
    main()
