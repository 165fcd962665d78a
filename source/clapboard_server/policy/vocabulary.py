"""The permission vocabulary: entity groups, actions, and how a role's permissions match.

A role's ``permissions`` (a JSON list on :class:`SecurityRole`) holds strings
``"<group>.<action>"``; ``"*"`` stands for everything, ``"<group>.*"`` for every action on a
group and ``"*.<action>"`` for one action on every group. Project groups apply on the projects
a grant covers; global groups (``GLOBAL_GROUPS``) only through a grant on all projects.
"""

from __future__ import annotations

from collections.abc import Iterable

ACTIONS = ("read", "create", "update", "delete")

#: Groups of project data and what each holds.
PROJECT_GROUPS = {
    "projects": "Project entities themselves",
    "contexts": "typed contexts: episodes, sequences, shots, tasks, asset builds, folders, milestones",
    "versions": "assets, asset versions, components and their locations (and their files)",
    "notes": "notes, their components, labels and recipients",
    "timelogs": "time logs and timers",
    "statuses": "status changes: updating only the status of a context or version, status history",
    "assignments": "appointments (assignments, allocations) and managers",
    "lists": "lists and their members",
    "custom_attributes": "custom attribute values and links (also subject to the configuration's roles)",
    "metadata": "metadata key/value pairs",
    "links": "links between typed contexts and between asset versions",
    "reviews": "review sessions, their objects, invitees and statuses",
    "calendar": "calendar events of a project",
    "events": "the activity feed (Event, Feed)",
}

#: Groups outside projects: effective only through a grant on all projects.
GLOBAL_GROUPS = {
    "global": "statuses, types, object types, project schemas, workflows, priorities, locations, "
              "custom attribute configurations, categories, settings and other shared definitions",
    "users": "users, groups and memberships",
    "roles": "security roles and their grants (UserSecurityRole, UserSecurityRoleProject)",
}

GROUPS = {**PROJECT_GROUPS, **GLOBAL_GROUPS}

#: Attributes a holder of ``statuses.update`` may change on contexts and versions.
STATUS_ATTRIBUTES = frozenset({"status", "status_id"})

#: Attributes every user may change on their own User entity.
PROFILE_ATTRIBUTES = frozenset({"first_name", "last_name", "email", "thumbnail", "thumbnail_id"})


def permission(group: str, action: str) -> str:
    return f"{group}.{action}"


def allows(permissions: Iterable[str], wanted: str) -> bool:
    """Whether ``permissions`` (a role's list) include ``wanted`` (``group.action``)."""
    group, _, action = wanted.partition(".")
    held = set(permissions)
    return bool(held & {"*", wanted, f"{group}.*", f"*.{action}"})


def invalid_permissions(permissions: object) -> list[str]:
    """The entries of ``permissions`` that are not in the vocabulary (empty when all are)."""
    if not isinstance(permissions, list):
        return [repr(permissions)]
    bad = []
    for entry in permissions:
        if not isinstance(entry, str):
            bad.append(repr(entry))
            continue
        if entry == "*":
            continue
        group, dot, action = entry.partition(".")
        if not dot or (group != "*" and group not in GROUPS) or (action != "*" and action not in ACTIONS):
            bad.append(entry)
    return bad
