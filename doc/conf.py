"""Sphinx configuration for the clapboard documentation.

``.ci/run`` builds it with ``sphinx-build -W -n``: warnings and unresolved references to
clapboard's own objects are errors.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "source"
sys.path.insert(0, str(SOURCE))
sys.path.insert(0, str(HERE))

import api_pages  # noqa: E402

api_pages.write(SOURCE, HERE / "api")

project = "clapboard"
author = "clapboard developers"
copyright = "clapboard developers"  # noqa: A001
release = "0.1.0"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = True
# Without network access to other projects' inventories, references to the standard library
# and third-party packages cannot resolve: only clapboard's own references must.
# Private names (base classes shown by show-inheritance) have no page either.
nitpick_ignore_regex = [(r"py:.*", r"(?!clapboard\b|clapboard_server\b).*"), (r"py:.*", r".*\._\w+"), ("envvar", ".*")]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# An unqualified name in a signature (``Session``) may match several classes: not an error.
suppress_warnings = ["config.cache", "ref.python"]


def resolve_reexport(app, env, node, contnode):
    """Resolve ``clapboard.Session`` (a name a package re-exports) to where it is documented."""
    target = node.get("reftarget", "")
    module_name, _, name = target.rpartition(".")
    if node.get("refdomain") != "py" or not module_name.startswith("clapboard"):
        return None
    module = sys.modules.get(module_name)
    value = getattr(module, name, None)
    canonical = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    if value is None or canonical == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode)


def setup(app):
    app.connect("missing-reference", resolve_reexport)
