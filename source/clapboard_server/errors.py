"""Errors the server reports to clients.

Each error carries the ``exception`` name sent on the wire (see the wire protocol, section 2.6)
and the HTTP status used in strict mode. Messages never contain curly braces: the ftrack client
formats them with ``str.format``.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base class: an error answered to the client as ``{"exception", "content"}``."""

    exception_name = "ServerError"
    status_code = 500

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code

    def to_payload(self) -> dict:
        content = self.message.replace("{", "(").replace("}", ")")
        return {"exception": self.exception_name, "content": content, "error_code": self.error_code}


class InvalidCredentialsError(ApiError):
    exception_name = "InvalidCredentialsError"
    status_code = 401


class PermissionDeniedError(ApiError):
    exception_name = "PermissionError"
    status_code = 403


class ParseError(ApiError):
    """A malformed query expression; the message names what is wrong and where."""

    exception_name = "ParseError"
    status_code = 400

    def __init__(self, message: str, expression: str = "", position: int | None = None) -> None:
        if position is not None and expression:
            pointer = expression[:position].count("\n")
            column = position - (expression.rfind("\n", 0, position) + 1)
            message = (
                f"{message} at character {position + 1} "
                f"(line {pointer + 1}, column {column + 1}) of query: {expression!r}"
            )
        super().__init__(message)
        self.expression = expression
        self.position = position


class ValidationError(ApiError):
    """Input that is well formed but not acceptable: unknown type or attribute, wrong value."""

    exception_name = "ValidationError"
    status_code = 400


class NotFoundError(ApiError):
    exception_name = "NotFoundError"
    status_code = 404


class DuplicateEntryError(ApiError):
    """A unique constraint was violated. The text names IntegrityError (clients look for it)."""

    exception_name = "DuplicateEntryError"
    status_code = 409


class InvalidActionError(ApiError):
    exception_name = "InvalidActionError"
    status_code = 400

    def __init__(self, action: object) -> None:
        super().__init__(f"Invalid action u'{action}'")
