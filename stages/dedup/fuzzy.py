"""minhash_dedup: near-duplicate removal with MinHash LSH, verified on the texts.

1. signatures   one Ray task per shard: shingles -> MinHash -> band hashes, spilled to
                scratch as partition-sorted (band hash, doc key) records (lsh.py).
2. candidates   one Ray task per bucket partition groups its records and emits pairs.
3. verification the driver cuts the pair list into chunks; shard tasks export candidate texts
                per chunk, chunk tasks compute Levenshtein (or exact Jaccard) (verify.py).
4. clusters     union-find over accepted pairs on the driver; each cluster keeps one document
                (first / longest / highest score) and the rest are removed as `near_duplicate`
                with `cluster_id` and `duplicate_of` (clusters.py).
The driver holds only candidate pairs and cluster maps; all pairs with their similarity are
written to `output/candidate_pairs.parquet` for audit.
"""
from __future__ import annotations

import math
import time
from functools import cached_property
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from pipeline import storage
from pipeline.stage import GlobalStage, Result
from stages.dedup import lsh
from stages.dedup.clusters import choose_kept, clusters
from stages.dedup.common import apply_decisions, doc_keys, removal_result, source_hashes, split_keys
from stages.dedup.minhash import Shingling, band_hashes, item_lists, permutations, shingle_hash_arrays, signatures
from stages.dedup.verify import (CandidateDocs, Method, chunk_pairs, export_candidates, export_jobs,
                                 verify_chunk)

REASON = "near_duplicate"
SPILL_RECORDS_PER_PARTITION = 4_000_000   # 64 MB of records per bucket task
SIGNATURE_BATCH = 2048                    # documents per signature batch inside a shard task


class LshParams(Shingling):
    num_perm: int = Field(128, ge=2)   # MinHash permutations
    permutation_seed: int = 1          # datasketch MinHash seed (same seed -> same permutations)
    bands: int | None = None           # explicit LSH bands (with rows); default from threshold
    rows: int | None = None            # explicit rows per band


def signature_task(path: str, shard_index: int, params: LshParams, bands: int, rows: int,
                   spill_dir: str, partitions: int, per_source: bool) -> dict[str, int]:
    """Ray task: band hashes of one shard's documents, spilled to `spill_dir`."""
    names = storage.parquet_file(path).schema_arrow.names
    cols = ["text"] + [c for c in ("language", "script") if c in names]
    if per_source:
        cols.append("source")
    table = storage.read_parquet(path, columns=cols)
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


def remove_near_duplicates(table: pa.Table, rows=(), cluster_ids=(), kept_ids=()) -> Result:
    return removal_result(table, np.asarray(rows, dtype=np.int64), REASON, {
        "cluster_id": pa.array(np.asarray(cluster_ids, dtype=np.int64)),
        "duplicate_of": pa.array(list(kept_ids), pa.string()),
    })


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
    threshold: float = Field(0.8, gt=0, lt=1)   # Jaccard similarity of shingle sets to call near-duplicate
    shingling: LshParams = LshParams()          # shingles, permutations, bands
    false_positive_weight: float = Field(0.05, gt=0, lt=1)  # LSH tuning: low = fewer missed pairs, more to verify
    verify: Method = "jaccard"                  # check candidates on the text: jaccard (exact, of shingles) | levenshtein | none
    verify_threshold: float | None = None       # similarity to accept; default `threshold`
    ignore_paragraph_order: bool = True         # levenshtein: compare texts with their paragraphs sorted
    max_levenshtein_chars: int = Field(200_000, ge=1)  # longer texts are checked by exact Jaccard instead
    keep: Literal["first", "longest", "highest_score"] = "first"  # which document of a cluster stays
    score_column: str = "quality_score"         # column ranking documents for keep=highest_score
    scope: Literal["global", "per_source"] = "global"  # near-duplicates across sources or within each
    bucket_partitions: int = Field(0, ge=0)     # bucket grouping tasks; 0 = from the data size
    pairs_per_verify_task: int = Field(20_000, ge=1)  # candidate pairs checked per Ray task

    @model_validator(mode="after")
    def _bands_and_rows(self):
        p = self.shingling
        if (p.bands is None) != (p.rows is None):
            raise ValueError("give both shingling.bands and shingling.rows, or neither")
        if p.bands is not None and p.bands * p.rows > p.num_perm:
            raise ValueError(f"bands*rows = {p.bands * p.rows} exceeds num_perm = {p.num_perm}")
        return self

    @cached_property
    def band_rows(self) -> tuple[int, int]:
        p = self.shingling
        if p.bands is not None:
            return p.bands, p.rows
        from datasketch.lsh import _optimal_param
        return _optimal_param(self.threshold, p.num_perm, self.false_positive_weight,
                              1 - self.false_positive_weight)

    @property
    def accept_threshold(self) -> float:
        if self.verify_threshold is not None:
            return self.verify_threshold
        return self.threshold

    def setup(self) -> None:
        from stages.segmentation import load_segmenters
        load_segmenters()

    # -- the four steps ----------------------------------------------------------------------
    def run(self, ctx) -> None:
        self.ensure_setup()
        clock = _PhaseClock(ctx)
        shards = ctx.input_shards
        bands, rows = self.band_rows
        ctx.info["lsh_bands_rows"] = [bands, rows]
        total_docs = sum(storage.parquet_file(ctx.input_path(s)).metadata.num_rows for s in shards)
        partitions = self.bucket_partitions or max(
            2 * ctx.num_cpus, math.ceil(total_docs * bands / SPILL_RECORDS_PER_PARTITION))
        spill_dir = ctx.scratch_dir / "bands"
        stats = ctx.map(signature_task, [(ctx.input_path(s), i, self.shingling, bands, rows,
                                          storage.url(spill_dir), partitions, self.scope == "per_source")
                                         for i, s in enumerate(shards)], phase="signatures")
        ctx.count("minhash_signed_docs", sum(s["signed"] for s in stats))
        ctx.count("minhash_unsigned_docs", sum(s["docs"] - s["signed"] for s in stats))
        clock("signatures")

        found = ctx.map(lsh.partition_pairs, [(storage.url(spill_dir), p) for p in range(partitions)],
                        phase="lsh buckets")
        pairs = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
        pairs = np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)
        storage.remove(spill_dir)
        ctx.count("minhash_candidate_pairs", len(pairs))
        clock("buckets")

        sims, docs = self._verify(ctx, pairs)
        accepted = sims > 0 if self.verify != "none" else np.ones(len(pairs), bool)
        ctx.count("minhash_pairs_rejected", int((~accepted).sum()))
        self._write_pairs(ctx, pairs, sims, accepted, docs)
        clock("verification")

        nodes, labels = clusters(pairs[accepted])
        kept, cluster_id = choose_kept(nodes, labels, self.keep, docs.lengths(nodes), docs.scores(nodes))
        gone = kept != nodes
        ctx.count("near_duplicate_clusters", len(np.unique(labels)))
        ctx.count("near_duplicates", int(gone.sum()))
        shard_of, row_of = split_keys(nodes[gone])
        kept_ids = docs.ids(kept[gone])
        decisions: dict[str, tuple] = {}
        for s in np.unique(shard_of):
            sel = shard_of == s
            decisions[shards[int(s)]] = (row_of[sel], cluster_id[gone][sel],
                                         [kept_ids[i] for i in np.flatnonzero(sel)])
        clock("clusters")
        apply_decisions(ctx, remove_near_duplicates, decisions)
        clock("write")
        storage.remove(ctx.scratch_dir)

    def _verify(self, ctx, pairs: np.ndarray):
        """Similarity per pair (0 = rejected), and the candidate documents' ids/lengths/scores."""
        shards = ctx.input_shards
        chunks = chunk_pairs(pairs, self.pairs_per_verify_task)
        jobs = export_jobs(pairs, chunks)
        verify_dir = ctx.scratch_dir / "verify"
        need_text = self.verify != "none"
        score_col = self.score_column if self.keep == "highest_score" else None
        exported = ctx.map(export_candidates, [
            (ctx.input_path(shards[s]), s, rows, owners, storage.url(verify_dir), self.shingling,
             score_col, need_text) for s, (rows, owners) in jobs.items()], phase="export candidates")
        docs = CandidateDocs.from_exports(exported)
        if not need_text or not len(pairs):
            return np.ones(len(pairs), np.float32), docs
        n_chunks = int(chunks[-1]) + 1
        bounds = np.searchsorted(chunks, np.arange(n_chunks + 1))
        results = ctx.map(verify_chunk, [
            (storage.url(verify_dir / f"{c:06d}"), pairs[bounds[c]: bounds[c + 1]], self.verify,
             self.accept_threshold, self.shingling, self.ignore_paragraph_order,
             self.max_levenshtein_chars)
            for c in range(n_chunks)], phase="verify pairs")
        return np.concatenate(results), docs

    def _write_pairs(self, ctx, pairs, sims, accepted, docs: CandidateDocs) -> None:
        table = pa.table({
            "id_a": pa.array(docs.ids(pairs[:, 0]), pa.string()),
            "id_b": pa.array(docs.ids(pairs[:, 1]), pa.string()),
            "key_a": pairs[:, 0], "key_b": pairs[:, 1],
            "similarity": sims.astype(np.float32), "accepted": accepted})
        storage.write_parquet_atomic(table, ctx.output_dir / "candidate_pairs.parquet")
