"""``python -m clapboard.cli``: the ``clapboard`` command."""

from __future__ import annotations

import sys

from clapboard.cli import main

sys.exit(main())
