"""Signed, expiring tokens for URLs that carry their own authorisation (widget pages).

A token is ``<claims>.<signature>``: ``claims`` is the URL-safe base64 (unpadded) JSON of the
claims, with the token's purpose under ``"use"`` and its expiry (Unix seconds) under ``"exp"``;
``signature`` is the URL-safe base64 HMAC-SHA256 of ``"<purpose>\\n<claims>"`` under a server-wide
secret (kept in the database, so every server process accepts the tokens of the others). Changing one character of
either part, using a token for another purpose, or using it after its expiry is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from .errors import PermissionDeniedError


class InvalidTokenError(PermissionDeniedError):
    """A token that is malformed, forged, for another purpose or expired."""


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and verifies tokens with one secret."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.clock = clock

    def _signature(self, purpose: str, claims: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\n{claims}".encode("ascii"), hashlib.sha256).digest()
        return _encode(digest)

    def sign(self, purpose: str, claims: dict[str, Any], ttl: float) -> str:
        """A token for ``purpose`` carrying ``claims``, valid for ``ttl`` seconds."""
        body = dict(claims, use=purpose, exp=int(self.clock() + ttl))
        encoded = _encode(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        return f"{encoded}.{self._signature(purpose, encoded)}"

    def verify(self, purpose: str, token: str | None) -> dict[str, Any]:
        """The claims of ``token``; :class:`InvalidTokenError` unless valid for ``purpose`` now."""
        encoded, _, signature = (token or "").partition(".")
        if not encoded or not signature or not encoded.isascii():
            raise InvalidTokenError("The link is not valid: its token is missing or malformed.")
        if not hmac.compare_digest(signature.encode("ascii", "replace"), self._signature(purpose, encoded).encode("ascii")):
            raise InvalidTokenError("The link is not valid: its token was altered or is not for this page.")
        try:
            claims = json.loads(_decode(encoded))
        except (ValueError, binascii.Error):
            raise InvalidTokenError("The link is not valid: its token is malformed.") from None
        if not isinstance(claims, dict) or claims.get("use") != purpose or not isinstance(claims.get("exp"), int):
            raise InvalidTokenError("The link is not valid for this page.")
        if claims["exp"] < self.clock():
            raise InvalidTokenError("The link has expired; ask for a new one.")
        return claims
