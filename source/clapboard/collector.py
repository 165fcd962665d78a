"""Python's cyclic garbage collector, paused while a large batch runs.

A batch of 10,000 creates allocates a few hundred thousand objects that live until it ends
(operations, rows, results, entities). Each time enough of them survive, the collector runs a
full pass over every object of the process: about a third of such a batch's time, on the
server and in the client's commit, went into those passes, which find nothing to free.
:func:`paused` stops the automatic passes while a large batch runs (the server's batch, the
client's commit).

The collector is process-wide, so pauses are counted across threads: it is enabled again when
the last paused batch ends, and only if it was enabled when the first began. A pause that
lasts (batches overlapping without end) collects explicitly every :data:`LONGEST_PAUSE`
seconds, so cyclic garbage never accumulates without bound.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

#: Batches with fewer operations run with the collector as it is (its passes cost them little).
SMALLEST_BATCH = 500
#: Most seconds the collector stays paused without a collection.
LONGEST_PAUSE = 10.0

_lock = threading.Lock()
_holders = 0
_reenable = False
_collected_at = 0.0


@contextlib.contextmanager
def paused(operations: int = SMALLEST_BATCH) -> Iterator[None]:
    """Pause automatic collection inside the block when the batch has ``operations`` or more."""
    if operations < SMALLEST_BATCH:
        yield
        return
    _hold()
    try:
        yield
    finally:
        _release()


def _hold() -> None:
    global _holders, _reenable, _collected_at
    with _lock:
        if _holders == 0:
            _reenable = gc.isenabled()
            _collected_at = time.monotonic()
            gc.disable()
        _holders += 1


def _release() -> None:
    global _holders, _collected_at
    with _lock:
        _holders -= 1
        if _holders == 0:
            if _reenable:
                gc.enable()
            return
        overdue = time.monotonic() - _collected_at > LONGEST_PAUSE
        if overdue:
            _collected_at = time.monotonic()
    if overdue and _reenable:
        gc.collect()
