"""Self-authenticating upload URLs: HMAC tokens over a component id and an expiry time.

A token has the form ``<expiry>.<signature>``: ``expiry`` is a Unix time in whole seconds and
``signature`` the URL-safe base64 (unpadded) HMAC-SHA256 of ``"<component id>\\n<expiry>"`` under a
random secret. The secret is generated on the server's first start and kept in the data folder,
readable by its owner only, so tokens survive restarts and cannot be forged without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import PermissionDeniedError

#: Name of the secret's file in the data folder.
SECRET_FILE = "storage-secret"
#: How long an upload URL stays valid, in seconds.
DEFAULT_TTL = 3600


class InvalidTokenError(PermissionDeniedError):
    """An upload token that is malformed, forged, for another component or expired."""


def load_secret(path: Path) -> bytes:
    """The secret stored at ``path``; create it (mode 0600) when missing."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return bytes.fromhex(text)
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC)
    secret = secrets.token_bytes(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    return secret


class UploadTokens:
    """Signs and verifies upload tokens with one secret."""

    def __init__(self, secret: bytes, ttl: int = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl = ttl
        self._clock = clock

    @classmethod
    def in_folder(cls, data_dir: Path, ttl: int = DEFAULT_TTL) -> UploadTokens:
        """Tokens signed with the secret of ``data_dir`` (created on first use)."""
        return cls(load_secret(Path(data_dir) / SECRET_FILE), ttl)

    def _signature(self, component_id: str, expires: int) -> str:
        message = f"{component_id}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, component_id: str, expires: float | None = None) -> str:
        """A token allowing one upload of ``component_id`` until ``expires`` (default: now + ttl)."""
        expiry = int(self._clock() + self.ttl if expires is None else expires)
        return f"{expiry}.{self._signature(component_id, expiry)}"

    def verify(self, component_id: str, token: str | None) -> None:
        """Raise :class:`InvalidTokenError` unless ``token`` is valid for ``component_id`` now."""
        expiry_text, _, signature = (token or "").partition(".")
        if not expiry_text.isdigit() or not signature:
            raise InvalidTokenError("The upload URL is not valid: its token is missing or malformed.")
        expiry = int(expiry_text)
        if not hmac.compare_digest(signature, self._signature(component_id, expiry)):
            raise InvalidTokenError("The upload URL is not valid for this component.")
        if expiry < self._clock():
            raise InvalidTokenError("The upload URL has expired; ask for a new one with get_upload_metadata.")
