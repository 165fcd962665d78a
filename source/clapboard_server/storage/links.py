"""Links to stored files that the server puts in query results (``thumbnail_url``, ``url``).

While :func:`signing` is active (the server wraps each API call in it), :func:`component_link`
adds a download token for the calling user, so the link works without an API key and only for a
short time. Outside it (no caller known) the link carries no credentials.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from urllib.parse import quote

from .tokens import StorageTokens

_signer: ContextVar[tuple[StorageTokens, str] | None] = ContextVar("clapboard_link_signer", default=None)


def signing(tokens: StorageTokens, user_id: str) -> contextlib.AbstractContextManager[None]:
    """Sign the links built inside the block for ``user_id``."""
    return _Signing((tokens, user_id))


class _Signing:
    """:func:`signing` as a class: it wraps every API call, and a generator costs more."""

    __slots__ = ("_signer", "_token")

    def __init__(self, signer: tuple[StorageTokens, str]) -> None:
        self._signer = signer

    def __enter__(self) -> None:
        self._token = _signer.set(self._signer)

    def __exit__(self, *_: object) -> None:
        _signer.reset(self._token)


def component_link(endpoint: str, component_id: str) -> str:
    """``/component/<endpoint>?id=<component id>``, with a download token for the current caller."""
    link = f"/component/{endpoint}?id={quote(str(component_id), safe='')}"
    current = _signer.get()
    if current is not None:
        tokens, user_id = current
        link += "&token=" + quote(tokens.sign_download(str(component_id), user_id), safe="")
    return link
