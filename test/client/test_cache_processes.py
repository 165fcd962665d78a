"""FileCache shared by processes: concurrent writers, a writer killed mid-write, a damaged file.

Each test runs writers in subprocesses that report on stdout and wait for a
"go" line on stdin; the tests wait on these reports, never on sleeps.
"""

import collections
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from clapboard.cache import FileCache

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and fcntl")

SOURCE = str(Path(__file__).resolve().parents[2] / "source")

#: Writes ``{name}-{i}`` for i < count (every tenth also to a shared key, every
#: hundredth in a batch of ten), between a "ready" and a "done" report.
WRITER = textwrap.dedent(
    """
    import sys
    from clapboard.cache import FileCache

    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cache = FileCache(path)
    print("ready", flush=True)
    assert sys.stdin.readline() == "go\\n"
    index = 0
    while index < count:
        if index % 100 == 0:
            with cache.batch():
                for _ in range(10):
                    cache.set(f"{name}-{index}", f"{name}:{index}")
                    index += 1
            continue
        cache.set(f"{name}-{index}", f"{name}:{index}")
        if index % 10 == 0:
            cache.set("shared", f"{name}:{index}")
        index += 1
    print("done", flush=True)
    """
)

#: Writes batches of 20 and single entries for ever, reporting each round once stored.
ENDLESS_WRITER = textwrap.dedent(
    """
    import sys
    from clapboard.cache import FileCache

    cache = FileCache(sys.argv[1])
    round = 0
    while True:
        with cache.batch():
            for item in range(20):
                cache.set(f"batch-{round}-{item}", "x" * 2000)
        cache.set(f"single-{round}", str(round))
        print(round, flush=True)
        round += 1
    """
)


def start(script, *arguments):
    environment = dict(os.environ, PYTHONPATH=SOURCE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, arguments)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def expect(process, line):
    """Wait until *process* reports *line*."""
    answer = process.stdout.readline()
    if answer != line + "\n":
        process.kill()
        raise AssertionError(f"expected {line!r}, got {answer!r}; stderr: {process.stderr.read()}")


def finish(process):
    """Wait for *process* to exit successfully; return its stderr."""
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    return errors


def integrity(path):
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def start_writers_together(path, count):
    """Two writer processes, released at the same moment once both are ready."""
    writers = [start(WRITER, path, name, count) for name in ("first", "second")]
    for writer in writers:
        expect(writer, "ready")
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    return writers


def test_two_processes_write_one_file_concurrently(tmp_path):
    path = tmp_path / "shared.sqlite"
    count = 3000
    writers = start_writers_together(path, count)
    for writer in writers:
        expect(writer, "done")
        finish(writer)
    cache = FileCache(path)
    for name in ("first", "second"):
        for index in range(count):
            assert cache.get(f"{name}-{index}") == f"{name}:{index}"
    assert cache.get("shared").split(":")[0] in ("first", "second")
    assert len(cache.keys()) == 2 * count + 1
    assert integrity(path) == "ok"


def test_process_killed_mid_write_leaves_a_usable_cache(tmp_path):
    path = tmp_path / "killed.sqlite"
    writer = start(ENDLESS_WRITER, path)
    for round in range(300):  # each report means that round is stored
        expect(writer, str(round))
    os.kill(writer.pid, signal.SIGKILL)  # while it writes the next rounds
    writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    cache = FileCache(path)
    for round in range(300):
        assert cache.get(f"single-{round}") == str(round)
        for item in range(20):
            assert cache.get(f"batch-{round}-{item}") == "x" * 2000
    keys = cache.keys()
    batches = [key.rsplit("-", 1)[0] for key in keys if key.startswith("batch-")]
    assert set(collections.Counter(batches).values()) == {20}  # whole batches only, even the last one
    cache.set("after", "1")
    assert cache.get("after") == "1"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_processes_sharing_a_damaged_file_rebuild_it_once(tmp_path, damage):
    path = tmp_path / "damaged.sqlite"
    with FileCache(path) as cache, cache.batch():
        for index in range(2000):
            cache.set(f"old-{index}", "y" * 500)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    if damage == "garbage":
        path.write_bytes(os.urandom(64 * 1024))
    else:
        with open(path, "r+b") as stream:
            stream.truncate(path.stat().st_size // 3)
    count = 500
    writers = start_writers_together(path, count)
    errors = ""
    for writer in writers:
        expect(writer, "done")
        errors += finish(writer)
    cache = FileCache(path)
    if damage == "garbage":  # a truncated file may keep serving its intact pages
        assert errors.count("is unusable") == 1, errors
        assert (tmp_path / "damaged.sqlite.corrupt").exists()
    for name in ("first", "second"):
        for index in range(count):
            assert cache.get(f"{name}-{index}") == f"{name}:{index}"
    assert integrity(path) == "ok"


def test_forked_child_opens_its_own_connection(tmp_path):
    """A child forked after the parent used the cache must not reuse the parent's connection."""
    script = textwrap.dedent(
        """
        import os, sys
        from clapboard.cache import FileCache

        cache = FileCache(sys.argv[1])
        cache.set("before-fork", "1")
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for index in range(500):
                    cache.set(f"child-{index}", "c")
                code = 0
            finally:
                os._exit(code)
        for index in range(500):
            cache.set(f"parent-{index}", "p")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert len(cache.keys()) == 1001
        print("done", flush=True)
        """
    )
    process = start(script, tmp_path / "forked.sqlite")
    expect(process, "done")
    finish(process)
    assert integrity(tmp_path / "forked.sqlite") == "ok"
