"""GlobalContext on real Ray: fan-out and resumable per-shard transforms."""
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.documents import documents_table
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from pipeline.stage import Result


def _drop_ids(table: pa.Table, ids: list[str] | None, reason: str) -> Result:
    reasons = [reason if i in (ids or []) else None for i in table.column("id").to_pylist()]
    return Result.split(table, reasons)


def _count_rows(shard: str, input_dir: StageDir) -> int:
    return input_dir.read(shard).num_rows


def test_map_and_transform_shards_with_per_shard_decisions(tmp_path, ray_local):
    src = StageDir(tmp_path / "in")
    for s in ("a", "b", "c"):
        t = documents_table([{"id": f"{s}{i}", "source": "x", "text": f"doc {s}{i}"} for i in range(4)])
        src.write_shard(s, None, Result(t), 0.0, 0, docs_in=4)
    out = StageDir(tmp_path / "out")
    ctx = GlobalContext("g", src, out, seed=0, removed_samples=5)
    assert ctx.map(_count_rows, [(s,) for s in ctx.input_shards], input_dir=src) == [4, 4, 4]
    recs = ctx.transform_shards(_drop_ids, "dup", per_shard={"a": ["a1"], "c": ["c0", "c3"]})
    assert [(r.shard, r.docs_out, r.removed) for r in recs] == [
        ("a", 3, {"dup": 1}), ("b", 4, {}), ("c", 2, {"dup": 2})]
    # resumable: a finished shard is not redone
    before = out.done_path("b").stat().st_mtime_ns
    ctx.transform_shards(_drop_ids, "dup", per_shard={})
    assert out.done_path("b").stat().st_mtime_ns == before
    assert pc.sum(pc.equal(out.read("c").column("id"), "c0")).as_py() in (0, None)
