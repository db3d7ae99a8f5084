"""Stage lookup: built-in names, names registered from Python, and `module:Class` paths.

Built-ins are listed in `stages.REGISTRY` as name -> "module:Class" strings, so that a recipe
using three stages imports three modules (and not, say, torch for one it never runs).
"""
from __future__ import annotations

import importlib

from pipeline.stage import Stage

BUILTIN_PACKAGE = "stages"
_registered: dict[str, type[Stage]] = {}


def register(name: str):
    """Class decorator: make a custom stage available to recipes under `name`."""
    def deco(cls: type[Stage]) -> type[Stage]:
        if not (isinstance(cls, type) and issubclass(cls, Stage)):
            raise TypeError(f"@register({name!r}) needs a Stage subclass, got {cls!r}")
        cls.name = name
        _registered[name] = cls
        return cls
    return deco


def builtin_stages() -> dict[str, str]:
    return dict(importlib.import_module(BUILTIN_PACKAGE).REGISTRY)


def _load(path: str) -> type[Stage]:
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise ValueError(f"a stage path looks like 'package.module:ClassName', got {path!r}")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise ValueError(f"cannot import stage module {module!r}: {e}") from e
    except AttributeError:
        raise ValueError(f"module {module!r} has no {attr!r}") from None
    if not (isinstance(obj, type) and issubclass(obj, Stage)):
        raise ValueError(f"{path!r} is not a Stage subclass")
    return obj


def resolve_stage(ref: str) -> type[Stage]:
    """Return the stage class for a recipe's `stage:` value."""
    if ref in _registered:
        return _registered[ref]
    builtins = builtin_stages()
    if ref in builtins:
        cls = _load(builtins[ref])
        if not cls.name:
            cls.name = ref
        return cls
    if ":" in ref:
        cls = _load(ref)
        if not cls.name:
            cls.name = ref.rsplit(":", 1)[1]
        return cls
    known = ", ".join(sorted(set(builtins) | set(_registered)))
    raise ValueError(f"unknown stage {ref!r}; known stages: {known} (or use 'module:Class')")


def all_stages() -> dict[str, type[Stage]]:
    out = {name: resolve_stage(name) for name in builtin_stages()}
    out.update(_registered)
    return out
