"""Structures decide where component data is placed in a location."""
