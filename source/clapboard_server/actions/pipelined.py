"""A query and its reader's grants in one round trip to PostgreSQL.

Every request reads the acting user's grants (so that a role change applies to the next request
on every process), and the query is built for those grants: two round trips, where the query
alone would take one. On PostgreSQL a query whose shape has a plan for the grants this process
last read for the user is sent together with the grants' own statement (psycopg's pipeline
mode), the grants first. Its rows are used only if the grants just read are the ones the plan
was built for; otherwise they are dropped and the query runs again for the fresh grants. Either
way the query sees exactly what the grants read with it allow, as when the two are sent one
after the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..limits import Limits
from ..policy import ReadRules
from ..query.compiled import can_pipeline, pipelined

if TYPE_CHECKING:
    from .context import CallContext


def answer(context: CallContext, expression: str, limits: Limits) -> dict[str, Any] | None:
    """The answer to query ``expression`` read together with the user's grants; None when it
    cannot be (not PostgreSQL, grants already read or never read, no plan, grants changed)."""
    if context._grants is not None or context.user_id is None or not can_pipeline(context.connection):
        return None
    server = context.server
    policy = server.policy
    guessed = policy.last_read_grants(context.user_id)
    if guessed is None:
        return None
    rules = ReadRules(server.database.catalog, guessed)
    found = server.plans.cached(expression, rules, limits)
    if found is None:
        return None
    plan, values = found
    grant_rows, rows = pipelined(context.connection, [(policy.grants_statement, (context.user_id,)),
                                                      (plan.compiled, values)])
    context._grants = policy.decode_grants(context.user_id, grant_rows)
    if context._grants != guessed:
        return None  # the user's roles changed: the rows read for the old ones are dropped
    context._rules = rules
    return plan.prepared.shape(context.connection, rules, rows)
