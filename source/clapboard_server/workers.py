"""Several server processes on one port: a pre-forking supervisor.

The supervisor binds the listening socket, prepares the database once (tables, seed, admin
key), then forks the workers. Each worker opens its own database connections and runs its own
event loop on the shared socket; the kernel hands each new connection to one of them. Nothing a
request needs lives in one worker's memory (keys, secrets, event-hub sessions and events go
through the database), so any worker can answer any request. A worker that dies is replaced.

Several workers need PostgreSQL: SQLite serves one process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .embedded import Uvicorn
from .limits import Limits
from .server import Server
from .sockets import listening_socket

log = logging.getLogger(__name__)

#: A worker that exits sooner than this after starting counts as failing to start.
QUICK_EXIT_SECONDS = 2.0
#: Quick exits in a row after which the supervisor gives up.
MAX_QUICK_EXITS = 5


class WorkerError(RuntimeError):
    """The workers cannot be started (wrong database, or they keep dying at start)."""


class Supervisor:
    """Runs ``workers`` server processes on ``host``:``port`` until :meth:`stop`."""

    def __init__(self, data_dir: Path, database: str | None, host: str, port: int, workers: int,
                 configure: Callable[[Server], None] | None = None, storage: str | None = None,
                 storage_options: dict | None = None, limits: Limits | None = None) -> None:
        if workers < 1:
            raise WorkerError("--workers must be at least 1.")
        if workers > 1 and not (database or "").startswith("postgresql"):
            raise WorkerError(
                f"--workers {workers} needs PostgreSQL (--database postgresql://...): SQLite serves one "
                "server process. Run one worker on SQLite, or move the data to PostgreSQL."
            )
        self.data_dir, self.database, self.workers = Path(data_dir), database, workers
        self._configure = configure
        self.storage, self.storage_options = storage, storage_options
        self.limits = limits
        self._socket = listening_socket(host, port)
        self._socket.listen(2048)
        self.host, self.port = host, self._socket.getsockname()[1]
        self._children: dict[int, float] = {}
        self._stopping = threading.Event()

    @property
    def server_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def prepare(self) -> Server:
        """Prepare the database in this process (before any fork); return the closed server."""
        server = self._server()
        server.close()
        return server

    def run(self) -> None:
        """Fork the workers and keep them running until :meth:`stop` is called."""
        quick_exits = 0
        for _ in range(self.workers):
            self._fork()
        while not self._stopping.is_set():
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                self._stopping.wait(0.2)
                continue
            started = self._children.pop(pid, None)
            if started is None or self._stopping.is_set():
                continue
            quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT_SECONDS else 0
            log.warning("Worker %d exited (%s); starting another.", pid, _describe(status))
            if quick_exits >= MAX_QUICK_EXITS:
                self._terminate_children()
                raise WorkerError("The server workers keep exiting as they start; see the log above.")
            self._fork()
        self._terminate_children()

    def stop(self) -> None:
        """Ask :meth:`run` to stop the workers and return (safe from a signal handler)."""
        self._stopping.set()

    def worker_pids(self) -> list[int]:
        return list(self._children)

    def _server(self) -> Server:
        server = Server(self.data_dir, self.database, storage=self.storage, storage_options=self.storage_options,
                        limits=self.limits)
        try:
            server.prepare()
            if self._configure is not None:
                self._configure(server)
        except BaseException:
            server.close()
            raise
        return server

    def _fork(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                self._serve()
                status = 0
            except BaseException:  # a worker must never return into the supervisor's code
                log.exception("Worker %d failed", os.getpid())
            finally:
                os._exit(status)
        self._children[pid] = time.monotonic()

    def _serve(self) -> None:
        server = self._server()
        try:
            Uvicorn(server).run(sockets=[self._socket])
        finally:
            server.close()

    def _terminate_children(self) -> None:
        for pid in list(self._children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self._children.pop(pid, None)
        deadline = time.monotonic() + 10
        while self._children and time.monotonic() < deadline:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid:
                self._children.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in self._children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self._children.clear()
        self._socket.close()


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"
