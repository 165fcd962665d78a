"""Absolute, signed URLs of component routes for the attributes that hold URLs (``thumbnail_url``).

While an API call runs, :func:`component_links` makes :func:`component_url` answer URLs on the
server as the client reached it, carrying a token signed for the calling user and the component,
so they open in a browser or an ``<img>`` tag without credentials for :data:`LINK_TTL` seconds.
Outside a call (no server URL known) the URL is the relative path, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from ..signing import Signer

#: Purpose of the tokens in component links.
PURPOSE = "component"
#: Routes whose links carry a token.
SIGNED_ENDPOINTS = frozenset({"thumbnail"})
#: How long a link in an attribute value works, in seconds.
LINK_TTL = 24 * 3600

_builder: ContextVar[Callable[[str, str], str] | None] = ContextVar("clapboard_component_links", default=None)


@contextlib.contextmanager
def component_links(signer: Signer, server_url: str | None, user_id: str) -> Iterator[None]:
    """Within the block, :func:`component_url` makes signed links on ``server_url`` for ``user_id``."""
    if not server_url:
        yield
        return

    def build(endpoint: str, component_id: str) -> str:
        token = signer.sign(PURPOSE, {"id": component_id, "user": user_id}, LINK_TTL)
        return f"{server_url.rstrip('/')}/component/{endpoint}?id={component_id}&token={token}"

    reset = _builder.set(build)
    try:
        yield
    finally:
        _builder.reset(reset)


def component_url(endpoint: str, component_id: str) -> str:
    """The URL of ``/component/<endpoint>`` for ``component_id`` in the current call.

    Only ``thumbnail`` links are signed; others stay relative paths needing credentials.
    """
    build = _builder.get()
    if build is None or endpoint not in SIGNED_ENDPOINTS:
        return f"/component/{endpoint}?id={component_id}"
    return build(endpoint, component_id)
