"""Accessors provide access to the data stored in a location."""
