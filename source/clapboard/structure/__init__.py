"""Structures decide where component data is placed in a location."""

from __future__ import annotations
