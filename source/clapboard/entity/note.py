"""Helpers for notes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Entity


class Note(Entity):
    """Represent a note."""

    __slots__ = ()

    def create_reply(self, content: str, author: Entity) -> Entity:
        """Create a reply with *content* and *author*.

        .. note:: A helper: create replies manually with
           :meth:`~clapboard.session.Session.create`.
        """
        reply = self.session.create("Note", {"author": author, "content": content})
        self["replies"].append(reply)
        return reply


class CreateNoteMixin:
    """Mixin to add create_note method on entity class."""

    __slots__ = ()

    def create_note(
        self: Any,
        content: str,
        author: Entity,
        recipients: Iterable[Entity] | None = None,
        category: Entity | None = None,
        labels: Iterable[Entity] | None = None,
    ) -> Entity:
        """Create note with *content*, *author*, optional *recipients*, *category* and *labels*.

        Notes are attached to this entity; recipients (users or groups) and
        labels are linked to the new note.
        """
        data = {"content": content, "author": author}
        if category is not None:
            data["category"] = category
        session = self.session
        note = session.create("Note", data)
        self["notes"].append(note)
        for resource in recipients or ():
            session.create("Recipient", {"note_id": note["id"], "resource_id": resource["id"]})
        for label in labels or ():
            session.create("NoteLabelLink", {"label_id": label["id"], "note_id": note["id"]})
        return note
