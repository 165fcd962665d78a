"""Base resource identifier transformer (identity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ResourceIdentifierTransformer:
    """Transform resource identifiers before central storage and after retrieval.

    :meth:`encode` runs before a resource identifier is stored centrally and
    :meth:`decode` after it is retrieved, before local use. This base class
    returns identifiers unchanged; subclasses implement real transformations
    (e.g. storing JSON encoded metadata and composing a path on decode). It is
    separate from any transformation an accessor performs.
    """

    def __init__(self, session: Any) -> None:
        """Initialise with *session*, the :class:`~clapboard.session.Session` to use."""
        super().__init__()
        self.session = session

    def encode(self, resource_identifier: str, context: Mapping[str, Any] | None = None) -> str:
        """Return *resource_identifier* encoded for central storage (unchanged here).

        *context* can supply extra information, such as the component.
        """
        return resource_identifier

    def decode(self, resource_identifier: str, context: Mapping[str, Any] | None = None) -> str:
        """Return *resource_identifier* decoded for local use (unchanged here).

        *context* can supply extra information, such as the component.
        """
        return resource_identifier


__all__ = ["ResourceIdentifierTransformer"]
