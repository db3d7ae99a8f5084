"""Loader throughput: tokens/s from page-cached token shards into NumPy batches (and torch
tensors), single process, vs a plain memory-mapped read of the same shards (slices of the
mapped token arrays copied into a batch in file order: no shuffle, no bookkeeping).

    python -m bench.bench_loader [--quick]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

SEQ, BATCH = 2048, 32


def make_shards(root: Path, n_tokens: int, n_shards: int = 8) -> None:
    """A token dataset in the tokenize stage's layout (random ids; reading speed does not
    depend on the values)."""
    import json
    rng = np.random.default_rng(0)
    per = n_tokens // n_shards
    shards = []
    for i in range(n_shards):
        ids = rng.integers(1, 32000, per, dtype=np.uint16)
        lens = np.full(per // 1000, 1000)
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
        col = pa.ListArray.from_arrays(pa.array(offsets), pa.array(ids[: offsets[-1]]))
        name = f"tokens-p000-{i:05d}.arrow"
        with pa.OSFile(str(root / name), "wb") as f, pa.ipc.new_stream(f, pa.schema([("input_ids", col.type)])) as w:
            w.write_table(pa.table({"input_ids": col}))
        shards.append({"file": name, "phase": 0})
    (root / "manifest.json").write_text(json.dumps({"shards": shards, "packed": False, "seq_len": None}))


def plain_mmap_read(root: Path, n_batches: int) -> int:
    arrays = []
    for p in sorted(root.glob("tokens-*.arrow")):
        batch = pa.ipc.open_stream(pa.memory_map(str(p))).read_next_batch()
        arrays.append(batch.column(0).flatten().to_numpy())
    out, n = np.empty((BATCH, SEQ + 1), np.int64), 0
    for a in arrays:
        for start in range(0, len(a) - SEQ - 1, SEQ * BATCH):
            for r in range(BATCH):
                s = start + r * SEQ
                if s + SEQ + 1 <= len(a):
                    out[r] = a[s:s + SEQ + 1]
            n += 1
            if n >= n_batches:
                return n * BATCH * SEQ
    return n * BATCH * SEQ


def ours_numpy(root: Path, n_batches: int, torch_out: bool = False) -> int:
    from pipeline.loaders import NumpyBatchIterator
    it = NumpyBatchIterator(root, SEQ, BATCH, seed=0, dtype=np.int64)
    if torch_out:
        import torch
    for _ in range(n_batches):
        b = next(it)
        if torch_out:
            torch.from_numpy(b["inputs"]), torch.from_numpy(b["targets"])
    return n_batches * BATCH * SEQ


def run(quick: bool = False) -> list[dict]:
    root = Path(tempfile.mkdtemp(prefix="bench_loader_"))
    try:
        make_shards(root, (50 if quick else 200) * 1_000_000)
        n_batches = 300 if quick else 1500
        import torch  # noqa: F401  (imported before timing)
        plain_mmap_read(root, n_batches), ours_numpy(root, n_batches)  # warm the page cache
        rows = []
        for label, fn in (("numpy batches", lambda: ours_numpy(root, n_batches)),
                          ("torch tensors", lambda: ours_numpy(root, n_batches, True))):
            ours, base = [], []
            for _ in range(3 if quick else 5):
                t0 = time.perf_counter()
                n = plain_mmap_read(root, n_batches)
                base.append(n / (time.perf_counter() - t0))
                t0 = time.perf_counter()
                n = fn()
                ours.append(n / (time.perf_counter() - t0))
            o, b = statistics.median(ours), statistics.median(base)
            rows.append({"what": f"loader -> {label} (seq {SEQ}, batch {BATCH}, shuffled)",
                         "ours": round(o / 1e6, 1), "baseline": round(b / 1e6, 1),
                         "ratio": round(o / b, 3), "unit": "M tokens/s",
                         "notes": "page-cached uint16 shards, int64 out; baseline = sequential mmap slices"})
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    for r in run(ap.parse_args().quick):
        print(r)
