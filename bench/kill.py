"""SIGKILL the server in the middle of 5,000-entity commits, restart it, check the data.

For each backend: one uninterrupted commit measures how long a batch takes, then each trial
sends a batch, kills the server with SIGKILL at a random moment of it, restarts the server on
the same data and checks that the batch is stored whole or not at all, that SQLite's
``integrity_check`` passes, that the ancestry table matches the parent links, and that no
component file lacks its row (nor a row its file).

    python bench/kill.py [--trials 50] [--entities 5000] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

TEST = Path(__file__).resolve().parents[1] / "test"
sys.path[:0] = [str(TEST), str(TEST / "server")]

from crash_consistency import kill_trial


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--entities", type=int, default=5000)
    parser.add_argument("--database", help="PostgreSQL URL (an empty database); default SQLite")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clapboard-kill-") as folder:
        applied, problems, duration = kill_trial(Path(folder), arguments.database, arguments.entities, rng)
        if problems or not applied:
            print(f"the uninterrupted batch failed: {problems}")
            return 1
        print(f"{arguments.entities:,}-entity batch takes {duration:.2f} s uninterrupted "
              f"({'PostgreSQL' if arguments.database else 'SQLite'})")
        stored = partial = 0
        failures = []
        for trial in range(arguments.trials):
            applied, problems, _ = kill_trial(Path(folder), arguments.database, arguments.entities, rng, duration)
            stored += applied
            partial += any(problem.startswith("partial batch") for problem in problems)
            failures += [f"trial {trial}: {problem}" for problem in problems]
    print(f"{arguments.trials} kills: {stored} batches stored whole, {arguments.trials - stored} not at all, "
          f"{partial} partial; {len(failures)} problems; {time.monotonic() - started:.0f} s")
    for failure in failures[:20]:
        print(f"  - {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
