"""Status changes and assignments from the pages: each a small batch sent as the logged-in user.

- ``POST /status``: ``entity_type`` (a typed context type or ``AssetVersion``), ``entity_id``,
  ``status_id``.
- ``POST /assignments``: ``context_id`` and ``user_id``: assigns the user to the context.
- ``POST /assignments/remove``: ``appointment_id``.

Every form also carries ``next`` (where to go back to) and the session's ``csrf_token``. A form
posted by ``fetch`` with ``Accept: application/json`` is answered with JSON instead of a
redirect. The policy decides, as for /api: a refused change answers 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...errors import ApiError, ValidationError
from .. import calls
from ..sessions import login_required
from .common import CONTEXT_TYPES, back, failure

#: Types whose status the page changes.
STATUS_TYPES = CONTEXT_TYPES | {"AssetVersion"}


def status_operation(form: Mapping[str, Any]) -> dict[str, Any]:
    entity_type = str(form.get("entity_type") or "")
    entity_id = str(form.get("entity_id") or "")
    status_id = str(form.get("status_id") or "")
    if entity_type not in STATUS_TYPES or not entity_id or not status_id:
        raise ValidationError("The status form needs entity_type (a context type or AssetVersion), entity_id and "
                              "status_id.")
    return {"action": "update", "entity_type": entity_type, "entity_key": [entity_id],
            "entity_data": {"__entity_type__": entity_type, "status_id": status_id}}


def assign_operation(form: Mapping[str, Any]) -> dict[str, Any]:
    context_id = str(form.get("context_id") or "")
    user_id = str(form.get("user_id") or "")
    if not context_id or not user_id:
        raise ValidationError("Choose a user to assign.")
    return {"action": "create", "entity_type": "Appointment",
            "entity_data": {"context_id": context_id, "resource_id": user_id, "type": "assignment"}}


def unassign_operation(form: Mapping[str, Any]) -> dict[str, Any]:
    appointment_id = str(form.get("appointment_id") or "")
    if not appointment_id:
        raise ValidationError("The form names no assignment to remove.")
    return {"action": "delete", "entity_type": "Appointment", "entity_key": [appointment_id]}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _edit(build: Any, title: str) -> Any:
    """An endpoint sending the operation ``build(form)`` makes, then going back (or JSON)."""
    @login_required
    async def endpoint(request: Request) -> Response:
        form = await request.form()
        try:
            await calls.call(request, [build(form)])
        except ApiError as error:
            if _wants_json(request):
                return JSONResponse({"error": error.message, "exception": error.exception_name},
                                    status_code=error.status_code)
            return failure(request, error, title)
        if _wants_json(request):
            return JSONResponse({"ok": True})
        return back(form.get("next"), "/")

    return endpoint


def routes() -> list[BaseRoute]:
    return [
        Route("/status", _edit(status_operation, "The status was not changed"), methods=["POST"],
              name="change-status"),
        Route("/assignments", _edit(assign_operation, "The assignment was not made"), methods=["POST"],
              name="assign"),
        Route("/assignments/remove", _edit(unassign_operation, "The assignment was not removed"),
              methods=["POST"], name="unassign"),
    ]
