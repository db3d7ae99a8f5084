"""Each source's columns followed through the stages that apply to it, at load.

A reader writes the document columns (`id`, `source`, `url`, `text` or `html`, `metadata`); each
stage may add columns (`Stage.adds`: names or patterns such as `gopher_*`), consume one (`drops`),
and reads some (`input_columns`, and `optional_columns` read where present). A stage reading what
its sources cannot have at that point is refused here, with the file and the stage, rather than
stopping a task mid-run, or, for a column some shards lack, quietly reading nulls:
- `text` before `extract` on web pages (a filter would judge empty documents);
- what an earlier stage consumed (a second `extract`);
- a column no earlier stage adds for that source (`mix.source_column: langauge`, or `language`
  where the language stage has `apply_to` other sources).
After a stage that does not declare its columns (a custom stage without `adds`), any column may
exist, and later reads of non-document columns are not checked.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from pipeline.stage import DOCUMENT_COLUMNS

if TYPE_CHECKING:
    from pipeline.recipe import Recipe


_CONTENT = frozenset({"text", "html"})


@dataclass(frozen=True)
class _Columns:
    """What one source has before a stage: its content columns, and the other columns (names and
    patterns) earlier stages added; `unknown` after a stage that does not say."""
    content: frozenset[str]
    added: frozenset[str] = frozenset()
    unknown: bool = False

    def has(self, column: str) -> bool:
        return (column in DOCUMENT_COLUMNS - _CONTENT or column in self.content or self.unknown
                or any(fnmatchcase(column, p) for p in self.added))

    def after(self, stage, stage_id: str) -> "_Columns":
        added = stage.output_columns(stage_id)
        return _Columns(content=(self.content | (stage.adds or set()) & _CONTENT) - stage.drops,
                        added=(self.added | set(added or ())) - _CONTENT - stage.drops,
                        unknown=self.unknown or added is None)


def check_columns(recipe: "Recipe") -> None:
    from pipeline.recipe import RecipeError

    at_stage: dict[int, dict[str, _Columns]] = {}
    for src in recipe.sources:
        have = _Columns(frozenset({src.reader.content_column}))      # an option may say (a row format's `html_field`)
        dropped_by: dict[str, str] = {}
        for i, spec in enumerate(recipe.stages):
            if spec.apply_to and src.name not in spec.apply_to:
                continue
            stage = spec.stage
            where = f"{recipe.path}: stages[{i}] ({spec.id})"
            reads = stage.input_columns()
            gone = sorted((reads | stage.drops) & dropped_by.keys())
            if gone:
                raise RecipeError(
                    f"{where} reads `{gone[0]}`, which {dropped_by[gone[0]]} already consumed for source "
                    f"{src.name!r}: remove one of them, or give them `apply_to` different sources")
            missing = _CONTENT & reads - have.content
            if missing:
                raise RecipeError(
                    f"{where} reads `{sorted(missing)[0]}`, which source {src.name!r} ({src.format}: web pages) "
                    f"has only after `extract`: put `extract` before it, or give the stage `apply_to` the "
                    f"sources that have text")
            absent = sorted(c for c in reads - _CONTENT if not have.has(c))
            if absent:
                raise RecipeError(f"{where} reads column `{absent[0]}`, which source {src.name!r} does not have "
                                  f"there: {_no_stage_adds(absent[0], have)}")
            at_stage.setdefault(i, {})[src.name] = have
            have = have.after(stage, spec.id)
            dropped_by.update((c, f"stages[{i}] ({spec.id})") for c in stage.drops)
    # A column read where present (a dedup's score): some source it applies to must have it.
    for i, spec in enumerate(recipe.stages):
        seen = at_stage.get(i, {})
        for c in sorted(spec.stage.optional_columns()):
            if seen and not any(h.has(c) for h in seen.values()):
                some = next(iter(seen.values()))
                raise RecipeError(f"{recipe.path}: stages[{i}] ({spec.id}) reads column `{c}`, which none of its "
                                  f"sources ({', '.join(seen)}) has there: {_no_stage_adds(c, some)}")


def _no_stage_adds(column: str, have: _Columns) -> str:
    names = sorted(DOCUMENT_COLUMNS | {p for p in have.added if not any(ch in p for ch in "*?[")})
    close = difflib.get_close_matches(column, names, n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return (f"no stage before it that applies to that source adds it{hint}; a stage of your own that adds it "
            f"says so in its `adds`")
