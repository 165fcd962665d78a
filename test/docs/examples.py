"""Find the Python examples of the documentation's pages.

An example is a ``.. code-block:: python`` directive of a ``doc/**/*.rst`` page. Examples run in
the order of the page, in one namespace per page, so a later example uses what an earlier one
defined. A block whose first line starts with ``>>>`` is a doctest: its printed output is checked
too. A block that must not run says so with a class::

    .. code-block:: python
       :class: not-run

(for code that needs what a test cannot give, e.g. a studio's own server or an interactive
terminal). ``::`` literal blocks and other languages (``.. code-block:: console``) never run.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "doc"
NOT_RUN = "not-run"
_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*python3?\s*$")
_OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Example:
    """A code block of a page: its source, first line number and whether it runs."""

    path: Path
    line: int
    code: str
    runs: bool

    @property
    def location(self) -> str:
        """``page:line``, the page relative to ``doc/`` when it is there."""
        page = self.path.relative_to(DOC) if DOC in self.path.parents else self.path.name
        return f"{page}:{self.line}"

    @property
    def is_doctest(self) -> bool:
        return self.code.lstrip().startswith(">>>")


def pages() -> list[Path]:
    """The documentation's reST pages that hold Python examples, in a stable order."""
    return [path for path in sorted(DOC.rglob("*.rst")) if "_build" not in path.parts and examples(path)]


def examples(path: Path) -> list[Example]:
    """The ``code-block:: python`` examples of the page at *path*, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        index += 1
        if not match:
            continue
        indent = len(match["indent"])
        options = {}
        while index < len(lines) and (option := _OPTION.match(lines[index])):
            options[option["name"]] = option["value"].split()
            index += 1
        start = index
        while index < len(lines) and (not lines[index].strip() or _indentation(lines[index]) > indent):
            index += 1
        first = next((number for number in range(start, index) if lines[number].strip()), start)
        code = textwrap.dedent("\n".join(lines[start:index])).strip("\n")
        found.append(Example(path, first + 1, code + "\n", NOT_RUN not in options.get("class", [])))
    return found


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip())
