"""A server killed with SIGKILL in the middle of a commit: the batch is all or nothing.

The short version of ``bench/kill.py`` (which runs 50 trials of 5,000 entities per backend).
"""

import random

from crash_consistency import kill_trial


def test_killed_commits_are_all_or_nothing_and_the_database_stays_consistent(tmp_path, backend, database_url):
    rng = random.Random(7)
    applied, problems, duration = kill_trial(tmp_path, database_url, entities=1000, rng=rng)
    assert applied and not problems, problems
    for _ in range(3):
        _, problems, _ = kill_trial(tmp_path, database_url, entities=1000, rng=rng, duration=duration)
        assert not problems, problems
