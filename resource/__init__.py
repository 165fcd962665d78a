"""Files shipped with clapboard: schemas, seed records and default plugins.

This top-level folder is the source of truth; it is installed as the package
``clapboard_server.resource`` (package data), so that
:func:`clapboard_server.schema.resource_path` finds it with :mod:`importlib.resources` in
every kind of installation.
"""
