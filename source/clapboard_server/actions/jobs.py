"""The ``delayed_job`` action: server-side jobs a client triggers (``SYNC_USERS_LDAP``)."""

from __future__ import annotations

import json
from typing import Any

from .. import ldap_sync, settings
from ..errors import ValidationError
from ..values import utc_now
from .context import CallContext
from .registry import action

_JOB_TYPES = ("SYNC_USERS_LDAP",)


@action("delayed_job", writes=True)
def delayed_job(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """Run the job and answer with its Job: ``done`` with a summary, or ``failed`` with the reason."""
    job_type = operation.get("job_type")
    if job_type not in _JOB_TYPES:
        raise ValidationError(f"Unknown job_type {job_type!r}; known: {', '.join(_JOB_TYPES)}.")
    writer = context.writer
    job = writer.create("Job", {"user_id": context.user_id, "status": "running", "type": "sync_users_ldap"})
    directory = settings.get(context.server.database, ldap_sync.DIRECTORY_SETTING)
    if not directory:
        status, data = "failed", {"description": "LDAP is not configured on this server "
                                                 f"(the {ldap_sync.DIRECTORY_SETTING!r} setting)."}
    else:
        try:
            counts = ldap_sync.sync_users(writer, ldap_sync.directory_users(directory))
        except ValidationError as error:
            status, data = "failed", {"description": str(error)}
        else:
            status, data = "done", {"description": "Users synchronised from LDAP.", **counts}
    job = writer.update("Job", [job["id"]], {"status": status, "data": json.dumps(data), "finished_at": utc_now()})
    return {"action": "delayed_job", "data": job}
