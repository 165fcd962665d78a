"""Listening sockets for the server.

A listening socket must be created with ``IPPROTO_TCP`` as its protocol: asyncio turns on
``TCP_NODELAY`` only for accepted sockets whose ``proto`` says TCP, and accepted sockets
inherit it from the listening one. Without it Nagle's algorithm meets the client's delayed
ACKs and every request on a kept-alive connection waits about 40 ms.
"""

from __future__ import annotations

import errno
import socket


class PortInUseError(OSError):
    """The address the server should listen on is taken (another server runs there)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {host} is already in use: is another clapboard server running there? "
            "Stop it or choose another port (--port, or 0 to pick a free one).",
        )
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return self.strerror


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a TCP socket bound to ``host``:``port`` (0 picks a free port), not yet listening.

    Raise :class:`PortInUseError` when the address is taken.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from None
        raise
    except BaseException:
        sock.close()
        raise
    return sock
