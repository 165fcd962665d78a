"""Accessors provide access to the data stored in a location."""

from __future__ import annotations
