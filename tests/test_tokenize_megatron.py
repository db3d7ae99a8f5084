"""tokenize `megatron: true`: .bin/.idx pairs read back with a reader written from the format's
description, and with megatron-core's own IndexedDataset when .bench/megatron-lib has it."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.executor import start_ray
from stages.tokenize import Tokenize, bpe
from stages.tokenize.encode import read_ipc
from stages.tokenize.megatron import IndexedDataset, write_indexed
from tests.test_tokenize import chinese, english, run_tokenize, write_input

REPO = Path(__file__).resolve().parents[1]
MEGATRON_LIB = REPO / ".bench" / "megatron-lib"     # `pip install --no-deps --target` (see Makefile)


@pytest.fixture(scope="module")
def ray_up():
    start_ray(num_cpus=2)


def rows(arrow_path: Path) -> list[list[int]]:
    return read_ipc(arrow_path).column("input_ids").to_pylist()


def test_megatron_pairs_hold_the_same_sequences(tmp_path, shared_data, ray_up):
    docs = ([dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 200))]
            + [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 40))])
    inp = write_input(tmp_path / "in", docs, 2)
    stage = Tokenize(tokenizer=bpe.TokenizerSpec(vocab_size=1000, sample_bytes=200_000), shard_bytes=30_000,
                     megatron=True)
    out = run_tokenize(tmp_path, inp, stage, "m").output_dir
    m = json.loads((out / "manifest.json").read_text())
    files = m["megatron"]["files"]
    assert [f["prefix"] + ".arrow" for f in files] == [r["file"] for r in m["shards"]] and len(files) > 1
    total = 0
    for f, rec in zip(files, m["shards"]):
        prefix = out / f["prefix"]
        head = prefix.with_suffix(".idx").read_bytes()[:34]
        assert head[:9] == b"MMIDIDX\x00\x00" and struct.unpack("<QBQQ", head[9:]) == (
            1, 8, rec["sequences"], rec["sequences"] + 1)          # version 1, uint16, S, S+1
        ds = IndexedDataset(prefix)
        assert [ds[i].tolist() for i in range(len(ds))] == rows(out / rec["file"])
        assert ds.document_indices.tolist() == list(range(len(ds) + 1))
        total += int(ds.lengths.sum())
    assert total == m["totals"]["tokens"]


def test_packed_rows_and_wide_vocabularies(tmp_path):
    flat = np.arange(5 * 64, dtype=np.uint32) * 1000            # ids above 65,535
    info = write_indexed(tmp_path / "w", flat, np.full(5, 64), "uint32")
    assert info["dtype"] == "int32"
    ds = IndexedDataset(tmp_path / "w")
    assert ds.dtype == np.int32 and len(ds) == 5 and ds[4].tolist() == flat[256:].tolist()
    with pytest.raises(ValueError, match="sum to"):
        write_indexed(tmp_path / "bad", flat, np.full(4, 64), "uint32")
    with pytest.raises(ValueError, match="do not fit"):
        write_indexed(tmp_path / "bad", flat, np.full(5, 64), "uint16")
    raw = bytearray((tmp_path / "w.idx").read_bytes())
    raw[0:1] = b"X"
    (tmp_path / "w.idx").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="bad magic"):
        IndexedDataset(tmp_path / "w")


_MEGATRON_READ = """
import json, sys
from megatron.core.datasets.indexed_dataset import IndexedDataset
ds = IndexedDataset(sys.argv[1], mmap=True)
print(json.dumps({"n": len(ds), "docs": ds.document_indices.tolist(), "seqs": [ds[i].tolist() for i in range(len(ds))]}))
"""


@pytest.mark.skipif(not (MEGATRON_LIB / "megatron" / "core").is_dir(),
                    reason="megatron-core not installed under .bench/megatron-lib (make .bench/megatron-lib)")
def test_megatron_core_reads_our_files(tmp_path):
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 50, size=30)
    flat = rng.integers(0, 60_000, size=int(lengths.sum())).astype(np.uint16)
    write_indexed(tmp_path / "ours", flat, lengths, "uint16")
    env = {**os.environ, "PYTHONPATH": f"{MEGATRON_LIB}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    r = subprocess.run([sys.executable, "-c", _MEGATRON_READ, str(tmp_path / "ours")], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    ends = np.cumsum(lengths)
    assert got["n"] == 30 and got["docs"] == list(range(31))
    assert got["seqs"] == [flat[e - n:e].tolist() for e, n in zip(ends, lengths)]
