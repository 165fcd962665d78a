"""Progress of long work: transfers of files and pagings of large queries.

Functions doing long work take a *progress* argument:

- a callable ``progress(done, total)``, called as the work advances
  (``total`` is None while unknown);
- True to draw a progress bar (tqdm) on standard error;
- False for neither;
- None, the default: draw a bar only in an interactive session attached to a
  terminal (the ``clapboard shell``, IPython, ``python -i``), never in
  scripts. :envvar:`CLAPBOARD_PROGRESS` set to ``1`` or ``0`` turns bars on
  or off everywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Optional, Union

#: Signature of progress callbacks: ``progress(done, total)``, total None when unknown.
ProgressCallback = Callable[[int, Optional[int]], Any]  # evaluated at run time on Python 3.9: no `|`

#: What a *progress* argument accepts: a callback, True (bar), False (nothing) or None (automatic).
ProgressOption = Union[ProgressCallback, bool, None]  # evaluated at run time on Python 3.9: no `|`

__all__ = ["Aggregate", "ProgressCallback", "ProgressOption", "Reporter", "interactive", "wants_bar"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def interactive() -> bool:
    """Return whether this process is an interactive session attached to a terminal."""
    setting = os.environ.get("CLAPBOARD_PROGRESS", "").strip().lower()
    if setting in _TRUE:
        return True
    if setting in _FALSE:
        return False
    stream = sys.stderr
    if stream is None or not getattr(stream, "isatty", lambda: False)():
        return False
    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


def wants_bar(option: ProgressOption) -> bool:
    """Return whether *option* asks for a progress bar now."""
    if option is None:
        return interactive()
    return option is True


class Reporter:
    """Report the progress of one piece of work to a callback, a bar, both or neither.

    Call it as ``reporter(done, total)``; :meth:`close` (or leaving the
    ``with`` block) finishes the bar. The bar is created on the first report,
    so work that reports nothing draws nothing.
    """

    def __init__(self, option: ProgressOption, description: str, unit: str = "B", leave: bool = True):
        """Initialise for *option* (see :mod:`clapboard.progress`), labelling the bar *description*.

        *unit* is ``"B"`` for bytes (scaled to kB, MB, ...) or a word such as
        ``"rows"``; *leave* keeps the finished bar on screen.
        """
        self.callback: ProgressCallback | None = option if callable(option) and option is not True else None
        self.draw = wants_bar(option)
        self.description = description
        self.unit = unit
        self.leave = leave
        self._bar: Any = None
        self.done = 0
        self.total: int | None = None

    @property
    def active(self) -> bool:
        """Return whether reports go anywhere (worth computing totals for)."""
        return self.callback is not None or self.draw

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        if self.callback is not None:
            self.callback(done, total)
        if self.draw:
            self._update_bar(done, total)

    def _update_bar(self, done: int, total: int | None) -> None:
        bar = self._bar
        if bar is None:
            from tqdm import tqdm

            bar = self._bar = tqdm(
                total=total, desc=self.description, unit=self.unit, unit_scale=self.unit == "B",
                unit_divisor=1024, file=sys.stderr, leave=self.leave, dynamic_ncols=True,
            )
        if total != bar.total:
            bar.total = total
            bar.refresh()
        if done > bar.n:
            bar.update(done - bar.n)

    def close(self) -> None:
        """Finish the bar, if one was drawn."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Reporter:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Aggregate:
    """Progress of several transfers reported as one: bytes done over bytes in all.

    :meth:`part` returns the callback for the next transfer; its reports are
    offset by the bytes of the transfers before it.
    """

    def __init__(self, report: ProgressCallback, total: int | None):
        """Initialise reporting to *report*, with *total* bytes expected (None when unknown)."""
        self.report = report
        self.total = total
        self.offset = 0
        self.done = 0

    def part(self) -> ProgressCallback:
        """Return the callback of the next transfer."""
        offset = self.offset = self.done

        def report(done: int, total: int | None) -> None:
            self.advance(offset + done)

        return report

    def advance(self, done: int) -> None:
        """Report *done* bytes in all (never going backwards)."""
        if done < self.done:
            return
        self.done = done
        total = self.total
        if total is not None and done > total:
            total = self.total = done
        self.report(done, total)

    def finish(self) -> None:
        """Report the end: the total becomes the bytes done."""
        self.total = self.done
        self.report(self.done, self.done)
