"""Seeded, per-document random keys and text samples drawn from a stage's input shards.

A document's key depends only on (seed, shard name, row), never on which worker read it, so
samples and shuffles are the same for any number of workers.
"""
from __future__ import annotations

import zlib
from typing import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.shards import read_shard


def doc_keys(seed: int, shard: str, n: int, salt: int = 0) -> np.ndarray:
    """uint64 random keys for rows 0..n-1 of `shard`."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(shard.encode()), salt])
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


def _shard_stats(path: str, shard: str, seed: int, source_column: str):
    t = read_shard(path, columns=["text", source_column])
    text = t.column("text")
    nbytes = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    src = t.column(source_column).combine_chunks().dictionary_encode()
    return (src.dictionary.to_pylist(), src.indices.to_numpy(zero_copy_only=False).astype(np.int32),
            nbytes, doc_keys(seed, shard, t.num_rows, salt=1))


def shard_stats(ctx, seed: int, source_column: str = "source") -> list[tuple]:
    """Per input shard, in `ctx.input_shards` order: (source names, each row's code into them,
    each row's text bytes, each row's seeded key). One pass over the input's text and source
    columns; hand it to `sample_texts(stats=...)` to sample without reading them again."""
    return ctx.map(_shard_stats, [(ctx.input_path(s), s, seed, source_column) for s in ctx.input_shards])


def documents_with_text(stats: list[tuple]) -> dict[str, int]:
    """{source: documents whose text is not empty} from `shard_stats` (a source with none is absent)."""
    out: dict[str, int] = {}
    for names, codes, nbytes, _ in stats:
        if len(codes):
            n = np.bincount(codes[nbytes > 0], minlength=len(names))
            for name, k in zip(names, n.tolist()):
                if k:
                    out[name] = out.get(name, 0) + k
    return out


def sample_texts(ctx, seed: int, budget_bytes: int,
                 source_shares: Mapping[str, float] | None = None,
                 source_column: str = "source", stats: list[tuple] | None = None) -> list[str]:
    """About `budget_bytes` of text: docs in seeded random order, split between sources by share.

    With `source_shares`, each source gets `budget * share` bytes (a source absent from the map
    gets none), so the sample looks like the mixture rather than like the raw input. `stats`:
    `shard_stats(ctx, seed, source_column)` already computed (else computed here)."""
    shards = ctx.input_shards
    if stats is None:
        stats = shard_stats(ctx, seed, source_column)
    cand_shard, cand_row, cand_bytes, cand_key, cand_src = [], [], [], [], []
    for i, (names, codes, nbytes, keys) in enumerate(stats):
        cand_shard.append(np.full(len(codes), i, np.int32))
        cand_row.append(np.arange(len(codes), dtype=np.int64))
        cand_bytes.append(nbytes)
        cand_key.append(keys)
        cand_src.append(np.array(names, dtype=object)[codes] if len(codes) else np.array([], object))
    if not cand_shard:
        return []
    shard_i, row, nbytes, key, src = (np.concatenate(x) for x in
                                      (cand_shard, cand_row, cand_bytes, cand_key, cand_src))
    total_share = sum(source_shares.values()) if source_shares else 1.0
    chosen = []
    groups = sorted(set(src.tolist())) if source_shares else [None]
    for name in groups:
        idx = np.flatnonzero(src == name) if name is not None else np.arange(len(src))
        share = (source_shares.get(name, 0.0) / total_share) if source_shares else 1.0
        quota = budget_bytes * share
        if quota <= 0 or not len(idx):
            continue
        idx = idx[np.argsort(key[idx], kind="stable")]
        take = np.searchsorted(np.cumsum(nbytes[idx]), quota, side="left") + 1
        chosen.append(idx[:take])
    if not chosen:
        return []
    chosen = np.concatenate(chosen)
    chosen = chosen[np.argsort(key[chosen], kind="stable")]  # one fixed, seeded order
    jobs = []
    for i in np.unique(shard_i[chosen]):
        sel = chosen[shard_i[chosen] == i]
        jobs.append((ctx.input_path(shards[i]), np.sort(row[sel])))
    # Re-establish the seeded order across shards so training sees the same sequence every time.
    texts_by_shard = {}
    for (path, rows), got in zip(jobs, ctx.map(_read_rows_keyed, jobs)):
        texts_by_shard[path] = got
    out = []
    for c in chosen:
        t = texts_by_shard[ctx.input_path(shards[shard_i[c]])].get(int(row[c]))
        if t:
            out.append(t)
    return out


def _read_rows_keyed(path: str, rows: np.ndarray) -> dict[int, str]:
    text = read_shard(path, columns=["text"]).column("text")
    return dict(zip(rows.tolist(), text.take(pa.array(rows)).to_pylist()))
