"""What is left of a refused request's body, read before the refusal is sent.

A server that answers before it has received a request's whole body (a 403 for a forged
upload URL, a cross-site form post) must then close the connection, and closing a socket with
unread data resets it: the client, still sending or about to read, may get "connection reset"
instead of the answer. Reading a small remainder first lets the answer arrive and the
connection stay open; a large one is left unread (the reset is then the cheaper outcome).
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

#: Most bytes of a refused request's body read (and discarded) before answering.
DRAINED_BYTES = 1 << 20


async def drain(request: Request, maximum: int = DRAINED_BYTES) -> None:
    """Read and discard ``request``'s unread body when it declares at most ``maximum`` bytes
    (a body of unknown length is left: it could keep the answer waiting); nothing when its
    body was read already. Call it only when nothing has read part of the body."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > maximum:
        return
    try:
        async for _ in request.stream():  # at most the declared length: the HTTP framing ends it
            pass
    except (RuntimeError, ClientDisconnect):  # read already, or the client is gone: nothing to do
        return
