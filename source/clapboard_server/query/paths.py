"""Check the attribute paths of a parsed query before compiling it.

Unknown names are reported with the dotted path as the user wrote it and a
"did you mean" suggestion (``Task has no attribute 'parent.nmae': Context has
no attribute 'nmae'. Did you mean 'parent.name'?``). Everything else about a
path (following a scalar, restricted attributes) is left to the compiler.
"""

from __future__ import annotations

from clapboard.suggestion import did_you_mean

from ..errors import ValidationError
from ..schema import SCALAR, EntityType, Registry
from . import ast


def check_query(registry: Registry, query: ast.Query) -> None:
    """Raise :class:`ValidationError` for the first unknown type or attribute of *query*."""
    root = registry.get(query.entity_type)
    paths = [item if isinstance(item, ast.Path) else item.path for item in query.projections]
    paths += list(query.group_by) + [item.path for item in query.order_by]
    for path in paths:
        check_path(registry, root, path)
    if query.criteria is not None:
        _check_criteria(registry, root, query.criteria, "")


def check_path(registry: Registry, root: EntityType, path: ast.Path, inside: str = "") -> EntityType | None:
    """Check that every segment of *path* names an attribute; return the type it ends on.

    Return None when the path ends on (or runs through) a scalar. *inside*
    names the enclosing ``any``/``has`` condition, for the message.
    """
    owner = root
    for index, segment in enumerate(path.segments):
        prop = owner.properties.get(segment.name)
        if prop is None:
            raise ValidationError(_unknown(root, owner, path, index, inside))
        if prop.kind == SCALAR:
            return None
        owner = registry.get(segment.cast) if segment.cast else registry.get(prop.target)
    return owner


def _unknown(root: EntityType, owner: EntityType, path: ast.Path, index: int, inside: str) -> str:
    name = path.segments[index].name
    prefix = str(ast.Path(path.segments[:index]))
    suggestion = did_you_mean(name, owner.properties, f"{prefix}." if prefix else "")
    where = f" (inside {inside!r})" if inside else ""
    if index == 0:
        return f"{owner.name} has no attribute {name!r}{where}.{suggestion}"
    return f"{root.name} has no attribute {str(path)!r}{where}: {owner.name} has no attribute {name!r}.{suggestion}"


def _check_criteria(registry: Registry, owner: EntityType, node: ast.Criteria, inside: str) -> None:
    if isinstance(node, (ast.And, ast.Or)):
        for item in node.items:
            _check_criteria(registry, owner, item, inside)
    elif isinstance(node, ast.Not):
        _check_criteria(registry, owner, node.item, inside)
    elif isinstance(node, ast.Related):
        target = check_path(registry, owner, node.path, inside)
        if target is not None and node.criteria is not None:
            _check_criteria(registry, target, node.criteria, f"{node.path} {node.operator} (...)")
    elif isinstance(node, ast.Membership):
        check_path(registry, owner, node.path, inside)
        if node.subquery is not None:
            check_query(registry, node.subquery)
    elif isinstance(node, ast.Comparison):
        check_path(registry, owner, node.path, inside)
