"""Row formats (JSONL, JSON, Parquet, text) on the layouts published corpora come in: one file
named twice, JSON Lines under a .json name with a bad first line, Spark output directories, empty
shards, a Parquet file without the text column, list<string> text, NaN metadata, one document a line."""
import gzip
import json
import math
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.readers import Doc, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig, load_recipe


def read(path, fmt, **kw):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], **kw)
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


def rows(n, start=0):
    return "".join(json.dumps({"id": f"r{i}", "text": f"row {i}", "url": f"https://x/{i}"}) + "\n"
                   for i in range(start, start + n))


# -- 1. each file once, under its normalised path -------------------------------------------------
def test_a_file_named_under_several_spellings_is_listed_once_by_its_normal_path(tmp_path, monkeypatch):
    from pipeline.checks import list_inputs
    d = tmp_path / "c4" / "en"
    d.mkdir(parents=True)
    (d / "a.json.gz").write_bytes(gzip.compress(rows(3).encode()))
    (d / "b.json.gz").write_bytes(gzip.compress(rows(3, 3).encode()))
    os.symlink(d / "a.json.gz", tmp_path / "link.json.gz")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - name: c4\n    format: jsonl\n    paths:\n"
                      f"      - {d}/*.json.gz\n      - {d}/./a.json.gz\n      - {d}/../en//b.json.gz\n"
                      f"      - {tmp_path}/link.json.gz\n")
    # a symlink is a name of its own (readers decide: a code tree skips links to its own files)
    assert list_inputs(load_recipe(recipe))["c4"] == [str(d / "a.json.gz"), str(d / "b.json.gz"),
                                                      str(tmp_path / "link.json.gz")]
    monkeypatch.chdir(d)
    assert expand_paths("../en/./a.json.gz") == [str(d / "a.json.gz")]
    assert expand_paths(str(tmp_path / "c4" / ".." / "c4")) == [str(d / "a.json.gz"), str(d / "b.json.gz")]


# -- 2, 3. JSON Lines under a .json name, told from the first lines, streamed ---------------------
def test_json_lines_named_json_with_a_bad_first_line_loses_that_line_only_and_is_streamed(tmp_path, monkeypatch):
    import pipeline.readers.rows as rows_mod
    p = tmp_path / "c4-train.00001-of-01024.json.gz"
    p.write_bytes(gzip.compress(b'{"text": "broken first line\n' + rows(20).encode()))

    def no_whole_read(*a, **k):
        raise AssertionError("JSON Lines read whole")
    monkeypatch.setattr(rows_mod, "read_whole", no_whole_read)
    docs, q, counters = read(p, "json")
    assert [d.text for d in docs] == [f"row {i}" for i in range(20)]
    assert [(i.reason, i.offset) for i in q] == [("bad_json", 1)] and counters == {"json_read_as_jsonl": 1}
    good = tmp_path / "good.json"
    good.write_text(rows(5))
    docs, q, counters = read(good, "json", title_field="id")
    assert [d.text for d in docs] == [f"r{i}\nrow {i}" for i in range(5)] and not q      # title_field there too
    books = tmp_path / "books.json"                                # rows longer than the look-ahead
    books.write_text("".join(json.dumps({"text": c * 100_000}) + "\n" for c in "ab"))
    assert [len(d.text) for d in read(books, "json")[0]] == [100_000, 100_000]
    monkeypatch.undo()
    # A real JSON document (pretty-printed object or array, an array one object a line) is read whole.
    doc = tmp_path / "poems.json"
    doc.write_text(json.dumps({"title": "t", "paragraphs": ["a", "b"]}, indent=2))
    assert [d.text for d in read(doc, "json", text_field="paragraphs")[0]] == ["a\nb"]
    arr = tmp_path / "arr.json"
    arr.write_text("[\n" + ",\n".join(json.dumps({"text": f"t{i}"}) for i in range(3)) + "\n]\n")
    docs, q, counters = read(arr, "json")
    assert [d.text for d in docs] == ["t0", "t1", "t2"] and not q and not counters
    nested = tmp_path / "nested.json"
    nested.write_text('{"text": "one",\n"meta": {"a": 1}\n}\n')
    assert [d.text for d in read(nested, "json")[0]] == ["one"]


# -- 5. a Parquet file without the text column stands for all its rows ----------------------------
def test_parquet_without_the_text_column_quarantines_its_row_count_in_one_item(tmp_path):
    p = tmp_path / "stack.parquet"
    pq.write_table(pa.table({"content": [f"def f{i}(): pass" for i in range(200)], "lang": ["py"] * 200}), p,
                   row_group_size=64)
    docs, q, _ = read(p, "parquet")
    assert not docs and len(q) == 1 and q[0].reason == "missing_text" and q[0].records == 200
    assert str(p) in q[0].detail and "content, lang" in q[0].detail and "200" in q[0].detail


# -- 6. Spark/Hadoop markers are skipped, counted ------------------------------------------------
def test_spark_output_markers_are_skipped_and_counted_not_quarantined(tmp_path):
    out = tmp_path / "hive"
    (out / "lang=en").mkdir(parents=True)
    (out / "_SUCCESS").write_bytes(b"")
    (out / "_committed_123").write_text('{"added": ["part-0"]}')
    (out / "lang=en" / ".part-0.snappy.parquet.crc").write_bytes(b"crc\x00\x01\x02\x03")
    pq.write_table(pa.table({"text": ["a", "b"]}), out / "lang=en" / "part-0.snappy.parquet")
    src = SourceConfig(name="s", format="parquet", paths=[str(out)])
    state = ReadState()
    items = [i for p in expand_paths(str(out)) for i in read_source_file(src, p, state)]
    assert [i.text for i in items] == ["a", "b"] and state.counters == {"skipped_marker_file": 3}
    # A tree of source code keeps its `__init__.py` and dotfiles.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n")
    assert [d.text for d in read(tmp_path / "pkg" / "__init__.py", "code")[0]] == ["x = 1\n"]


# -- 7. an empty Parquet shard is ordinary ------------------------------------------------------
def test_an_empty_parquet_shard_is_skipped_not_quarantined(tmp_path):
    p = tmp_path / "part-00007.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), p)
    assert read(p, "parquet") == ([], [], {"skipped_empty_file": 1})


# -- 8. NaN and infinite metadata are null, as JSON has it ---------------------------------------
def test_nan_and_infinite_metadata_become_null_in_the_document_table(tmp_path):
    from pipeline.documents import documents_table
    p = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "f": [math.nan, 1.5], "g": [[math.inf, 2.0], None]}), p)
    docs = read(p, "parquet")[0]
    table = documents_table([{"id": d.id, "source": "s", "text": d.text, "metadata": d.metadata} for d in docs])

    def strict(s):
        raise ValueError(f"not JSON: {s}")
    md = [json.loads(m, parse_constant=strict) for m in table.column("metadata").to_pylist()]
    assert md == [{"f": None, "g": [None, 2.0]}, {"f": 1.5, "g": None}]


# -- 9. list<string> text is joined in every row format -----------------------------------------
def test_a_list_of_strings_as_text_is_joined_in_parquet_and_jsonl_as_in_json(tmp_path):
    paras = [["para one", "para two"], ["solo"]]
    pq.write_table(pa.table({"text": pa.array(paras, pa.list_(pa.string()))}), tmp_path / "l.parquet")
    (tmp_path / "l.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in paras))
    (tmp_path / "l.json").write_text(json.dumps([{"text": t} for t in paras]))
    for name, fmt in (("l.parquet", "parquet"), ("l.jsonl", "jsonl"), ("l.json", "json")):
        docs, q, _ = read(tmp_path / name, fmt)
        assert [d.text for d in docs] == ["para one\npara two", "solo"] and not q, fmt


# -- 10. one document a line ---------------------------------------------------------------------
def test_text_with_one_document_a_line_streams_each_line_as_a_document(tmp_path, monkeypatch):
    import pipeline.readers.rows as rows_mod
    p = tmp_path / "clue_corpus_part1.txt"
    lines = ["第一篇文档，一行一个。", "", "second document", "x" * 300, "caf\u00e9 latin-1 line"]
    p.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines[:4]).encode() + b"\r\n" + lines[4].encode("cp1252") + b"\n")
    monkeypatch.setattr(rows_mod, "read_whole", lambda *a, **k: pytest.fail("the file was read whole"))
    docs, q, counters = read(p, "text", documents="line", max_doc_bytes=200)   # the file is over it: lines are not
    assert [d.id for d in docs] == [f"s/{p}#1", f"s/{p}#3", f"s/{p}#5"]
    assert [d.text for d in docs] == [lines[0], lines[2], lines[4]] and docs[2].metadata["charset"]
    assert [(i.reason, i.offset) for i in q] == [("too_large", 4)] and counters == {"text_legacy_charset": 1}
    monkeypatch.undo()
    docs, _, _ = read(p, "text")                                   # the default: one document a file
    assert len(docs) == 1 and docs[0].id == f"s/{p}"
    with pytest.raises(ValueError):
        SourceConfig(name="s", format="text", paths=[str(p)], documents="paragraph")


def test_a_json_document_given_as_jsonl_is_read_as_json_and_damaged_json_lines_stay_lines(tmp_path):
    objs = [{"id": f"r{i}", "text": f"row {i}"} for i in range(6)]
    cases = {"array.json": json.dumps(objs, indent=2), "minified.jsonl": json.dumps(objs),
             "dumped.jsonl": "".join(json.dumps(o, indent=2) + "\n" for o in objs)}
    for name, body in cases.items():
        (tmp_path / name).write_text(body)
        docs, q, counters = read(tmp_path / name, "jsonl", id_field="id")
        # Before, every line was a bad row (array.json: 26 quarantined) and the run stopped on them.
        assert [(d.id, d.text) for d in docs] == [(f"s/r{i}", f"row {i}") for i in range(6)] and not q, name
        assert counters["jsonl_read_as_json"] == 1
    # JSON Lines whose first row is damaged (a lone `{` line too) are still read line by line.
    for first in ('{"text": "cut\n', "{\n"):
        (tmp_path / "rows.jsonl").write_text(first + rows(4))
        docs, q, counters = read(tmp_path / "rows.jsonl", "jsonl")
        assert [d.text for d in docs] == [f"row {i}" for i in range(4)] and [i.reason for i in q] == ["bad_json"]
        assert "jsonl_read_as_json" not in counters


@pytest.mark.parametrize("fmt, extra", [("code", {"layout": "rows"}), ("json", {}), ("arrow", {})])
def test_a_datasets_folder_s_own_description_is_no_rows(tmp_path, fmt, extra):
    """`datasets`' save_to_disk writes dataset_info.json and state.json beside its Arrow shards
    (a hub snapshot: dataset_info.json beside data/): JSON, so a JSON row reader read them, and
    each was quarantined `missing_text`. A directory's listing skips them, counted; named, they
    are read."""
    import pyarrow.ipc as ipc
    folder = tmp_path / "saved"
    folder.mkdir()
    table = pa.table({"content": [f"def f{i}():\n    return {i}\n" for i in range(5)],
                      "text": [f"document {i} " * 20 for i in range(5)], "path": [f"f{i}.py" for i in range(5)]})
    with ipc.new_stream(folder / "data-00000-of-00001.arrow", table.schema) as w:
        w.write_table(table)
    if fmt == "json":
        (folder / "data.json").write_text(json.dumps(table.select(["text"]).to_pylist()))
    (folder / "dataset_info.json").write_text(json.dumps({"features": {"text": {"dtype": "string"}}}))
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    src = SourceConfig(name="s", format=fmt, paths=[str(folder)], **extra)
    state, items = ReadState(), []
    for path in expand_paths(str(folder)):
        items += list(read_source_file(src, path, state))
    assert not [i for i in items if not isinstance(i, Doc)]
    assert sum(isinstance(i, Doc) for i in items) == 5 and state.counters["skipped_dataset_metadata"] == 2
    named = SourceConfig(name="s", format="json", paths=[str(folder / "state.json")])
    assert list(read_source_file(named, str(folder / "state.json"), ReadState()))      # named: read
