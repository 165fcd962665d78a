"""Suggestions for misspelt names: the "did you mean …" of error messages.

Shared by the client and the server, so both spell their hints the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], count: int = 3) -> list[str]:
    """Return up to *count* of *candidates* that look like *word*, best first.

    Case differences count for little: ``taskid`` finds ``task_id`` and
    ``TASK`` finds ``Task``.
    """
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.lower(), candidate)
    folded = word.lower()
    if folded in by_folded and by_folded[folded] != word:
        return [by_folded[folded]]
    matches = difflib.get_close_matches(folded, list(by_folded), n=count, cutoff=0.6)
    return [by_folded[match] for match in matches]


def did_you_mean(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    """Return ``" Did you mean 'x' or 'y'?"`` for *word*, or an empty string without a match.

    *prefix* is put before each suggestion (``parent.`` suggests ``'parent.name'``).
    """
    matches = close_matches(word, candidates)
    if not matches:
        return ""
    quoted = [repr(prefix + match) for match in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"
