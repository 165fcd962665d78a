"""The documentation's Python examples, run against an embedded server (see ``examples.py``).

Each page gets a server of its own (an empty database with the built-in records), the
environment variables ``CLAPBOARD_SERVER``, ``CLAPBOARD_API_USER`` and ``CLAPBOARD_API_KEY``
pointing at it, as a reader's shell would have, an empty current folder, and ``session``: a
session connected to it (as ``clapboard shell`` gives), which a page may use or replace.
"""

from __future__ import annotations

import doctest

import clapboard
import pytest
from examples import DOC, Example, examples, pages


def run(example: Example, namespace: dict) -> None:
    """Run *example* in *namespace*; fail naming the page and line."""
    where = f"{example.path.relative_to(DOC)}:{example.line}"
    if example.is_doctest:
        test = doctest.DocTestParser().get_doctest(example.code, namespace, where, str(example.path), example.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # the doctest ran in a copy of the namespace
        assert not runner.failures, f"the doctest at {where} failed (its report is above)"
        return
    exec(compile(example.code, where, "exec"), namespace)  # noqa: S102 - the documentation's own code


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
            for example in examples(page):
                if example.runs:
                    run(example, namespace)
