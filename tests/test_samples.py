"""Removed samples: bounded per stage and reason, the same whatever the shards."""
import random
import zlib

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.samples import SAMPLES_FILE, merge_samples, sample_per_reason


def _removed(n: int, seed: int = 0) -> pa.Table:
    rng = random.Random(seed)
    ids = [f"doc-{i}" for i in range(n)]
    return pa.table({"id": ids, "text": [f"text of {i}" * rng.randint(1, 5) for i in range(n)],
                     "reason": [rng.choice(["short", "spam", "dup"]) for _ in range(n)]})


def _lowest(t: pa.Table, reason: str, n: int) -> list[str]:
    ids = [i for i, r in zip(t.column("id").to_pylist(), t.column("reason").to_pylist()) if r == reason]
    return sorted(ids, key=lambda x: (zlib.crc32(x.encode()), x))[:n]


def test_sample_is_the_lowest_hashing_ids_of_each_reason():
    t = _removed(500)
    s = sample_per_reason(t, 7)
    for reason in ("short", "spam", "dup"):
        got = [i for i, r in zip(s.column("id").to_pylist(), s.column("reason").to_pylist()) if r == reason]
        assert got == _lowest(t, reason, 7)
    assert sample_per_reason(t, 0).num_rows == 0
    # a document seen twice (a shard written again) is sampled once
    twice = sample_per_reason(pa.concat_tables([t, t]), 1000)
    assert twice.num_rows == t.num_rows == len(set(twice.column("id").to_pylist()))


def test_merged_shard_samples_equal_the_sample_of_the_whole_stage(tmp_path):
    t = _removed(900, seed=3)
    whole = sample_per_reason(t, 20)
    for cuts in ([300, 600], [10, 11, 500, 890]):        # two different shardings of the same stage
        folder = tmp_path / f"stage{len(cuts)}" / "removed"
        folder.mkdir(parents=True)
        bounds = [0, *cuts, t.num_rows]
        for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
            pq.write_table(sample_per_reason(t.slice(a, b - a), 20), folder / f"s{k:03d}.parquet")
        merge_samples(folder.parent, 20)
        assert [p.name for p in folder.iterdir()] == [SAMPLES_FILE]
        merged = pq.read_table(folder / SAMPLES_FILE)
        assert merged.equals(whole)
        merge_samples(folder.parent, 20)              # merging again (a rerun) changes nothing
        assert pq.read_table(folder / SAMPLES_FILE).equals(whole)


