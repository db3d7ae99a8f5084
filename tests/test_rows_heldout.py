"""Row formats on held-out layouts: nested fields (datatrove's and Dolma's `metadata.url`, Parquet
struct columns), a Hugging Face snapshot directory with README and LICENSE beside the data,
compression that the name gets wrong, concatenated pretty-printed JSON, what a missing text held,
a url that is a number, and Arrow IPC files (`datasets`' save_to_disk)."""
import bz2
import gzip
import json
import lzma
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file, resolve_reader
from pipeline.recipe import SourceConfig, load_recipe


def read(path, fmt, **kw):
    """Every file `path` expands to (a directory: its files), read as the source `paths: [path]`."""
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], **kw)
    state = ReadState()
    items = [i for p in expand_paths(str(path)) for i in read_source_file(src, p, state)]
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


def lines(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


def datatrove_rows(n):
    return [{"text": f"page {i}", "id": f"CC/{i}",
             "metadata": {"url": f"https://casino-{i}.com/x", "dump": "CC-MAIN-2024-10"}} for i in range(n)]


# -- 1. dotted field paths ----------------------------------------------------------------------
def test_dotted_fields_reach_into_nested_objects_and_struct_columns(tmp_path):
    p = tmp_path / "00000.jsonl.gz"
    p.write_bytes(gzip.compress(lines(datatrove_rows(5)).encode()))
    docs, q, counters = read(p, "jsonl", id_field="id", url_field="metadata.url")
    assert not q and [d.url for d in docs] == [f"https://casino-{i}.com/x" for i in range(5)]
    assert docs[0].id == "s/CC/0" and docs[0].metadata == {"metadata": {"dump": "CC-MAIN-2024-10"}}
    assert "url_field_missing" not in counters

    nested = tmp_path / "nested.jsonl"
    nested.write_text(lines([{"meta": {"content": f"text {i}", "n": i}, "ids": {"doc": f"d{i}"}} for i in range(3)]))
    docs, q, _ = read(nested, "jsonl", text_field="meta.content", id_field="ids.doc")
    assert not q and [(d.id, d.text, d.metadata) for d in docs] == \
        [(f"s/d{i}", f"text {i}", {"meta": {"n": i}}) for i in range(3)]

    # a key that holds the dot itself wins over the nested path
    dotted = tmp_path / "dotted.jsonl"
    dotted.write_text(lines([{"meta.content": "flat", "meta": {"content": "nested"}}]))
    docs, _, _ = read(dotted, "jsonl", text_field="meta.content")
    assert docs[0].text == "flat" and docs[0].metadata == {"meta": {"content": "nested"}}

    # Parquet struct columns, text and url, also when the text is binary
    pq.write_table(pa.table({"doc": pa.array([{"text": f"row {i}", "url": f"https://u/{i}"} for i in range(4)]),
                             "id": list(range(4))}), tmp_path / "struct.parquet")
    docs, q, _ = read(tmp_path / "struct.parquet", "parquet", text_field="doc.text", url_field="doc.url",
                      id_field="id")
    assert not q and [(d.id, d.text, d.url) for d in docs] == [(f"s/{i}", f"row {i}", f"https://u/{i}")
                                                               for i in range(4)]
    assert docs[0].metadata == {}
    pq.write_table(pa.table({"doc": pa.array([{"text": "binär".encode()}], pa.struct([("text", pa.binary())]))}),
                   tmp_path / "bin.parquet")
    docs, q, _ = read(tmp_path / "bin.parquet", "parquet", text_field="doc.text")
    assert not q and docs[0].text == "binär" and docs[0].metadata == {}


def test_a_url_field_in_none_of_the_rows_is_counted_and_stops_the_run(tmp_path):
    from pipeline.checks import QuarantineError, SourceCounts, check_ingest_quarantine
    p = tmp_path / "00000.jsonl"
    p.write_text(lines(datatrove_rows(6)))
    # the default url_field (`url`) absent is ordinary: nothing counted
    _, _, counters = read(p, "jsonl")
    assert "url_field_missing" not in counters
    # named by the recipe and absent (flat where the rows nest it): counted, row by row
    docs, _, counters = read(p, "jsonl", url_field="url")
    assert all(d.url is None for d in docs) and counters["url_field_missing"] == len(docs) == 6

    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: t
        output: {tmp_path / 'run'}
        sources:
          - {{name: web, format: jsonl, paths: [{p}], url_field: url}}
          - {{name: ok, format: jsonl, paths: [{p}], url_field: metadata.url}}
        """))
    counts = [SourceCounts(documents=6, counters={"url_field_missing": 6}), SourceCounts(documents=6)]
    with pytest.raises(QuarantineError, match=r"source 'web': url_field 'url' is in none of its 6 documents") as e:
        check_ingest_quarantine(load_recipe(recipe), tmp_path / "ingest", counts)
    assert "'ok'" not in str(e.value) and "metadata.url" in str(e.value)
    # some rows without it: counted only
    check_ingest_quarantine(load_recipe(recipe), tmp_path / "ingest",
                            [SourceCounts(documents=6, counters={"url_field_missing": 5}), SourceCounts(documents=6)])


# -- 2. a directory means the format's files ------------------------------------------------------
def test_a_dataset_snapshot_directory_reads_its_data_files_only(tmp_path):
    snap = tmp_path / "snapshot"
    (snap / "data").mkdir(parents=True)
    for k in range(2):
        (snap / "data" / f"train-0000{k}-of-00002.jsonl.gz").write_bytes(
            gzip.compress(lines({"text": f"doc {k}-{i}"} for i in range(10)).encode()))
    (snap / "README.md").write_text("---\nlicense: mit\n---\n# A dataset\n\nSome words.\n" * 20)
    (snap / "LICENSE").write_text("MIT License\n\nPermission is hereby granted\n")
    (snap / ".gitattributes").write_text("*.gz filter=lfs\n")
    docs, q, counters = read(snap, "jsonl")
    assert not q and len(docs) == 20
    assert counters == {"skipped_not_jsonl_file": 2, "skipped_marker_file": 1}
    # a glob or a named file says which files are meant: read as named
    _, q, _ = read(snap / "README.md", "jsonl")
    assert q and q[0].reason == "bad_json"
    _, q, _ = read(f"{snap}/*.md", "jsonl")
    assert q and q[0].reason == "bad_json"

    # the same for Parquet (a README beside the shards), and `text` reads every file
    pqdir = tmp_path / "pq"
    pqdir.mkdir()
    pq.write_table(pa.table({"text": ["a", "b"]}), pqdir / "train-00000.parquet")
    (pqdir / "README.md").write_text("# card\n")
    docs, q, counters = read(pqdir, "parquet")
    assert len(docs) == 2 and not q and counters == {"skipped_not_parquet_file": 1}
    docs, _, counters = read(pqdir, "text")
    assert "# card\n" in [d.text for d in docs] and not any(k.startswith("skipped_not") for k in counters)


# -- 3. compression told from the bytes ------------------------------------------------------------
@pytest.mark.parametrize("name,compress,fmt,by_content", [
    ("plain.jsonl.gz", lambda b: b, "jsonl", 1),
    ("x.jsonl.zstd", lambda b: zstandard.ZstdCompressor().compress(b), "jsonl", None),    # a name for zstd too
    ("UP.JSONL.GZ", gzip.compress, "jsonl", None),
    ("gz.json", gzip.compress, "json", 1),
    ("gz.jsonl", gzip.compress, "jsonl", 1),
    ("xz.jsonl.gz", lzma.compress, "jsonl", 1),
    ("bz.jsonl.zst", bz2.compress, "jsonl", 1),
    ("plain.txt.gz", lambda b: b, "text", 1),
])
def test_a_row_file_is_decompressed_as_its_bytes_say(tmp_path, name, compress, fmt, by_content):
    rows = [{"text": f"row {i} " + "words " * 30, "id": i} for i in range(31)]
    p = tmp_path / name
    p.write_bytes(compress(lines(rows).encode()))
    if fmt == "text":
        docs, q, counters = read(p, fmt)
        assert not q and docs[0].text == lines(rows)
    else:
        docs, q, counters = read(p, fmt, id_field="id")
        assert not q and [d.text for d in docs] == [r["text"] for r in rows]
    assert counters.get("compression_by_content") == by_content


def test_a_gzip_file_with_damaged_magic_bytes_is_still_reported_as_damaged(tmp_path):
    body = bytearray(gzip.compress(lines({"text": f"row {i}"} for i in range(50)).encode()))
    body[0] ^= 0xFF
    (tmp_path / "bad.jsonl.gz").write_bytes(bytes(body))
    docs, q, counters = read(tmp_path / "bad.jsonl.gz", "jsonl")
    assert not docs and [i.reason for i in q] == ["corrupt_compression"] and "compression_by_content" not in counters


# -- 4. concatenated JSON values --------------------------------------------------------------------
def test_json_values_one_after_another_are_read_value_by_value(tmp_path):
    objs = [{"text": f"poem {i}\nline two", "id": i, "tags": ["a", "b"]} for i in range(12)]
    p = tmp_path / "pretty.json"
    p.write_text("\n".join(json.dumps(o, indent=2) for o in objs) + "\n")
    docs, q, counters = read(p, "json", id_field="id")
    assert not q and [d.text for d in docs] == [o["text"] for o in objs]
    assert counters == {"json_concatenated_values": 1}
    # `jq .` output without separators between values, gzip-compressed, with a broken value in it
    broken = "".join(json.dumps(o, indent=4) for o in objs[:3]) + '{\n  "text": "cut\n}\n' + \
        "\n".join(json.dumps(o, indent=4) for o in objs[3:])
    (tmp_path / "jq.json.gz").write_bytes(gzip.compress(broken.encode()))
    docs, q, _ = read(tmp_path / "jq.json.gz", "json", id_field="id")
    assert [d.text for d in docs] == [o["text"] for o in objs] and [i.reason for i in q] == ["bad_json"]


# -- 5. what a missing text was ---------------------------------------------------------------------
def test_missing_text_says_what_the_field_held(tmp_path):
    p = tmp_path / "odd.jsonl"
    p.write_text(lines([{"content": "x", "lang": "en"}, {"text": None}, {"text": 12345},
                        {"text": {"en": "hi", "fr": "salut"}}, {"text": ["a", 3]}, {"text": "fine"}]))
    docs, q, _ = read(p, "jsonl")
    assert [d.text for d in docs] == ["fine"]
    details = [i.detail for i in q]
    assert details[0].startswith("field 'text' is absent") and "'content', 'lang'" in details[0]
    assert details[1] == "field 'text' is null"
    assert details[2] == "field 'text' is a number (12345)"
    assert details[3] == "field 'text' is an object with keys 'en', 'fr'"
    assert details[4] == "field 'text' is a list of 2 holding a non-string (int) at index 1"


# -- 6. a url that is not a string ----------------------------------------------------------------
def test_a_url_that_is_not_a_string_stays_in_the_metadata_counted(tmp_path):
    p = tmp_path / "u.jsonl"
    p.write_text(lines([{"text": "a", "url": 123}, {"text": "b", "url": "https://b/"}]))
    docs, q, counters = read(p, "jsonl")
    assert [(d.url, d.metadata) for d in docs] == [(None, {"url": 123}), ("https://b/", {})]
    assert counters == {"url_not_a_string": 1}


# -- 7. Arrow IPC ---------------------------------------------------------------------------------
def _table(n, start=0):
    return pa.table({"text": [f"row {i}" for i in range(start, start + n)], "id": list(range(start, start + n))})


def test_arrow_ipc_stream_and_file_formats_are_read_batch_by_batch(tmp_path):
    assert resolve_reader("arrow").name == "arrow"
    ds = tmp_path / "ds"            # what datasets' save_to_disk leaves
    ds.mkdir()
    with pa.ipc.new_stream(ds / "data-00000-of-00002.arrow", _table(1).schema) as w:
        for k in range(3):
            w.write_batch(_table(10, 10 * k).to_batches()[0])
    with pa.ipc.new_file(ds / "data-00001-of-00002.arrow", _table(1).schema) as w:
        for k in range(3, 5):
            w.write_batch(_table(10, 10 * k).to_batches()[0])
    (ds / "dataset_info.json").write_text(json.dumps({"features": {"text": {"dtype": "string"}}}))
    (ds / "state.json").write_text(json.dumps({"_data_files": []}))
    docs, q, counters = read(ds, "arrow", id_field="id")
    assert not q and [d.text for d in docs] == [f"row {i}" for i in range(50)]
    assert docs[12].id == "s/12" and counters == {"skipped_dataset_metadata": 2}   # datasets' description

    # no text column: one item standing for every row; 0 rows: an empty file
    with pa.ipc.new_stream(tmp_path / "other.arrow", pa.schema([("content", pa.string())])) as w:
        w.write_batch(pa.record_batch([pa.array(["x"] * 7)], names=["content"]))
    _, q, _ = read(tmp_path / "other.arrow", "arrow")
    assert [(i.reason, i.records) for i in q] == [("missing_text", 7)]
    with pa.ipc.new_stream(tmp_path / "empty.arrow", _table(1).schema):
        pass
    docs, q, counters = read(tmp_path / "empty.arrow", "arrow")
    assert not docs and not q and counters == {"skipped_empty_file": 1}

    # a stream cut short: what was read stands, the rest is quarantined
    body = (ds / "data-00000-of-00002.arrow").read_bytes()
    (tmp_path / "cut.arrow").write_bytes(body[:len(body) * 2 // 3])
    docs, q, _ = read(tmp_path / "cut.arrow", "arrow")
    assert 0 < len(docs) < 30 and [i.reason for i in q] == ["corrupt_arrow"]

    # read as Parquet, the file says what it is
    _, q, _ = read(ds / "data-00000-of-00002.arrow", "parquet")
    assert q[0].reason == "corrupt_parquet" and "use format: arrow" in q[0].detail

    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: hf, format: arrow, paths: [{ds}]}}\n")
    assert load_recipe(recipe).sources[0].reader.name == "arrow"


def test_hive_partition_folders_go_into_each_documents_metadata(tmp_path):
    """`lang=en/part-0.parquet` (Spark, Hive, pyarrow.dataset): the partition value lives in the
    folder name only; it reaches each document's metadata, a row's own field of that name wins."""
    import json
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    for lang in ("en", "zh"):
        d = tmp_path / "ds" / f"lang={lang}" / "dump=CC-MAIN-2024-10"
        d.mkdir(parents=True)
        pq.write_table(pa.table({"text": [f"a {lang} document", "another"], "lang": [None, "fr"]}),
                       d / "part-0.parquet")
        (d / "part-1.jsonl").write_text(json.dumps({"text": f"a {lang} line"}) + "\n")
    got = {}
    for fmt, name in (("parquet", "part-0.parquet"), ("jsonl", "part-1.jsonl")):
        src = SourceConfig(name="s", format=fmt, paths=[str(tmp_path / "ds")])
        for lang in ("en", "zh"):
            p = str(tmp_path / "ds" / f"lang={lang}" / "dump=CC-MAIN-2024-10" / name)
            got[(fmt, lang)] = [d.metadata for d in read_source_file(src, p, ReadState())]
    assert got[("jsonl", "zh")] == [{"lang": "zh", "dump": "CC-MAIN-2024-10"}]
    en = got[("parquet", "en")]
    assert en[0]["lang"] == "en" and en[0]["dump"] == "CC-MAIN-2024-10" and en[1]["lang"] == "fr"


def test_json_that_wraps_its_rows_is_read_with_records_field(tmp_path):
    """`{"version": 1, "data": [...]}` (SQuAD-style releases): without `records_field` one item says
    which field to name and counts the rows it stands for; with it, each object is a row."""
    import json
    from pipeline.readers import ReadState, read_source_file
    from pipeline.readers.base import Doc, Quarantined
    from pipeline.recipe import SourceConfig
    p = tmp_path / "wrapped.json"
    p.write_text(json.dumps({"version": "1.1", "data": [{"text": f"row {i}", "id": i} for i in range(3)]}, indent=2))
    plain = SourceConfig(name="s", format="json", paths=[str(p)])
    (item,) = list(read_source_file(plain, str(p), ReadState()))
    assert isinstance(item, Quarantined) and item.records == 3 and "set records_field: data" in item.detail
    named = SourceConfig(name="s", format="json", paths=[str(p)], records_field="data", id_field="id")
    docs = list(read_source_file(named, str(p), ReadState()))
    assert [(d.id, d.text) for d in docs if isinstance(d, Doc)] == [(f"s/{i}", f"row {i}") for i in range(3)]
    wrong = SourceConfig(name="s", format="json", paths=[str(p)], records_field="version")
    (bad,) = list(read_source_file(wrong, str(p), ReadState()))
    assert bad.reason == "missing_text" and "records_field 'version' is a str" in bad.detail


def test_parquet_batches_hold_fewer_rows_where_rows_are_large(tmp_path):
    """Batches are cut by bytes too: 4,096 rows of 300 KB each would be a 1.2 GB batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipeline.readers.rows_columnar import BATCH_BYTES, BATCH_ROWS, _batch_rows_for
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    pq.write_table(pa.table({"text": ["short text"] * 10_000}), small)
    pq.write_table(pa.table({"text": ["x" * 300_000 + str(i) for i in range(40)]}), large, compression="zstd")
    assert _batch_rows_for(pq.ParquetFile(small).metadata.row_group(0)) == BATCH_ROWS
    rows = _batch_rows_for(pq.ParquetFile(large).metadata.row_group(0))
    assert 16 <= rows < BATCH_ROWS and rows * 300_000 <= BATCH_BYTES * 1.01


def test_a_zstd_bomb_is_decoded_a_bounded_piece_at_a_time(tmp_path):
    """zstd's decoder has no output limit: 10 KB of zstd standing for 300 MB of spaces came out
    whole from one call. Input now goes in pieces sized by the ratio, so a call gives about OUT."""
    import io

    import zstandard
    from pipeline.readers.decompress import OUT, DecompressedStream
    bomb = zstandard.ZstdCompressor(level=3).compress(b" " * (300 << 20))
    assert len(bomb) < 64 << 10
    stream = DecompressedStream(io.BytesIO(bomb), "zstd", "bomb.zst")
    first = stream.readinto(bytearray(64 << 20))
    assert 0 < first <= 16 * OUT
    text = b"".join(f"line {i} of ordinary text\n".encode() for i in range(200_000))
    whole = io.BufferedReader(DecompressedStream(io.BytesIO(zstandard.ZstdCompressor().compress(text)), "zstd")).read()
    assert whole == text
