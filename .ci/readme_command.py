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

``python .ci/readme_command.py --file doc/server/deployment.rst --all deployment-step``
prints every block marked ``.. deployment-step`` in that document, in order, as one
script (how CI runs a guide's commands).
"""

import sys
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.rst"


def extract(text, marker, start=None):
    """Return the literal block following the comment ``.. <marker>`` in *text*.

    *start* is the line number of the marker when it is known (one of several).
    """
    lines = text.splitlines()
    if start is None:
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


def extract_all(text, marker):
    """Return every literal block marked ``.. <marker>`` in *text*, in order, as one script."""
    starts = [number for number, line in enumerate(text.splitlines()) if line.strip() == f".. {marker}"]
    if not starts:
        raise LookupError(f"marker '.. {marker}' not found")
    return "\n\n".join(extract(text, marker, start) for start in starts)


def main(argv):
    """Print the command(s) named by the arguments; return the exit status."""
    arguments = list(argv[1:])
    document, every = README, False
    if arguments[:1] == ["--file"] and len(arguments) >= 2:
        document, arguments = Path(arguments[1]), arguments[2:]
    if arguments[:1] == ["--all"]:
        every, arguments = True, arguments[1:]
    if len(arguments) != 1:
        print(f"usage: {argv[0]} [--file DOCUMENT] [--all] MARKER", file=sys.stderr)
        return 2
    try:
        text = document.read_text(encoding="utf-8")
        print(extract_all(text, arguments[0]) if every else extract(text, arguments[0]))
    except (OSError, LookupError) as error:
        print(f"{document}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
