"""Handshake session ids: issued to authenticated users, claimed once by their WebSocket."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    """Who completed a handshake."""

    id: str
    user_id: str
    username: str
    #: Hash of the API key the user authenticated with (re-checked while the socket is open).
    key_hash: str
    expires: float


class Sessions:
    """Single-use session ids that expire ``lifetime`` seconds after the handshake."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.lifetime = lifetime
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: str, username: str, key_hash: str) -> Session:
        now = time.monotonic()
        session = Session(secrets.token_hex(16), user_id, username, key_hash, now + self.lifetime)
        with self._lock:
            self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
            self._sessions[session.id] = session
        return session

    def claim(self, session_id: str) -> Session | None:
        """The session for ``session_id`` (then forgotten); None if unknown, used or expired."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None or session.expires <= time.monotonic():
            return None
        return session
