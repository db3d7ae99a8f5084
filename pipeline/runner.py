"""Run a recipe: plan stage directories, ingest sources, stream shards through the stages.

Consecutive map stages are fused: one Ray task takes one shard through all of them, writing each
stage's output as it goes, so a crash loses at most the shards in flight and a rerun starts each
shard at the first stage that has no output for it. A global stage waits for all its input.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path


from pipeline.documents import content_bytes, documents_table, quarantine_table
from pipeline.executor import TaskPool, cluster_cpus, run_tasks, start_ray
from pipeline.global_context import GlobalContext
from pipeline.progress import Progress
from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.recipe import Recipe, RecipeError, SourceConfig
from pipeline.shards import ShardRecord, StageDir, read_json, timer, write_json_atomic, write_parquet_atomic
from pipeline.stage import Result, Stage, StageContext
from pipeline.stats import build_stats

log = logging.getLogger("pipeline")
READER_VERSION = "1"


@dataclass
class PlannedStage:
    index: int
    id: str
    ref: str
    stage: Stage | None          # None for ingest
    key: str
    dir: StageDir

    @property
    def is_global(self) -> bool:
        return self.stage is not None and self.stage.is_global


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def code_fingerprint(cls: type) -> str:
    """Hash of the source files defining a stage class and its bases (installed libraries aside),
    so that editing a stage's code recomputes its output instead of reusing a stale cache."""
    import sys
    h = hashlib.sha256()
    for klass in cls.__mro__:
        mod = sys.modules.get(klass.__module__)
        path = getattr(mod, "__file__", None)
        if path and "site-packages" not in path and Path(path).is_file():
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def list_inputs(recipe: Recipe) -> dict[str, list[str]]:
    """Every source's files; a pattern that matches nothing is an error before any work."""
    files: dict[str, list[str]] = {}
    for src in recipe.sources:
        found: list[str] = []
        for pattern in src.paths:
            try:
                matched = expand_paths(pattern)
            except (FileNotFoundError, OSError, ValueError) as e:
                raise RecipeError(f"{recipe.path}: sources[{src.name}].paths: cannot list {pattern!r}: {e}") from None
            if not matched:
                raise RecipeError(f"{recipe.path}: sources[{src.name}].paths: no file matches {pattern!r}")
            found.extend(matched)
        files[src.name] = sorted(set(found))
    return files


def plan(recipe: Recipe, run_dir: Path, files: dict[str, list[str]]) -> list[PlannedStage]:
    import fsspec
    sized = {}
    for name, paths in files.items():
        fs_sizes = []
        for p in paths:
            fs, _, (pp,) = fsspec.get_fs_token_paths(p)
            fs_sizes.append((p, fs.size(pp)))
        sized[name] = fs_sizes
    key = _hash({"reader": READER_VERSION, "sources": [s.model_dump(mode="json") for s in recipe.sources],
                 "reader_versions": [type(s.reader).version for s in recipe.sources],
                 "files": sized})
    root = run_dir / "stages"
    out = [PlannedStage(0, "ingest", "ingest", None, key, StageDir(root / f"00-ingest-{key[:12]}"))]
    for i, spec in enumerate(recipe.stages, 1):
        st = spec.stage
        key = _hash({"input": key, "stage": spec.ref, "version": st.version, "code": code_fingerprint(type(st)),
                     "options": st.options(),
                     "seed": recipe.seed if st.uses_seed else None})
        out.append(PlannedStage(i, spec.id, spec.ref, st, key, StageDir(root / f"{i:02d}-{spec.id}-{key[:12]}")))
    return out


# -- tasks (run in Ray workers) ---------------------------------------------------------------
_WORKER_STAGES: dict[str, Stage] = {}


def _ready_stage(ps: PlannedStage, ctx: StageContext) -> Stage:
    """One set-up instance per stage per worker process (models load once, not per shard)."""
    st = _WORKER_STAGES.get(ps.key)
    if st is None:
        st = ps.stage.model_copy()
        st.bind(ctx).ensure_setup()
        _WORKER_STAGES[ps.key] = st
    return st


def ingest_file(src: SourceConfig, src_idx: int, file_idx: int, path: str, out: StageDir) -> dict:
    t0 = timer()
    state = ReadState()
    rows: list[dict] = []
    quarantine: list[dict] = []
    shard_ids: list[str] = []
    size = 0
    n_docs = 0
    total_bytes = 0

    def flush():
        nonlocal rows, size, total_bytes
        if not rows:
            return
        sid = f"{src_idx:02d}-{file_idx:05d}-{len(shard_ids):04d}"
        table = documents_table(rows)
        total_bytes += content_bytes(table)
        out.write_shard(sid, None, Result(table), 0.0, 0, docs_in=len(rows), bytes_in=0)
        shard_ids.append(sid)
        rows, size = [], 0

    for item in read_source_file(src, path, state):
        if isinstance(item, Doc):
            rows.append({"id": item.id, "source": src.name, "url": item.url, "text": item.text,
                         "html": item.html, "metadata": item.metadata or None})
            size += len(item.text or item.html or "")
            n_docs += 1
            if len(rows) >= src.shard_docs or size >= src.shard_bytes:
                flush()
        else:
            quarantine.append({"source": src.name, "path": path, "offset": item.offset, "id": item.id,
                               "reason": item.reason, "detail": item.detail, "size": item.size,
                               "sample": item.sample})
    flush()
    qcounts: dict[str, int] = {}
    for q in quarantine:
        qcounts[q["reason"]] = qcounts.get(q["reason"], 0) + 1
    if quarantine:
        write_parquet_atomic(quarantine_table(quarantine), out.path / "quarantine" / f"{src_idx:02d}-{file_idx:05d}.parquet")
    rec = ShardRecord(shard=f"{src_idx:02d}-{file_idx:05d}", docs_in=n_docs + len(quarantine), docs_out=n_docs,
                      bytes_in=total_bytes + sum(q["size"] or 0 for q in quarantine), bytes_out=total_bytes,
                      quarantined=qcounts, counters=state.counters, seconds=round(timer() - t0, 4))
    record = {**asdict(rec), "path": path, "shards": shard_ids}
    write_json_atomic(record, out.path / "files" / f"{src_idx:02d}-{file_idx:05d}.done.json")
    return record


def run_chain(chain: list[PlannedStage], ctxs: list[StageContext], shard: str, input_dir: StageDir,
              removed_samples: int) -> list[ShardRecord]:
    """Take one shard through consecutive map stages, starting at the first without output."""
    start = next(i for i, ps in enumerate(chain) if not ps.dir.is_done(shard))
    table = (input_dir if start == 0 else chain[start - 1].dir).read(shard)
    records: list[ShardRecord] = []
    for ps, ctx in zip(chain[start:], ctxs[start:]):
        t0 = timer()
        result = _ready_stage(ps, ctx)(table)
        # A stage's input is the previous stage's output: its size is already measured.
        bytes_in = records[-1].bytes_out if records else None
        rec = ps.dir.write_shard(shard, table, result, timer() - t0, removed_samples, bytes_in=bytes_in)
        records.append(rec)
        table = result.kept
    return records


# -- driver ------------------------------------------------------------------------------------
class Runner:
    def __init__(self, recipe: Recipe, run_dir: str | Path | None = None, ray_address: str | None = None,
                 quiet: bool = False):
        self.recipe = recipe
        self.run_dir = Path(run_dir or recipe.output).resolve()
        self.ray_address = ray_address or recipe.ray.address
        self.progress = Progress(quiet=quiet)
        self.files = list_inputs(recipe)
        self.stages = plan(recipe, self.run_dir, self.files)

    def ctx_for(self, ps: PlannedStage) -> StageContext:
        return StageContext(seed=self.recipe.seed, stage_id=ps.id, run_dir=str(self.run_dir))

    def run(self) -> dict:
        t_start = time.time()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic({"recipe": self.recipe.path, "recipe_hash": self.recipe.hash(),
                           "stages": [s.dir.path.name for s in self.stages]}, self.run_dir / "plan.json")
        resources = start_ray(self.ray_address, self.recipe.ray.num_cpus)
        self.in_flight = cluster_cpus() * self.recipe.ray.tasks_per_cpu
        walls: dict[str, float] = {}
        i = 1
        j = i
        while j < len(self.stages) and not self.stages[j].is_global:
            j += 1
        # Ingest overlaps with the first run of map stages: a shard starts through them as soon
        # as the file it came from has been read.
        self._ingest(walls, self.stages[1:j])
        i = j
        while i < len(self.stages):
            ps = self.stages[i]
            if ps.is_global:
                self._global(ps, self.stages[i - 1], walls)
                i += 1
                continue
            j = i
            while j < len(self.stages) and not self.stages[j].is_global:
                j += 1
            self._map_segment(self.stages[i:j], self.stages[i - 1], walls)
            i = j
        stats = build_stats(self.recipe, self.run_dir, self.stages, walls,
                            {"address": self.ray_address or "local", "cpus": resources.get("CPU")},
                            started=t_start, finished=time.time())
        write_json_atomic(stats, self.run_dir / "stats.json")
        if self.recipe.export is not None:      # the recipe's `export:`: pipeline/export.py
            from pipeline.export import export_final
            stats["output"]["export"] = export_final(self.run_dir, stats, self.recipe.export)
            write_json_atomic(stats, self.run_dir / "stats.json")
        return stats

    def _ingest(self, walls: dict, chain: list[PlannedStage]) -> None:
        ps = self.stages[0]
        if ps.dir.finished():
            walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[ingest] cached: {ps.dir.path}")
            if chain:
                self._map_segment(chain, ps, walls)
            return
        t0 = timer()
        pool = TaskPool(self.in_flight)
        total = 0
        done_records = []
        for si, src in enumerate(self.recipe.sources):
            for fi, path in enumerate(self.files[src.name]):
                total += 1
                rec_path = ps.dir.path / "files" / f"{si:02d}-{fi:05d}.done.json"
                if rec_path.exists():
                    done_records.append(read_json(rec_path))
                else:
                    pool.submit(("file", None), ingest_file, src, si, fi, path, ps.dir)
        ctxs = [self.ctx_for(c) for c in chain]
        names = "+".join(c.id for c in chain)

        shards_seen = 0

        def release(record: dict) -> None:
            nonlocal shards_seen
            shards_seen += len(record["shards"])
            for shard in record["shards"]:
                if chain and not chain[-1].dir.is_done(shard):
                    pool.submit(("shard", shard), run_chain, chain, ctxs, shard, ps.dir,
                                self.recipe.removed_samples)

        files_bar = self.progress.bar("ingest", total, unit="files", done=len(done_records))
        chain_bar = None
        for rec in done_records:
            release(rec)
        for (kind, _), res in pool.results():
            if kind == "file":
                files_bar.update(1, docs=res["docs_out"], bytes=res["bytes_in"])
                release(res)
                if files_bar.n == total:
                    files_bar.close()
                    walls[ps.id] = timer() - t0
                    write_json_atomic({"wall_seconds": walls[ps.id]}, ps.dir.success_path)
            else:
                if chain_bar is None:
                    chain_bar = self.progress.bar(names, 0, unit="shards")
                chain_bar.total = shards_seen       # grows as files finish
                chain_bar.update(1, docs=res[-1].docs_out if res else 0, bytes=res[0].bytes_in if res else 0)
        if not ps.dir.finished():
            files_bar.close()
            walls[ps.id] = timer() - t0
            write_json_atomic({"wall_seconds": walls[ps.id]}, ps.dir.success_path)
        if chain_bar is not None:
            chain_bar.close()
        if chain:
            wall = timer() - t0
            for c in chain:
                walls[c.id] = wall
                write_json_atomic({"wall_seconds": wall, "fused": [p.id for p in chain], "with_ingest": True},
                                  c.dir.success_path)

    def _map_segment(self, chain: list[PlannedStage], upstream: PlannedStage, walls: dict) -> None:
        names = "+".join(ps.id for ps in chain)
        if all(ps.dir.finished() for ps in chain):
            for ps in chain:
                walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[{names}] cached")
            return
        t0 = timer()
        shards = upstream.dir.done_shards()
        todo = [s for s in shards if not chain[-1].dir.is_done(s)]
        ctxs = [self.ctx_for(ps) for ps in chain]
        jobs = [(chain, ctxs, s, upstream.dir, self.recipe.removed_samples) for s in todo]
        bar = self.progress.bar(names, len(shards), unit="shards", done=len(shards) - len(todo))
        for _, recs in run_tasks(run_chain, jobs, self.in_flight):
            bar.update(1, docs=recs[-1].docs_out if recs else 0, bytes=recs[0].bytes_in if recs else 0)
        bar.close()
        wall = timer() - t0
        for ps in chain:
            walls[ps.id] = wall
            write_json_atomic({"wall_seconds": wall, "fused": [p.id for p in chain]}, ps.dir.success_path)

    def _global(self, ps: PlannedStage, upstream: PlannedStage, walls: dict) -> None:
        if ps.dir.finished():
            walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[{ps.id}] cached")
            return
        self.progress.note(f"[{ps.id}] global stage over {len(upstream.dir.done_shards())} shards")
        t0 = timer()
        ctx = GlobalContext(ps.id, upstream.dir, ps.dir, self.recipe.seed, self.recipe.removed_samples,
                            self.recipe.ray.tasks_per_cpu, self.run_dir, self.recipe.hash(), self.recipe.path)
        stage = ps.stage.model_copy()
        stage.bind(self.ctx_for(ps)).ensure_setup()
        stage.run(ctx)
        wall = timer() - t0
        walls[ps.id] = wall
        shutil.rmtree(ps.dir.path / "scratch", ignore_errors=True)
        write_json_atomic({"wall_seconds": wall, "counters": ctx.counters, "info": ctx.info},
                          ps.dir.success_path)


def run_recipe(recipe: Recipe | str | Path, output: str | Path | None = None, ray_address: str | None = None,
               quiet: bool = False) -> dict:
    """Python entry point: run a recipe (a path or a loaded Recipe) and return its stats."""
    from pipeline.recipe import load_recipe
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    return Runner(recipe, run_dir=output, ray_address=ray_address, quiet=quiet).run()
