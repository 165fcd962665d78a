from .parser import parse, parse_criteria

__all__ = ["parse", "parse_criteria"]
