"""Synchronising users from a directory (the ``SYNC_USERS_LDAP`` delayed job).

The directory is read from an LDIF export named by the server setting ``ldap.directory``
(``python -m clapboard`` administrators point it at a file their directory exports; tests
point it at a small LDIF file they write). Each ``person`` entry with a ``uid`` becomes an
active User: created when missing, its e-mail and names updated when present. Entries are
matched by username.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import ValidationError

if TYPE_CHECKING:
    from .writes import Writer

#: The server setting naming the LDIF file the directory is read from.
DIRECTORY_SETTING = "ldap.directory"

#: LDAP attribute: User attribute.
_ATTRIBUTES = {"mail": "email", "givenName": "first_name", "sn": "last_name"}


def read_ldif(text: str) -> list[dict[str, list[str]]]:
    """The entries of LDIF ``text``: attribute name to values (folded lines, base64 values)."""
    entries: list[dict[str, list[str]]] = []
    entry: dict[str, list[str]] = {}
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    for line in [*lines, ""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry = {}
            continue
        if line.startswith("#") or ":" not in line:
            continue
        name, _, value = line.partition(":")
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8")
        entry.setdefault(name.strip(), []).append(value.strip())
    return entries


def directory_users(path: str | Path) -> list[dict[str, Any]]:
    """The users of the LDIF file at ``path`` as User data (username, email, names)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationError(f"Cannot read the LDAP directory {str(path)!r}: {error.strerror}.") from None
    users = []
    for entry in read_ldif(text):
        classes = {value.lower() for value in entry.get("objectClass", [])}
        if "uid" not in entry or not classes & {"person", "inetorgperson", "posixaccount"}:
            continue
        user = {"username": entry["uid"][0]}
        for name, attribute in _ATTRIBUTES.items():
            if name in entry:
                user[attribute] = entry[name][0]
        users.append(user)
    return users


def sync_users(writer: Writer, users: list[dict[str, Any]]) -> dict[str, int]:
    """Create or update ``users``; return how many were created and updated."""
    user_type = writer.registry.get("User")
    table = writer.table(user_type)
    counts = {"created": 0, "updated": 0}
    for user in users:
        existing = writer.connection.execute(
            sa.select(table.c.id).where(table.c.username == user["username"], table.c.resource_type == "user")
        ).scalar()
        if existing is None:
            writer.create("User", {**user, "is_active": True})
            counts["created"] += 1
        else:
            writer.update("User", [existing], {k: v for k, v in user.items() if k != "username"})
            counts["updated"] += 1
    return counts
