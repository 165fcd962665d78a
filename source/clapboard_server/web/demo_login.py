"""The web-view login of ``clapboard demo``: a ``demo`` user who may see and change the demo project."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .. import admin, seed
from . import passwords

if TYPE_CHECKING:
    from ..database import Database

USERNAME = "demo"
ROLE = "Supervisor"


def ensure(database: Database, project: str) -> tuple[str, str]:
    """Create the ``demo`` user (``Supervisor`` on ``project``) unless it exists; give it a new
    random password; return ``(username, password)``."""
    if seed.find_user(database, USERNAME) is None:
        admin.add_user(database, USERNAME, [admin.RoleGrant(ROLE, (project,))], "Demo", "User")
    password = secrets.token_urlsafe(12)
    passwords.set_password(database, USERNAME, password)
    return USERNAME, password
