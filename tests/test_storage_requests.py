"""How many requests the storage layer asks of an object store (a moto S3 server on loopback).

Every request to S3 is ~10-50 ms and costs money; a run reads each shard, record and view
many times (#15). These count the requests s3fs makes (its `_call_s3`, through which every
HEAD, GET, LIST and PUT goes) and check the answers against the same files on local disk.
"""
import numpy as np
import pyarrow as pa
import pytest

from pipeline import shards, storage
from pipeline.stage import Result
from test_storage import s3_server  # noqa: F401  (the fixture)

BUCKET = "tm-requests"


@pytest.fixture(scope="module")
def s3(s3_server):  # noqa: F811
    from test_storage import s3fs_for
    s3fs_for(s3_server).mkdir(BUCKET)
    return storage.path(f"s3://{BUCKET}")


@pytest.fixture
def calls(s3, monkeypatch):
    """The requests storage's s3fs instance makes, as (operation, key)."""
    fs = s3.fs
    assert storage.path(f"s3://{BUCKET}/x").fs is fs       # fsspec hands every path the same instance
    made = []
    orig = fs._call_s3

    async def counted(method, *args, **kwargs):
        made.append((method, kwargs.get("Key") or kwargs.get("Prefix")))
        return await orig(method, *args, **kwargs)
    monkeypatch.setattr(fs, "_call_s3", counted)
    return made


def _table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"id": [f"d{i}" for i in range(n)], "text": [f"t{x}" * 3 for x in rng.integers(0, 1e9, n)],
                     "score": rng.random(n)}).replace_schema_metadata({"k": "v"})


def _asked(calls, fn):
    """(fn's result, the requests it made)."""
    calls.clear()
    out = fn()
    return out, list(calls)


def test_whole_reads_are_one_get_and_a_probe_is_one_request(s3, calls):
    base = s3 / "reads"
    storage.write_json_atomic({"a": 1}, base / "r.json")
    storage.write_bytes_atomic(base / "empty.bin", b"")
    storage.write_parquet_atomic(_table(50), base / "t.parquet")
    for fn, want in [(lambda: storage.read_json(base / "r.json"), {"a": 1}),
                     (lambda: storage.read_parquet(base / "t.parquet", columns=["id"]).num_rows, 50),
                     (lambda: storage.parquet_metadata(base / "t.parquet").num_rows, 50),
                     (lambda: storage.is_file(base / "r.json"), True),
                     (lambda: storage.is_file(base / "missing.json"), False)]:
        got, asked = _asked(calls, fn)
        assert got == want and [m for m, _ in asked] == ["get_object"], asked      # no HEAD first
    # An empty object has no byte to ask for by range (416): it is then read the usual way.
    assert _asked(calls, lambda: storage.read_bytes(base / "empty.bin"))[0] == b""
    assert _asked(calls, lambda: storage.is_file(base / "empty.bin"))[0] is True
    with pytest.raises(FileNotFoundError):
        storage.read_json(base / "missing.json")
    with pytest.raises(FileNotFoundError):
        storage.parquet_metadata(base / "missing.parquet")


def test_large_objects_read_whole_and_by_parts(s3, monkeypatch):
    """Objects larger than one ranged read: the rest in parts; Parquet files whose end is not
    the whole file, and footers longer than the first guess. Same bytes and tables as written."""
    base = s3 / "large"
    data = np.random.default_rng(1).bytes(10_000)
    storage.write_bytes_atomic(base / "b.bin", data)
    t = _table(3000, seed=2)
    storage.write_parquet_atomic(t, base / "t.parquet")
    monkeypatch.setattr(storage, "WHOLE_READ", 3000)
    monkeypatch.setattr(storage, "PARQUET_TAIL", 500)
    monkeypatch.setattr(storage, "FOOTER_TAIL", 16)
    assert storage.read_bytes(base / "b.bin") == data
    for cols in (None, ["score", "id"]):
        assert storage.read_parquet(base / "t.parquet", columns=cols).equals(t if cols is None else t.select(cols))
    md = storage.parquet_metadata(base / "t.parquet")
    assert md.num_rows == 3000 and md.schema.to_arrow_schema().equals(t.schema, check_metadata=True)


def _stage_folders(run):
    """An input stage that stores its shard and a removal-only stage that stores a view of it."""
    up = shards.StageDir(run / "stages" / "01-up")
    t = _table(20)
    up.write_shard("s0", t, Result(kept=t), 0.0, 0)
    view = shards.StageDir(run / "stages" / "02-dedup", views_of=up)
    gone = t.filter(pa.array([i % 4 == 0 for i in range(20)])).append_column("reason", pa.array(["dup"] * 5))
    kept = t.filter(pa.array([i % 4 != 0 for i in range(20)]))
    view.write_shard("s0", t, Result(kept=kept, removed=gone.select(["id", "text", "score", "reason"])), 0.0, 0)
    return up, view, kept


def test_a_view_is_read_without_probes(s3, tmp_path, calls):
    up, view, kept = _stage_folders(s3 / "run1")
    assert storage.is_file(view.view_path("s0")) and not storage.is_file(view.shard_path("s0"))
    calls.clear()
    got = view.read("s0", columns=["text"])
    assert got.equals(kept.select(["text"]))
    # its own Parquet (missing), the view record, the input's Parquet, the removed ids
    assert len(calls) == 4 and all(m == "get_object" for m, _ in calls), calls
    calls.clear()
    assert view.schema("s0").equals(kept.schema)
    assert len(calls) == 3, calls
    with pytest.raises(storage.DamagedFile, match="neither the Parquet file nor a view record"):
        view.read("s9")
    # Where a global stage's task is told to read (GlobalContext.input_path: one listing of the
    # views first): the view record itself, so the missing Parquet file is not asked for.
    url = view.shard_url("s0", view.view_shards())
    assert url.endswith("/views/s0.json") and up.shard_url("s0", up.view_shards()).endswith("/shards/s0.parquet")
    calls.clear()
    assert shards.read_shard(url, ["text"]).equals(got)
    assert [k.rsplit("/", 2)[-2] for _, k in calls] == ["views", "shards", "removed_ids"], calls
    calls.clear()
    assert shards.shard_schema(url).equals(kept.schema) and shards.stored_file(url).endswith("01-up/shards/s0.parquet")
    assert not any("02-dedup/shards" in k for _, k in calls), calls
    # A view that removed nothing: its record says so, and removed_ids is not asked for.
    t = _table(20)
    none = shards.StageDir(s3 / "run1" / "stages" / "03-none", views_of=up)
    none.write_shard("s0", t, Result(kept=t), 0.0, 0)
    calls.clear()
    assert shards.read_shard(none.shard_url("s0", {"s0"})).equals(t)
    assert [k.rsplit("/", 2)[-2] for _, k in calls] == ["views", "shards"], calls
    # A view of a view (a dedup after a dedup): its record says so; no Parquet file is missed.
    again = shards.StageDir(s3 / "run1" / "stages" / "04-again", views_of=view)
    last = kept.filter(pa.array([i % 2 == 0 for i in range(kept.num_rows)]))
    gone = kept.filter(pa.array([i % 2 == 1 for i in range(kept.num_rows)])).append_column(
        "reason", pa.array(["dup"] * (kept.num_rows - last.num_rows)))
    again.write_shard("s0", kept, Result(kept=last, removed=gone), 0.0, 0)
    calls.clear()
    assert shards.read_shard(again.shard_url("s0", again.view_shards())).equals(last)
    assert [k.split("/stages/")[1] for m, k in calls if m == "get_object"] == [
        "04-again/views/s0.json", "02-dedup/views/s0.json", "01-up/shards/s0.parquet",
        "02-dedup/removed_ids/s0.parquet", "04-again/removed_ids/s0.parquet"], calls
    local_up, local_view, _ = _stage_folders(storage.path(tmp_path / "run"))
    assert local_view.read("s0", columns=["text"]).equals(got)
    assert shards.read_shard(local_view.shard_url("s0", local_view.view_shards()), ["text"]).equals(got)


def test_a_frozen_run_folder_is_listed_once(s3, calls):
    up, view, kept = _stage_folders(s3 / "run2")
    stages = s3 / "run2" / "stages"
    calls.clear()
    before = [view.document_shards(), view.records(), view.read("s0"), up.finished(), view.is_done("s0")]
    one_round = len(calls)
    calls.clear()
    with storage.frozen(stages):
        for _ in range(3):
            again = [view.document_shards(), view.records(), view.read("s0"), up.finished(), view.is_done("s0")]
            assert again[0] == before[0] and again[1] == before[1] and again[2].equals(before[2])
            assert again[3:] == before[3:]
        first = list(calls)
        assert storage.names(stages / "02-dedup" / "quarantine") == []      # not in its parent's listing
        assert not storage.exists(stages / "02-dedup" / "shards" / "s0.parquet")
        assert calls == first
        storage.write_json_atomic({"x": 1}, stages / "02-dedup" / "extra.json")    # a write forgets
        assert "extra.json" in storage.names(stages / "02-dedup")
    lists = [k for m, k in first if m == "list_objects_v2"]
    assert len(lists) == len(set(lists)), lists                # each folder once
    assert len(first) <= one_round, first      # three rounds inside cost what one does outside
    calls.clear()
    view.document_shards()
    assert calls, "outside the block every question is asked again"


def test_files_are_removed_without_listings(s3, tmp_path, calls):
    base = s3 / "rm"
    for i in range(5):
        storage.write_json_atomic({"i": i}, base / f"f{i}.json")
    calls.clear()
    storage.remove_file(base / "f0.json")
    storage.remove_file(base / "gone.json")                     # missing: not an error
    storage.remove_files([base / f"f{i}.json" for i in range(1, 4)] + [base / "gone2.json"])
    assert [m for m, _ in calls] == ["delete_object", "delete_object", "delete_objects"], calls
    assert storage.names(base) == ["f4.json"]
    local = storage.path(tmp_path / "rm")
    for i in range(3):
        storage.write_json_atomic({"i": i}, local / f"f{i}.json")
    storage.remove_files([local / "f0.json", local / "f1.json", local / "missing.json"])
    storage.remove_file(local / "missing.json")
    assert storage.names(local) == ["f2.json"]


def test_a_dedup_partition_task_lists_nothing_and_reads_no_offsets(s3, tmp_path, calls):
    """The driver lists a spill folder once and reads each offsets file once (lsh.Spill); a
    partition task then makes only ranged reads of its records: none for a file with nothing in
    its partition, two for one with something (bucket_anchors, then the pairs), no listing and no
    offsets read. The pairs are those of the same spill on local disk."""
    from stages.dedup import lsh
    rng = np.random.default_rng(6)
    parts, slots, files = 4, 8, 5
    spills = []
    for shard in range(files):
        h = rng.integers(0, 1 << 62, (30, 3), dtype=np.uint64)
        h[:, 0] = 4 * rng.integers(0, 3, 30)                # band 0: three buckets, all in partition 0
        spills.append(h[:0] if shard == 4 else h)            # shard 4 has no signed documents
    got = {}
    for root in (s3 / "spill-run", storage.path(tmp_path)):
        for shard, h in enumerate(spills):
            lsh.write_spill(root / "bands" / f"{shard:06d}.bands", h, shard * 100 + np.arange(len(h)), parts)
        calls.clear()
        bands = lsh.Spill.of(root / "bands", ".bands")
        remote = not storage.is_local(root)
        if remote:
            assert sorted(m for m, _ in calls) == ["get_object"] * files + ["list_objects_v2"], calls
        totals = []
        for p in range(parts):
            calls.clear()
            totals.append(lsh.partition_pairs(bands.part(p), p, storage.url(root / "pairs"), slots))
            if remote:
                reads = [k for m, k in calls if m != "put_object"]
                assert len(reads) == 2 * len(bands.part(p)) < 2 * files, calls
                assert all(m == "get_object" and k.endswith(".bands") for m, k in calls
                           if m != "put_object"), calls
        pairs = lsh.Spill.of(root / "pairs", ".pairs").part(0, slots).read(lsh.PAIR)
        got[remote] = (totals, sorted(map(tuple, pairs.tolist())))
    assert got[True] == got[False] and got[False][0][0] >= 30 * 4 - 3
