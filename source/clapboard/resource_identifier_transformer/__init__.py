"""Transformers convert resource identifiers to and from their stored form."""
