"""Stage lookup: built-in names, names registered from Python, and `module:Class` / `module.Class` paths.

Built-ins are listed in `stages.REGISTRY` as name -> "module:Class" strings, so that a recipe
using three stages imports three modules (and not, say, torch for one it never runs).

A path a recipe names is checked *before* its module runs, as far as Python allows: the module's
source is located (`importlib.util.find_spec`, which does import the parent packages) and parsed,
and a class that is missing, or whose bases can be followed to something that is not a Stage, is
refused without importing the module. Only a class that is, or may be, a Stage gets imported;
importing runs the module's code like any Python import, so a recipe is as trusted as its code.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
from pipeline.stage import Stage

BUILTIN_PACKAGE = "stages"
_registered: dict[str, type[Stage]] = {}


def import_base(node: "ast.ImportFrom", package: str) -> str:
    """The absolute module a `from X import ...` names, relative imports resolved against `package`."""
    base = node.module or ""
    if node.level:
        parts = package.split(".") if package else []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join(p for p in [*parts, base] if p)
    return base

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


def split_class_path(path: str) -> tuple[str, str]:
    """'pkg.mod:Class' or 'pkg.mod.Class' -> ('pkg.mod', 'Class')."""
    if ":" in path:
        module, _, attr = path.partition(":")
    else:
        module, _, attr = path.rpartition(".")
    if not module or not attr or not attr.isidentifier() or not all(p.isidentifier() for p in module.split(".")):
        raise ValueError(f"a class path looks like 'package.module:ClassName' or 'package.module.ClassName', "
                         f"got {path!r}")
    return module, attr


# -- static check (before the module runs) ----------------------------------------------------
_UNKNOWN = None   # the source cannot tell (dynamic bases, a compiled module): import and check


class ModuleNotFound(ValueError):
    pass


def _module_tree(module: str) -> tuple[ast.Module | None, bool]:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as e:
        raise ModuleNotFound(f"{type(e).__name__}: {e}") from None
    if spec is None:
        raise ModuleNotFound(f"No module named {module!r}")
    origin = spec.origin
    is_package = spec.submodule_search_locations is not None
    if not origin or not origin.endswith(".py"):
        return None, is_package
    try:
        with open(origin, "rb") as f:
            return ast.parse(f.read(), origin), is_package
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"cannot read module {module!r} ({origin}): {e}") from None


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> dict[str, tuple[str, str | None]]:
    """name bound at module level -> (module, attribute or None for a module)."""
    out: dict[str, tuple[str, str | None]] = {}
    package = module if is_package else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom):
            base = import_base(node, package)
            for a in node.names:
                out[a.asname or a.name] = (base, a.name)
    return out


def static_is_subclass(module: str, cls_name: str, base: type, depth: int = 0) -> bool | None:
    """True/False when `module.cls_name`'s source shows whether it derives from `base`; None when
    only running it could tell. Raises ValueError when the module or class does not exist."""
    if module == base.__module__ and cls_name == base.__name__:
        return True
    if depth > 20:
        return _UNKNOWN
    known = importlib.import_module(module) if module.split(".")[0] in ("pipeline",) else None
    if known is not None:   # the framework's own modules are imported already: look, do not parse
        obj = getattr(known, cls_name, None)
        if obj is None:
            raise ValueError(f"module {module!r} has no {cls_name!r}")
        return isinstance(obj, type) and issubclass(obj, base)
    tree, is_package = _module_tree(module)
    if tree is None:
        return _UNKNOWN
    cls_node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name), None)
    imports = _imported_names(tree, module, is_package)
    if cls_node is None:
        if cls_name in imports and imports[cls_name][1] is not None:   # re-exported from elsewhere
            src_mod, attr = imports[cls_name]
            try:
                return static_is_subclass(src_mod, attr, base, depth + 1)
            except ValueError:
                return _UNKNOWN
        if not _may_bind(tree, cls_name):
            raise ValueError(f"module {module!r} defines no class {cls_name!r}")
        return _UNKNOWN
    if not cls_node.bases:
        return False
    verdicts = []
    for b in cls_node.bases:
        verdicts.append(_base_verdict(b, module, tree, imports, base, depth))
    if any(v is True for v in verdicts):
        return True
    return False if all(v is False for v in verdicts) else _UNKNOWN


def _may_bind(tree: ast.Module, name: str) -> bool:
    """Whether running the module could bind `name` other than by a class statement."""
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names):
            return True
        if isinstance(n, ast.FunctionDef) and n.name == "__getattr__":
            return True
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id == name for tt in targets for t in ast.walk(tt)):
                return True
        if isinstance(n, ast.Call) and any(isinstance(a, ast.Constant) and a.value == name for a in n.args):
            return True   # setattr(module, "Name", ...), globals()["Name"] = ..., type("Name", ...)
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and n.slice.value == name:
            return True
    return False


def _base_verdict(node: ast.expr, module: str, tree: ast.Module, imports: dict, base: type, depth: int):
    if isinstance(node, ast.Name):
        if any(isinstance(n, ast.ClassDef) and n.name == node.id for n in tree.body):
            return static_is_subclass(module, node.id, base, depth + 1)
        if node.id in imports and imports[node.id][1] is not None:
            src_mod, attr = imports[node.id]
            try:
                return static_is_subclass(src_mod, attr, base, depth + 1)
            except ValueError:
                return _UNKNOWN
        import builtins
        if hasattr(builtins, node.id):
            return False   # object, dict, Exception, ...: never a Stage
        return _UNKNOWN
    if isinstance(node, ast.Attribute):   # pipeline.stage.Filter, stage.Filter
        parts = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id in imports:
            mod, attr = imports[cur.id]
            full = ".".join([mod] + ([attr] if attr else []) + parts[:0:-1])
            try:
                return static_is_subclass(full, parts[0], base, depth + 1)
            except ValueError:
                return _UNKNOWN
    return _UNKNOWN


def load_class(path: str, base: type, what: str, trusted: bool = False) -> type:
    """The class a 'module:Class' path names, checked to derive from `base` before its module runs
    (unless `trusted`: built-in registry entries)."""
    module, attr = split_class_path(path)
    if not trusted:
        try:
            verdict = static_is_subclass(module, attr, base)
        except ModuleNotFound as e:
            raise ValueError(f"cannot import {what} module {module!r}: {e}") from None
        if verdict is False:
            raise ValueError(f"{path!r} is not a {base.__name__} subclass (checked without importing it)")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise ValueError(f"cannot import {what} module {module!r}: {e}") from e
    except AttributeError:
        raise ValueError(f"module {module!r} has no {attr!r}") from None
    except Exception as e:  # noqa: BLE001 - the module's own code failed as it was imported
        raise ValueError(f"importing {what} module {module!r} failed: {type(e).__name__}: {e}"
                         f"{_where_raised(e, module)}") from None
    if not (isinstance(obj, type) and issubclass(obj, base)):
        raise ValueError(f"{path!r} is not a {base.__name__} subclass")
    return obj


def _where_raised(e: BaseException, module: str) -> str:
    """` (at FILE:LINE)`: the innermost frame of `e` in the module's own file."""
    import traceback
    frames = traceback.extract_tb(e.__traceback__)
    name = module.rsplit(".", 1)[-1]
    mine = [f for f in frames if f.filename.endswith((f"/{name}.py", f"/{name}/__init__.py"))] or frames[-1:]
    return f" (at {mine[-1].filename}:{mine[-1].lineno})" if mine else ""


def _load(path: str, trusted: bool = False) -> type[Stage]:
    cls = load_class(path, Stage, "stage", trusted)
    missing = unimplemented(cls)
    if missing:
        raise ValueError(f"{path!r} does not implement {missing}() (a base class cannot run as a stage)")
    return cls


def unimplemented(cls: type[Stage]) -> str | None:
    """The method a stage class must provide and does not (Stage, Filter, GlobalStage themselves)."""
    from pipeline.stage import Filter, GlobalStage
    if issubclass(cls, GlobalStage):
        return "run" if cls.run is GlobalStage.run else None
    if issubclass(cls, Filter):
        return "judge" if cls.judge is Filter.judge and cls.process is Filter.process else None
    return "process" if cls.process is Stage.process else None


def looks_like_path(ref: str) -> bool:
    return ":" in ref or "." in ref


def resolve_stage(ref: str) -> type[Stage]:
    """Return the stage class for a recipe's `stage:` value."""
    if ref in _registered:
        return _registered[ref]
    builtins = builtin_stages()
    if ref in builtins:
        cls = _load(builtins[ref], trusted=True)
        if not cls.name:
            cls.name = ref
        return cls
    if looks_like_path(ref):
        cls = _load(ref)
        if not cls.name:
            cls.name = split_class_path(ref)[1]
        return cls
    known = ", ".join(sorted(set(builtins) | set(_registered)))
    raise ValueError(f"unknown stage {ref!r}; known stages: {known} (or use 'module:Class')")


def all_stages() -> dict[str, type[Stage]]:
    out = {name: resolve_stage(name) for name in builtin_stages()}
    out.update(_registered)
    return out

