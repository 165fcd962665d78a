"""Where each table's rows belong: their permission group and the path to their project.

Every stored type is placed by the table it lives in. A row of project data reaches its project
through a chain of columns (a note through its parent, a component through its version and
asset); the policy turns that chain into SQL for queries (:mod:`.reads`) and follows it row by
row for writes and events (:mod:`.locate`). ``assigned`` gives the column holding the task an
ASSIGNED-type grant is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Kinds of anchors.
PROJECT = "project"  # ``column`` holds the project id itself
HOP = "hop"          # ``column`` holds the id of a row of ``table``, placed by that table's anchor
POLYMORPHIC = "polymorphic"  # ``column`` holds an id of the type named in ``type_column``
ANY_OF = "any_of"    # ``column`` holds an id of a row of one of ``tables`` (the first found)
GLOBAL = "global"    # shared definitions: readable by everyone, written through a global group
OWNER = "owner"      # personal rows: the user in ``column`` (and superusers) only
OPEN = "open"        # any authenticated user may read and write


@dataclass(frozen=True)
class Anchor:
    kind: str
    group: str | None = None
    column: str | None = None
    table: str | None = None
    type_column: str | None = None
    tables: tuple[str, ...] = ()
    #: A second anchor that must hold as well (both ends of a link).
    also: Anchor | None = None
    #: (column, value, group): rows with this column value belong to another group.
    split: tuple[str, str, str] | None = None
    #: Rows whose project cannot be found are readable by everyone (user-level values, feed events).
    unscoped_readable: bool = False
    #: Shared rows that name a project in this column are readable only with that project.
    read_project: str | None = None
    #: Column holding the context checked for ASSIGNED grants (a hop when ``assigned_table`` is set).
    assigned: str | None = None
    assigned_table: str | None = None
    #: Column naming the row of the same table this one answers (a reply's note): a row without
    #: its own parent is placed where that one is.
    thread: str | None = None


def _hop(group: str, column: str, table: str, **options) -> Anchor:
    return Anchor(HOP, group, column=column, table=table, **options)


_ENTITY_TABLES = ("context", "asset", "asset_version", "list", "component", "note")

ANCHORS: dict[str, Anchor] = {
    "context": Anchor(PROJECT, "contexts", column="project_id", split=("context_type", "show", "projects"),
                      assigned="id"),
    "asset": _hop("versions", "context_id", "context", assigned="context_id"),
    "asset_version": _hop("versions", "asset_id", "asset", assigned="task_id"),
    "component": _hop("versions", "version_id", "asset_version", unscoped_readable=True,
                      assigned="version_id", assigned_table="asset_version"),
    "component_location": _hop("versions", "component_id", "component", unscoped_readable=True,
                               assigned="component_id", assigned_table="component"),
    "note": Anchor(POLYMORPHIC, "notes", column="parent_id", type_column="parent_type", assigned="parent_id",
                   thread="in_reply_to_id"),
    "note_component": _hop("notes", "note_id", "note", assigned="note_id", assigned_table="note"),
    "note_label_link": _hop("notes", "note_id", "note", assigned="note_id", assigned_table="note"),
    "recipient": _hop("notes", "note_id", "note", assigned="note_id", assigned_table="note"),
    "timelog": _hop("timelogs", "context_id", "context", assigned="context_id"),
    "timer": _hop("timelogs", "context_id", "context", assigned="context_id"),
    "appointment": _hop("assignments", "context_id", "context", assigned="context_id"),
    "manager": _hop("assignments", "context_id", "context", assigned="context_id"),
    "status_change": Anchor(POLYMORPHIC, "statuses", column="parent_id", type_column="parent_type",
                            assigned="parent_id"),
    "list": Anchor(PROJECT, "lists", column="project_id"),
    "list_object": _hop("lists", "list_id", "list", also=Anchor(ANY_OF, "lists", column="entity_id",
                                                                tables=("context", "asset_version"),
                                                                unscoped_readable=True)),
    "custom_attribute_value": Anchor(ANY_OF, "custom_attributes", column="entity_id", tables=_ENTITY_TABLES,
                                     unscoped_readable=True, assigned="entity_id"),
    "custom_attribute_link": Anchor(ANY_OF, "custom_attributes", column="from_id", tables=_ENTITY_TABLES,
                                    unscoped_readable=True),
    "metadata": Anchor(POLYMORPHIC, "metadata", column="parent_id", type_column="parent_type",
                       unscoped_readable=True, assigned="parent_id"),
    "typed_context_link": _hop("links", "from_id", "context", also=_hop("links", "to_id", "context")),
    "asset_version_link": _hop("links", "from_id", "asset_version", also=_hop("links", "to_id", "asset_version")),
    "review_session": Anchor(PROJECT, "reviews", column="project_id"),
    "review_session_object": _hop("reviews", "review_session_id", "review_session"),
    "review_session_invitee": _hop("reviews", "review_session_id", "review_session"),
    "review_session_object_status": _hop("reviews", "review_session_object_id", "review_session_object"),
    "calendar_event": Anchor(PROJECT, "calendar", column="project_id", unscoped_readable=True),
    "calendar_event_resource": _hop("calendar", "calendar_event_id", "calendar_event", unscoped_readable=True),
    "event": Anchor(PROJECT, "events", column="project_id", unscoped_readable=True),
    "feed": _hop("events", "social_id", "event", unscoped_readable=True),
    "resource": Anchor(GLOBAL, "users"),
    "membership": Anchor(GLOBAL, "users"),
    "security_role": Anchor(GLOBAL, "roles"),
    "user_security_role": Anchor(GLOBAL, "roles"),
    "user_security_role_project": Anchor(GLOBAL, "roles", read_project="project_id"),
    "job": Anchor(OWNER, column="user_id"),
    "job_component": _hop("versions", "component_id", "component", unscoped_readable=True),
    "user_application_state": Anchor(OWNER, column="user_id"),
    "dashboard": Anchor(OPEN),
    "dashboard_resource": Anchor(OPEN),
    "dashboard_widget": Anchor(OPEN),
    "conversation": Anchor(OPEN),
    "message": Anchor(OPEN),
    "participant": Anchor(OPEN),
}

_GLOBAL = Anchor(GLOBAL, "global")


def anchor(table: str) -> Anchor:
    """The anchor of ``table`` (shared definitions when not listed)."""
    return ANCHORS.get(table, _GLOBAL)


def group_of(table: str, row: dict | None = None) -> str | None:
    """The permission group of a row of ``table`` (``row`` decides split tables)."""
    spec = anchor(table)
    if spec.split and row is not None and row.get(spec.split[0]) == spec.split[1]:
        return spec.split[2]
    return spec.group
