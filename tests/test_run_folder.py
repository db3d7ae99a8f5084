"""What a run folder stores besides documents: Parquet files without Arrow's spare copy of the
schema when the Parquet schema gives it back, removed samples and quarantine with bounded content,
compact completion records. Every file reads back as what was written."""
import json
import random
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import storage
from pipeline.documents import SIDE_CONTENT_CHARS, bounded_content
from pipeline.shards import StageDir
from pipeline.stage import Result


def _docs(n: int, seed: int = 0) -> pa.Table:
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "中文", "naïve"]
    return pa.table({
        "id": pa.array([f"web/{i}" for i in range(n)], pa.string()),
        "text": [" ".join(rng.choice(words) for _ in range(rng.randint(5, 50))) for _ in range(n)],
        "language_score": [rng.random() for _ in range(n)],
        "gopher_word_count": pa.array([rng.randint(0, 900) for _ in range(n)], pa.int32()),
        "flag": [rng.random() < 0.5 for _ in range(n)],
    }, schema=pa.schema([pa.field("id", pa.string(), nullable=False), ("text", pa.string()),
                         ("language_score", pa.float64()), ("gopher_word_count", pa.int32()), ("flag", pa.bool_())]))


def test_plain_document_tables_are_written_without_arrow_schema_and_read_back_equal(tmp_path):
    t = _docs(50)
    storage.write_parquet_atomic(t, tmp_path / "a.parquet")
    assert b"ARROW:schema" not in (pq.read_metadata(tmp_path / "a.parquet").metadata or {})
    assert storage.read_parquet(tmp_path / "a.parquet").equals(t, check_metadata=True)
    with_schema = pa.BufferOutputStream()
    pq.write_table(t, with_schema, **storage.PARQUET_OPTS)
    assert (tmp_path / "a.parquet").stat().st_size < with_schema.getvalue().size


@pytest.mark.parametrize("column", [
    pa.array(["x", "y", "x"]).dictionary_encode(),
    pa.array(["x", "y", "z"], pa.large_string()),
    pa.array([datetime(2024, 1, 1, tzinfo=timezone.utc)] * 3, pa.timestamp("us", tz="Europe/Paris")),
    pa.array([1, 2, 3], pa.duration("s")),
])
def test_types_parquet_alone_would_change_keep_the_arrow_schema(tmp_path, column):
    t = pa.table({"id": ["a", "b", "c"], "c": column})
    storage.write_parquet_atomic(t, tmp_path / "t.parquet")
    assert storage.read_parquet(tmp_path / "t.parquet").equals(t)
    meta = pa.table({"id": ["a"]}).replace_schema_metadata({"origin": "test"})
    storage.write_parquet_atomic(meta, tmp_path / "m.parquet")
    assert storage.read_parquet(tmp_path / "m.parquet").schema.metadata == {b"origin": b"test"}


def test_bounded_content_cuts_long_values_and_says_how_long_they_were():
    long_text = "é" * (SIDE_CONTENT_CHARS + 10)
    t = pa.table({"id": ["a", "b", "c"], "text": [long_text, "short", None], "html": [None, "<p>x</p>", "h" * 70_000],
                  "reason": ["r"] * 3})
    b = bounded_content(t)
    rows = b.to_pylist()
    assert rows[0]["text"] == long_text[:SIDE_CONTENT_CHARS] and rows[0]["text_full_chars"] == len(long_text)
    assert rows[1]["text"] == "short" and rows[1]["text_full_chars"] is None
    assert rows[2]["text"] is None and rows[2]["html"] == "h" * SIDE_CONTENT_CHARS
    assert rows[2]["html_full_chars"] == 70_000 and rows[1]["html_full_chars"] is None
    assert b.column_names == ["id", "text", "text_full_chars", "html", "html_full_chars", "reason"]
    assert bounded_content(pa.table({"id": ["a"]})).column_names == ["id"]


def test_a_stage_keeps_bounded_samples_and_quarantine_and_every_id(tmp_path):
    n = 30
    big = "word " * (SIDE_CONTENT_CHARS // 2)            # 2.5x the bound
    table = pa.table({"id": [f"d{i}" for i in range(n)], "text": [big if i % 3 == 0 else f"text {i}" for i in range(n)],
                      "html": [big] * n})
    reasons = [None if i % 2 else ("bad_page" if i % 5 == 0 else "too_short") for i in range(n)]
    result = Result.split(table, reasons, quarantine={"bad_page"})
    sd = StageDir(tmp_path / "01-x")
    sd.write_shard("00-00000-0000", table, result, 0.1, removed_samples=20)
    sample = pq.read_table(sd.path / "removed" / "00-00000-0000.parquet")
    quarantine = pq.read_table(sd.path / "quarantine" / "00-00000-0000.parquet")
    for t, want in ((sample, "too_short"), (quarantine, "bad_page")):
        assert set(t.column("reason").to_pylist()) == {want}
        for row in t.to_pylist():
            whole = table.column("text")[int(row["id"][1:])].as_py()
            assert row["text"] == whole[:SIDE_CONTENT_CHARS]
            assert row["text_full_chars"] == (len(whole) if len(whole) > SIDE_CONTENT_CHARS else None)
            assert row["html"] == big[:SIDE_CONTENT_CHARS] and row["html_full_chars"] == len(big)
    gone = pq.read_table(sd.path / "removed_ids" / "00-00000-0000.parquet")
    assert sorted(gone.column("id").to_pylist()) == sorted(f"d{i}" for i, r in enumerate(reasons) if r)
    # the kept documents are whole; the completion record is one compact line that reads back
    assert sd.read("00-00000-0000").equals(result.kept)
    text = sd.done_path("00-00000-0000").read_text()
    assert "\n" not in text and json.loads(text)["removed"] == {"too_short": sample.num_rows}
    assert sd.records()[0].quarantined == {"bad_page": quarantine.num_rows}


def test_a_damaged_file_of_the_run_folder_is_one_line_naming_it(tmp_path):
    """A shard cut short, a shard gone though its done record stays, a done record or stats.json
    overwritten: a rerun, `inspect` or `report` stopped with a parser's traceback that named no file
    (a deleted shard named a views/ path that never existed). Now DamagedFile, one line, the path;
    the CLI adds what to do."""
    import subprocess
    import sys
    from pathlib import Path
    t = _docs(40)
    sd = StageDir(tmp_path / "stages" / "03-x")
    for shard in ("00-00000-0000", "00-00000-0001", "00-00000-0002"):
        sd.write_shard(shard, t, Result(kept=t), 0.1, removed_samples=0)
    cut = sd.shard_path("00-00000-0000")
    cut.write_bytes(cut.read_bytes()[:cut.stat().st_size // 2])
    for fn in (lambda: sd.read("00-00000-0000"), lambda: sd.schema("00-00000-0000")):
        with pytest.raises(storage.DamagedFile, match=f"^{cut}: not a readable Parquet file") as e:
            fn()
        assert "\n" not in str(e.value)
    sd.shard_path("00-00000-0001").unlink()
    for fn in (lambda: sd.read("00-00000-0001"), lambda: sd.schema("00-00000-0001")):
        with pytest.raises(storage.DamagedFile, match=f"^{sd.shard_path('00-00000-0001')}: missing, though "
                                                      f"{sd.done_path('00-00000-0001')} records it as written"):
            fn()
    sd.done_path("00-00000-0002").write_text("{garb")
    with pytest.raises(storage.DamagedFile, match=f"^{sd.done_path('00-00000-0002')}: not valid JSON"):
        sd.records()
    (tmp_path / "stats.json").write_text("{garb")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "report", str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'stats.json'}: not valid JSON (Expecting property name enclosed in double quotes: "
        f"line 1 column 2 (char 1)): damaged or cut short"]
