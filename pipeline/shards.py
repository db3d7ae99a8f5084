"""On-disk layout of a run, and atomic writes.

    RUN/stages/NN-<id>-<key>/shards/<shard>.parquet     documents out of the stage, or
    RUN/stages/NN-<id>-<key>/views/<shard>.json         ... a view: the input stage's shard minus removed_ids
    RUN/stages/NN-<id>-<key>/done/<shard>.json          completion record (counts, seconds)
    RUN/stages/NN-<id>-<key>/removed/<shard>.parquet    a sample of removed documents, with reason,
    RUN/stages/NN-<id>-<key>/removed/samples.parquet    ... merged into one file when the stage ends (samples.py)
    RUN/stages/NN-<id>-<key>/removed_ids/<shard>.parquet every removed/quarantined id with its reason
    RUN/stages/NN-<id>-<key>/quarantine/<shard>.parquet bad input, with reason
    RUN/stages/NN-<id>-<key>/_SUCCESS.json              the stage finished (all shards)

Samples and quarantine keep up to 64 Ki characters of each document's text and html
(`documents.bounded_content`), with the whole length where a value was cut.

A shard counts as done only when its completion record exists; that file is written last (by
rename locally; on an object store, whose PUT is atomic per object, writing it is the commit), so a
killed run never leaves a shard that looks whole, and a rerun ignores data files without a record.
Views. A stage that only removes documents (`Stage.removes_only`: exact and MinHash dedup) stores
no copy of what it keeps: its shard is its input's shard minus the ids in its `removed_ids`, read
through `StageDir.read` (and `read_shard` in tasks). This is what keeps a run folder near the size
of its final output; `checkpoint: every_stage` stores copies instead. A view names its input by
folder name, so a run folder stays readable when moved or copied as a whole.

RUN may be a local folder or a URL (s3://, gs://, memory://): see pipeline/storage.py. The key hashes the stage's
options with its input's key, so changed options land in a new directory.
"""
from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.documents import bounded_content, content_bytes
from pipeline.samples import sample_per_reason
from pipeline.stage import Result
# Re-exported: every write of a run goes through the storage layer (local, s3://, memory://).
from pipeline.storage import read_json, write_json_atomic, write_parquet_atomic  # noqa: F401
from pipeline.storage import QUARANTINE_LEVEL


# Columns the report breaks kept documents down by. Counted as each shard is written, so the
# report's funnels per source and language read completion records, not a column of every shard
# of every stage (on an object store and at scale, most of the report's time).
GROUP_COLUMNS = ("source", "language")


@dataclass
class ShardRecord:
    """Counts for one shard through one stage: the unit stats are summed from."""
    shard: str
    docs_in: int = 0
    docs_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # CPU seconds of the task process and its children (a stage's forked sandbox) for this stage.
    cpu_seconds: float = 0.0
    # "<language>/<reason>" counts, once a language stage has labelled documents.
    removed_by_language: dict[str, int] = field(default_factory=dict)
    # False when the stage kept no copy of its output documents (a fused chain's inner stage).
    stored: bool = True
    # Kept documents per value of each GROUP_COLUMNS column the shard has (None: written before
    # these counts existed, the report then reads the column from the shards).
    kept_by: dict[str, dict[str, int]] | None = None


class StageDir:
    def __init__(self, path, views_of: "StageDir | None" = None):
        self.path = storage.path(path)
        self.shards = self.path / "shards"
        self.done = self.path / "done"
        # Set by the runner for a removal-only stage: its shards are written as views of this dir.
        self.views_of = views_of

    def view_path(self, shard: str):
        return self.path / "views" / f"{shard}.json"

    def shard_path(self, shard: str):
        return self.shards / f"{shard}.parquet"

    def done_path(self, shard: str):
        return self.done / f"{shard}.json"

    def is_done(self, shard: str) -> bool:
        return storage.is_file(self.done_path(shard))

    def done_shards(self) -> list[str]:
        return [n[: -len(".json")] for n in storage.names(self.done, ".json")]

    def pending(self, shards) -> list[str]:
        """Those of `shards` (in their order) without a completion record: one listing of the
        records, where `is_done` a shard is a request each on an object store."""
        done = set(self.done_shards())
        return [s for s in shards if s not in done]

    def records(self) -> list[ShardRecord]:
        return [ShardRecord(**read_json(self.done_path(s))) for s in self.done_shards()]

    def _upstream(self, shard: str) -> "StageDir":
        """The stage folder a view shard reads from (named in its view record)."""
        try:
            return StageDir(self.path.parent / read_json(self.view_path(shard))["of"])
        except FileNotFoundError:
            raise self._missing(shard) from None

    def _missing(self, shard: str) -> storage.DamagedFile:
        """A shard its done record says was written, of which neither the file nor a view is there."""
        return storage.DamagedFile(f"{storage.url(self.shard_path(shard))}: missing, though "
                                   f"{storage.url(self.done_path(shard))} records it as written (neither "
                                   f"the Parquet file nor a view record {self.view_path(shard).name} is there)")

    def read(self, shard: str, columns: list[str] | None = None, view: bool = False) -> pa.Table:
        """The shard's documents: its Parquet file, or through its view. `view`: the caller knows
        the shard is a view (`shard_url` said so), so its Parquet file is not tried first."""
        # Read, not probed first: on an object store a probe is a request (two for a missing
        # key), and a missing file costs the read no more than the probe did.
        path = self.shard_path(shard)
        if not view:
            try:
                return storage.read_parquet_file(path, columns=columns)
            except FileNotFoundError:
                pass
        try:
            record = read_json(self.view_path(shard))
        except FileNotFoundError:
            if view:
                return self.read(shard, columns)
            raise self._missing(shard) from None
        need = columns if columns is None or "id" in columns else [*columns, "id"]
        table = StageDir(self.path.parent / record["of"]).read(shard, need, record.get("of_view", False))
        # A view record says how many ids left its shard (older records do not: removed_ids is tried).
        if record.get("removed", 1):
            try:
                ids = storage.read_parquet_file(self.path / "removed_ids" / f"{shard}.parquet",
                                                columns=["id"]).column("id")
            except FileNotFoundError:
                pass                    # nothing removed from this shard
            else:
                table = table.filter(pc.invert(pc.is_in(table.column("id"), value_set=ids.combine_chunks())))
        return table if need is columns else table.select(columns)

    def view_shards(self) -> set[str]:
        """The shards stored as views (one listing)."""
        return {n[: -len(".json")] for n in storage.names(self.path / "views", ".json")}

    def shard_url(self, shard: str, views: set[str] | None = None) -> str:
        """Where a task reads the shard (`read_shard`): its view record if it is one of `views`
        (`view_shards()`, listed once by the caller), else its Parquet file; so a reader goes
        straight to what is stored instead of missing the Parquet file of every view first."""
        return storage.url(self.view_path(shard) if views and shard in views else self.shard_path(shard))

    def stored_path(self, shard: str, view: bool = False):
        """The Parquet file holding the shard's rows: its own, or for a view the file it is a
        view of (a superset of its rows: for sizing estimates that must never under-count)."""
        path = self.shard_path(shard)
        return path if not view and storage.is_file(path) else self._upstream(shard).stored_path(shard)

    def schema(self, shard: str, view: bool = False) -> pa.Schema:
        """Column names and types of a shard's documents, without reading them."""
        if not view:
            try:
                return storage.parquet_metadata(self.shard_path(shard)).schema.to_arrow_schema()
            except FileNotFoundError:
                pass
        return self._upstream(shard).schema(shard)

    def schemas(self, shards: list[str]) -> list[pa.Schema]:
        """Each shard's schema (a Parquet footer, through its view for a view shard), fetched
        together: on an object store each is a request, and a stage has thousands of shards."""
        views = self.view_shards()
        with ThreadPoolExecutor(min(32, max(1, len(shards)))) as pool:
            return list(pool.map(lambda s: self.schema(s, s in views), shards))

    def document_shards(self) -> list[str]:
        """Done shards whose documents can be read (stored, or a view); an inner stage of a fused
        chain keeps only counts. Listed, not probed: an unrecorded file of a killed run is ignored."""
        have = {n[: -len(".parquet")] for n in storage.names(self.shards, ".parquet")}
        have |= self.view_shards()
        return [s for s in self.done_shards() if s in have]

    @property
    def success_path(self):
        return self.path / "_SUCCESS.json"

    def finished(self) -> bool:
        return storage.is_file(self.success_path)

    def has_documents(self, shard: str) -> bool:
        """Done, with its output documents readable (stored or a view, not only counts)."""
        return self.is_done(shard) and any(storage.is_file(p) for p in (self.shard_path(shard), self.view_path(shard)))

    def write_shard(self, shard: str, table_in: pa.Table | None, result: Result, seconds: float,
                    removed_samples: int, docs_in: int | None = None,
                    bytes_in: int | None = None, store: bool = True, cpu_seconds: float = 0.0) -> ShardRecord:
        """Write a stage's output for one shard, then its completion record (in that order).

        With `store=False` the kept documents are not written (the next stage of a fused chain
        gets them in memory); removals, quarantine and counts are, so stats and `explain` see
        every stage."""
        rec = ShardRecord(
            shard=shard,
            docs_in=docs_in if docs_in is not None else (table_in.num_rows if table_in is not None else 0),
            docs_out=result.kept.num_rows,
            bytes_in=bytes_in if bytes_in is not None else (content_bytes(table_in) if table_in is not None else 0),
            bytes_out=content_bytes(result.kept),
            removed=_count_reasons(result.removed),
            quarantined=_count_reasons(result.quarantined),
            counters={k: int(v) for k, v in result.counters.items()},
            removed_by_language=_count_by_language(result.removed),
            seconds=round(seconds, 4),
            cpu_seconds=round(cpu_seconds, 4),
            stored=store,
            kept_by=_count_groups(result.kept),
        )
        if store and self._is_view(table_in, result):
            # `of_view`: the input stage keeps views too (a dedup after a dedup), so a reader asks
            # for its view record first instead of missing its Parquet file.
            write_json_atomic({"of": self.views_of.path.name, "removed": table_in.num_rows - result.kept.num_rows,
                               **({"of_view": True} if self.views_of.views_of is not None else {})},
                              self.view_path(shard), compact=True)
        elif store:
            write_parquet_atomic(result.kept, self.shard_path(shard))
        if result.removed is not None and result.removed.num_rows and removed_samples:
            write_parquet_atomic(bounded_content(sample_per_reason(result.removed, removed_samples)),
                                 self.path / "removed" / f"{shard}.parquet")
        if result.quarantined is not None and result.quarantined.num_rows:
            write_parquet_atomic(bounded_content(result.quarantined), self.path / "quarantine" / f"{shard}.parquet",
                                 QUARANTINE_LEVEL)
        gone = [t.select(["id", "reason", *(c for c in result.linked_columns if c in t.column_names)])
                .append_column("quarantined", pa.array([q] * t.num_rows))
                for t, q in ((result.removed, False), (result.quarantined, True))
                if t is not None and t.num_rows and "id" in t.column_names]
        if gone:
            # Small (id, reason[, links]) rows for every document that left here: what `explain` reads.
            write_parquet_atomic(pa.concat_tables(gone, promote_options="default"),
                                 self.path / "removed_ids" / f"{shard}.parquet")
        write_json_atomic(asdict(rec), self.done_path(shard), compact=True)
        return rec

    def _is_view(self, table_in: pa.Table | None, result: Result) -> bool:
        """A view can stand for the kept documents: same columns, same rows in the same order as
        the input minus the removed and quarantined ids (else a copy is stored: never a wrong view)."""
        if self.views_of is None or table_in is None or "id" not in table_in.column_names:
            return False
        if result.kept.schema != table_in.schema:
            return False
        gone = [t.column("id") for t in (result.removed, result.quarantined)
                if t is not None and t.num_rows and "id" in t.column_names]
        if sum(len(c) for c in gone) + result.kept.num_rows != table_in.num_rows:
            return False
        ids = table_in.column("id")
        if gone:
            ids = ids.filter(pc.invert(pc.is_in(ids, value_set=pa.chunked_array(gone).combine_chunks())))
        return ids.equals(result.kept.column("id"))


def _value_counts(values) -> dict[str, int]:
    vc = pc.value_counts(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
    return {str(v["values"]): int(v["counts"]) for v in vc.to_pylist()}


def _count_reasons(t: pa.Table | None) -> dict[str, int]:
    return _value_counts(t.column("reason")) if t is not None and t.num_rows else {}


def _count_groups(t: pa.Table) -> dict[str, dict[str, int]]:
    """Kept documents per value of each GROUP_COLUMNS column the table has."""
    return {c: _value_counts(pc.fill_null(pc.cast(t.column(c), pa.string()), "(none)"))
            for c in GROUP_COLUMNS if c in t.column_names}


def _count_by_language(t: pa.Table | None) -> dict[str, int]:
    """"<language>/<reason>" counts of removed documents; a document without a language (a null, or
    a shard of a source a language stage scoped with `apply_to` never labelled, which has no column)
    is "unknown", as the kept documents are counted (`stats.document_profile`)."""
    if t is None or not t.num_rows:
        return {}
    language = (pc.fill_null(pc.cast(t.column("language"), pa.string()), "unknown") if "language" in t.column_names
                else pa.array(["unknown"] * t.num_rows, pa.string()))
    return _value_counts(pc.binary_join_element_wise(language, t.column("reason"), "/"))


def derived_shard(group: int, shard: str, part: int = 0, width: int = 4) -> str:
    """The name of a global stage's output shard made from its input shard `shard`, in a group
    of its output (a mix's phase): `p<group>-<shard>`, its further parts `..._0001` (read in name
    order, they follow it). `source_shard` reads a name back, so that `explain` follows a document
    through any stage that names its shards so."""
    return f"p{group:03d}-{shard}" + (f"_{part:0{width}d}" if part else "")


_DERIVED = re.compile(r"p\d{3,}-(?P<shard>.+?)(?:_\d+)?")


def source_shard(name: str) -> str:
    """The input shard a shard name was made from (`derived_shard`), else the name itself."""
    m = _DERIVED.fullmatch(name)
    return m.group("shard") if m else name


def final_stage(run) -> StageDir:
    """The stage holding a finished run's final documents (`run`: its folder or URL, or its stats)."""
    stats = run if isinstance(run, dict) else read_json(storage.path(run) / "stats.json")
    out = stats["output"]
    return StageDir(storage.path(out["stage"]) if "stage" in out else storage.path(out["documents"]).parent)


def read_documents(run, columns: list[str] | None = None) -> pa.Table:
    """The final documents of a run (`run`: its folder or URL, or the stats `run` returned), in
    shard order: the last stage that keeps documents, read through its views if it has any.
    Shards may differ in columns (a stage with `apply_to` adds its own to its sources' shards): a
    document of a shard without a column has a null there, asked for by `columns` or not, of the
    type the other shards give it; a column of `columns` that no shard has is an error."""
    stage = final_stage(run)
    shards = sorted(stage.document_shards())
    if columns is None:
        parts = [stage.read(s) for s in shards]
    else:
        views = stage.view_shards()
        names = [schema.names for schema in stage.schemas(shards)]
        have = dict.fromkeys(c for n in names for c in n)
        missing = [c for c in columns if c not in have]
        if missing and shards:
            raise ValueError(f"{storage.url(stage.path)}: no shard of the run's final documents has column "
                             f"{', '.join(map(repr, missing))} (they have: {', '.join(have)})")
        parts = [stage.read(s, [c for c in columns if c in n], s in views) for s, n in zip(shards, names)]
    if not parts:
        return pa.table({})
    table = pa.concat_tables(parts, promote_options="permissive")
    return table if columns is None else table.select(columns)


def _locate(url) -> tuple[StageDir, str, bool]:
    """(stage folder, shard name, is it a view) of a shard location (`StageDir.shard_url`):
    `<stage>/shards/<shard>.parquet` or `<stage>/views/<shard>.json`."""
    p = storage.path(url)
    return StageDir(p.parent.parent), p.name.rsplit(".", 1)[0], p.parent.name == "views"


def read_shard(url, columns: list[str] | None = None) -> pa.Table:
    """Read one stage shard given its location (what `GlobalContext.input_path` returns). Stage
    tasks read their input through this, never with a bare Parquet read, so the stage folder
    decides how the documents are kept."""
    stage, shard, view = _locate(url)
    return stage.read(shard, columns, view)


def stored_file(url) -> str:
    """`StageDir.stored_path` of a shard location, as a string."""
    stage, shard, view = _locate(url)
    return storage.url(stage.stored_path(shard, view))


def shard_schema(url) -> pa.Schema:
    """Columns of one stage shard, without reading its documents."""
    stage, shard, view = _locate(url)
    return stage.schema(shard, view)


def shard_rows(url) -> int:
    """Documents in one stage shard (from its completion record: no data read)."""
    stage, shard, _ = _locate(url)
    return int(read_json(stage.done_path(shard))["docs_out"])


def timer() -> float:
    return time.perf_counter()


def cpu_clock() -> float:
    """CPU seconds (user + system) used so far by this process and its children, live or
    finished: a stage's forked helpers (the extraction sandbox) count toward its time."""
    import psutil
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for pid in _live_children(me.pid):
        try:
            c = psutil.Process(pid).cpu_times()
        except psutil.Error:       # gone between listing and reading: counted once reaped
            continue
        total += c.user + c.system
    return total


def _live_children(pid: int) -> list[int]:
    """Descendants of pid. Linux lists each thread's children in /proc (a few small reads);
    psutil's own walk scans every process on the machine (ms per call, twice per stage and shard)."""
    import psutil
    try:
        out = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        try:
            return [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    return out + [g for c in out for g in _live_children(c)]
