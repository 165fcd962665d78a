"""Run a server in a background thread of this process, for scripts and tests.

>>> from clapboard_server import embedded
>>> with embedded.start() as server:
...     print(server.server_url, server.api_user)
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .limits import Limits
from .request_log import RequestLog
from .server import Server
from .sockets import PortInUseError, listening_socket
from .timeouts import protocol_class

__all__ = ["EmbeddedServer", "PortInUseError", "start"]


def uvicorn_config(app, limits: Limits | None = None) -> uvicorn.Config:
    """The uvicorn configuration every clapboard server runs ``app`` with (requests logged, see
    :mod:`clapboard_server.request_log`; read timeouts, see :mod:`clapboard_server.timeouts`)."""
    limits = limits or Limits.resolve()
    return uvicorn.Config(
        RequestLog(app), log_level="warning", lifespan="off", access_log=False,
        http=protocol_class(limits.header_timeout, limits.body_timeout),
        ws_max_size=limits.max_body_bytes,
    )


class Uvicorn(uvicorn.Server):
    """uvicorn serving a clapboard server: on shutdown the event hub's connections are closed
    first, so open WebSockets and pages' event streams do not hold the shutdown up."""

    def __init__(self, server: Server) -> None:
        super().__init__(uvicorn_config(create_app(server), server.limits))
        self.clapboard = server

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.clapboard.events.disconnect_all()
        await super().shutdown(sockets)


class EmbeddedServer:
    """Handle of a running embedded server."""

    def __init__(self, server: Server, host: str, port: int, temporary_dir: str | None) -> None:
        self.server = server
        self.host = host
        self.port = port
        self._temporary_dir = temporary_dir
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def server_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_user(self) -> str:
        return self.server.admin_user

    @property
    def api_key(self) -> str:
        return self.server.admin_key

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    def _run(self, sock: socket.socket) -> None:
        self._uvicorn = Uvicorn(self.server)
        self._uvicorn.run(sockets=[sock])

    def start(self, sock: socket.socket) -> None:
        self._thread = threading.Thread(target=self._run, args=(sock,), name="clapboard-server", daemon=True)
        self._thread.start()
        while not (self._uvicorn and self._uvicorn.started):
            if not self._thread.is_alive():
                raise RuntimeError("The embedded clapboard server failed to start; see the log above.")
            self._thread.join(0.01)

    def stop(self) -> None:
        """Stop serving, release the database and remove a temporary data folder."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.server.close()
        if self._temporary_dir:
            shutil.rmtree(self._temporary_dir, ignore_errors=True)
            self._temporary_dir = None

    def __enter__(self) -> EmbeddedServer:  # noqa: PYI034
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<EmbeddedServer {self.server_url} user={self.api_user!r} data_dir={str(self.data_dir)!r}>"


def start(
    data_dir: str | Path | None = None,
    database: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
    **options: Any,
) -> EmbeddedServer:
    """Start a server in a background thread and return its handle once it accepts requests.

    Without ``data_dir`` a temporary folder is used and removed on :meth:`EmbeddedServer.stop`.
    ``database`` is a SQLAlchemy URL (``postgresql://...``); the default is SQLite in the data
    folder. ``port=0`` picks a free port. The port is taken before anything else happens: when
    it is in use, :class:`PortInUseError` is raised and no data folder is created. ``limits`` (a
    :class:`~clapboard_server.limits.Limits`) or options named after its fields
    (``max_body_bytes=1_000_000``) change the server's limits; the others come from
    ``CLAPBOARD_SERVER_*`` variables or the defaults. Other ``options`` go to
    :class:`~.server.Server` (``ffmpeg``, ``encode_workers``, ``smtp``, and ``storage``: where
    component data lives, the data folder by default or ``s3://BUCKET[/PREFIX]`` with
    ``storage_options`` for the S3 client: ``endpoint_url``, ``region_name``, ...; unset ones
    come from the AWS environment variables).
    """
    limit_overrides = {name: options.pop(name) for name in list(options) if name in Limits.names()}
    if limits is None or limit_overrides:
        base = dataclasses.asdict(limits) if limits is not None else {}
        limits = Limits.resolve({**base, **limit_overrides})
    sock = listening_socket(host, port)
    temporary = None
    server = None
    try:
        if data_dir is None:
            temporary = tempfile.mkdtemp(prefix="clapboard-")
            data_dir = temporary
        server = Server(Path(data_dir), database, limits=limits, **options)
        server.prepare()
        handle = EmbeddedServer(server, host, sock.getsockname()[1], temporary)
        handle.start(sock)
    except BaseException:
        sock.close()
        if server is not None:
            server.close()
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    return handle
