"""clapboard_server: an ftrack-compatible production-tracking server.

It runs embedded with zero configuration (SQLite in a data folder) and scales out on
PostgreSQL. See :mod:`clapboard_server.embedded` to start one from Python.
"""

__version__ = "0.1.0"
