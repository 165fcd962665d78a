"""SQLite's WAL is checkpointed by a thread of its own, not inside the committing request."""

import sqlite3

from clapboard_server import embedded
from clapboard_server.wal_checkpoints import WalCheckpoints
from server_api import create


def _write_without_checkpoints(path, rows: int) -> sqlite3.Connection:
    """Rows committed into the WAL only, on a connection left open (closing the last
    connection would checkpoint)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE IF NOT EXISTS t (value TEXT)")
    connection.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,) for _ in range(rows)])
    return connection


def test_the_thread_copies_committed_pages_into_the_database_file(tmp_path):
    path = tmp_path / "db.sqlite"
    holder = _write_without_checkpoints(path, 1000)  # ~1 MB, all of it in the -wal file
    before = path.stat().st_size
    checkpoints = WalCheckpoints(path)
    checkpoints.note_commit()
    checkpoints.close()  # joins the thread after its checkpoint
    assert checkpoints.runs >= 1
    assert path.stat().st_size >= before + 1_000_000
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    holder.close()


def test_closing_without_commits_starts_no_thread(tmp_path):
    checkpoints = WalCheckpoints(tmp_path / "db.sqlite")
    checkpoints.close()
    checkpoints.note_commit()  # after close: ignored
    assert checkpoints.runs == 0


def test_a_failing_checkpoint_is_logged_and_the_thread_goes_on(tmp_path, caplog):
    path = tmp_path / "not-a-database"
    path.write_bytes(b"this is not SQLite" * 100)
    checkpoints = WalCheckpoints(path)
    checkpoints.note_commit()
    checkpoints.close()
    assert checkpoints.runs >= 1
    assert "WAL checkpoint" in caplog.text


def test_the_servers_writer_leaves_checkpoints_to_the_thread(tmp_path):
    with embedded.start(data_dir=tmp_path / "data") as handle:
        database = handle.server.database
        with database.transaction() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        user_id = handle.server.authenticator.authenticate(handle.api_user, handle.api_key)
        schema = handle.server.call([{"action": "query", "expression": "select id from ProjectSchema"}], user_id)
        project = create("Project", name="wal", full_name="wal", project_schema=schema[0]["data"][0])
        handle.server.call([project], user_id)
        checkpoints = database._checkpoints
    assert checkpoints.runs >= 1  # the write's checkpoint, or the last one when the server closed
