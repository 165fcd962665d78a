"""Transformers convert resource identifiers to and from their stored form."""

from __future__ import annotations
