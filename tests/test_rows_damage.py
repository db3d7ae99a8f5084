"""Damaged row files (JSON arrays, plain text) cost the records the damage touches, said with a
reason; what came before it is kept. Each input is built here, at test time."""
import gzip
import json
import random
import tracemalloc
import zlib

import pytest

from tests.test_rows_layouts import read


_rng = random.Random(3)
CHAPTERS = [{"chapter": f"第{i}篇",      # varied text: a .gz of it is not tiny
             "paragraphs": ["子曰：" + "".join(chr(_rng.randrange(0x4e00, 0x9fa5)) for _ in range(80)), "有朋自远方来。"]}
            for i in range(20)]


def pretty(rows=CHAPTERS) -> bytes:
    """A JSON array as chinese-poetry publishes its classics: indented, CRLF, UTF-8."""
    return json.dumps(rows, ensure_ascii=False, indent=4).replace("\n", "\r\n").encode()


def texts(docs):
    return [d.text for d in docs]


def want(rows):
    return [f"{r['chapter']}\n" + "\n".join(r["paragraphs"]) for r in rows]


OPTS = dict(text_field="paragraphs", title_field="chapter")


# -- JSON: truncation --------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [0.5, 0.9, "last_bracket", "inside_a_character"])
def test_a_cut_json_array_keeps_the_rows_before_the_cut(tmp_path, cut):
    body = pretty()
    if cut == "last_bracket":
        body = body.rstrip()[:-1]
    elif cut == "inside_a_character":                       # the cut falls inside a 3-byte character
        at = body.index("有朋".encode(), len(body) // 2) + 1
        body = body[:at]
    else:
        body = body[:int(len(body) * cut)]
    (tmp_path / "lunyu.json").write_bytes(body)
    docs, q, _ = read(tmp_path / "lunyu.json", "json", **OPTS)
    complete = sum(1 for k in range(1, len(CHAPTERS) + 1)
                   if len(json.dumps(CHAPTERS[:k], ensure_ascii=False, indent=4).replace("\n", "\r\n").encode())
                   - 6 <= len(body))            # the k-th row's closing brace is in what is left
    assert texts(docs) == want(CHAPTERS[:complete]) and complete >= {0.5: 9, 0.9: 17, "last_bracket": 20}.get(cut, 9)
    assert [i.reason for i in q] == ["truncated_json"], q          # not bad_encoding: a cut is a cut
    assert "cut short" in q[0].detail and str(tmp_path / "lunyu.json") in q[0].detail


def test_a_cut_compressed_json_array_keeps_the_rows_before_the_damage(tmp_path):
    gz = gzip.compress(pretty())
    (tmp_path / "lunyu.json.gz").write_bytes(gz[:len(gz) * 2 // 3])
    docs, q, _ = read(tmp_path / "lunyu.json.gz", "json", **OPTS)
    assert len(docs) >= 8 and texts(docs) == want(CHAPTERS[:len(docs)])
    assert [i.reason for i in q] == ["corrupt_compression"]


# -- JSON: damage in the middle ----------------------------------------------------------------------
def test_a_syntax_error_or_a_stray_byte_in_a_json_array_costs_its_row_only(tmp_path):
    body = pretty()
    row7 = body.index("第7篇".encode())
    broken = body[:row7 - 3] + b"}" + body[row7 - 3:]              # a stray brace before the key: bad JSON
    (tmp_path / "broken.json").write_bytes(broken)
    docs, q, _ = read(tmp_path / "broken.json", "json", **OPTS)
    assert texts(docs) == want(CHAPTERS[:7] + CHAPTERS[8:])
    assert [(i.reason, i.id) for i in q] == [("bad_json", f"s/{tmp_path / 'broken.json'}#8")]
    assert "read on at the next row" in q[0].detail
    stray = body[:row7] + b"\xff" + body[row7:]                    # not UTF-8, inside row 8's title
    (tmp_path / "stray.json").write_bytes(stray)
    docs, q, _ = read(tmp_path / "stray.json", "json", **OPTS)
    assert texts(docs) == want(CHAPTERS[:7] + CHAPTERS[8:])
    assert [i.reason for i in q] == ["bad_encoding"] and "0xff" in q[0].detail and "row 8" in q[0].detail
    (tmp_path / "comma.json").write_bytes(body.rstrip()[:-1] + b",]")    # a trailing comma loses nothing
    docs, q, counters = read(tmp_path / "comma.json", "json", **OPTS)
    assert texts(docs) == want(CHAPTERS) and not q and counters == {"json_trailing_comma": 1}


# Rows as json.dump writes them: the whole array on one line. Row 20's text holds `}, {` (and
# row 30's a nested list of objects: neither is a row start).
ROWS = [{"text": f"row {i}: }}, {{\"x\": 1}} text" if i == 20 else f"row {i}", "id": i} for i in range(50)]
ROWS[30]["turns"] = [{"from": "a", "value": "hi"}, {"from": "b", "value": "yo"}, {"from": "a", "value": "ok"}]


def _row_span(body: str, n: int) -> tuple[int, int]:
    """Where row n starts and ends in `body` (an array of ROWS, one line or indented)."""
    start = body.rindex("{", 0, body.index(f'"row {n}'))
    return start, body.index(f'"id": {n}', start) + len(f'"id": {n}')


def _damaged(body: str, n: int, how: str) -> str:
    start, end = _row_span(body, n)
    if how == "quote":                                  # the text's opening quote deleted
        at = body.index('"row', start)
        return body[:at] + body[at + 1:]
    if how == "key_quote":                              # a key's closing quote deleted
        at = body.index('"id"', start) + 3
        return body[:at] + body[at + 1:]
    if how == "brace":                                  # the row's closing brace deleted
        at = body.index("}", end)
        return body[:at] + body[at + 1:]
    if how == "garbage":                                # bytes that are not JSON inside the row
        at = body.index('"id"', start)
        return body[:at] + "\x07#!garbage{{[" + body[at:]
    raise ValueError(how)


def _read_rows(tmp_path, body: str, name="rows.json"):
    (tmp_path / name).write_text(body)
    docs, q, counters = read(tmp_path / name, "json")
    return [int(d.text.split()[1].rstrip(":")) for d in docs], docs, q, counters


@pytest.mark.parametrize("how", ["quote", "key_quote", "brace", "garbage"])
@pytest.mark.parametrize("row", [20, 30])
def test_a_broken_row_in_a_one_line_json_array_costs_that_row_only(tmp_path, how, row):
    body = json.dumps(ROWS)
    assert "\n" not in body
    kept, docs, q, _ = _read_rows(tmp_path, _damaged(body, row, how))
    assert kept == [i for i in range(50) if i != row]           # was: rows 0..row-1, the rest one item
    assert [(i.reason, i.id, i.records) for i in q] == [("bad_json", f"s/{tmp_path / 'rows.json'}#{row + 1}", 1)]
    assert "read on at the next row" in q[0].detail
    start = _row_span(body, row)[0]                            # the item is the broken row, not the rest
    assert q[0].offset == start and q[0].size <= len(_damaged(body, row, how)) - len(body) + \
        _row_span(body, row + 1)[0] - start
    assert q[0].sample.decode().startswith("{") and '"row 31' not in q[0].sample.decode()
    # rows after it keep their numbers (ids): what the undamaged file gives them
    _, clean, _, _ = _read_rows(tmp_path, body, "clean.json")
    assert [d.id.split("#")[1] for d in docs] == [d.id.split("#")[1] for d in clean if d.text != ROWS[row]["text"]]


@pytest.mark.parametrize("how", ["quote", "key_quote", "brace", "garbage"])
def test_a_broken_row_in_a_pretty_printed_json_array_costs_that_row_only(tmp_path, how):
    # A closing brace lost made the next row's opening the error (`"id": 20\n  ,\n  {`): that row
    # was lost too, the search for a line-start row beginning after it. The item's sample was
    # 64 KB from the broken row on, the rows after it too; now it is the broken span.
    body = json.dumps(ROWS, indent=2)
    kept, docs, q, _ = _read_rows(tmp_path, _damaged(body, 20, how))
    assert kept == [i for i in range(50) if i != 20]
    assert [(i.reason, i.records) for i in q] == [("bad_json", 1)] and "read on at the next row" in q[0].detail
    sample = q[0].sample.decode()
    assert sample.startswith("{") and sample.rstrip().endswith(",") and '"row 21' not in sample
    assert q[0].size == len(q[0].sample) and q[0].offset == _row_span(body, 20)[0]


def test_two_broken_rows_in_a_row_are_one_item_counting_both(tmp_path):
    body = _damaged(_damaged(json.dumps(ROWS), 11, "brace"), 10, "key_quote")
    kept, docs, q, _ = _read_rows(tmp_path, body)
    assert kept == [i for i in range(50) if i not in (10, 11)]
    assert [(i.reason, i.id, i.records) for i in q] == [("bad_json", f"s/{tmp_path / 'rows.json'}#11", 2)]
    assert "1 more row in the span that does not parse" in q[0].detail
    assert docs[10].id.endswith("#13")                         # row 12 (0-based) keeps its number


def test_garbage_between_two_rows_of_a_one_line_json_array_loses_no_row(tmp_path):
    body = json.dumps(ROWS)
    at = _row_span(body, 21)[0] - 2                            # before `, ` and row 21
    garbage = ' \x00\x01@@ not json }}]] {{ "x" '
    kept, docs, q, _ = _read_rows(tmp_path, body[:at] + garbage + body[at:])
    assert kept == list(range(50))
    assert [i.reason for i in q] == ["bad_json"] and "',' or ']' expected after row 21" in q[0].detail
    assert q[0].sample == (garbage[1:] + ", ").encode() and q[0].size == len(q[0].sample)   # up to row 21's `{`


def test_a_broken_last_row_ends_at_the_arrays_closing_bracket(tmp_path):
    body = json.dumps(ROWS)
    broken = _damaged(body, 49, "garbage")
    assert broken.endswith("}]")
    kept, docs, q, _ = _read_rows(tmp_path, broken)
    assert kept == list(range(49)) and [i.reason for i in q] == ["bad_json"]
    assert "read on at the array's end" in q[0].detail and "rest of the file lost" not in q[0].detail
    assert q[0].offset + q[0].size == len(broken) - 1             # up to the `]`, not past it
    # another array after it, on a line of its own (`jq .` output): read too
    more = json.dumps([{"text": "row 50", "id": 50}], indent=2)
    kept, docs, q, counters = _read_rows(tmp_path, broken + "\n" + more)
    assert kept == list(range(49)) + [50] and len(q) == 1 and counters == {"json_concatenated_values": 1}


def test_a_one_line_json_file_of_brace_noise_is_read_to_its_end_in_linear_time(tmp_path):
    # 2 MB of `{{{{,{,{` between two rows: one item, the row after it read (was: lost with the
    # rest). Each place is tried once, parsed in a window: a JSONDecodeError counts the lines of
    # all the text held before it: a megabyte's at every few characters took up to a minute.
    rng = random.Random(5)
    noise = "".join(rng.choice("{{{{,{,{") for _ in range(2 << 20))
    kept, docs, q, _ = _read_rows(tmp_path, '[{"text": "row 0"}, ' + noise + ', {"text": "row 1"}]')
    assert kept == [0, 1]
    assert [(i.reason, i.records) for i in q] == [("bad_json", 1)] and q[0].size > 2 << 20
    assert len(q[0].sample) == 65536                            # the sample is bounded, the span is not
    # noise with quotes, keys and brackets in it, across pieces of text: still one item
    noise = "".join(rng.choice('{{{{,{,{"ab:]') for _ in range(3 << 20))
    kept, docs, q, _ = _read_rows(tmp_path, '[{"text": "row 0"}, ' + noise + ', {"text": "row 1"}]')
    assert kept == [0, 1] and [i.reason for i in q] == ["bad_json"]


# -- JSON: encodings -------------------------------------------------------------------------------
def test_a_utf16_json_file_is_transcoded_and_a_gbk_one_is_said_not_utf8(tmp_path):
    text = json.dumps(CHAPTERS, ensure_ascii=False, indent=2)
    (tmp_path / "u16.json").write_bytes(text.encode("utf-16"))    # with its BOM, as Windows tools write
    docs, q, _ = read(tmp_path / "u16.json", "json", **OPTS)
    assert texts(docs) == want(CHAPTERS) and not q
    (tmp_path / "gbk.json").write_bytes(text.encode("gbk"))
    docs, q, _ = read(tmp_path / "gbk.json", "json", **OPTS)
    # every row lost, said: rows whose GBK bytes parse are one item each; one that does not parse
    # is an item with those after it that do not parse either (its `records`)
    assert not docs and {i.reason for i in q} == {"bad_encoding"} and sum(i.records for i in q) == len(CHAPTERS)
    assert "is not UTF-8" in q[0].detail and "JSON is UTF-8" in q[0].detail


# -- JSON: bounded memory --------------------------------------------------------------------------
def test_a_huge_value_in_a_small_json_gz_is_skipped_in_bounded_memory(tmp_path, monkeypatch):
    import pipeline.readers.rows as rows_mod
    monkeypatch.setattr(rows_mod, "read_whole", lambda *a, **k: pytest.fail("the JSON file was read whole"))
    huge = 32 << 20
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    blob = z.compress(b'[{"text": "before"},\n {"text": "')
    blob += b"".join(z.compress(b"a" * (1 << 20)) for _ in range(huge >> 20))
    blob += z.compress(b'"},\n {"text": "after"}]') + z.flush()
    (tmp_path / "bomb.json.gz").write_bytes(blob)
    tracemalloc.start()
    try:
        docs, q, _ = read(tmp_path / "bomb.json.gz", "json", max_doc_bytes=1 << 16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert texts(docs) == ["before", "after"]
    assert [(i.reason, i.id) for i in q] == [("too_large", f"s/{tmp_path / 'bomb.json.gz'}#2")]
    assert peak < 16 << 20, peak                      # the 32 MB value was never held whole


def test_a_json_object_over_max_object_bytes_says_to_convert_to_json_lines(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"title": "t", "text": "x" * 5000}, indent=1))
    docs, q, _ = read(tmp_path / "one.json", "json", max_object_bytes=1000)
    assert not docs and [i.reason for i in q] == ["too_large"] and "JSON Lines" in q[0].detail
    # A wrapper whose rows are not where records_field names them is parsed whole, capped as well ...
    (tmp_path / "wrapped.json").write_text(json.dumps({"version": 1, "data": {"rows": [{"text": "x" * 100}] * 50}}))
    docs, q, _ = read(tmp_path / "wrapped.json", "json", records_field="data", max_object_bytes=1000)
    assert not docs and [i.reason for i in q] == ["too_large"]
    # ... while one whose rows are an array there is read a row at a time, whatever its size.
    (tmp_path / "wrapped.json").write_text(json.dumps({"version": 1, "data": [{"text": "x" * 100}] * 50}))
    for limit in (1000, 1 << 30):
        docs, q, _ = read(tmp_path / "wrapped.json", "json", records_field="data", max_object_bytes=limit)
        assert len(docs) == 50 and not q


# -- plain text: binary files and lines --------------------------------------------------------------
LINES = [f"line {i}: a sentence of plain text, one document a line." for i in range(200)]


def test_a_binary_text_file_is_quarantined_not_kept_as_documents(tmp_path):
    (tmp_path / "nul.txt").write_bytes(bytes(5000))
    (tmp_path / "random.txt").write_bytes(random.Random(7).randbytes(100_000))
    for name in ("nul.txt", "random.txt"):
        for documents in ("file", "line"):
            docs, q, _ = read(tmp_path / name, "text", documents=documents)
            assert not docs and [i.reason for i in q] == ["binary_file"], (name, documents, q)
            assert "NUL byte" in q[0].detail


def test_a_nul_run_in_a_text_file_read_a_line_a_document_costs_its_line(tmp_path):
    body = "\n".join(LINES).encode()
    at = body.index(b"line 100")
    (tmp_path / "holes.txt").write_bytes(body[:at] + bytes(5000) + body[at:])
    docs, q, _ = read(tmp_path / "holes.txt", "text", documents="line")
    assert texts(docs) == LINES[:100] + LINES[101:]
    assert [(i.reason, i.offset) for i in q] == [("binary_line", 101)]
    docs, q, _ = read(tmp_path / "holes.txt", "text")              # one document: the file is binary
    assert not docs and [i.reason for i in q] == ["binary_file"]
    # cut short within the lines that decide whether the file is binary: the lines before it stay
    gz = gzip.compress("\n".join(LINES[:10]).encode() + b"\n\0\0\0\n" + "\n".join(LINES[10:]).encode())
    (tmp_path / "cut.txt.gz").write_bytes(gz[:len(gz) // 4])
    docs, q, _ = read(tmp_path / "cut.txt.gz", "text", documents="line")
    assert 10 <= len(docs) < 63 and texts(docs) == LINES[:len(docs)]
    assert [i.reason for i in q] == ["binary_line", "corrupt_compression"]


# -- CR line ends ----------------------------------------------------------------------------------
def test_cr_line_ends_are_lines_in_text_and_json_lines(tmp_path):
    (tmp_path / "mac.txt").write_bytes("\r".join(LINES).encode() + b"\r")
    docs, q, counters = read(tmp_path / "mac.txt", "text", documents="line")
    assert texts(docs) == LINES and not q and counters == {"cr_line_ends": 1}
    rows = [{"text": line} for line in LINES]
    (tmp_path / "mac.jsonl").write_bytes("\r".join(json.dumps(r) for r in rows).encode() + b"\r")
    docs, q, counters = read(tmp_path / "mac.jsonl", "jsonl")
    assert texts(docs) == LINES and not q and counters == {"cr_line_ends": 1}
    (tmp_path / "dos.txt").write_bytes("\r\n".join(LINES).encode())   # CR LF: as before, not counted
    docs, q, counters = read(tmp_path / "dos.txt", "text", documents="line")
    assert texts(docs) == LINES and not q and counters == {}


def test_rows_of_nul_characters_are_not_documents(tmp_path):
    """A block of an Arrow file overwritten with zeros reads as rows of NUL characters (Arrow has no
    checksums): they were documents, dropped much later as an unknown language, unseen in the
    report. Text with a NUL run or 1% NULs is zeroed or binary data; a stray NUL is left alone."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    rng = random.Random(3)
    words = ["river", "stone", "lamp", "violet", "harbor", "ledger", "quiet", "meadow"]
    rows = [" ".join(rng.choices(words, k=rng.randint(40, 120))) for _ in range(400)]
    path = tmp_path / "rows.arrow"
    with ipc.new_file(str(path), pa.schema([("text", pa.string())])) as w:
        for i in range(0, 400, 100):
            w.write_batch(pa.record_batch([pa.array(rows[i:i + 100])], names=["text"]))
    raw = bytearray(path.read_bytes())
    at = raw.find(rows[150].encode())                  # inside the second batch's string data
    raw[at:at + 4096] = bytes(4096)
    path.write_bytes(bytes(raw))
    docs, q, _ = read(path, "arrow")
    assert docs and all("\0" not in d.text_str for d in docs)
    assert all(d.text_str in rows for d in docs)
    nul = [i for i in q if i.reason == "bad_encoding"]
    assert nul and all("NUL characters" in i.detail for i in nul)
    assert len(docs) + len(q) == 400
    # JSON Lines: escaped NULs are the same characters
    lines = [{"text": "a fine row " * 20}, {"text": "\u0000" * 300}, {"text": "half " * 50 + "\u0000" * 10},
             {"text": "one stray \u0000 in " + "a long enough row of ordinary words " * 10}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    docs, q, _ = read(tmp_path / "rows.jsonl", "jsonl")
    assert [d.text_str for d in docs] == [lines[0]["text"], lines[3]["text"]]
    assert [i.reason for i in q] == ["bad_encoding", "bad_encoding"]


@pytest.mark.parametrize("tail", [bytes(8192), b"<html>404 Not Found</html>\n" * 30])
def test_bytes_after_a_whole_columnar_file_cost_no_row(tmp_path, tail):
    """Zero padding or junk after a complete Parquet or Arrow file (a download tool's padding, an
    error page appended) hid the footer: every row was lost as one corrupt item. Now the footer is
    found before them (Parquet), the file format is read as the stream it holds (Arrow), and a
    stream's trailing bytes are counted, where they were ignored unseen; streams joined are read."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq
    texts_in = [f"row {i} " + "words of an ordinary row " * 5 for i in range(300)]
    table = pa.table({"text": texts_in})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=100)
    with ipc.new_file(str(tmp_path / "t.arrow"), table.schema) as w:
        w.write_table(table, max_chunksize=100)
    with ipc.new_stream(str(tmp_path / "t.arrows"), table.schema) as w:
        w.write_table(table, max_chunksize=100)
    for name, fmt, counter in (("t.parquet", "parquet", "junk_after_parquet_footer"),
                               ("t.arrow", "arrow", "arrow_file_read_as_stream"),
                               ("t.arrows", "arrow", "junk_after_arrow_stream")):
        p = tmp_path / name
        p.write_bytes(p.read_bytes() + tail)
        docs, q, counters = read(p, fmt)
        assert texts(docs) == texts_in and not q and counters.get(counter) == 1, name
    joined = tmp_path / "joined.arrows"
    with ipc.new_stream(str(tmp_path / "b.arrows"), table.schema) as w:
        w.write_table(table.slice(0, 50))
    joined.write_bytes((tmp_path / "t.arrows").read_bytes()[:-len(tail)] + (tmp_path / "b.arrows").read_bytes())
    docs, q, counters = read(joined, "arrow")
    assert texts(docs) == texts_in + texts_in[:50] and counters.get("arrow_streams_joined") == 1


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_a_columnar_file_under_format_jsonl_is_one_item(tmp_path, fmt):
    """A Parquet or Arrow file read with format: jsonl gave a bad row per line of its binary pages
    (1,658 items for 800 rows); it is one item naming the format to use."""
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as pq
    table = pa.table({"text": [f"row {i} of ordinary words" for i in range(800)]})
    p = tmp_path / "rows.jsonl"
    if fmt == "parquet":
        pq.write_table(table, p)
    else:
        feather.write_feather(table, p)
    docs, q, _ = read(p, "jsonl")
    assert not docs and [(i.reason, i.detail) for i in q] == [
        ("wrong_format", f"{p}: a {fmt} file, not JSON Lines: use format: {fmt}")]


def test_a_warc_under_jsonl_is_one_wrong_format_item(tmp_path, shared_data):
    """A crawl's .warc.gz named in a jsonl source gave a bad_json item per line of it (69,472 for
    one file), and the quarantine guard's stop line did not say why: one item now says it."""
    from pipeline.readers import Quarantined, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    path = str(shared_data / "warc" / "dolma_sample-0000.warc.gz")
    items = list(read_source_file(SourceConfig(name="s", format="jsonl", paths=[path]), path, ReadState()))
    assert [(i.reason, i.detail.split(": ", 1)[1]) for i in items if isinstance(i, Quarantined)] == \
        [("wrong_format", "a warc file, not JSON Lines: use format: warc")]
    assert len(items) == 1
