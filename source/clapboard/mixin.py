"""Mix a class into an existing entity instance."""

from __future__ import annotations

from typing import Any

_CLASSES: dict[tuple[type, type, str | None], type] = {}


def mixin(instance: Any, mixin_class: type, name: str | None = None) -> Any:
    """Mixin *mixin_class* to *instance* and return it.

    The instance's class becomes a subclass of both *mixin_class* and its
    current class (named *name* when given). When *mixin_class* has instance
    storage the entity class cannot share, its methods are copied instead.
    """
    base = type(instance)
    key = (base, mixin_class, name)
    cls = _CLASSES.get(key)
    if cls is None:
        class_name = name or f"{mixin_class.__name__}{base.__name__}"
        namespace = {"__slots__": (), "__module__": base.__module__}
        metaclass: Any = type(base)
        try:
            cls = metaclass(class_name, (mixin_class, base), namespace)
            instance.__class__ = cls
        except TypeError:
            copied = {
                key: value
                for key, value in vars(mixin_class).items()
                if key not in ("__dict__", "__weakref__", "__slots__", "__module__", "__qualname__")
            }
            copied.update(namespace)
            cls = metaclass(class_name, (base,), copied)
        _CLASSES[key] = cls
    instance.__class__ = cls
    return instance
