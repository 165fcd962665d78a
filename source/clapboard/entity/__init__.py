"""Entity classes: the base class, the class factory and helpers per entity type."""

from __future__ import annotations
