"""exact_dedup: drop documents whose normalised text equals an earlier document's.

Ray tasks hash each shard (xxh3_128 of the normalised UTF-8 text, 16 bytes per document); the
driver sees only those hash arrays, keeps the first copy in shard-then-row order, and the
removals are written shard by shard, each removed document naming the kept one in
`duplicate_of`.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import xxhash

from pipeline import storage
from pipeline.stage import GlobalStage, Result
from stages.dedup.common import apply_decisions, doc_keys, removal_result, source_hashes, split_keys
from stages.dedup.normalize import Normalization, normalize_texts

REASON = "exact_duplicate"


def hash_shard(path: str, shard_index: int, norm: Normalization, per_source: bool):
    """Ray task: (keys, 128-bit hashes as two uint64 columns) for one shard."""
    cols = ["text", "source"] if per_source else ["text"]
    table = storage.read_parquet(path, columns=cols)
    texts = normalize_texts(table.column("text"), norm).to_pylist()
    digests = b"".join(xxhash.xxh3_128_digest(t.encode("utf-8")) for t in texts)
    hashes = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2).copy()
    if per_source:
        # Mixing the source into the hash scopes "equal" to documents of the same source.
        hashes[:, 0] ^= source_hashes(table) * np.uint64(0x9E3779B97F4A7C15)
    return doc_keys(shard_index, table.num_rows), hashes


def first_copies(keys: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each duplicate (not the first copy of its hash): (its key, the first copy's key).

    `keys` must be ascending, so the first occurrence of a hash is the one to keep."""
    _, first, inverse = np.unique(hashes, axis=0, return_index=True, return_inverse=True)
    kept_for_row = keys[first[inverse.ravel()]]
    dup = kept_for_row != keys
    return keys[dup], kept_for_row[dup]


def remove_rows(table: pa.Table, rows=(), kept_ids=()) -> Result:
    return removal_result(table, np.asarray(rows, dtype=np.int64), REASON,
                          {"duplicate_of": pa.array(list(kept_ids), pa.string())})


def read_ids(path: str, rows: np.ndarray) -> list[str]:
    return storage.read_parquet(path, columns=["id"]).column("id").take(pa.array(rows)).to_pylist()


class ExactDedup(GlobalStage):
    """Remove documents whose normalised text is identical to an earlier one."""
    normalization: Normalization = Normalization()  # what may differ between "identical" texts
    scope: Literal["global", "per_source"] = "global"  # compare across all sources or within each

    def run(self, ctx) -> None:
        shards = ctx.input_shards
        per_source = self.scope == "per_source"
        parts = ctx.map(hash_shard, [(ctx.input_path(s), i, self.normalization, per_source)
                                     for i, s in enumerate(shards)])
        keys = np.concatenate([k for k, _ in parts]) if parts else np.zeros(0, np.int64)
        hashes = np.concatenate([h for _, h in parts]) if parts else np.zeros((0, 2), np.uint64)
        dup_keys, kept_keys = first_copies(keys, hashes)
        ctx.count("exact_duplicates", len(dup_keys))
        ctx.count("exact_duplicate_groups", len(np.unique(kept_keys)))

        # Only the ids of kept copies that something points at are fetched, shard by shard.
        kshard, krow = split_keys(kept_keys)
        need = sorted({(int(s), int(r)) for s, r in zip(kshard, krow)})
        by_shard: dict[int, list[int]] = {}
        for s, r in need:
            by_shard.setdefault(s, []).append(r)
        id_jobs = [(ctx.input_path(shards[s]), np.array(rows, np.int64)) for s, rows in by_shard.items()]
        id_of: dict[int, str] = {}
        for (s, rows), ids in zip(by_shard.items(), ctx.map(read_ids, id_jobs)):
            for r, i in zip(rows, ids):
                id_of[(s << 32) | r] = i

        dshard, drow = split_keys(dup_keys)
        decisions: dict[str, tuple] = {}
        for si in np.unique(dshard):
            sel = dshard == si
            decisions[shards[int(si)]] = (drow[sel], [id_of[int(k)] for k in kept_keys[sel]])
        apply_decisions(ctx, remove_rows, decisions)
