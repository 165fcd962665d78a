"""The "Invite user" usage example with the real ftrack client.

Argument: the new user's email address. The server emails through a local SMTP server the calling
test runs and checks.
"""

import sys

import ftrack_api


def main(user_email):
    session = ftrack_api.Session(auto_connect_event_hub=False)
    new_user = session.create("User", {"username": user_email, "email": user_email, "is_active": True})
    session.commit()
    new_user.send_invite()
    session.send_user_invites([new_user])


if __name__ == "__main__":
    main(sys.argv[1])
