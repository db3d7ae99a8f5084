"""The plan of a run: one folder per stage, named after its cache key, and the segments it runs in.

Cache keys are made in `plan` (stage key = options, code, input; ingest's key covers the
sources, their readers and every input file's fingerprint). The plan compiles the recipe into
segments (`compile_segments`): consecutive map stages are fused into one chain that one task runs
per shard (pipeline/runner.py); a global stage waits for all its input.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pipeline import storage
from pipeline.fingerprint import code_fingerprint, stage_fingerprint
from pipeline.ingest import READER_VERSION, input_fingerprints
from pipeline.recipe import Recipe
from pipeline.shards import StageDir
from pipeline.stage import Stage


@dataclass
class PlannedStage:
    index: int
    id: str
    ref: str
    stage: Stage | None          # None for ingest
    key: str
    dir: StageDir
    store: bool = True           # keeps its output documents (see `compile_segments`)

    @property
    def is_global(self) -> bool:
        return self.stage is not None and self.stage.is_global


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def plan(recipe: Recipe, run_dir, files: dict[str, list[str]],
         sized: dict[str, list[tuple[str, dict]]] | None = None) -> list[PlannedStage]:
    sized = input_fingerprints(files) if sized is None else sized
    key = _hash({"reader": READER_VERSION, "sources": [s.model_dump(mode="json") for s in recipe.sources],
                 "reader_versions": [type(s.reader).version for s in recipe.sources],
                 "reader_code": [code_fingerprint(type(s.reader)) for s in recipe.sources],
                 "files": sized})
    root = run_dir / "stages"
    out = [PlannedStage(0, "ingest", "ingest", None, key, StageDir(root / f"00-ingest-{key[:12]}"))]
    for i, spec in enumerate(recipe.stages, 1):
        st = spec.stage
        key = _hash({"input": key, "stage": spec.ref, "version": st.version, "code": stage_fingerprint(st),
                     "options": st.options(), "apply_to": spec.apply_to,
                     "signal_prefix": st._signal_prefix,
                     "seed": recipe.seed if st.uses_seed else None})
        out.append(PlannedStage(i, spec.id, spec.ref, st, key, StageDir(root / f"{i:02d}-{spec.id}-{key[:12]}")))
    return out


# -- the plan: segments --------------------------------------------------------------------------
@dataclass
class PlanSegment:
    """A piece of the run handed to the executor: a global stage, or a chain of consecutive map
    stages fused into one task per shard (reader: `upstream`'s shards; writer: each stage's dir)."""
    kind: str                         # "map" | "global"
    stages: list[PlannedStage]
    upstream: PlannedStage

    @property
    def name(self) -> str:
        return "+".join(ps.id for ps in self.stages)


def compile_segments(stages: list[PlannedStage], checkpoint: str = "chain_end",
                     per_stage: dict[str, str | None] | None = None) -> list[PlanSegment]:
    """Group the planned stages after ingest into fused map chains and global stages.

    Write once: a chain stores the documents of its last stage only (plus each stage's removals,
    quarantine and counts), unless `checkpoint` (the recipe's, or a stage's own) is every_stage."""
    out: list[PlanSegment] = []
    i = 1
    while i < len(stages):
        if stages[i].is_global:
            ps = stages[i]
            if ps.stage.removes_only and ((per_stage or {}).get(ps.id) or checkpoint) != "every_stage":
                ps.dir.views_of = stages[i - 1].dir      # stores the ids it removes, not a copy
            out.append(PlanSegment("global", [ps], stages[i - 1]))
            i += 1
            continue
        j = i
        while j < len(stages) and not stages[j].is_global:
            j += 1
        chain = stages[i:j]
        for ps in chain[:-1]:
            ps.store = ((per_stage or {}).get(ps.id) or checkpoint) == "every_stage"
        out.append(PlanSegment("map", chain, stages[i - 1]))
        i = j
    return out


def stale_stage_folders(run_dir, stages: list[PlannedStage]) -> list[str]:
    """Folders under RUN/stages that the plan does not use: a rerun with other options (or
    another recipe) computes into new folders and leaves the old ones, which nothing reads."""
    return sorted(set(storage.names(storage.path(run_dir) / "stages")) - {ps.dir.path.name for ps in stages})
