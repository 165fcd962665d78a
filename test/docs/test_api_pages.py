"""The API reference has a page for every public module, including modules added later."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "doc"))

import api_pages


def modules_on_disk() -> set[str]:
    """Public modules found by walking the source folders, independently of ``api_pages``."""
    found = set()
    for package in api_pages.PACKAGES:
        for path in (ROOT / "source" / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT / "source").with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if any(part.startswith("_") for part in parts):
                continue
            found.add(".".join(parts))
    return found


def test_every_public_module_has_a_page_in_the_index(tmp_path):
    modules = api_pages.write(ROOT / "source", tmp_path)
    assert set(modules) == modules_on_disk()
    index = (tmp_path / "index.rst").read_text(encoding="utf-8")
    for module in modules:
        page = (tmp_path / f"{module}.rst").read_text(encoding="utf-8")
        assert f".. automodule:: {module}\n" in page
        assert f"\n   {module}\n" in index


def test_stale_pages_are_removed_and_unchanged_pages_kept(tmp_path):
    (tmp_path / "clapboard.removed_module.rst").write_text("old", encoding="utf-8")
    api_pages.write(ROOT / "source", tmp_path)
    assert not (tmp_path / "clapboard.removed_module.rst").exists()
    page = tmp_path / "clapboard.session.rst"
    before = page.stat().st_mtime_ns
    api_pages.write(ROOT / "source", tmp_path)
    assert page.stat().st_mtime_ns == before


@pytest.mark.parametrize("module", sorted(modules_on_disk()))
def test_public_module_imports_for_autodoc(module):
    assert importlib.import_module(module).__name__ == module
