"""Caches: MemoryCache rates, and a persistent FileCache against fetching from the server.

Figures, each against an anchor measured in the same run:

- MemoryCache get and set of 10,000 entity keys, against a plain ``dict``;
- a session with a warm FileCache (a SerialisedCache of the session's
  encode/decode over a FileCache) getting 10,000 tasks by id with
  ``session.get`` -- no request reaches the server -- against a session
  without a user cache fetching the same tasks from the server with one
  query (pages of 500);
- the cold session that filled the cache (the same query, writing each task
  to the file), against the same query without a user cache.

    python bench/cache.py [--tasks 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import clapboard
from clapboard.cache import FileCache, MemoryCache, SerialisedCache
from clapboard_server import embedded
from fixtures import populate

QUERY = 'Task where project.name is "{project}"'


def best_rate(operation: Callable[[], None], count: int, repeat: int) -> float:
    """Return the best of *repeat* rates (operations per second) of *operation* doing *count* operations."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - started)
    return count / min(timings)


def memory_cache_rates(count: int, repeat: int) -> None:
    """Print MemoryCache get and set rates against a dict's."""
    keys = [str(("Task", [str(uuid.uuid4())])) for _ in range(count)]
    cache, plain = MemoryCache(), {}
    value = object()

    def cache_set() -> None:
        for key in keys:
            cache.set(key, value)

    def cache_get() -> None:
        for key in keys:
            cache.get(key)

    def dict_set() -> None:
        for key in keys:
            plain[key] = value

    def dict_get() -> None:
        for key in keys:
            plain[key]

    rates = {name: best_rate(function, count, repeat * 5) for name, function in (
        ("MemoryCache.set", cache_set), ("dict set", dict_set),
        ("MemoryCache.get", cache_get), ("dict get", dict_get),
    )}
    print(f"MemoryCache.set  {rates['MemoryCache.set']:>12,.0f} /s   dict {rates['dict set']:>12,.0f} /s   "
          f"ratio {rates['MemoryCache.set'] / rates['dict set']:.2f}")
    print(f"MemoryCache.get  {rates['MemoryCache.get']:>12,.0f} /s   dict {rates['dict get']:>12,.0f} /s   "
          f"ratio {rates['MemoryCache.get'] / rates['dict get']:.2f}")


def cache_maker(path: Path, session: clapboard.Session) -> SerialisedCache:
    """The persistent cache of the documentation."""
    return SerialisedCache(FileCache(path), encode=session.encode, decode=session.decode)


def timed(function: Callable[[], object]) -> float:
    """Return the seconds *function* takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def file_size(path: Path) -> int:
    """Return the bytes of the cache file at *path* and its write-ahead log."""
    return sum(candidate.stat().st_size for candidate in (path, Path(f"{path}-wal")) if candidate.exists())


class Sessions:
    """Sessions on one embedded server, sharing a warm schema cache."""

    def __init__(self, server: embedded.EmbeddedServer, folder: Path):
        self.server = server
        self.folder = folder

    def new(self, cache_path: Path | None = None) -> clapboard.Session:
        """Return a new session, with a persistent cache at *cache_path* if given."""
        cache = functools.partial(cache_maker, cache_path) if cache_path is not None else None
        return clapboard.Session(self.server.server_url, self.server.api_key, self.server.api_user,
                                 schema_cache_path=str(self.folder), cache=cache)


def run_once(sessions: Sessions, query: str, cache_path: Path) -> tuple[float, float, float]:
    """Return the seconds of: the server query, the cold-cache query, the warm-cache gets."""
    with sessions.new() as session:
        started = time.perf_counter()
        ids = [task["id"] for task in session.query(query)]
        server_time = time.perf_counter() - started
    with sessions.new(cache_path) as session:
        cold_time = timed(session.query(query).all)
    with sessions.new(cache_path) as session:
        calls = session.transport.call_count
        started = time.perf_counter()
        for task_id in ids:
            session.get("Task", task_id)
        warm_time = time.perf_counter() - started
        assert session.transport.call_count == calls, "the warm cache asked the server"
        assert len(session._identity_map) >= len(ids)
    return server_time, cold_time, warm_time


def session_figures(tasks: int, repeat: int) -> None:
    """Print warm-cache loading and cold-cache querying against plain server queries."""
    with embedded.start() as server:
        query = QUERY.format(project=populate(server, tasks, "bench_cache"))
        sessions = Sessions(server, Path(tempfile.mkdtemp(prefix="clapboard-bench-cache-")))
        sessions.new().close()  # warm the schema cache
        runs = [run_once(sessions, query, sessions.folder / f"cache-{run}.sqlite") for run in range(repeat)]
        server_time, cold_time, warm_time = (statistics.median(figures) for figures in zip(*runs))
        print(f"fetch {tasks:,} tasks from the server (query, no user cache)      {server_time:8.3f} s")
        print(f"load them from a warm FileCache (session.get each, no request) {warm_time:8.3f} s"
              f"   {server_time / warm_time:.2f}x faster than the server")
        print(f"query them with a cold FileCache (writes each task)            {cold_time:8.3f} s"
              f"   {cold_time / server_time:.2f}x the time without a user cache")
        size = file_size(sessions.folder / "cache-0.sqlite")
        print(f"cache file: {size / 1e6:.1f} MB for {tasks:,} tasks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    memory_cache_rates(arguments.tasks, arguments.repeat)
    session_figures(arguments.tasks, arguments.repeat)


if __name__ == "__main__":
    main()
