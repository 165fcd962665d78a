"""Helpers for users."""

from __future__ import annotations

from typing import Any

from .. import exception
from .base import Entity


class User(Entity):
    """Represent a user."""

    __slots__ = ()

    def start_timer(
        self, context: Entity | None = None, comment: str = "", name: str | None = None, force: bool = False
    ) -> Entity:
        """Start a timer for *context* and return it.

        With *force*, a running timer is stopped first (its timelog created).
        The change is committed; without *force* a running timer makes this
        raise :exc:`~clapboard.exception.NotUniqueError`.
        """
        if force:
            try:
                self.stop_timer()
            except exception.NoResultFoundError:
                pass
        session = self.session
        timer = session.create(
            "Timer", {"user": self, "context": context, "name": name, "comment": comment}
        )
        try:
            session.commit()
        except exception.ServerError as error:
            session.delete(timer)  # created then deleted: nothing left to send
            if isinstance(error, exception.NotUniqueError) or "IntegrityError" in str(error):
                raise exception.NotUniqueError(
                    f"Failed to start a timelog for user with id: {self['id']}"
                ) from error
            raise
        return timer

    def stop_timer(self) -> Entity:
        """Stop the current timer and return a timelog created from it.

        Raise :exc:`~clapboard.exception.NoResultFoundError` if no timer is
        running. The change is committed.
        """
        session = self.session
        timer = session.query(f'Timer where user_id = "{self["id"]}"').one()
        start = timer["start"]
        timezone_support = session.server_information.get("is_timezone_support_enabled", True)
        import arrow  # imported on first use: see clapboard.codec

        now = arrow.utcnow() if timezone_support else arrow.now()
        delta = now - start
        timelog = session.create(
            "Timelog",
            {
                "user_id": timer["user_id"],
                "context_id": timer["context_id"],
                "comment": timer["comment"],
                "start": start,
                "duration": delta.days * 24 * 60 * 60 + delta.seconds,
                "name": timer["name"],
            },
        )
        session.delete(timer)
        session.commit()
        return timelog

    def send_invite(self) -> None:
        """Send an invitation email to this user."""
        self.session.send_user_invite(self)

    def reset_api_key(self) -> Any:
        """Reset the user's API key on the server and return the new key."""
        return self.session.reset_remote("api_key", entity=self)["api_key"]
