"""Helpers for jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Entity

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session


class Job(Entity):
    """Represent job."""

    __slots__ = ()

    def _construct(self, session: Session, data: dict[str, Any], reconstructing: bool) -> dict[str, Any]:
        """Set up a job; API users may only create jobs of type ``api_job``.

        To show a description in the web interface, give *data* a ``data``
        key holding ``json.dumps({"description": ...})``. Raise
        :exc:`ValueError` if *data* has a ``type`` other than ``api_job``.
        """
        if not reconstructing and data.get("type", "api_job") != "api_job":
            raise ValueError("Invalid job type, only 'api_job' is allowed")
        return super()._construct(session, data, reconstructing)
