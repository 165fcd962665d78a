"""Fixtures for running the real ftrack Python client against clapboard_server.

See ``ftrack_harness.py`` for how the client's virtual environment is made.
"""

import sys
from pathlib import Path

import pytest

# Make ftrack_harness importable whatever pytest's import mode.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import ftrack_harness


@pytest.fixture(scope="session")
def ftrack_python():
    """Path of a Python interpreter that can import ftrack_api 3.1.0."""
    return ftrack_harness.ftrack_python()
