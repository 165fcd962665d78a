"""Notes threads (notes on an entity and their replies) and the form adding a note or a reply.

``POST /notes`` takes ``parent_id`` and ``parent_kind`` (``context`` or ``version``), and
``in_reply_to_id`` for a reply (a reply is also placed on the thread's entity, so the policy
finds its project as for any note); ``content``, an optional ``category_id``, ``recipients`` (user
ids, any number) and ``next`` (where to go back to). The note and its recipients are created in
one batch as the logged-in user, so the policy decides whether they may write it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError, ValidationError
from .. import calls
from ..sessions import in_worker, login_required
from .common import back, failure, literal, not_found, page, user_label, when

if TYPE_CHECKING:
    from ...server import Server

#: The schema type a note's ``parent_type`` names, by the form's ``parent_kind``.
PARENT_TYPES = {"context": "TypedContext", "version": "AssetVersion"}
#: Extensions of attachments shown with a preview.
PICTURE_TYPES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
#: Longest note accepted from the form (characters).
MAX_CONTENT = 20_000
_PROJECTION = ("id, content, date, in_reply_to_id, parent_id, author.id, author.username, author.first_name, "
               "author.last_name, category.name, category.color, recipients.resource_id, note_components.url, "
               "note_components.thumbnail_url, note_components.component.name, "
               "note_components.component.file_type")


def thread_operation(parent_id: str) -> dict[str, Any]:
    """The query of the notes on ``parent_id`` and of their replies (two levels deep)."""
    parent = literal(parent_id)
    return {"action": "query", "expression": (
        f"select {_PROJECTION} from Note where parent_id is {parent} or in_reply_to.parent_id is {parent} "
        f"or in_reply_to.in_reply_to.parent_id is {parent} order by date, id")}


def thread(notes: list[dict[str, Any]], users: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The notes as a thread: top-level notes (oldest first), each with its ``replies`` nested."""
    shown = {note["id"]: _note(note, users) for note in notes}
    top = []
    for note in notes:
        entry = shown[note["id"]]
        parent = shown.get(note.get("in_reply_to_id") or "")
        (parent["replies"] if parent is not None else top).append(entry)
    return top


def _note(note: dict[str, Any], users: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    recipients = [r["resource_id"] for r in note.get("recipients") or []]
    return {
        "id": note["id"],
        "content": note.get("content") or "",
        "date": when(note.get("date")),
        "author": user_label(note.get("author")),
        "category": note.get("category"),
        "recipients": [user_label(users.get(rid)) or rid for rid in recipients],
        "attachments": [_attachment(part) for part in note.get("note_components") or []],
        "replies": [],
    }


def _attachment(part: dict[str, Any]) -> dict[str, Any]:
    """A note's attached file: name, extension, download link and, for pictures, a small preview."""
    component = part.get("component") or {}
    file_type = component.get("file_type") or ""
    thumbnail = (part.get("thumbnail_url") or {}).get("url")
    return {
        "name": component.get("name") or "attachment",
        "file_type": file_type,
        "url": (part.get("url") or {}).get("url"),
        "preview_url": f"{thumbnail}&size=96" if thumbnail and file_type.lower() in PICTURE_TYPES else None,
    }


def note_operations(form: Mapping[str, Any], recipients: list[str], user_id: str) -> list[dict[str, Any]]:
    """The batch creating the note the form describes (ValidationError for an unusable form)."""
    content = str(form.get("content") or "").replace("\r\n", "\n").strip()  # forms send CRLF
    if not content:
        raise ValidationError("A note needs some text.")
    if len(content) > MAX_CONTENT:
        raise ValidationError(f"A note holds at most {MAX_CONTENT:,} characters.")
    note_id = str(uuid.uuid4())
    data: dict[str, Any] = {"id": note_id, "content": content, "user_id": user_id}
    parent_type = PARENT_TYPES.get(str(form.get("parent_kind") or ""))
    parent_id = str(form.get("parent_id") or "")
    if parent_type is None or not parent_id:
        raise ValidationError("The note form names no entity to write the note on.")
    data.update(parent_id=parent_id, parent_type=parent_type)
    if form.get("in_reply_to_id"):
        data["in_reply_to_id"] = str(form["in_reply_to_id"])
    if form.get("category_id"):
        data["category_id"] = str(form["category_id"])
    operations = [{"action": "create", "entity_type": "Note", "entity_data": data}]
    for resource_id in dict.fromkeys(recipients):
        if resource_id:
            operations.append({"action": "create", "entity_type": "Recipient",
                               "entity_data": {"note_id": note_id, "resource_id": resource_id}})
    return operations


#: The page showing the entity of each ``parent_kind``, and the table its notes name as parent type.
PAGES = {"context": "/contexts/", "version": "/versions/"}
PARENT_TABLES = {"context": "context", "version": "asset_version"}
#: What the note form offers (categories, users as recipients).
CATEGORIES = "select id, name, color, sort from NoteCategory order by sort, name"
USERS = "select id, username, first_name, last_name from User where is_active is true order by username limit 500"


def thread_operations(parent_id: str) -> list[dict[str, Any]]:
    """The batch reading a thread and what its forms offer: notes, categories, users."""
    return [thread_operation(parent_id), {"action": "query", "expression": CATEGORIES},
            {"action": "query", "expression": USERS}]


def routes(server: Server) -> list[BaseRoute]:
    @login_required
    async def notes_thread(request: Request) -> Response:
        """The notes part of a page alone (live.js re-reads it when the thread changes)."""
        kind, parent_id = request.path_params["kind"], request.path_params["entity_id"]
        if kind not in PAGES:
            return not_found(request, "notes thread")
        user_id = request.state.user.id
        try:
            notes, categories, users = (a["data"] for a in await calls.call(request, thread_operations(parent_id)))
            may_note = await in_worker(request, server.policy.permits, user_id, "create", "Note", {
                "parent_id": parent_id, "parent_type": PARENT_TABLES[kind], "user_id": user_id})
        except ApiError as error:
            return failure(request, error)
        return page(request, "partials/notes.html", {
            "notes": thread(notes, {user["id"]: user for user in users}), "categories": categories,
            "users": [{"id": user["id"], "label": user_label(user)} for user in users],
            "note_parent": {"kind": kind, "id": parent_id}, "may": {"note": may_note},
            "next": PAGES[kind] + parent_id,
        })

    @login_required
    async def add_note(request: Request) -> Response:
        form = await request.form()
        try:
            operations = note_operations(form, [str(v) for v in form.getlist("recipients")], request.state.user.id)
            await calls.call(request, operations)
        except ApiError as error:
            return failure(request, error, "The note was not added")
        return back(form.get("next"), "/")

    return [
        Route("/notes", add_note, methods=["POST"], name="add-note"),
        Route("/notes/{kind}/{entity_id}", notes_thread, methods=["GET"], name="notes-thread"),
    ]
