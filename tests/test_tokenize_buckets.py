"""tokenize without shuffling: bounded buckets in input order; list offsets past 2**31 tokens."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from pipeline.stage import Result
from stages.tokenize import Tokenize, bpe
from stages.tokenize.encode import list_array, list_offsets, read_ipc, shuffle_bucket, write_ipc_atomic
from stages.tokenize.plan import ordered_buckets


@pytest.fixture(scope="module")
def ray_up():
    start_ray(num_cpus=2)


@pytest.fixture(scope="module")
def shakespeare(shared_data) -> list[str]:
    t = (shared_data / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    # documents of uneven lengths (40..1000 characters), so buckets cut at varied places
    sizes = [40 + (i * 397) % 960 for i in range(240)]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return [t[a:a + n] for a, n in zip(starts.tolist(), sizes)]


def phased_input(root, texts: list[str], n_shards: int) -> StageDir:
    """Shards as a mix writes them: documents of two phases (mix_phase), phase 0 first."""
    d = StageDir(root)
    for k in range(n_shards):
        part = texts[k::n_shards]
        phase = np.array([0 if i < len(part) * 2 // 3 else 1 for i in range(len(part))], np.int32)
        table = documents_table([dict(id=f"s{k}-{i}", source=f"src{i % 2}", text=t)
                                 for i, t in enumerate(part)]).append_column("mix_phase", pa.array(phase))
        d.write_shard(f"s{k:03d}", None, Result(table), 0, 0, docs_in=len(part))
    return d


def expected_order(texts: list[str], n_shards: int) -> list[str]:
    """Each phase's documents in input order: shard by shard, row by row."""
    out = {0: [], 1: []}
    for k in range(n_shards):
        part = texts[k::n_shards]
        for i, t in enumerate(part):
            out[0 if i < len(part) * 2 // 3 else 1].append(t)
    return out[0] + out[1]


def run(tmp, inp: StageDir, stage: Tokenize, name: str, tasks_per_cpu: int = 2):
    ctx = GlobalContext("tokenize", inp, StageDir(tmp / name), seed=7, removed_samples=0,
                        tasks_per_cpu=tasks_per_cpu)
    stage.run(ctx)
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    tables = [read_ipc(ctx.output_dir / r["file"]) for r in m["shards"]]
    return ctx, m, tables


def test_unshuffled_phase_runs_in_bounded_buckets_in_input_order(tmp_path, ray_up, shakespeare):
    tok = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=600), shakespeare)
    tok_path = tmp_path / "tok.json"
    tok.save(str(tok_path))
    inp = phased_input(tmp_path / "in", shakespeare, 3)
    spec = bpe.TokenizerSpec(path=str(tok_path))
    stage = Tokenize(tokenizer=spec, shuffle=False, bucket_bytes=8_000, shard_bytes=30_000)
    ctx, m, tables = run(tmp_path, inp, stage, "a", tasks_per_cpu=1)
    tokens = m["totals"]["tokens"]
    assert [p["phase"] for p in m["phases"]] == [0, 1] and m["totals"]["documents"] == len(shakespeare)
    # One task per bucket_bytes of tokens (uint16: 2 bytes a token), not one per phase.
    tasks = {p["phase"]: p["tasks"] for p in ctx.info["phases"]}
    assert tasks["shuffle"] >= tokens * 2 // 8_000 > 2, (tasks, tokens)

    # The documents keep their input order, phase by phase.
    got = [tok.decode(ids[:-1]) for t in tables for ids in t.column("input_ids").to_pylist()]
    assert got == expected_order(shakespeare, 3)

    # The same shards whatever the number of workers; the same tokens as in one bucket per phase.
    _, m4, _ = run(tmp_path, inp, stage, "b", tasks_per_cpu=4)
    assert [r["sha256"] for r in m4["shards"]] == [r["sha256"] for r in m["shards"]]
    one = Tokenize(tokenizer=spec, shuffle=False, bucket_bytes=1 << 30, shard_bytes=30_000)
    ctx1, m1, tables1 = run(tmp_path, inp, one, "c")
    assert {p["phase"]: p["tasks"] for p in ctx1.info["phases"]}["shuffle"] == 2
    assert [t.column("input_ids").to_pylist() for t in tables1] == [t.column("input_ids").to_pylist() for t in tables]
    assert [(r["file"], r["tokens"], r["documents"]) for r in m1["shards"]] == \
        [(r["file"], r["tokens"], r["documents"]) for r in m["shards"]]


def test_ordered_buckets_are_consecutive_and_bounded():
    rng = np.random.default_rng(0)
    lens = [rng.integers(1, 40, n) for n in (30, 7, 55)]
    lens[1][3] = 500                                   # one document over the bound: a bucket alone
    # spill files sorted by phase: phase 0 rows then phase 1 rows (file 2 has phase 1 only)
    enc = [{"ranges": [(0, 0, 0, 20), (1, 0, 20, 30)], "lens": lens[0]},
           {"ranges": [(0, 0, 0, 7)], "lens": lens[1]},
           {"ranges": [(1, 0, 0, 55)], "lens": lens[2]}]
    spills = ["f0", "f1", "f2"]
    buckets = ordered_buckets(spills, enc, 100)
    length = {f: l for f, l in zip(spills, lens)}
    for phase, want in ((0, [("f0", 0, 20), ("f1", 0, 7)]), (1, [("f0", 20, 30), ("f2", 0, 55)])):
        keys = sorted(k for k in buckets if k[0] == phase)
        assert [k[1] for k in keys] == list(range(len(keys))) and len(keys) > 2
        rows = [(f, r) for k in keys for f, a, b in buckets[k] for r in range(a, b)]
        assert rows == [(f, r) for f, a, b in want for r in range(a, b)]   # every document once, in order
        for k in keys:
            sizes = [int(length[f][a:b].sum()) for f, a, b in buckets[k]]
            docs = sum(b - a for _, a, b in buckets[k])
            assert sum(sizes) <= 100 or docs == 1, (k, buckets[k], sizes)


def test_list_offsets_past_int32_are_int64_not_wrapped():
    lens = np.array([2 ** 30, 2 ** 30, 7], np.int64)   # 2**31 + 7 tokens: int32 offsets would wrap
    offsets = list_offsets(lens)
    assert offsets.dtype == np.int64
    assert offsets.tolist() == [0, 2 ** 30, 2 ** 31, 2 ** 31 + 7]
    small = list_offsets(np.array([3, 1, 2]))
    assert small.dtype == np.int32 and small.tolist() == [0, 3, 4, 6]
    # the shard format for normal sizes stays Arrow's `list` (int32 offsets)
    assert list_array(np.arange(6, dtype=np.uint16), np.array([3, 1, 2])).type == pa.list_(pa.uint16())


def test_bucket_of_list_and_large_list_spills_is_a_list(tmp_path):
    """A spill file past 2**31 tokens holds a large_list: its slices join other files' lists."""
    big = pa.LargeListArray.from_arrays(pa.array(np.array([0, 2, 5, 6], np.int64)),
                                        pa.array(np.arange(6, dtype=np.uint16)))
    normal = list_array(np.arange(10, 13, dtype=np.uint16), np.array([1, 2]))
    write_ipc_atomic(pa.table({"tokens": big, "source": ["a", "b", "c"]}), tmp_path / "big.arrow", stream=False)
    write_ipc_atomic(pa.table({"tokens": normal, "source": ["d", "e"]}), tmp_path / "normal.arrow", stream=False)
    out = tmp_path / "bucket.arrow"
    lens = shuffle_bucket(0, 0, [(str(tmp_path / "big.arrow"), 1, 3), (str(tmp_path / "normal.arrow"), 0, 2)],
                          str(out), seed=7, shuffle=False)
    t = read_ipc(out)
    assert t.schema.field("tokens").type == pa.list_(pa.uint16())
    assert t.column("tokens").to_pylist() == [[2, 3, 4], [5], [10], [11, 12]]
    assert lens.tolist() == [3, 1, 1, 2] and t.column("source").to_pylist() == ["b", "c", "d", "e"]
