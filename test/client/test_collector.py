"""The garbage collector pause around large batches (clapboard.collector)."""

import gc
import threading

import pytest
from clapboard import collector


@pytest.fixture(autouse=True)
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_a_large_batch_pauses_the_collector_until_it_ends():
    with collector.paused(collector.SMALLEST_BATCH):
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_small_batch_leaves_the_collector_alone():
    with collector.paused(collector.SMALLEST_BATCH - 1):
        assert gc.isenabled()


def test_the_collector_stays_paused_until_the_last_overlapping_batch_ends():
    first_inside, second_inside, first_done = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector.paused(10_000):
            first_inside.set()
            second_inside.wait(5)
        first_done.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collector.paused(10_000):
        second_inside.set()
        first_done.wait(5)
        seen["after the first ended"] = gc.isenabled()
    thread.join(5)
    assert seen == {"after the first ended": False}
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    with collector.paused(10_000):
        pass
    assert not gc.isenabled()


def test_an_error_in_the_batch_enables_the_collector_again():
    with pytest.raises(RuntimeError), collector.paused(10_000):
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_pause_held_by_overlapping_batches_collects_now_and_then(monkeypatch):
    collections = []
    monkeypatch.setattr(collector.gc, "collect", lambda *args: collections.append(args) or 0)
    monkeypatch.setattr(collector, "LONGEST_PAUSE", 0.0)
    with collector.paused(10_000):
        with collector.paused(10_000):
            pass
        assert collections == [()]
    assert gc.isenabled()
