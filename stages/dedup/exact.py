"""exact_dedup: drop documents whose normalised text equals an earlier document's.

No state of the size of the data reaches the driver, and no task holds more than its share:

1. hash       one task per shard: xxh3_128 of each normalised text. Copies within the shard are
              settled here: each later copy is written as (duplicate key, the shard's first
              copy) to scratch; only the shard's first copy of each text goes on, as (hash, key,
              copies in this shard) records sorted by hash partition (lsh.write_records).
2. partition  one task per hash partition reads its byte range of every shard's spill file and
              finds, for each hash, the first copy in shard-then-row order; every other shard's
              first copy is written as (duplicate key, kept key), sorted by the duplicate's
              shard; returns counts only.
3. apply      one task per input shard reads its range of every partition's decisions and its
              own in-shard copies; an in-shard copy whose shard-first copy is itself a duplicate
              names the global first copy. It then writes the shard with the duplicates removed,
              each naming the kept one in `duplicate_of` (common.write_removals, shared with
              minhash_dedup).

A partition holds about `HASHES_PER_PARTITION` records, and a text copied a million times is at
most one record per shard in it (not one per copy): that bounds every task's memory.
"""
from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import xxhash
from pydantic import Field

from pipeline import storage
from pipeline.shards import StageDir, read_shard, shard_rows, timer
from pipeline.stage import GlobalStage
from stages.dedup.common import doc_keys, source_hashes, split_keys, write_removals
from stages.dedup.lsh import Spill, partition_of, write_records
from stages.dedup.normalize import Normalization, normalize_texts

REASON = "exact_duplicate"
HASH_RECORD = np.dtype([("h0", np.uint64), ("h1", np.uint64), ("key", np.int64), ("copies", np.int64)])
PAIR_RECORD = np.dtype([("dup", np.int64), ("kept", np.int64)])
HASHES_PER_PARTITION = 3_000_000     # 96 MB of records per partition task


def text_hashes(table: pa.Table, norm: Normalization, per_source: bool) -> np.ndarray:
    """(rows, 2) uint64: the 128-bit hash of each row's normalised text."""
    texts = normalize_texts(table.column("text"), norm).to_pylist()
    digests = b"".join(xxhash.xxh3_128_digest(t.encode("utf-8")) for t in texts)
    hashes = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2).copy()
    if per_source:
        # Mixing the source into the hash scopes "equal" to documents of the same source.
        hashes[:, 0] ^= source_hashes(table) * np.uint64(0x9E3779B97F4A7C15)
    return hashes


def _pairs(dup: np.ndarray, kept: np.ndarray) -> np.ndarray:
    pairs = np.empty(len(dup), PAIR_RECORD)
    pairs["dup"], pairs["kept"] = dup, kept
    return pairs


def hash_task(path: str, shard_index: int, norm: Normalization, per_source: bool, spill_dir: str,
              partitions: int, local_dir: str) -> int:
    """Task: one shard's in-shard copies to `local_dir`, and its first copy of each text, with
    the number of copies, to `spill_dir` sorted by hash partition."""
    cols = ["text", "source"] if per_source else ["text"]
    table = read_shard(path, cols)
    hashes = text_hashes(table, norm, per_source)
    keys = doc_keys(shard_index, table.num_rows)
    dup, kept = first_copies(keys, hashes)
    write_records(storage.join(local_dir, f"{shard_index:06d}.local"), _pairs(dup, kept),
                  np.array([0, len(dup)], np.int64))
    uniq, first, counts = (np.unique(hashes, axis=0, return_index=True, return_counts=True) if len(keys)
                           else (hashes, np.zeros(0, np.int64), np.zeros(0, np.int64)))
    rec = np.empty(len(uniq), HASH_RECORD)
    rec["h0"], rec["h1"], rec["key"], rec["copies"] = uniq[:, 0], uniq[:, 1], keys[first], counts
    part = partition_of(rec["h0"], partitions)
    order = np.argsort(part, kind="stable")
    offsets = np.searchsorted(part[order], np.arange(partitions + 1))
    write_records(storage.join(spill_dir, f"{shard_index:06d}.hashes"), rec[order], offsets)
    return table.num_rows


def first_copies(keys: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each duplicate (not the first copy of its hash): (its key, the first copy's key).

    `keys` must be ascending, so the first occurrence of a hash is the one to keep."""
    if len(keys) == 0:
        return keys, keys
    _, first, inverse = np.unique(hashes, axis=0, return_index=True, return_inverse=True)
    kept_for_row = keys[first[inverse.ravel()]]
    dup = kept_for_row != keys
    return keys[dup], kept_for_row[dup]


def partition_task(hashes: Spill, p: int, out_dir: str, n_shards: int) -> tuple[int, int, dict[int, int]]:
    """Task: the duplicates of hash partition p (`hashes`: its part of every shard's spill file),
    written sorted by the duplicate's shard; returns (duplicates, groups, {group size: groups}),
    in-shard copies included. A group lies in one partition (partitioned by hash), so the sizes
    of all partitions add up to the run's."""
    rec = hashes.read(HASH_RECORD)
    rec = rec[np.argsort(rec["key"], kind="stable")]
    hashes = np.stack([rec["h0"], rec["h1"]], axis=1)
    dup, kept = first_copies(rec["key"], hashes)
    pairs = _pairs(dup, kept)                        # ascending by dup key: grouped by shard
    shard_of, _ = split_keys(dup)
    offsets = np.searchsorted(shard_of, np.arange(n_shards + 1))
    write_records(storage.join(out_dir, f"{p:06d}.pairs"), pairs, offsets)
    if not len(rec):
        return 0, 0, {}
    _, inverse = np.unique(hashes, axis=0, return_inverse=True)
    copies = np.bincount(inverse.ravel(), weights=rec["copies"]).astype(np.int64)
    sizes, groups = np.unique(copies[copies > 1], return_counts=True)
    return int((copies - 1).sum()), int((copies > 1).sum()), dict(zip(sizes.tolist(), groups.tolist()))


def apply_task(shard: str, shard_index: int, across: Spill, local: Spill, *, input_paths: list[str],
               out: StageDir, removed_samples: int) -> None:
    """Task: remove one shard's duplicates: its first copies that are duplicates elsewhere
    (`across`: this shard's part of every partition's pairs), and its in-shard copies (`local`:
    its own file), each naming the global first copy."""
    t0 = timer()
    across = across.read(PAIR_RECORD)
    across = across[np.argsort(across["dup"], kind="stable")]
    local = local.read(PAIR_RECORD).copy()
    pos = np.minimum(np.searchsorted(across["dup"], local["kept"]), max(len(across) - 1, 0))
    if len(across):
        later = across["dup"][pos] == local["kept"]     # the shard's first copy is itself a duplicate
        local["kept"][later] = across["kept"][pos[later]]
    write_removals(shard, shard_index, np.concatenate([across, local]), t0, input_paths=input_paths,
                   reason=REASON, columns={}, out=out, removed_samples=removed_samples)


class ExactDedup(GlobalStage):
    """Remove documents whose normalised text is identical to an earlier one."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    adds: ClassVar[frozenset[str]] = frozenset()
    removes_only = True     # stored as a view of its input (pipeline/shards.py)
    normalization: Normalization = Field(default=Normalization(), description=(
        "What two texts may differ in and still count as identical."))
    scope: Literal["global", "per_source"] = Field(default="global", description=(
        "global: a document duplicates an earlier one from any source; per_source: only one from its "
        "own source."))
    partitions: int = Field(default=0, ge=0, description=(
        "Hash partitions (tasks that find the duplicates across shards); 0 = automatic: twice the "
        "CPUs, or one per ~3 million documents if that is more."))

    def run(self, ctx) -> None:
        shards = ctx.input_shards
        paths = [ctx.input_path(s) for s in shards]
        total = sum(shard_rows(p) for p in paths)
        partitions = self.partitions or max(2 * ctx.num_cpus, math.ceil(total / HASHES_PER_PARTITION))
        spill, pairs_dir = ctx.scratch_dir / "hashes", ctx.scratch_dir / "pairs"
        local_dir = ctx.scratch_dir / "local"
        ctx.map(hash_task, [(p, i, self.normalization, self.scope == "per_source", storage.url(spill), partitions,
                             storage.url(local_dir)) for i, p in enumerate(paths)], phase="hashes")
        hashes = Spill.of(spill, ".hashes")
        counts = ctx.map(partition_task, [(hashes.part(p), p, storage.url(pairs_dir), len(shards))
                                          for p in range(partitions)], phase="duplicates per partition")
        storage.remove(spill)
        ctx.count("exact_duplicates", sum(c[0] for c in counts))
        ctx.count("exact_duplicate_groups", sum(c[1] for c in counts))
        sizes: dict[int, int] = {}
        for _, _, part in counts:
            for size, n in part.items():
                sizes[size] = sizes.get(size, 0) + n
        # The report's cluster sizes: every group's, not only the removed sample's (20 per reason)
        ctx.info["cluster_sizes"] = {str(k): v for k, v in sorted(sizes.items())}
        pending = set(ctx.out.pending(shards))
        across, local = Spill.of(pairs_dir, ".pairs"), Spill.of(local_dir, ".local")
        todo = [(s, i, across.part(i), local.named(f"{i:06d}.local").part(0))
                for i, s in enumerate(shards) if s in pending]
        ctx.map(apply_task, todo, input_paths=paths, out=ctx.out, removed_samples=ctx.removed_samples,
                phase="apply")
