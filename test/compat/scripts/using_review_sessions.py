"""The "Using review sessions" usage example with the real ftrack client.

Argument: a unique suffix. The server is configured to email through a local SMTP server the
calling test runs and checks; this script checks the records.
"""

import sys

import ftrack_api


def main(suffix):
    session = ftrack_api.Session(auto_connect_event_hub=False)
    schema = session.query("ProjectSchema").first()
    name = f"review_{suffix}"
    project = session.create("Project", {"name": name, "full_name": name, "project_schema": schema})
    asset = session.create("Asset", {"name": "plate", "parent": project})
    asset_version = session.create("AssetVersion", {"asset": asset})
    session.commit()

    review_session = session.create("ReviewSession", {
        "name": "Weekly review", "description": "See updates from last week.", "project": project})
    session.create("ReviewSessionObject", {
        "name": "Compositing", "description": "Fixed shadows.", "version": "Version 3",
        "review_session": review_session, "asset_version": asset_version})
    invitee = session.create("ReviewSessionInvitee", {
        "name": "John Doe", "email": "john.doe@example.com", "review_session": review_session})
    leaving = session.create("ReviewSessionInvitee", {
        "name": "Jane Roe", "email": "jane.roe@example.com", "review_session": review_session})
    session.commit()

    review_sessions = session.query('ReviewSession where name is "Weekly review"').all()
    assert review_session in review_sessions
    project_review_sessions = project["review_sessions"]
    assert list(project_review_sessions) == [review_session]
    review_session_objects = review_session["review_session_objects"]
    assert [o["name"] for o in review_session_objects] == ["Compositing"]
    invitees = review_session["review_session_invitees"]
    assert sorted(i["name"] for i in invitees) == ["Jane Roe", "John Doe"]
    session.delete(leaving)
    session.commit()
    session.send_review_session_invite(invitee)
    session.send_review_session_invites([invitee])

    with ftrack_api.Session(auto_connect_event_hub=False) as check:
        stored = check.get("ReviewSession", review_session["id"])
        assert [i["name"] for i in stored["review_session_invitees"]] == ["John Doe"]
        assert stored["review_session_invitees"][0]["last_sent_at"] is not None


if __name__ == "__main__":
    main(sys.argv[1])
