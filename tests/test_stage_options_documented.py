"""Every option a recipe can write has a description (`python -m pipeline stages` prints it).

Walks the built-in stages and readers and every pydantic model nested in their options' types
(mix's `sources: dict[str, SourceMix]`, a Union with ChinchillaTarget, minhash_dedup's
`shingling: LshParams` and its `normalization`), however deep.
"""
from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from pipeline.readers import all_readers
from pipeline.registry import all_stages


def _own(cls: type) -> bool:
    """Classes of this project: stages a test module registered for itself (tests/
    stages_for_tests.py) are examples of user code, not options this project documents."""
    return cls.__module__.split(".")[0] in ("pipeline", "stages")


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds: itself, dict values, list items, Union members,
    Annotated and Optional wrappers, at any depth."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def undocumented_options(roots: list[type[BaseModel]]) -> list[str]:
    """`Class.field` of every field without a non-empty description, reachable from `roots`."""
    missing, seen = [], set()
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, field in cls.model_fields.items():
            if not (field.description or "").strip():
                missing.append(f"{cls.__name__}.{name}")
            todo.extend(_models_in(field.annotation))
    return sorted(set(missing))


def test_walk_finds_nested_models():
    class Leaf(BaseModel):
        bare: int = 0

    class Root(BaseModel):
        by_key: dict[str, list[Leaf | None]] = {}

    assert undocumented_options([Root]) == ["Leaf.bare", "Root.by_key"]


def test_every_stage_and_reader_option_has_a_description():
    roots = [cls for cls in [*all_stages().values(), *all_readers().values()] if _own(cls)]
    assert len(roots) > 20, "the registries look empty"
    missing = undocumented_options(roots)
    assert not missing, f"options without a Field(description=...): {', '.join(missing)}"
