"""``clapboard server`` that dies right after committing its first write batch, before answering.

Fault injection for the idempotency tests: the batch's transaction has committed, the
response is never sent, as when a server is killed at the worst moment.

    python crashing_server.py server --data-dir DIR --port PORT
"""

import os
import sys

from clapboard.cli import main
from clapboard_server.server import Server

#: Exit status of the crash, so the test can tell it from other failures.
CRASH_STATUS = 17


def crash_after_commit(self, changes, user_id):
    sys.stdout.flush()
    os._exit(CRASH_STATUS)


if __name__ == "__main__":
    Server.after_commit = crash_after_commit
    sys.exit(main(sys.argv[1:]))
