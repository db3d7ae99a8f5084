"""Run a recipe: plan stage directories, ingest sources, stream shards through the stages.

The plan (pipeline/plan.py) groups the stages into segments; ingest (pipeline/ingest.py) reads
the input files into shards, each of which starts through the first chain of map stages as soon
as it is written. A chain's task (`run_chain`) writes each stage's output as it goes, so a crash
loses at most the shards in flight and a rerun starts each shard at the first stage that has no
output for it; a global stage waits for all its input. Segments are handed to an executor
(pipeline/executor.py); all reads and writes go through pipeline/storage.py (local or s3://...).

Where other concerns plug in: cache keys are made in `plan` (pipeline/plan.py); which input files
a run reads is decided in `list_inputs`; progress bars are `self.progress`.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipeline import storage
from pipeline.checks import check_ingest, id_bases, list_inputs  # noqa: F401  (list_inputs: re-exported)
from pipeline.documents import DOC_SCHEMA
from pipeline.executor import (Resources, Segment, check_fits, cluster_cpus, local_ray_starting,
                               make_executor, raised_in, runtime_env_for, start_ray, start_ray_soon,
                               upload_runtime_env)
from pipeline.global_context import GlobalContext
from pipeline.ingest import file_groups, group_paths, ingest_group, ingest_group_stream, input_fingerprints
from pipeline.lease import Lease, check_output
from pipeline.plan import PlannedStage, compile_segments, plan, stale_stage_folders
from pipeline.progress import Progress
from pipeline.recipe import Recipe
from pipeline.samples import merge_samples
from pipeline.shards import ShardRecord, StageDir, cpu_clock, read_json, shard_schema, timer, write_json_atomic
from pipeline.stage import Stage, StageContext, StageError
from pipeline.stats import build_stats

log = logging.getLogger("pipeline")
# While the driver reads ahead, Ray's start (a thread of this process) needs the GIL for many short
# steps; at Python's default 5 ms hand-over it took 9 s instead of 4 s here, at 0.5 ms no longer.
READ_AHEAD_SWITCH_INTERVAL = 0.0005


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


def resume_point(chain: list[PlannedStage], shard: str, input_dir: StageDir) -> tuple[int, StageDir]:
    """Where a shard's pass through a chain starts: after the last stage whose documents for it
    are stored (an inner stage that kept only counts cannot be resumed from)."""
    for i in range(len(chain) - 1, -1, -1):
        if chain[i].store and chain[i].dir.has_documents(shard):
            return i + 1, chain[i].dir
    return 0, input_dir


def run_chain(chain: list[PlannedStage], ctxs: list[StageContext], shard: str, input_dir: StageDir,
              removed_samples: int, consume_input: bool = False) -> list[ShardRecord]:
    """Take one shard through consecutive map stages, from the last stored output on; every stage
    writes its removals and completion record, only stages with `store` their documents.

    With `consume_input` the input shard's documents (ingest's raw pages) are deleted once the
    chain's end has recorded the shard: raw HTML is not kept beside the text made from it."""
    start, source = resume_point(chain, shard, input_dir)
    table = source.read(shard)
    records: list[ShardRecord] = []
    for ps, ctx in zip(chain[start:], ctxs[start:]):
        t0, c0 = timer(), cpu_clock()
        kind = type(ps.stage).__name__
        with raised_in(f"stage {ps.id!r}" + (f" ({kind})" if kind != ps.id else "")):   # its setup, its process
            result = _ready_stage(ps, ctx)(table)
        # A stage's input is the previous stage's output: its size is already measured.
        bytes_in = records[-1].bytes_out if records else None
        rec = ps.dir.write_shard(shard, table, result, timer() - t0, removed_samples, bytes_in=bytes_in,
                                 store=ps.store, cpu_seconds=cpu_clock() - c0)
        records.append(rec)
        table = result.kept
    if consume_input:
        storage.remove_file(input_dir.shard_path(shard))
    return records


def _run_chain_on(shard: str, chain, ctxs, input_dir: StageDir, removed_samples: int,
                  consume_input: bool = False) -> list[ShardRecord]:
    """Segment body: the shard argument first (what every executor passes)."""
    return run_chain(chain, ctxs, shard, input_dir, removed_samples, consume_input)


def _ingest_by_id(group_id: str, jobs: dict, out: StageDir, bases: dict[str, str]) -> dict:
    src, si, files = jobs[group_id]
    return ingest_group(src, si, files, out, bases[src.name])


def _check_columns(stage: Stage, ctx: GlobalContext) -> None:
    """A global stage's input columns, from its input shards' schemas (a map stage's are checked
    on every batch): one line, not an Arrow error from a task.

    A run's shards differ in columns: a stage with `apply_to` adds its columns to its sources'
    shards only. Whether every source a stage applies to has a column it needs the recipe loader
    checks, where the stages before declare what they add (pipeline/recipe_columns.py); here a
    column passes when some shard has it, and a stage reading an optional one reads it where it is
    (minhash's score: null, ranked last). Footers are read until every column is found, the first
    shard alone in the common case, then twice as many each round (each a request on an object
    store, 32 at once); all of them only for a column no shard has. A core document column
    (DOC_SCHEMA: `text`) is one every shard has by construction (ingest writes them, a map stage
    may not drop one it does not declare, and the recipe loader refuses reading a declared drop),
    so a shard read here without one is an error of its own; shards not read are not fetched to
    prove it."""
    need = stage.input_columns() | stage.optional_columns()
    shards = ctx.input_shards
    if not need or not shards:
        return
    core = need & set(DOC_SCHEMA.names)
    have: dict[str, None] = {}              # the union, in order of first appearance
    done, step = 0, 1
    # 32 footers at once, as the report and export fetch them; its threads start with the first read
    with ThreadPoolExecutor(32) as pool:
        while done < len(shards) and not need <= have.keys():
            part = shards[done:done + step]
            paths = [ctx.input_path(s) for s in part]   # here: the first call lists the views once
            for shard, names in zip(part, pool.map(lambda p: shard_schema(p).names, paths)):
                lost = sorted(core - set(names))
                if lost:
                    raise StageError(f"{stage.name}: its input shard {shard} has no column "
                                     f"{', '.join(map(repr, lost))} (it has: {', '.join(names)})")
                have.update(dict.fromkeys(names))
            done, step = done + len(part), min(2 * step, 256)
    missing = sorted(need - have.keys())
    if missing:
        raise StageError(f"{stage.name}: its input has no column {', '.join(map(repr, missing))} in any of its "
                         f"{len(shards):,} shards (they have: {', '.join(have)})")


# -- driver ------------------------------------------------------------------------------------
FAILED = "failed.json"          # a run that stopped with an error: what the error was
class Runner:
    def __init__(self, recipe: Recipe, run_dir: str | Path | None = None, ray_address: str | None = None,
                 quiet: bool = False):
        self.recipe = recipe
        # A URL (s3://bucket/run) stays a URL; a local path becomes absolute.
        self.run_dir = storage.path(run_dir or recipe.output)
        self.ray_address = ray_address or recipe.ray.address
        self.progress = Progress(quiet=quiet)
        self.files = list_inputs(recipe)
        self.id_bases = id_bases(recipe, self.files)
        self._read_ahead_files: set[str] = set()    # ingest's files this run read while Ray started
        self._began = False                         # whether this run has begun changing its folder
        check_output(self.run_dir, recipe, self.files)       # before any work: a safe place to write
        sized = input_fingerprints(self.files)
        self.stages = plan(recipe, self.run_dir, self.files, sized)
        # per source, each group of files read together by the index of its first file (in order)
        self.groups = {src.name: {g[0]: g for g in file_groups(sized[src.name], src.group_bytes)}
                       for src in recipe.sources}
        self.segments = compile_segments(self.stages, recipe.checkpoint,
                                         {s.id: s.checkpoint for s in recipe.stages})
        # The user's own modules (custom stages and readers) travel to the workers with the tasks.
        self.runtime_env = runtime_env_for([ps.stage for ps in self.stages] + [s.reader for s in recipe.sources])

    def ctx_for(self, ps: PlannedStage) -> StageContext:
        return StageContext(seed=self.recipe.seed, stage_id=ps.id, run_dir=str(self.run_dir))

    def run(self) -> dict:
        with Lease(self.run_dir) as self._lease:   # one run per output; refused with one line otherwise
            # Chains' completion records are written in the background (`_finish_chain`), all of
            # them before stats and before the lease is released, whatever happens.
            with ThreadPoolExecutor(1, thread_name_prefix="finish-chain") as self._closer:
                self._finishing: list[Future] = []
                self._started, self._began = time.time(), False
                try:
                    stats = self._run()
                except Exception as e:
                    if self._lease.lost is None:    # the folder is another run's now: nothing written into it
                        self._report_failure(e)
                    raise
                storage.remove_file(self.run_dir / FAILED)      # an earlier attempt's, now superseded
                return stats

    def _begin(self) -> None:
        """The run starts changing its folder (not before Ray is up or starting here: a cluster
        that cannot be joined leaves the folder as it was). The plan comes first: `explain` says
        from it that a stage skipped a document's source (apply_to) rather than that it kept it."""
        if self._began:
            return
        self._began = True
        write_json_atomic({"recipe": self.recipe.path, "recipe_hash": self.recipe.hash(),
                           "stages": [s.dir.path.name for s in self.stages],
                           "apply_to": {spec.id: list(spec.apply_to) for spec in self.recipe.stages
                                        if spec.apply_to}}, self.run_dir / "plan.json")

    def _report_failure(self, error: Exception) -> None:
        """Every run leaves a report: one that stops with an error leaves `failed.json` (the error)
        and the report of the work done until then (each stage's completed shards), but no
        stats.json, which marks a finished run. A rerun resumes and replaces both.

        A run that stopped before any work (Ray could not be reached or joined) changed nothing:
        it leaves the folder as it was, a finished run's report included."""
        if not self._began:
            return
        message = " ".join(str(getattr(error, "cause", None) or error).split())[:2000]
        failed = {"error": message, "type": type(getattr(error, "cause", None) or error).__name__,
                  "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            write_json_atomic(failed, self.run_dir / FAILED)
            storage.remove_file(self.run_dir / "stats.json")   # an earlier run's, no longer what is here
            stats = build_stats(self.recipe, self.run_dir, self.stages, {}, {"address": self.ray_address or "local"},
                                started=self._started, finished=time.time())
            from pipeline.report import write_report
            write_report(self.run_dir, {**stats, "failed": failed})
        except Exception as e:  # noqa: BLE001 - the run's own error is the one to report
            log.warning("no report of the failed run: %s: %s", type(e).__name__, e)
            from pipeline.report import REPORT_FILES
            with contextlib.suppress(Exception):    # storage gone: the warning says there is no report
                for name in REPORT_FILES:           # an earlier run's report must not pass for this one's
                    storage.remove_file(self.run_dir / name)

    def _run(self) -> dict:
        t_start = self._started
        # Stages an earlier run into this folder finished: their times in the report are that run's.
        cached = {ps.id for ps in self.stages if ps.dir.finished()}
        stale = stale_stage_folders(self.run_dir, self.stages)
        if stale:
            self.progress.note(f"{len(stale)} stage folder(s) in {storage.url(self.run_dir / 'stages')} are not in "
                               f"this plan (an earlier recipe's, or stages whose options changed since): kept, "
                               f"not read; remove them to free their space ({', '.join(stale[:3])}"
                               f"{', ...' if len(stale) > 3 else ''})")
        segments = list(self.segments)
        # Ingest overlaps with the first chain of map stages: a shard starts through them as soon
        # as it is written, while the rest of its file is still being read.
        first_chain = segments.pop(0).stages if segments and segments[0].kind == "map" else []
        read_ahead = self._read_ahead(first_chain)
        resources = start_ray(self.ray_address, self.recipe.ray.num_cpus)
        check_fits((ps.id, ps.stage) for ps in self.stages if not ps.is_global)
        self.runtime_env = upload_runtime_env(self.runtime_env)
        self.executor = make_executor(self.recipe.ray.executor, cluster_cpus() * self.recipe.ray.tasks_per_cpu)
        self._begin()
        walls: dict[str, float] = {}
        self._ingest(walls, first_chain, read_ahead)
        # Duplicate ids (counted over tasks when many), then the quarantine guard.
        check_ingest(self.recipe, self.stages[0].dir.path, self.executor, self.runtime_env)
        for seg in segments:
            self._lease.held()
            if seg.kind == "global":
                self._global(seg.stages[0], seg.upstream, walls)
            else:
                self._map_segment(seg.stages, seg.upstream, walls)
        for f in self._finishing:
            f.result()                          # a failed merge or record fails the run here
        self._lease.held()
        with storage.frozen(self.run_dir / "stages"):       # every stage is over: each folder listed once
            stats = build_stats(self.recipe, self.run_dir, self.stages, walls,
                                {"address": self.ray_address or "local", "cpus": resources.get("CPU")},
                                started=t_start, finished=time.time())
        for st in stats["stages"]:
            if st["id"] in cached:
                st["cached"] = True
        write_json_atomic(stats, self.run_dir / "stats.json")
        if self.recipe.export is not None:      # the recipe's `export:`: pipeline/export.py
            from pipeline.export import export_final
            stats["output"]["export"] = export_final(self.run_dir, stats, self.recipe.export)
            write_json_atomic(stats, self.run_dir / "stats.json")
        return stats

    # -- ingest ------------------------------------------------------------------------------
    def _shard_file(self, shard: str) -> str:
        """The input file(s) a shard of ingest was read from (its name begins with the id of the
        first file of its group)."""
        si, fi = (int(x) for x in shard.split("-")[:2])
        name = self.recipe.sources[si].name
        group = self.groups[name].get(fi, [fi])
        first = self.files[name][fi]
        return first if len(group) == 1 else f"{first} and the {len(group) - 1} files read with it"

    def _ingest_jobs(self, chain: list[PlannedStage] = ()) -> tuple[list[dict], list[tuple]]:
        """Records of file groups already read, and (group id, source, source index, [(file index,
        path)]) of those to read: unread groups, and read ones one of whose shards the chain still
        needs but whose raw documents were consumed by an earlier run (its chain then had other
        options)."""
        ps = self.stages[0]
        done, todo = [], []
        recorded = set(storage.names(ps.dir.path / "files", ".done.json"))   # listed once, not probed
        usable = None
        if chain:
            end_done, raw = set(chain[-1].dir.done_shards()), set(ps.dir.document_shards())
            usable = end_done | raw
            if self._consume_ingest:
                # Raw shards whose text the chain's end has recorded: left by a run killed between
                # that record and the raw shard's removal (run_chain). A clean run leaves none.
                for shard in sorted(end_done & raw):
                    storage.remove_file(ps.dir.shard_path(shard))
        for si, src in enumerate(self.recipe.sources):
            paths = self.files[src.name]
            for group in self.groups[src.name].values():
                fid = f"{si:02d}-{group[0]:05d}"
                rec = read_json(ps.dir.path / "files" / f"{fid}.done.json") if f"{fid}.done.json" in recorded else None
                if rec is not None and (usable is None or usable.issuperset(rec["shards"])):
                    done.append(rec)
                else:
                    todo.append((fid, src, si, [(fi, paths[fi]) for fi in group]))
        return done, todo

    def _read_ahead(self, chain: list[PlannedStage]) -> float:
        """While Ray starts (seconds spent waiting for its daemons), the driver reads input files
        itself, with the function an ingest task runs, so the shards and records are those a task
        would write; the chain then starts on them as soon as Ray is up. A file not finished when
        Ray is up is left to a task, which reads it again from its start: the workers wait at
        most for the shard being written then (readiness is asked between shards). Returns the
        seconds spent (part of ingest's wall time)."""
        ingest = self.stages[0]
        # Only while Ray starts here: joining a cluster is quick, and one that cannot be joined
        # must leave the output folder as it was.
        if not local_ray_starting() or ingest.dir.finished():
            return 0.0
        self._begin()
        t0 = timer()
        if chain:
            self._forget_unstored_end(chain)
        _, todo = self._ingest_jobs(chain)
        previous = sys.getswitchinterval()
        sys.setswitchinterval(READ_AHEAD_SWITCH_INTERVAL)
        try:
            for fid, src, si, files in todo:
                stream = ingest_group_stream(src, si, files, ingest.dir, clock=time.thread_time,
                                             id_base=self.id_bases[src.name])
                for kind, _ in stream:
                    if kind == "shard" and not local_ray_starting():
                        stream.close()      # no completion record: a task reads this file
                        return timer() - t0
                self._read_ahead_files.add(fid)
                if not local_ray_starting():
                    break
        finally:
            sys.setswitchinterval(previous)
        return timer() - t0

    @property
    def _consume_ingest(self) -> bool:
        """Raw documents are deleted once the first chain has made text of them, unless the
        recipe keeps every stage's output (`checkpoint: every_stage`)."""
        return self.recipe.checkpoint != "every_stage"

    def _ingest(self, walls: dict, chain: list[PlannedStage], read_ahead: float = 0.0) -> None:
        ps = self.stages[0]
        if chain:
            self._forget_unstored_end(chain)
        done_records, todo = self._ingest_jobs(chain)
        if ps.dir.finished() and todo:      # consumed raw documents are needed again: read again
            storage.remove_file(ps.dir.success_path)
        if ps.dir.finished():
            walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[ingest] cached: {ps.dir.path}")
            if chain:
                self._map_segment(chain, ps, walls, consume_input=self._consume_ingest)
            return
        if not self.executor.streams_ingest:
            self._ingest_then_chain(walls, chain)
            return
        t0 = timer() - read_ahead          # the driver's reading while Ray started counts as ingest
        pool = self.executor.pool(self.runtime_env)
        consume = bool(chain) and self._consume_ingest
        total = sum(len(group_paths(r)) for r in done_records) + sum(len(files) for *_, files in todo)
        for fid, src, si, files in todo:
            what = files[0][1] if len(files) == 1 else f"{files[0][1]} and the {len(files) - 1} files after it"
            pool.submit(("file", None), ingest_group_stream, src, si, files, ps.dir, streaming=True,
                        id_base=self.id_bases[src.name], what=f"reading {what} (source {src.name!r})")
        ctxs = [self.ctx_for(c) for c in chain]
        names = "+".join(c.id for c in chain)
        chain_resources = Resources.of(c.stage for c in chain)
        shards_of_read_files = released = 0
        seen: set[str] = set()      # shard names (not documents): a retried task's repeats are ignored
        # The chain's end as this run found it (one listing): only release() submits a shard to
        # the chain, once, so a shard not done now is not done by anyone else before that.
        end_done = set(chain[-1].dir.done_shards()) if chain else set()

        def release(shard: str, fresh: bool = True) -> None:
            """A shard of ingest is ready: it goes through the chain before more files are read."""
            nonlocal released
            if shard in seen:
                return
            seen.add(shard)
            released += 1
            if not chain:
                return
            if shard not in end_done:
                pool.submit(("shard", shard), run_chain, chain, ctxs, shard, ps.dir,
                            self.recipe.removed_samples, consume, resources=chain_resources, first=True,
                            what=f"{names} on shard {shard} (of {self._shard_file(shard)})")
            else:
                chain_bar.skip()
                if consume and fresh:   # a file read again for another shard of it: this one is done
                    storage.remove_file(ps.dir.shard_path(shard))

        files_bar = self.progress.bar("ingest", total, unit="files", done=sum(len(group_paths(r)) for r in done_records),
                                      ahead=sum(len(group_paths(r)) for r in done_records
                                                if r["shard"] in self._read_ahead_files))
        chain_bar = self.progress.bar(names, 0, unit="shards") if chain else None
        for rec in done_records:
            shards_of_read_files += len(rec["shards"])
            for shard in rec["shards"]:
                release(shard, fresh=False)
        if chain_bar is not None and done_records:     # resumed: its total before any line says "3/0"
            chain_bar.project(shards_of_read_files, files_bar.n, total, floor=released)
        for (kind, _), res in pool.results():
            if kind == "file":
                what, value = res
                if what == "shard":          # streamed while its file is still being read
                    release(value)
                    continue
                record = value
                if consume:
                    self._drop_rewritten_raw(record["shards"], ps, chain[-1])
                shards_of_read_files += len(record["shards"])
                files_bar.update(len(group_paths(record)), docs=record["docs_out"], bytes=record["bytes_in"])
                if files_bar.n == total:
                    files_bar.close()
                    self._finish(ps, walls, timer() - t0)
            else:
                chain_bar.update(1, docs=res[-1].docs_out if res else 0, bytes=res[0].bytes_in if res else 0)
            if chain_bar is not None:       # shards per file are known once a file is read: projected
                chain_bar.project(shards_of_read_files, files_bar.n, total, floor=released)
        if not ps.dir.finished():
            files_bar.close()
            self._finish(ps, walls, timer() - t0)
        if chain_bar is not None:
            chain_bar.close()
        self._finish_chain(chain, walls, timer() - t0, with_ingest=True)

    @staticmethod
    def _drop_rewritten_raw(shards: list[str], ingest: PlannedStage, end: PlannedStage) -> None:
        """A file read again by Ray's retry of its task (its worker died mid-file) rewrites raw
        shards the chain had already consumed; Ray does not hand those shards on a second time, so
        nothing else would delete them. Run once the file's task is over (no rewrite can follow)."""
        for shard in shards:
            if end.dir.is_done(shard):
                storage.remove_file(ingest.dir.shard_path(shard))

    def _ingest_then_chain(self, walls: dict, chain: list[PlannedStage]) -> None:
        """Executors that cannot take work while running: read every file, then run the chain."""
        ps = self.stages[0]
        t0 = timer()
        _, todo = self._ingest_jobs(chain)
        by_id = {fid: (src, si, files) for fid, src, si, files in todo}
        bar = self.progress.bar("ingest", sum(len(files) for *_, files in todo), unit="files")
        segment = Segment("ingest", sorted(by_id), _ingest_by_id, (by_id, ps.dir, self.id_bases),
                          runtime_env=self.runtime_env)
        for _, res in self.executor.run(segment):
            bar.update(len(group_paths(res)), docs=res["docs_out"], bytes=res["bytes_in"])
        bar.close()
        self._finish(ps, walls, timer() - t0)
        if chain:
            self._map_segment(chain, ps, walls, consume_input=self._consume_ingest)

    # -- map chains and global stages --------------------------------------------------------
    def _forget_unstored_end(self, chain: list[PlannedStage]) -> None:
        """A chain's last stage must store its documents (the next segment reads them). If an
        earlier run kept only its counts (it was an inner stage then), its records are dropped
        and it is recomputed."""
        end = chain[-1]
        if end.dir.finished() and read_json(end.dir.success_path).get("stored", True) is False:
            self.progress.note(f"[{end.id}] output documents were not kept by an earlier run: recomputing")
            storage.remove_file(end.dir.success_path)
            storage.remove(end.dir.done)

    def _map_segment(self, chain: list[PlannedStage], upstream: PlannedStage, walls: dict,
                     consume_input: bool = False) -> None:
        names = "+".join(ps.id for ps in chain)
        self._forget_unstored_end(chain)
        if all(ps.dir.finished() for ps in chain):
            for ps in chain:
                walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[{names}] cached")
            return
        t0 = timer()
        shards = upstream.dir.done_shards()
        todo = chain[-1].dir.pending(shards)
        ctxs = [self.ctx_for(ps) for ps in chain]
        segment = Segment(names, todo, _run_chain_on, (chain, ctxs, upstream.dir, self.recipe.removed_samples,
                                                       consume_input),
                          Resources.of(ps.stage for ps in chain), self.runtime_env)
        bar = self.progress.bar(names, len(shards), unit="shards", done=len(shards) - len(todo))
        for _, recs in self.executor.run(segment):
            bar.update(1, docs=recs[-1].docs_out if recs else 0, bytes=recs[0].bytes_in if recs else 0)
        bar.close()
        self._finish_chain(chain, walls, timer() - t0)

    def _global(self, ps: PlannedStage, upstream: PlannedStage, walls: dict) -> None:
        if ps.dir.finished():
            walls[ps.id] = read_json(ps.dir.success_path).get("wall_seconds", 0.0)
            self.progress.note(f"[{ps.id}] cached")
            return
        self.progress.note(f"[{ps.id}] global stage over {len(upstream.dir.done_shards())} shards")
        t0 = timer()
        ctx = GlobalContext(ps.id, upstream.dir, ps.dir, self.recipe.seed, self.recipe.removed_samples,
                            self.recipe.ray.tasks_per_cpu, self.run_dir, self.recipe.hash(), self.recipe.path,
                            runtime_env=self.runtime_env, progress=self.progress)
        stage = ps.stage.model_copy()
        _check_columns(stage, ctx)
        stage.bind(self.ctx_for(ps)).ensure_setup()
        stage.run(ctx)
        storage.remove(ps.dir.path / "scratch")
        self._finish(ps, walls, timer() - t0, counters=ctx.counters, info=ctx.info)

    def _finish_chain(self, chain: list[PlannedStage], walls: dict, wall: float, **extra) -> None:
        """The chain's stages' _SUCCESS records, in a background thread: merging their removed
        samples (~1 s of the driver for the default chain, when nothing else runs) overlaps with
        the next segment instead, whose tasks read only completion records of shards. A run killed
        before these records are written finds every shard done and merges again (the same rows)."""
        fused = [p.id for p in chain]

        def finish() -> None:
            for ps in chain:
                self._finish(ps, walls, wall, fused=fused, stored=ps.store, **extra)
        self._finishing.append(self._closer.submit(finish))

    def _finish(self, ps: PlannedStage, walls: dict, wall: float, **extra) -> None:
        """The stage's _SUCCESS record: every shard of it is done (written last)."""
        walls[ps.id] = wall
        merge_samples(ps.dir.path, self.recipe.removed_samples)
        write_json_atomic({"wall_seconds": wall, **extra}, ps.dir.success_path, compact=True)


def run_recipe(recipe: Recipe | str | Path | dict, output: str | Path | None = None, ray_address: str | None = None,
               quiet: bool = False) -> dict:
    """Python entry point: run a recipe (a path, a loaded Recipe, or a dict as the YAML would
    give, validated as a file's is) and return its stats."""
    from pipeline.recipe import RecipeError, load_recipe, parse_recipe
    if isinstance(recipe, dict):
        recipe = parse_recipe(recipe, "<recipe dict>")
    elif isinstance(recipe, (str, os.PathLike)):
        recipe = load_recipe(recipe)
    elif not isinstance(recipe, Recipe):
        raise RecipeError(f"run_recipe: expected a recipe path, dict or Recipe, got {type(recipe).__name__}")
    start_ray_soon(ray_address or recipe.ray.address, recipe.ray.num_cpus)     # while the run is planned
    runner = Runner(recipe, run_dir=output, ray_address=ray_address, quiet=quiet)
    stats = runner.run()
    from pipeline.cli import after_run  # the same report as `python -m pipeline run` (#18)
    after_run(runner.run_dir, stats)
    return stats
