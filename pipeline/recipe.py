"""Recipe schema: YAML in, validated pydantic objects out, errors that name the key.

A recipe names its sources, the chain of stages with their typed options, the output location
and a seed. Everything is checked here, once, before any work starts; stages never see raw dicts.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator, model_validator

from pipeline.readers import Reader, resolve_reader
from pipeline.registry import resolve_stage
from pipeline.stage import Stage


class RecipeError(ValueError):
    """A recipe that cannot run, with the file and key path at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """A source: its files and the options every format shares. The remaining keys of the source's
    entry are its reader's options (`text_field` for jsonl, ...), validated by that reader."""
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="source name (used in ids, stats and mix)")
    format: str = Field(description="reader: warc, wet, html, jsonl, parquet, text, ... or 'module:Class'")
    paths: list[str] = Field(min_length=1, description="files, globs or fsspec URLs")
    # A document larger than this is quarantined, not parsed (one giant page must not stall a worker).
    max_doc_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="larger documents are quarantined")
    # Shard boundaries depend only on the input, never on the number of workers.
    shard_docs: int = Field(default=2000, gt=0, description="documents per shard at most")
    shard_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description="content bytes per shard at most")
    reader: SerializeAsAny[Reader] = Field(description="the format's reader with its options")

    @model_validator(mode="before")
    @classmethod
    def _reader_from_keys(cls, data: Any) -> Any:
        # Built in Python (tests, API): SourceConfig(name=..., format="jsonl", paths=[...], text_field=...).
        if isinstance(data, dict) and "reader" not in data and isinstance(data.get("format"), str):
            common = {k: v for k, v in data.items() if k in SOURCE_KEYS}
            return {**common, "reader": resolve_reader(data["format"]).model_validate(
                {k: v for k, v in data.items() if k not in SOURCE_KEYS})}
        return data

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


SOURCE_KEYS = {"name", "format", "paths", "max_doc_bytes", "shard_docs", "shard_bytes"}


class RayConfig(_Strict):
    address: str | None = None
    num_cpus: int | None = Field(default=None, gt=0)
    # Tasks kept in flight per CPU: enough to hide I/O, few enough to bound memory.
    tasks_per_cpu: int = Field(default=2, gt=0)
    # How segments run (pipeline/executor.py): plain Ray tasks, or Ray Data map_batches.
    executor: Literal["tasks", "ray_data"] = "tasks"


# Which map stages store their surviving documents (pipeline/runner.py): by default only the last
# stage of a fused chain ("chain_end"); "every_stage" stores each stage's output as well.
Checkpoint = Literal["chain_end", "every_stage"]


class StageSpec(BaseModel):
    """One entry of `stages:` after validation."""
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    id: str
    ref: str
    stage: Stage
    checkpoint: Checkpoint | None = None     # per stage; None = the recipe's `checkpoint`


class Recipe(_Strict):
    name: str
    seed: int = 0
    output: str
    sources: list[SourceConfig] = Field(min_length=1)
    stages: list[StageSpec] = []
    # Removed documents kept per reason and shard, so a person can see what each rule drops.
    removed_samples: int = Field(default=20, ge=0)
    checkpoint: Checkpoint = "chain_end"
    ray: RayConfig = RayConfig()
    path: str | None = None

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dup)}")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> "Recipe":
        ids = [s.id for s in self.stages]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"stage ids must be unique (add 'id:' to tell them apart); repeated: {dup}")
        return self

    def hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"path", "ray", "checkpoint"})
        body["stages"] = [{"id": s.id, "stage": s.ref, **s.stage.options()} for s in self.stages]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _loc(parts: tuple) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _format_errors(where: str, e: ValidationError, prefix: str = "") -> str:
    lines = []
    for err in e.errors():
        loc = _loc(tuple(x for x in err["loc"] if x not in ("function-after",)))
        loc = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "(top level)")
        got = err.get("input")
        got_s = "" if err["type"] == "missing" else f" (got {got!r})"[:200]
        lines.append(f"  {loc}: {err['msg']}{got_s}")
    return f"{where}: invalid recipe\n" + "\n".join(lines)


def _build_stage(where: str, i: int, entry: Any) -> StageSpec:
    key = f"stages[{i}]"
    if not isinstance(entry, dict):
        raise RecipeError(f"{where}: {key}: expected a mapping with a 'stage' key, got {entry!r}")
    entry = dict(entry)
    ref = entry.pop("stage", None)
    if not isinstance(ref, str):
        raise RecipeError(f"{where}: {key}.stage: expected a stage name or 'module:Class', got {ref!r}")
    sid = entry.pop("id", None) or ref.rsplit(":", 1)[-1]
    checkpoint = entry.pop("checkpoint", None)
    if checkpoint not in (None, "chain_end", "every_stage"):
        raise RecipeError(f"{where}: {key}.checkpoint: expected 'chain_end' or 'every_stage', got {checkpoint!r}")
    try:
        cls = resolve_stage(ref)
    except ValueError as e:
        raise RecipeError(f"{where}: {key}.stage: {e}") from None
    try:
        stage = cls.model_validate(entry)
    except ValidationError as e:
        msg = _format_errors(where, e, prefix=f"{key} ({ref})")
        fields = ", ".join(cls.model_fields) or "(none)"
        raise RecipeError(f"{msg}\n  options of {ref!r}: {fields}") from None
    return StageSpec(id=str(sid), ref=ref, stage=stage, checkpoint=checkpoint)


def _build_source(where: str, i: int, entry: Any) -> Any:
    """Split a source entry into the shared keys and its reader's options; validate the latter."""
    key = f"sources[{i}]"
    if not isinstance(entry, dict):
        raise RecipeError(f"{where}: {key}: expected a mapping with 'name', 'format' and 'paths', got {entry!r}")
    fmt = entry.get("format")
    if not isinstance(fmt, str):
        raise RecipeError(f"{where}: {key}.format: expected a format name (warc, jsonl, ...), got {fmt!r}")
    try:
        cls = resolve_reader(fmt)
    except ValueError as e:
        raise RecipeError(f"{where}: {key}.format: {e}") from None
    common = {k: v for k, v in entry.items() if k in SOURCE_KEYS}
    opts = {k: v for k, v in entry.items() if k not in SOURCE_KEYS}
    try:
        reader = cls.model_validate(opts)
    except ValidationError as e:
        msg = _format_errors(where, e, prefix=f"{key} ({fmt})")
        fields = ", ".join(sorted(SOURCE_KEYS | set(cls.model_fields)))
        raise RecipeError(f"{msg}\n  options of a {fmt!r} source: {fields}") from None
    return {**common, "reader": reader}


def parse_recipe(data: Any, where: str = "<recipe>") -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    raw_stages = data.get("stages", []) or []
    if not isinstance(raw_stages, list):
        raise RecipeError(f"{where}: stages: expected a list, got {type(raw_stages).__name__}")
    specs = [_build_stage(where, i, e) for i, e in enumerate(raw_stages)]
    raw_sources = data.get("sources")
    sources = ([_build_source(where, i, e) for i, e in enumerate(raw_sources)]
               if isinstance(raw_sources, list) else raw_sources)
    try:
        return Recipe.model_validate({**data, "sources": sources, "stages": specs, "path": where})
    except ValidationError as e:
        raise RecipeError(_format_errors(where, e)) from None


def load_recipe(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Recipe:
    p = Path(path)
    if not p.is_file():
        raise RecipeError(f"{p}: recipe file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise RecipeError(f"{p}: not valid YAML: {e}") from None
    if isinstance(data, dict) and overrides:
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return parse_recipe(data, str(p))
