"""``python -m clapboard``: the ``clapboard`` command."""

import sys

from clapboard.cli import main

sys.exit(main())
