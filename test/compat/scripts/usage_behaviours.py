"""Documented behaviours a new user meets (issue 11, "Why"), with the real ftrack client.

- A datetime with microseconds comes back with them, and ``ensure`` with that arrow value
  (the client drops the microseconds from its query) finds the stored entity unchanged.
- ``create_note(content, author, recipients=[user, group], category=category)`` keeps the
  category (the client sends it as a note-label link).
- After committing a new entity, attributes the client never set stay NOT_SET.
- ``session.get('Metadata', key)`` accepts ``dict.values()`` as a composite key.

Reads FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY; exits non-zero when an
assertion fails.
"""

import uuid

import arrow
import ftrack_api
import ftrack_api.symbol


def new_session():
    return ftrack_api.Session(auto_connect_event_hub=False)


def project(session, **data):
    name = f"behaviour_{uuid.uuid4().hex[:10]}"
    schema = session.query("ProjectSchema").first()
    return session.create("Project", {"name": name, "full_name": name, "project_schema": schema, **data})


def datetimes_keep_microseconds(session):
    start = arrow.Arrow(2024, 5, 6, 7, 8, 9, 123456)
    created = project(session, start_date=start)
    session.commit()
    with new_session() as other:
        stored = other.get("Project", created["id"])["start_date"]
        assert stored == start and stored.microsecond == 123456, stored
        ensured = other.ensure("Project", {"name": created["name"], "start_date": start},
                               identifying_keys=["name", "start_date"])
        assert ensured["id"] == created["id"]
        assert not other.recorded_operations, list(other.recorded_operations)


def note_category_kept(session):
    created = project(session)
    session.commit()
    user = session.query(f'User where username is "{session.api_user}"').one()
    group = session.create("Group", {"name": f"Animation_{uuid.uuid4().hex[:6]}"})
    category = session.query('NoteCategory where name is "External Note"').first()
    note = created.create_note("categorised", user, recipients=[user, group], category=category)
    session.commit()
    with new_session() as other:
        stored = other.get("Note", note["id"])
        assert stored["category"] is not None and stored["category"]["id"] == category["id"], stored["category"]
        assert {r["resource_id"] for r in stored["recipients"]} == {user["id"], group["id"]}


def unset_attributes_stay_not_set(session):
    created = project(session)
    session.commit()
    for name in ("end_date", "thumbnail_id"):
        attribute = created.attributes.get(name)
        assert attribute.get_local_value(created) is ftrack_api.symbol.NOT_SET, name
        assert attribute.get_remote_value(created) is ftrack_api.symbol.NOT_SET, name
    assert created.attributes.get("full_name").get_remote_value(created) == created["name"]


def metadata_get_with_values(session):
    created = project(session)
    session.commit()
    session.create("Metadata", {"parent_id": created["id"], "parent_type": "Project", "key": "k", "value": "v"})
    session.commit()
    key = {"parent_id": created["id"], "key": "k"}
    with new_session() as other:
        metadata = other.get("Metadata", key.values())
        assert metadata is not None and metadata["value"] == "v"


def main():
    with new_session() as session:
        datetimes_keep_microseconds(session)
        note_category_kept(session)
        unset_attributes_stay_not_set(session)
        metadata_get_with_values(session)


if __name__ == "__main__":
    main()
