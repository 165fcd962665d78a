"""Listening sockets for the server.

A listening socket must be created with ``IPPROTO_TCP`` as its protocol: asyncio turns on
``TCP_NODELAY`` only for accepted sockets whose ``proto`` says TCP, and accepted sockets
inherit it from the listening one. Without it Nagle's algorithm meets the client's delayed
ACKs and every request on a kept-alive connection waits about 40 ms.
"""

from __future__ import annotations

import socket


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a TCP socket bound to ``host``:``port`` (0 picks a free port), not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock
