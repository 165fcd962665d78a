"""Read actions: server information, schemas and queries."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..errors import ParseError, ValidationError
from ..limits import check_query_text
from ..query import select, shape
from ..query.parser import parse
from ..query.paths import check_query
from . import pipelined
from .context import CallContext
from .registry import action

#: Reported to clients; the ftrack client requires at least 3.3.11.
COMPATIBLE_VERSION = "4.13.8"


@action("query_server_information")
def query_server_information(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": COMPATIBLE_VERSION,
        "product": "clapboard",
        "clapboard_version": __version__,
        "schema_hash": context.server.registry.schema_hash,
        "storage_scenario": {"scenario": "ftrack.automatic", "data": {}},
        "is_timezone_support_enabled": True,
        # Query operations may carry the text the user wrote (see ``query``).
        "query_user_expression": True,
        # Write batches sent with an Idempotency-Key header may be retried safely.
        "idempotent_writes": True,
    }


@action("query_schemas")
def query_schemas(context: CallContext, operation: dict[str, Any]) -> Any:
    return context.server.registry.documents


@action("query")
def query(context: CallContext, operation: dict[str, Any]) -> dict[str, Any]:
    """Run a query. ``user_expression``, when given, is the text the user wrote before the
    client added projections, offset and limit: syntax errors point into it instead."""
    expression = operation.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationError("The query action needs an 'expression' string.")
    limits = context.server.limits
    check_query_text(expression, limits)
    answer = pipelined.answer(context, expression, limits)
    if answer is not None:
        return answer
    answer = context.server.plans.run(context.connection, expression, context.rules, limits)
    if answer is not None:  # a shape seen before: its compiled statement, with these values
        return answer
    try:
        query = parse(expression)
    except ParseError:
        written = operation.get("user_expression")
        if isinstance(written, str) and written != expression:
            check_query_text(written, limits)
            parse(written)  # raises the same error, positioned in the user's text
        raise
    shape.check_query(query, limits)
    catalog = context.server.database.catalog
    try:
        return select.execute(catalog, context.connection, query, context.rules)
    except ValidationError:
        check_query(catalog.registry, query)  # an unknown name: say which path, as written
        raise
