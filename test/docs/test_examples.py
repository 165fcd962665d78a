"""The documentation's Python examples, run against an embedded server (see ``examples.py``).

Each page gets a server of its own (an empty database with the built-in records), the
environment variables ``CLAPBOARD_SERVER``, ``CLAPBOARD_API_USER`` and ``CLAPBOARD_API_KEY``
pointing at it, as a reader's shell would have, an empty current folder, and ``session``: a
session connected to it (as ``clapboard shell`` gives), which a page may use or replace.
"""

from __future__ import annotations

import contextlib
import doctest
import signal
import time

import clapboard
import pytest
from examples import DOC, Example, examples, pages


def run(example: Example, namespace: dict) -> None:
    """Run *example* in *namespace*; fail naming the page and line."""
    where = example.location
    if example.is_doctest:
        first_line = example.line - 1  # doctest counts from the line before the first example
        test = doctest.DocTestParser().get_doctest(example.code, namespace, where, str(example.path), first_line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # the doctest ran in a copy of the namespace
        assert not runner.failures, f"the doctest at {where} failed (its report is above)"
        return
    exec(compile(example.code, where, "exec"), namespace)  # noqa: S102 - the documentation's own code


#: Seconds a page's examples may take: an example waiting for something that never comes fails.
PAGE_TIMEOUT = 120


@contextlib.contextmanager
def deadline(seconds: int, what: str):
    """Raise :exc:`TimeoutError` in this (the main) thread after *seconds*."""

    def expire(signum, frame):
        raise TimeoutError(f"{what} took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("page", pages(), ids=lambda path: str(path.relative_to(DOC)))
def test_page_examples_run(page, server_factory, tmp_path, monkeypatch):
    with server_factory(data_dir=tmp_path / "server") as server:
        monkeypatch.setenv("CLAPBOARD_SERVER", server.server_url)
        monkeypatch.setenv("CLAPBOARD_API_USER", server.api_user)
        monkeypatch.setenv("CLAPBOARD_API_KEY", server.api_key)
        monkeypatch.setenv("CLAPBOARD_API_SCHEMA_CACHE_PATH", str(tmp_path / "schema-cache"))
        work = tmp_path / "work"
        work.mkdir()
        monkeypatch.chdir(work)
        with clapboard.Session(schema_cache_path=False) as session:
            namespace = {"__name__": "__doc_example__", "session": session}
            with deadline(PAGE_TIMEOUT, f"the examples of {page.relative_to(DOC)}"):
                for example in examples(page):
                    if example.runs:
                        run(example, namespace)


def test_examples_are_found_in_order_with_their_class(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n"
        ".. code-block:: python\n\n    a = 1\n\n    b = a + 1\n\ntext\n\n"
        ".. code-block:: python\n   :class: not-run\n\n    raise SystemExit\n\n"
        ".. code-block:: console\n\n    $ clapboard demo\n\n"
        "::\n\n    literal = 'never run'\n\n"
        "  .. code-block:: python\n\n      >>> b\n      2\n",
        encoding="utf-8",
    )
    found = examples(page)
    assert [(example.line, example.code, example.runs, example.is_doctest) for example in found] == [
        (6, "a = 1\n\nb = a + 1\n", True, False),
        (15, "raise SystemExit\n", False, False),
        (27, ">>> b\n2\n", True, True),
    ]
    namespace = {}
    for example in found:
        if example.runs:
            run(example, namespace)
    assert namespace["b"] == 2


def test_a_failing_doctest_fails_naming_its_page_and_line(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(".. code-block:: python\n\n    >>> 1 + 1\n    3\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"page.rst:3"):
        run(examples(page)[0], {})


def test_an_example_that_never_finishes_fails():
    with pytest.raises(TimeoutError, match="the loop took longer than 1 s"), deadline(1, "the loop"):
        while True:
            time.sleep(0.01)
