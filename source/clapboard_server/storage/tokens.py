"""Self-authenticating storage URLs: HMAC tokens for uploads and for downloads.

- An upload token allows one ``PUT`` of one component's data, for the user who asked for it,
  until it expires. It has the form ``<expiry>.<size>.<md5>.<nonce>.<user id>.<signature>``:
  ``size`` is the byte count and ``md5`` the hexadecimal MD5 digest the data must have (each
  empty when ``get_upload_metadata`` did not give it); ``nonce`` is random, so every token is
  new and using one (which the server records) never spends another.
- A download token lets one user read one component (``/component/get`` and ``/component/thumbnail``)
  for a short time, so links the server hands out need no API key. Its form is
  ``<expiry>.<user id>.<signature>``.

``expiry`` is a Unix time in whole seconds and ``signature`` the URL-safe base64 (unpadded)
HMAC-SHA256 of the token's purpose, the component id and the other fields, under the server-wide
storage secret (kept in the database, so every server process accepts the tokens of the others).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import PermissionDeniedError

#: How long an upload URL stays valid, in seconds.
DEFAULT_TTL = 3600
#: How long a download link stays valid, in seconds.
DEFAULT_DOWNLOAD_TTL = 900


class InvalidTokenError(PermissionDeniedError):
    """A storage token that is malformed, forged, for another component or expired."""


@dataclass(frozen=True)
class UploadGrant:
    """What a valid upload token allows: the data's size and MD5 digest, when they were given."""

    component_id: str
    user_id: str
    size: int | None
    md5: bytes | None
    expires: int
    signature: str


class StorageTokens:
    """Signs and verifies upload and download tokens with one secret."""

    def __init__(self, secret: bytes, ttl: int = DEFAULT_TTL, download_ttl: int = DEFAULT_DOWNLOAD_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl = ttl
        self.download_ttl = download_ttl
        self._clock = clock

    def _signature(self, *fields: str) -> str:
        digest = hmac.new(self._secret, "\n".join(fields).encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _expiry(self, ttl: int, expires: float | None) -> int:
        return int(self._clock() + ttl if expires is None else expires)

    def _check_expiry(self, expiry: int, what: str) -> None:
        if expiry < self._clock():
            raise InvalidTokenError(f"The {what} has expired; ask the server for a new one.")

    # -- uploads -------------------------------------------------------------------------------

    def sign_upload(self, component_id: str, user_id: str, size: int | None = None, md5: bytes | None = None,
                    expires: float | None = None) -> str:
        """A token allowing ``user_id`` one upload of ``component_id`` (``size`` bytes, digest ``md5``)."""
        expiry = self._expiry(self.ttl, expires)
        fields = (str(expiry), "" if size is None else str(size), md5.hex() if md5 else "",
                  secrets.token_urlsafe(9), user_id)
        return ".".join((*fields, self._signature("upload", component_id, *fields)))

    def verify_upload(self, component_id: str, token: str | None) -> UploadGrant:
        """What ``token`` allows for ``component_id`` now; :class:`InvalidTokenError` otherwise."""
        parts = (token or "").split(".", 4)
        user_id, _, signature = parts[4].rpartition(".") if len(parts) == 5 else ("", "", "")
        expiry_text, size_text, md5_text, nonce = (parts + ["", "", "", ""])[:4]
        if (not expiry_text.isdigit() or not nonce or not user_id or not signature
                or not _digits_or_empty(size_text) or not _hex_or_empty(md5_text)):
            raise InvalidTokenError("The upload URL is not valid: its token is missing or malformed.")
        if not hmac.compare_digest(signature, self._signature("upload", component_id, *parts[:4], user_id)):
            raise InvalidTokenError("The upload URL is not valid for this component.")
        self._check_expiry(int(expiry_text), "upload URL")
        return UploadGrant(component_id, user_id, int(size_text) if size_text else None,
                           bytes.fromhex(md5_text) if md5_text else None, int(expiry_text), signature)

    # -- downloads -----------------------------------------------------------------------------

    def sign_download(self, component_id: str, user_id: str, expires: float | None = None) -> str:
        """A token letting ``user_id`` read ``component_id`` until it expires."""
        expiry = str(self._expiry(self.download_ttl, expires))
        return f"{expiry}.{user_id}.{self._signature('download', component_id, expiry, user_id)}"

    def verify_download(self, component_id: str, token: str) -> str:
        """The id of the user a valid download ``token`` for ``component_id`` was issued to."""
        expiry_text, _, rest = token.partition(".")
        user_id, _, signature = rest.rpartition(".")
        if not expiry_text.isdigit() or not user_id or not signature:
            raise InvalidTokenError("The download link is not valid: its token is malformed.")
        if not hmac.compare_digest(signature, self._signature("download", component_id, expiry_text, user_id)):
            raise InvalidTokenError("The download link is not valid for this component.")
        self._check_expiry(int(expiry_text), "download link")
        return user_id


def _digits_or_empty(text: str) -> bool:
    return text == "" or text.isdigit()


def _hex_or_empty(text: str) -> bool:
    return len(text) in (0, 32) and all(c in "0123456789abcdef" for c in text)
