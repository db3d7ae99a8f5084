"""Where the tokenize stage's documents go between its tasks: shuffle buckets and output shards.

Plans only (row ranges of files), made on the driver from the encode tasks' results; the task
bodies are in encode.py. Every plan depends on the input (shard names, row order, token counts)
and the seed only, never on the number of workers.
"""
from __future__ import annotations

import numpy as np

Segment = tuple[str, int, int]          # (file, first row, end row)


def shuffled_buckets(spills: list[str], enc: list[dict]) -> dict[tuple[int, int], list[Segment]]:
    """{(phase, bucket): its slices of every spill file, in shard order}: the buckets each encode
    task gave its documents by their seeded keys (encode_shard's `ranges`)."""
    segments: dict[tuple[int, int], list[Segment]] = {}
    for spill, r in zip(spills, enc):
        for phase, bucket, a, b in r["ranges"]:
            segments.setdefault((phase, bucket), []).append((spill, a, b))
    return segments


def ordered_buckets(spills: list[str], enc: list[dict], bucket_tokens: int) -> dict[tuple[int, int], list[Segment]]:
    """{(phase, bucket): slices of the spill files} without shuffling: each phase's documents in
    input order (shard by shard, row by row), cut into consecutive buckets of at most
    `bucket_tokens` tokens (at least one document), numbered in that order. Read in bucket order
    they are the phase's documents in input order, so the token shards are the ones a single
    bucket would give; each bucket task holds at most `bucket_tokens`, however large the phase.

    `enc`: encode_shard's results with `lens` (per-document tokens, in spill-file order)."""
    by_phase: dict[int, list[tuple[str, int, np.ndarray]]] = {}
    for spill, r in zip(spills, enc):
        for phase, _, a, b in r["ranges"]:
            by_phase.setdefault(phase, []).append((spill, a, r["lens"][a:b]))
    out: dict[tuple[int, int], list[Segment]] = {}
    for phase, segs in sorted(by_phase.items()):
        # plan_shards cuts runs of documents at most n tokens long: runs named by their index here
        runs = [(k, lens) for k, (_, _, lens) in enumerate(segs)]
        for bucket, (pieces, _, _) in enumerate(plan_shards(runs, bucket_tokens, None)):
            out[(phase, bucket)] = [(segs[k][0], segs[k][1] + a, segs[k][1] + b) for k, a, b in pieces]
    return out


def plan_shards(runs: list[tuple[object, np.ndarray]], shard_tokens: int, seq_len: int | None):
    """Cut a phase's documents into output shards of at most `shard_tokens` tokens.

    `runs` = (bucket file, per-document token counts) in order (the file is only passed on). Yields (pieces, head_skip,
    n_tokens) where pieces = [(file, first doc, end doc)]. Unpacked shards end on document
    boundaries; packed shards hold whole rows of seq_len+1 tokens, and the phase's last partial
    row is dropped (counted in the manifest)."""
    files = [f for f, _ in runs]
    if not runs:
        return
    lens = np.concatenate([l for _, l in runs])
    run_of = np.concatenate([np.full(len(l), i) for i, (_, l) in enumerate(runs)])
    first_doc = np.concatenate([[0], np.cumsum([len(l) for _, l in runs])])
    ends = np.cumsum(lens)
    starts = ends - lens

    def pieces(d0: int, d1: int):  # documents [d0, d1) as per-file row ranges
        out = []
        for r in range(run_of[d0], run_of[d1 - 1] + 1):
            a = max(d0, first_doc[r]) - first_doc[r]
            b = min(d1, first_doc[r + 1]) - first_doc[r]
            out.append((files[r], int(a), int(b)))
        return out

    if seq_len is None:
        d0 = 0
        while d0 < len(lens):
            # Largest d1 with tokens(d0..d1) <= shard_tokens, at least one document.
            d1 = int(np.searchsorted(ends, starts[d0] + shard_tokens, side="right"))
            d1 = max(d1, d0 + 1)
            yield pieces(d0, d1), 0, int(ends[d1 - 1] - starts[d0])
            d0 = d1
        return
    row = seq_len + 1
    rows_total = int(ends[-1]) // row
    rows_per_shard = max(1, shard_tokens // row)
    for r0 in range(0, rows_total, rows_per_shard):
        t0, t1 = r0 * row, min(rows_total, r0 + rows_per_shard) * row
        d0 = int(np.searchsorted(ends, t0, side="right"))
        d1 = int(np.searchsorted(ends, t1 - 1, side="right")) + 1
        yield pieces(d0, d1), int(t0 - starts[d0]), int(t1 - t0)
