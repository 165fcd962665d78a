"""Write the API reference: one page per public module, generated when the docs are built.

A module is public when no part of its dotted name starts with an underscore. New modules get
their page without any edit; ``test/docs/test_api_pages.py`` checks that every public module
has one. The pages are written to ``doc/api/`` (not kept in git).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

#: The packages documented, and the modules of them that are not API (data, entry points).
PACKAGES = ("clapboard", "clapboard_server")
EXCLUDED = ("clapboard_server.resource",)
SOURCE = Path(__file__).resolve().parent.parent / "source"


def public_modules(source: Path) -> list[str]:
    """Return the dotted names of the public modules of :data:`PACKAGES` under *source*."""
    names = []
    for package in PACKAGES:
        names.append(package)
        for module in pkgutil.walk_packages([str(source / package)], prefix=f"{package}."):
            parts = module.name.split(".")
            if any(part.startswith("_") for part in parts):
                continue
            if any(module.name == excluded or module.name.startswith(excluded + ".") for excluded in EXCLUDED):
                continue
            names.append(module.name)
    return sorted(names)


def page(module: str) -> str:
    """The reST page of *module*."""
    title = f"``{module}``"
    if is_package(module):  # only what it defines: what it imports from its modules is on their pages
        return (
            f"{title}\n{'=' * len(title)}\n\n.. automodule:: {module}\n   :members:\n   :ignore-module-all:\n"
            "   :show-inheritance:\n"
        )
    return f"{title}\n{'=' * len(title)}\n\n.. automodule:: {module}\n   :members:\n   :show-inheritance:\n"


def is_package(module: str) -> bool:
    """Whether *module* is a package (its name has a folder under ``source/``)."""
    return (SOURCE / module.replace(".", "/")).is_dir()


def index(modules: list[str]) -> str:
    """The reST index page listing *modules*."""
    lines = [
        "API reference",
        "=============",
        "",
        "Generated from the docstrings of every public module of ``clapboard`` (the client) and",
        "``clapboard_server`` (the embedded server). The client's modules mirror the ftrack",
        "Python API's: ``clapboard.X`` is ``ftrack_api.X``.",
        "",
    ]
    for package in PACKAGES:
        lines += ["", ".. toctree::", f"   :caption: {package}", "   :maxdepth: 1", ""]
        lines += [f"   {module}" for module in modules if module == package or module.startswith(package + ".")]
    return "\n".join(lines) + "\n"


def write(source: Path, folder: Path) -> list[str]:
    """Write the index and one page per public module into *folder*; remove stale pages."""
    modules = public_modules(source)
    folder.mkdir(exist_ok=True)
    wanted = {f"{module}.rst": page(module) for module in modules}
    wanted["index.rst"] = index(modules)
    for path in folder.glob("*.rst"):
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return modules
