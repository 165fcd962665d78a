"""Print the shell command documented in README.rst under a marker comment.

README.rst documents commands as reStructuredText literal blocks, each preceded
by a comment naming it::

    .. test-command

    ::

        pip install -e ".[test]" && python -m pytest

``python .ci/readme_command.py test-command`` prints the block's text
(dedented, lines joined with newlines), so CI runs exactly what the README
tells people to run. It exits with status 2 and a message when the marker or
its literal block is missing, rather than letting CI run nothing.
"""

import sys
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.rst"


def extract(text, marker):
    """Return the literal block following the comment ``.. <marker>`` in *text*."""
    lines = text.splitlines()
    try:
        start = [line.strip() for line in lines].index(f".. {marker}")
    except ValueError:
        raise LookupError(f"marker '.. {marker}' not found") from None

    rest = iter(lines[start + 1:])
    introducer = next((line for line in rest if line.strip()), "")
    if not introducer.rstrip().endswith("::"):
        raise LookupError(f"'.. {marker}' is not followed by a '::' literal block")

    block = []
    for line in rest:
        if line.strip() and not line[0].isspace():
            break
        block.append(line)
    command = textwrap.dedent("\n".join(block)).strip()
    if not command:
        raise LookupError(f"the literal block after '.. {marker}' is empty")
    return command


def main(argv):
    """Print the command named by ``argv[1]``; return the exit status."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} MARKER", file=sys.stderr)
        return 2
    try:
        print(extract(README.read_text(encoding="utf-8"), argv[1]))
    except (OSError, LookupError) as error:
        print(f"{README}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
