"""minhash_dedup: near-duplicate removal with MinHash LSH, verified on the texts.

1. signatures   one Ray task per shard: shingles -> MinHash -> band hashes, spilled to
                scratch as partition-sorted (band hash, doc key) records (lsh.py).
2. candidates   one Ray task per bucket partition groups its records and spills pairs, sorted
                by a hash of the pair into slots (lsh.py).
3. verification one task per group of slots drops repeated pairs; shard tasks export the texts
                each group needs; one task per group checks its pairs by Levenshtein or exact
                Jaccard (verify.py), with memory bounded by `pairs_per_verify_task`.
4. clusters     connected components by large-star/small-star rounds over node-partitioned
                edge files; each cluster keeps one document (first / longest / highest score),
                the rest are removed as `near_duplicate` with `cluster_id` and `duplicate_of`
                (clusters.py); shard tasks read their own removals (common.apply_removals).
The driver holds counts only; every pair with its similarity is
written to `output/candidate_pairs.parquet/part-*.parquet` for audit (read it as one dataset).
"""
from __future__ import annotations

import math
import time
from functools import cached_property
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from pipeline import storage
from pipeline.shards import read_shard, shard_rows, shard_schema
from pipeline.stage import GlobalStage
from stages.dedup import lsh
from stages.dedup.clusters import DECISION, choose_task, components, members_task
from stages.dedup.common import apply_removals, doc_keys, source_hashes
from stages.dedup.minhash import (Shingling, band_hashes, item_lists, optimal_bands_rows, permutations,
                                  shingle_hash_arrays, signatures)
from stages.dedup.verify import Method, export_task, gather_task, slot_groups, text_shards, verify_task

REASON = "near_duplicate"
SPILL_RECORDS_PER_PARTITION = 4_000_000   # 64 MB of records per bucket task
SIGNATURE_BATCH = 2048                    # documents per signature batch inside a shard task
DOCS_PER_PAIR_SLOT = 200                  # pair slots (verification's unit of grouping) per document
EDGES_PER_PARTITION = 4_000_000           # 64 MB of edge records per clustering task


class LshParams(Shingling):
    num_perm: int = Field(default=128, ge=2, description="MinHash permutations (values per signature).")
    permutation_seed: int = Field(default=1, description=(
        "Seed of the permutations, as datasketch MinHash's `seed` (same seed, same permutations)."))
    bands: int | None = Field(default=None, description=(
        "LSH bands, given together with `rows` (bands × rows ≤ num_perm); None = derived from "
        "threshold and false_positive_weight."))
    rows: int | None = Field(default=None, description=(
        "Signature values per LSH band, given together with `bands`; None = derived like bands."))


def signature_task(path: str, shard_index: int, params: LshParams, bands: int, rows: int,
                   spill_dir: str, partitions: int, per_source: bool) -> dict[str, int]:
    """Ray task: band hashes of one shard's documents, spilled to `spill_dir`."""
    names = shard_schema(path).names
    cols = ["text"] + [c for c in ("language", "script") if c in names]
    if per_source:
        cols.append("source")
    table = read_shard(path, columns=cols)
    a, b = permutations(params.num_perm, params.permutation_seed)
    keys = doc_keys(shard_index, table.num_rows)
    salt = source_hashes(table) if per_source else None
    out_h, out_k = [], []
    for start in range(0, table.num_rows, SIGNATURE_BATCH):
        part = table.slice(start, SIGNATURE_BATCH)
        langs = part.column("language").to_pylist() if "language" in cols else None
        scripts = part.column("script").to_pylist() if "script" in cols else None
        items, sizes = item_lists(part.column("text"), params, langs, scripts)
        hashes = shingle_hash_arrays(items, sizes)
        has = np.array([len(h) > 0 for h in hashes], dtype=bool)
        # A document without shingles has no signature to compare: it never becomes a candidate.
        sigs = signatures([h for h, ok in zip(hashes, has) if ok], a, b)
        s = None if salt is None else salt[start: start + part.num_rows][has]
        out_h.append(band_hashes(sigs, bands, rows, s))
        out_k.append(keys[start: start + part.num_rows][has])
    bh = np.concatenate(out_h) if out_h else np.zeros((0, bands), np.uint64)
    k = np.concatenate(out_k) if out_k else np.zeros(0, np.int64)
    lsh.write_spill(storage.join(spill_dir, f"{shard_index:06d}.bands"), bh, k, partitions)
    return {"docs": table.num_rows, "signed": len(k)}


class _PhaseClock:
    """Seconds per phase, kept in ctx.info["seconds"] (where a slow run spends its time)."""

    def __init__(self, ctx):
        self.info = ctx.info.setdefault("seconds", {})
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.info[phase] = round(now - self.last, 2)
        self.last = now


class MinHashDedup(GlobalStage):
    """Remove near-duplicate documents (MinHash LSH candidates, verified, clustered)."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    adds: ClassVar[frozenset[str]] = frozenset()
    # 2: cjk_shingles=chars shingles every document alike, Han/kana letters and words mixed (minhash.py)
    version: ClassVar[str] = "2"
    removes_only = True     # stored as a view of its input (pipeline/shards.py)
    threshold: float = Field(default=0.8, gt=0, lt=1, description=(
        "Jaccard similarity of shingle sets at which two documents are near-duplicates: tunes the "
        "LSH bands (unless given) and is the default verify_threshold."))
    shingling: LshParams = Field(default=LshParams(), description=(
        "Shingles, MinHash permutations and LSH bands."))
    false_positive_weight: float = Field(default=0.05, gt=0, lt=1, description=(
        "LSH tuning when bands are derived: weight of false positives (false negatives get 1 minus "
        "it); low = fewer missed pairs, more candidates to verify."))
    verify: Method = Field(default="jaccard", description=(
        "How candidate pairs are checked on the texts: jaccard (exact, of the shingle sets), "
        "levenshtein (normalised edit similarity), or none (every LSH candidate is a duplicate)."))
    verify_threshold: float | None = Field(default=None, ge=0, le=1, description=(
        "Similarity a checked pair needs to count as a duplicate; None = threshold."))
    ignore_paragraph_order: bool = Field(default=True, description=(
        "levenshtein: a pair below the threshold is compared again with its paragraphs sorted, so "
        "reordered paragraphs still match (never lowers a score)."))
    max_levenshtein_chars: int = Field(default=200_000, ge=1, description=(
        "levenshtein: a pair with a text longer than this many characters (before normalisation) is "
        "checked by exact Jaccard instead."))
    keep: Literal["first", "longest", "highest_score"] = Field(default="first", description=(
        "Which document of a cluster stays: the first in input order, the longest, or the one with "
        "the highest score_column; ties go to the first."))
    score_column: str = Field(default="quality_score", description=(
        "keep=highest_score: column ranking documents (it must exist); a null score ranks last. A "
        "dotted name with no such column (metadata.score) is a key in that JSON column, where row "
        "readers keep a source's other fields (FineWeb-Edu's score): a number or numeric string; a "
        "row without one ranks last (counted minhash_candidates_without_score)."))
    scope: Literal["global", "per_source"] = Field(default="global", description=(
        "global: near-duplicates across all sources; per_source: only within each source."))
    bucket_partitions: int = Field(default=0, ge=0, description=(
        "Tasks grouping band hashes into candidate pairs; 0 = automatic: twice the CPUs, or one per "
        "~4 million (document, band) records if that is more."))
    pairs_per_verify_task: int = Field(default=20_000, ge=1, description=(
        "Candidate pairs per verification task, about; bounds its memory to the texts of at most "
        "twice as many documents."))

    @model_validator(mode="after")
    def _bands_and_rows(self):
        p = self.shingling
        if (p.bands is None) != (p.rows is None):
            raise ValueError("give both shingling.bands and shingling.rows, or neither")
        if p.bands is not None and p.bands * p.rows > p.num_perm:
            raise ValueError(f"bands*rows = {p.bands * p.rows} exceeds num_perm = {p.num_perm}")
        return self

    def optional_columns(self) -> set[str]:
        # keep=highest_score without its column ranked every document equal: the first stayed, silently.
        # Some source must have it; a source without it (a score an `apply_to` stage adds to others)
        # ranks last, as a row without the key of a dotted name (read from its JSON column,
        # verify.score_source) does, counted.
        if self.keep != "highest_score":
            return set()
        return {self.score_column.partition(".")[0]}

    @cached_property
    def band_rows(self) -> tuple[int, int]:
        p = self.shingling
        if p.bands is not None:
            return p.bands, p.rows
        return optimal_bands_rows(self.threshold, p.num_perm, self.false_positive_weight,
                                  1 - self.false_positive_weight)

    @property
    def accept_threshold(self) -> float:
        if self.verify_threshold is not None:
            return self.verify_threshold
        return self.threshold

    def setup(self) -> None:
        from stages.segmentation import check_segmenters
        check_segmenters()

    # -- the four steps ----------------------------------------------------------------------
    def run(self, ctx) -> None:
        self.ensure_setup()
        clock = _PhaseClock(ctx)
        storage.remove(ctx.scratch_dir)         # spill of an interrupted run: partition counts may differ
        scratch = ctx.scratch_dir
        shards = ctx.input_shards
        paths = [ctx.input_path(s) for s in shards]
        bands, rows = self.band_rows
        ctx.info["lsh_bands_rows"] = [bands, rows]
        total_docs = sum(shard_rows(p) for p in paths)
        partitions = self.bucket_partitions or max(
            2 * ctx.num_cpus, math.ceil(total_docs * bands / SPILL_RECORDS_PER_PARTITION))
        slots = min(1 << 16, max(64, total_docs // DOCS_PER_PAIR_SLOT))
        spill_dir, pairs_dir = storage.url(scratch / "bands"), storage.url(scratch / "pairs")
        stats = ctx.map(signature_task, [(p, i, self.shingling, bands, rows, spill_dir, partitions,
                                          self.scope == "per_source") for i, p in enumerate(paths)], phase="signatures")
        ctx.count("minhash_signed_docs", sum(s["signed"] for s in stats))
        ctx.count("minhash_unsigned_docs", sum(s["docs"] - s["signed"] for s in stats))
        clock("signatures")

        bands = lsh.Spill.of(spill_dir, ".bands")
        raw_pairs = sum(ctx.map(lsh.partition_pairs, [(bands.part(p), p, pairs_dir, slots)
                                                      for p in range(partitions)], phase="lsh buckets"))
        storage.remove(spill_dir)
        clock("buckets")

        groups = slot_groups(raw_pairs, slots, self.pairs_per_verify_task)
        ctx.info["verify_groups"] = len(groups)
        gather_dir, texts_dir = storage.url(scratch / "gather"), storage.url(scratch / "texts")
        pairs = lsh.Spill.of(pairs_dir, ".pairs")
        found = ctx.map(gather_task, [(pairs.part(lo, hi), g, gather_dir, len(shards))
                                      for g, (lo, hi) in enumerate(groups)], phase="gather pairs")
        storage.remove(pairs_dir)
        ctx.count("minhash_candidate_pairs", sum(found))
        node_parts = max(2 * ctx.num_cpus, math.ceil(2 * sum(found) / EDGES_PER_PARTITION))
        score_col = self.score_column if self.keep == "highest_score" else None
        needs = lsh.Spill.of(storage.join(gather_dir, "needs"), ".needs")
        if groups:
            exported = ctx.map(export_task, [(p, i, needs.part(i), texts_dir, self.shingling, score_col,
                                              self.verify != "none") for i, p in enumerate(paths)],
                               phase="export candidates")
            if score_col:       # they rank last: said, as a misnamed key would rank every document equal
                ctx.count("minhash_candidates_without_score", sum(e[1] for e in exported))
        edges_dir, attrs_dir = scratch / "edges-0", storage.url(scratch / "attrs")
        audit_dir = ctx.output_dir / "candidate_pairs.parquet"
        storage.remove(audit_dir)
        gathered = lsh.Spill.of(storage.join(gather_dir, "pairs"), ".pairs")
        checked = ctx.map(verify_task, [
            (g, gathered.named(f"{g:06d}.pairs"), texts_dir, text_shards(needs, g), self.verify,
             self.accept_threshold, self.shingling, self.ignore_paragraph_order, self.max_levenshtein_chars,
             storage.url(audit_dir), storage.url(edges_dir), attrs_dir, node_parts)
            for g in range(len(groups))], phase="verify pairs")
        if not any(c[0] for c in checked):
            self._write_no_pairs(audit_dir)
        ctx.count("minhash_pairs_rejected", sum(c[1] for c in checked))
        storage.remove(texts_dir)
        clock("verification")

        stars, steps = components(ctx, edges_dir, node_parts)
        ctx.info["cluster_steps"] = steps
        members_dir, decisions_dir = storage.url(scratch / "members"), storage.url(scratch / "decisions")
        stars, attrs = lsh.Spill.of(stars, ".edges"), lsh.Spill.of(attrs_dir, ".attrs")
        ctx.map(members_task, [(stars.part(p), attrs.part(p), p, members_dir, node_parts)
                               for p in range(node_parts)], phase="cluster members")
        members = lsh.Spill.of(members_dir, ".members")
        chosen = ctx.map(choose_task, [(members.part(p), p, self.keep, decisions_dir, len(shards))
                                       for p in range(node_parts)], phase="choose kept")
        ctx.count("near_duplicate_clusters", sum(c[0] for c in chosen))
        ctx.count("near_duplicates", sum(c[1] for c in chosen))
        clock("clusters")
        pending = set(ctx.out.pending(shards))
        decisions = lsh.Spill.of(decisions_dir, ".decisions")
        todo = [(s, i, decisions.part(i)) for i, s in enumerate(shards) if s in pending]
        ctx.map(apply_removals, todo, dtype=DECISION,
                input_paths=paths, reason=REASON, columns={"cluster_id": "cluster"}, out=ctx.out,
                removed_samples=ctx.removed_samples, phase="apply")
        clock("write")
        storage.remove(ctx.scratch_dir)

    @staticmethod
    def _write_no_pairs(audit_dir) -> None:
        empty = np.zeros(0, np.int64)
        storage.write_parquet_atomic(pa.table({
            "id_a": pa.array([], pa.string()), "id_b": pa.array([], pa.string()), "key_a": empty,
            "key_b": empty, "similarity": np.zeros(0, np.float32), "accepted": np.zeros(0, bool)}),
            storage.join(audit_dir, "part-000000.parquet"))
