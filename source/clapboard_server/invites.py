"""Invitations: a user to the server, or a collaborator to a review session.

Each invitation is recorded (table :data:`TABLE`: who, to which address, by whom, when, and
whether an email went out), published as a :data:`EVENT_TOPIC` event once the call commits, and
emailed when the server has an SMTP server (:mod:`.mail`). A review-session invitee's
``last_sent_at`` is set too. Emails go out once every operation of the call has succeeded, just
before it commits; if one cannot be sent the call fails and nothing is recorded.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import NotFoundError, ValidationError
from .values import utc_now

if TYPE_CHECKING:
    from .actions.context import CallContext
    from .database import Database

#: Table of sent invitations (server-side only: not an entity type).
TABLE = "invitation"
#: Topic of the events announcing an invitation.
EVENT_TOPIC = "clapboard.invite"


def define_table(database: Database) -> sa.Table:
    """Add the invitation table to ``database`` (created with the others)."""
    if TABLE not in database.tables:
        database.tables[TABLE] = sa.Table(
            TABLE, database.metadata,
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("recipient_id", sa.String(36), nullable=False, index=True),
            sa.Column("email", sa.String(320), nullable=False),
            sa.Column("sent_by", sa.String(36)),
            sa.Column("sent_at", sa.DateTime, nullable=False),
            sa.Column("emailed", sa.Boolean, nullable=False),
        )
    return database.tables[TABLE]


def _row(context: CallContext, type_name: str, entity_id: Any) -> dict[str, Any]:
    if not isinstance(entity_id, str) or not entity_id:
        raise ValidationError(f"The invitation needs the id of a {type_name}; got {entity_id!r}.")
    row = context.writer.fetch_by_id(type_name, entity_id)
    if row is None:
        raise NotFoundError(f"{type_name} {entity_id} does not exist.")
    return row


def _display(row: dict[str, Any] | None) -> str:
    if not row:
        return "Someone"
    name = f"{row.get('first_name') or ''} {row.get('last_name') or ''}".strip()
    return name or row.get("username") or "Someone"


def _send(context: CallContext, to: str, subject: str, body: str) -> bool:
    """Send the email when the call is about to commit; return whether one will be sent."""
    mailer = context.server.mailer
    if mailer.enabled:
        context.before_commit.append(lambda: mailer.send(to, subject, body))
    return mailer.enabled


def _record(context: CallContext, kind: str, recipient_id: str, email: str, emailed: bool,
            extra: dict[str, Any]) -> dict[str, Any]:
    context.connection.execute(context.server.database.tables[TABLE].insert().values(
        id=str(uuid.uuid4()), kind=kind, recipient_id=recipient_id, email=email, sent_by=context.user_id,
        sent_at=utc_now(), emailed=emailed,
    ))
    event = {"topic": EVENT_TOPIC, "data": {"kind": kind, "recipient_id": recipient_id, "email": email,
                                            "emailed": emailed, **extra}}
    context.on_commit.append(lambda: context.server.events.publish(event))
    return {"sent": True, "emailed": emailed}


def invite_user(context: CallContext, user_id: Any) -> dict[str, Any]:
    """Invite user ``user_id`` to the server."""
    user = _row(context, "User", user_id)
    context.guard.check("update", context.server.registry.get("User"), user)  # managing users' accounts
    email = user.get("email") or ""
    if "@" not in email:
        raise ValidationError(f"User {user.get('username')!r} has no email address to send the invitation to.")
    inviter = context.writer.fetch_by_id("User", context.user_id)
    server = context.server_url or "the clapboard server"
    body = (f"Hello {_display(user)},\n\n{_display(inviter)} invited you to {server}.\n"
            f"Your user name is {user.get('username')}.\n")
    emailed = _send(context, email, "You have been invited to clapboard", body)
    return _record(context, "user", user_id, email, emailed, {})


def invite_to_review_session(context: CallContext, invitee_id: Any) -> dict[str, Any]:
    """Invite review-session invitee ``invitee_id``; set their ``last_sent_at``."""
    invitee = _row(context, "ReviewSessionInvitee", invitee_id)
    email = invitee.get("email") or ""
    if "@" not in email:
        raise ValidationError(f"Invitee {invitee.get('name')!r} has no email address to send the invitation to.")
    session = context.writer.fetch_by_id("ReviewSession", invitee.get("review_session_id")) or {}
    inviter = context.writer.fetch_by_id("User", context.user_id)
    lines = [f"Hello {invitee.get('name') or email},", "",
             f"{_display(inviter)} invited you to the review session \"{session.get('name', '')}\"."]
    if session.get("description"):
        lines += ["", session["description"]]
    if context.server_url:
        lines += ["", f"Server: {context.server_url}"]
    emailed = _send(context, email, f"Review session: {session.get('name', '')}", "\n".join(lines) + "\n")
    context.writer.update("ReviewSessionInvitee", [invitee_id], {"last_sent_at": utc_now()})
    return _record(context, "review_session", invitee_id, email, emailed,
                   {"review_session_id": invitee.get("review_session_id")})
