"""Readers on real WARC/JSONL files, and on the same files damaged in the ways crawls are."""
import gzip
import json
import zlib
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.recipe import SourceConfig


def read(fmt, path, **kw):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], **kw)
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    docs = [i for i in items if isinstance(i, Doc)]
    quarantined = Counter(i.reason for i in items if isinstance(i, Quarantined))
    return docs, quarantined, state.counters


def members(path):
    """Split a per-record gzip WARC into its raw gzip members."""
    raw = path.read_bytes()
    out, pos = [], 0
    import zlib
    while pos < len(raw):
        d = zlib.decompressobj(wbits=31)
        d.decompress(raw[pos:])
        end = len(raw) - len(d.unused_data)
        out.append(raw[pos:end])
        pos = end
    return out


def test_sample_warc_all_pages_with_urls(shared_data):
    docs, q, counters = read("warc", shared_data / "warc" / "sample_pages.warc.gz")
    index = (shared_data / "warc" / "sample_pages.index.tsv").read_text().splitlines()[1:]
    assert len(docs) == len(index) == 166 and not q
    assert {d.url for d in docs} == {line.split("\t")[2] for line in index}
    assert all(d.html_str and "<" in d.html_str for d in docs)
    assert counters == {"skipped_warcinfo": 1}


def test_common_crawl_layout_skips_non_pages_and_strips_http(shared_data):
    docs, q, counters = read("warc", shared_data / "warc" / "pywb_iana.warc.gz")
    assert counters["skipped_request"] == 171 and counters["skipped_revisit"] == 123
    assert counters["skipped_not_html"] > 0
    assert docs and all(not d.html_str.startswith("HTTP/") for d in docs)
    wet, _, _ = read("wet", shared_data / "warc" / "cc_whirlwind.warc.wet.gz")
    assert len(wet) == 1 and wet[0].text_str and wet[0].url.startswith("https://an.wikipedia.org")


def test_uncompressed_warc(shared_data):
    docs, q, _ = read("warc", shared_data / "warc" / "node-warc_books.toscrape.warc")
    assert len(docs) == 1 and "books.toscrape.com" in docs[0].url and not q


def test_corrupt_member_is_quarantined_and_reading_goes_on(shared_data, tmp_path):
    m = members(shared_data / "warc" / "sample_pages.warc.gz")
    bad = bytearray(m[10])
    bad[len(bad) // 2: len(bad) // 2 + 64] = b"\x00" * 64       # damage the deflate stream
    p = tmp_path / "damaged.warc.gz"
    p.write_bytes(b"".join(m[:10]) + bytes(bad) + b"".join(m[11:]))
    docs, q, _ = read("warc", p)
    assert q == {"corrupt_gzip": 1}
    assert len(docs) == 165


def test_truncated_file_and_garbage_between_records(shared_data, tmp_path):
    m = members(shared_data / "warc" / "sample_pages.warc.gz")
    p = tmp_path / "cut.warc.gz"
    p.write_bytes(b"".join(m[:5]) + m[5][: len(m[5]) // 2])
    docs, q, _ = read("warc", p)
    assert len(docs) == 4 and q == {"truncated_gzip": 1}     # m[0] is warcinfo

    raw = gzip.decompress(b"".join(m[:4]))
    p2 = tmp_path / "garbage.warc"
    first_end = raw.index(b"WARC/1.", 10)
    p2.write_bytes(raw[:first_end] + b"this is not a warc record\r\n\r\n" + raw[first_end:])
    docs, q, _ = read("warc", p2)
    assert len(docs) == 3 and q == {"garbage_between_records": 1}


def warc_record(url: str, body: bytes, ctype="text/html; charset=utf-8") -> bytes:
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n\r\n".encode() + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Record-ID: <urn:uuid:{abs(hash(url))}>\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode()
    return gzip.compress(head + http + b"\r\n\r\n")


def test_bad_encoding_empty_and_giant_pages(tmp_path):
    ok = "<html><body><p>Grüße aus Köln, ein ganz normaler Absatz.</p></body></html>".encode()
    p = tmp_path / "mixed.warc.gz"
    p.write_bytes(
        warc_record("http://a.example/ok", ok)
        + warc_record("http://a.example/bad", "<p>Grüße aus Köln. ".encode() * 5 + b"broken \x81</p>")
        + warc_record("http://a.example/empty", b"")
        + warc_record("http://a.example/giant", b"<p>" + b"x" * (50 * 1024 * 1024) + b"</p>")
        + warc_record("http://a.example/latin", "<p>café</p>".encode("cp1252"), "text/html; charset=iso-8859-1")
        + warc_record("http://a.example/binary", zlib.compress(ok * 50, 9) * 3)
        + warc_record("http://a.example/ok2", ok))
    docs, q, counters = read("warc", p)
    # A few broken bytes keep the page (flagged); bytes that decode to garbage do not.
    assert [d.url.rsplit("/", 1)[1] for d in docs] == ["ok", "bad", "latin", "ok2"]
    assert docs[1].metadata["flags"] == ["decoded_lossy"] and counters["decoded_lossy"] == 1
    assert "broken" in docs[1].html_str and "café" in docs[2].html_str
    # a 200 with no body at all (a HEAD request's capture) is skipped and counted, not damage
    assert q == {"bad_encoding": 1, "too_large": 1} and counters["skipped_empty_body"] == 1


def test_empty_file(tmp_path):
    p = tmp_path / "empty.warc.gz"
    p.write_bytes(b"")
    docs, q, _ = read("warc", p)
    assert not docs and q == {"empty_file": 1}


def test_jsonl_gz_zst_bad_lines_and_truncation(shared_data, tmp_path):
    src = shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    lines = gzip.decompress(src.read_bytes()).splitlines()
    docs, q, _ = read("jsonl", src, id_field="id")
    assert len(docs) == len(lines) and docs[0].id == "s/" + json.loads(lines[0])["id"]
    assert "language" in docs[0].metadata["metadata"]

    zst = tmp_path / "x.jsonl.zst"
    body = b"\n".join(lines[:3] + [b"{not json", b'{"text": 5}', b"\xff\xfe bad", b'{"text": ""}'] + lines[3:5])
    zst.write_bytes(zstandard.ZstdCompressor().compress(body))
    docs, q, _ = read("jsonl", zst)
    assert len(docs) == 5
    assert q == {"bad_json": 1, "missing_text": 1, "bad_encoding": 1, "empty_document": 1}

    cut = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(b"\n".join(lines))
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    docs, q, _ = read("jsonl", cut)
    assert 0 < len(docs) < len(lines) and q == {"corrupt_compression": 1}


def test_parquet_and_fsspec_url(tmp_path):
    t = pa.table({"content": ["first document", "second document"], "doc": ["a", "b"], "lang": ["en", "en"]})
    p = tmp_path / "x.parquet"
    pq.write_table(t, p)
    docs, q, _ = read("parquet", f"file://{p}", text_field="content", id_field="doc")
    assert [(d.id, d.text_str, d.metadata) for d in docs] == [("s/a", "first document", {"lang": "en"}),
                                                         ("s/b", "second document", {"lang": "en"})]


def test_utf8_page_that_declares_gb2312_is_read_as_utf8_and_real_gbk_still_decodes(tmp_path):
    zh = "<html><head><meta charset='gb2312'></head><body><p>中文网页的正文内容。</p></body></html>"
    p = tmp_path / "zh.warc.gz"
    p.write_bytes(warc_record("http://zh.example/u", zh.encode("utf-8"), "text/html")
                  + warc_record("http://zh.example/g", zh.encode("gb18030"), "text/html"))
    docs, q, _ = read("warc", p)
    assert not q and [("中文网页的正文内容" in d.html_str) for d in docs] == [True, True]
    assert [d.metadata["charset"] for d in docs] == ["utf-8", "gb18030"]


def test_html_and_text_files(shared_data, tmp_path):
    page = shared_data / "html" / "moby" / "moby.html"
    docs, q, _ = read("html", page)
    assert len(docs) == 1 and "<" in docs[0].html_str and not q
    txt = tmp_path / "a.txt.gz"
    import gzip as gz
    txt.write_bytes(gz.compress("plain text document".encode()))
    (tmp_path / "bad.txt.gz").write_bytes(gz.compress(b"x" * 100)[:-8] + b"garbage!")
    docs, q, _ = read("text", txt)
    assert [d.text_str for d in docs] == ["plain text document"] and not q
    docs, q, _ = read("text", tmp_path / "bad.txt.gz")
    assert not docs and q == {"corrupt_compression": 1}


def test_text_files_in_legacy_charsets(shared_data, tmp_path):
    """Chinese .txt corpora are often GBK, Traditional ones Big5: read in their charset, counted,
    named in the metadata; a UTF-8 file with Latin-1 bytes pasted in keeps its UTF-8 lines."""
    gold = json.loads((shared_data / "zh/html/magic_html/ground-truth.json").read_text(encoding="utf-8"))
    text = max((v["content"] for v in gold.values()),
               key=lambda t: sum("\u4e00" <= c <= "\u9fff" for c in t))[:3000]
    cases = {"gbk.txt": (text.encode("gbk", "ignore"), "gb18030"),
             "big5.txt": (text.encode("big5", "ignore"), "big5hkscs"),
             "mixed.txt": (text.encode() + "\nCaf\u00e9 cr\u00e8me\n".encode("latin-1"), "utf-8+cp1252")}
    for name, (body, charset) in cases.items():
        (tmp_path / name).write_bytes(body)
        docs, q, counters = read("text", tmp_path / name)
        assert not q and docs[0].metadata["charset"] == charset and counters == {"text_legacy_charset": 1}
        own = body.decode("gbk" if name == "gbk.txt" else "big5" if name == "big5.txt" else "utf-8", "ignore")
        assert own.splitlines()[0] == docs[0].text_str.splitlines()[0]
    assert "Caf\u00e9 cr\u00e8me" in docs[0].text_str


def test_text_files_in_utf16_without_a_bom(shared_data, tmp_path):
    """UTF-16 text whose characters are ASCII is valid UTF-8 byte for byte (a NUL after each): it
    came out as text with a NUL between every two letters. Now decoded, counted, charset named."""
    gold = json.loads((shared_data / "html/scrapinghub/ground-truth.json").read_text())
    text = next(iter(gold.values()))["articleBody"][:2000]
    for enc in ("utf-16-le", "utf-16-be"):
        (tmp_path / f"{enc}.txt").write_bytes(text.encode(enc))
        docs, q, counters = read("text", tmp_path / f"{enc}.txt")
        assert not q and docs[0].text_str == text and docs[0].metadata["charset"] == enc
        assert counters == {"text_wide_unicode": 1}


def test_pages_as_utf8_bytes_make_the_same_table_and_text_as_str(shared_data, tmp_path):
    """Web readers hand pages on as validated UTF-8 bytes: the document table built from them (zero
    copy), its Parquet file and the extracted text are identical to those built from the str."""
    from pipeline.documents import documents_table
    from stages.extract import Extract
    docs, _, _ = read("warc", shared_data / "warc" / "sample_pages.warc.gz")
    # pages cut out of their gzip member in place (bytearray), the two transcoded ones bytes
    assert {type(d.html) for d in docs} == {bytes, bytearray}
    docs = docs[:12]
    as_bytes = [{"id": d.id, "source": "s", "url": d.url, "html": d.html, "metadata": d.metadata} for d in docs]
    as_str = [{**r, "html": r["html"].decode("utf-8")} for r in as_bytes]
    mixed = [{**r, "html": None} if i == 3 else s if i % 2 else r for i, (r, s) in enumerate(zip(as_bytes, as_str))]
    t_bytes, t_str, t_mixed = documents_table(as_bytes), documents_table(as_str), documents_table(mixed)
    t_bytes.validate(full=True)
    assert t_bytes.equals(t_str) and t_bytes.column("html").to_pylist() == [d.html_str for d in docs]
    assert t_mixed.column("html").to_pylist() == [None if i == 3 else d.html_str for i, d in enumerate(docs)]
    for name, t in (("bytes", t_bytes), ("str", t_str)):
        pq.write_table(t, tmp_path / f"{name}.parquet")
    assert pq.read_table(tmp_path / "bytes.parquet").equals(pq.read_table(tmp_path / "str.parquet"))
    kept_bytes, kept_str = Extract()(t_bytes).kept, Extract()(t_str).kept
    assert kept_bytes.num_rows >= 10 and kept_bytes.equals(kept_str)


def test_http_heads_parsed_at_once_equal_line_by_line(shared_data, monkeypatch):
    """The one-regex parse of plain `Name: value` heads gives what the line-by-line parse gives, on
    the real heads of the shared crawls and on heads with every quirk the line loop knows."""
    import io

    from fastwarc.warc import ArchiveIterator

    from pipeline.readers import http
    blocks = [r.reader.read() for p in ("pywb_iana.warc.gz", "dolma_sample-0000.warc.gz", "sample_pages.warc.gz")
              for r in ArchiveIterator(str(shared_data / "warc" / p), parse_http=False)
              if r.headers.get("WARC-Type") == "response"]
    quirks = [b"A: b", b"X:   y \t", b"  folded", b"\tfold", b"Bad Name: z", b"noline", b"K: caf\xe9", b"K:\x0bv",
              b"Z" * 90 + b": v", b"Set-Cookie: a=1", b"Set-Cookie: a=2"]
    for i in range(len(quirks)):
        for end in (b"\r\n", b"\n", b"\r\r\n"):
            lines = quirks[i:] + quirks[:i]
            blocks.append(b"HTTP/1.1 200 OK\r\n" + b"Date: x\r\n" * 6 + end.join(lines) + end + end + b"<html>\r\n\r\nx")
            blocks.append(b"HTTP/1.1 200 OK\r\n" + b"Date: x\r\n" * 6 + b"<html>" + end.join(lines))
    assert len(blocks) > 200

    def parse(run):
        monkeypatch.setattr(http, "PLAIN_RUN", run)
        out = [http.parse_http_stream(io.BytesIO(b)) for b in blocks]
        return [(r.status, r.headers, r.body, n) for r, n in out]
    at_once = parse(1)
    assert at_once == parse(10 ** 6)                     # never at once: line by line
    assert sum(len(h) >= 15 for _, h, _, _ in at_once) >= 15   # real crawl heads of ~20 lines


def test_a_reader_that_fails_mid_file_quarantines_the_rest_not_the_run(tmp_path, monkeypatch):
    """Input no reader rule foresaw makes a reader raise: the documents read before stay, the rest
    of the file is one `reader_error` quarantine item naming the file and the exception; a storage
    error (OSError) still stops the read, as a failure."""
    p = tmp_path / "rows.jsonl"
    p.write_text("".join(json.dumps({"id": str(i), "text": f"document {i}"}) + "\n" for i in range(5)))
    src = SourceConfig(name="s", format="jsonl", paths=[str(p)])
    reader_cls = type(src.reader)
    real = reader_cls.read

    def failing(error):
        def read(self, path, src, state):
            for i, item in enumerate(real(self, path, src, state)):
                if i == 2:
                    raise error
                yield item
        return read

    monkeypatch.setattr(reader_cls, "read", failing(KeyError("surprise")))
    items = list(read_source_file(src, str(p), ReadState()))
    assert [d.text_str for d in items[:2]] == ["document 0", "document 1"] and len(items) == 3
    assert items[2].reason == "reader_error" and str(p) in items[2].detail and "KeyError" in items[2].detail
    monkeypatch.setattr(reader_cls, "read", failing(OSError("connection reset")))
    with pytest.raises(OSError):
        list(read_source_file(src, str(p), ReadState()))


def test_parquet_text_column_stored_as_binary(tmp_path):
    """Parquet written without the UTF-8 annotation (Hive, Impala, some Spark jobs) holds its text
    column as binary: every row was quarantined as missing_text. Now UTF-8 rows are read, a legacy
    charset is read as a text file's would be (counted), the column's kind is counted."""
    texts = ["plain English row", "中文的一行文字，足够长以便判断。" * 3, "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, d\u00e9j\u00e0 vu"]
    raw = [texts[0].encode(), texts[1].encode(), texts[2].encode("cp1252")]
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": pa.array(raw, pa.binary())}), tmp_path / "b.parquet")
    docs, q, counters = read("parquet", tmp_path / "b.parquet", id_field="id")
    assert not q and [d.text_str for d in docs] == texts
    assert counters == {"binary_text_column": 3, "text_legacy_charset": 1} and docs[2].metadata["charset"] == "cp1252"


def test_an_empty_file_in_a_tree_of_files_is_ordinary(tmp_path):
    """An empty __init__.py in a checkout, an unused empty .bib beside a paper, or an empty JSON
    Lines shard (a writer's partition that kept no row, as a 0-row Parquet file) is counted as
    skipped; in a format whose files hold records (WARC, code rows) it stays bad input."""
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    (tmp_path / "pkg").mkdir()
    empty = tmp_path / "pkg" / "__init__.py"
    empty.write_bytes(b"")
    rows = tmp_path / "rows.jsonl"          # (a row format skips names starting with `_` as markers)
    rows.write_bytes(b"")
    for fmt, extra, quarantined in (("code", {}, False), ("latex", {}, False), ("jsonl", {}, False),
                                    ("code", {"layout": "rows"}, True)):
        # (code rows skip markers as the row formats do: `__init__.py` would be one)
        empty = rows if fmt == "jsonl" or extra else tmp_path / "pkg" / "__init__.py"
        src = SourceConfig(name="s", format=fmt, paths=[str(empty)], **extra)
        state = ReadState()
        items = list(read_source_file(src, str(empty), state))
        assert [i.reason for i in items] == (["empty_file"] if quarantined else []), fmt
        assert state.counters.get("skipped_empty_file", 0) == (0 if quarantined else 1), fmt


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_shards_of_no_rows_are_skipped_and_do_not_count_as_files_lost(tmp_path, fmt):
    """Sharded JSON Lines output where some partitions kept nothing (0 bytes, an empty gzip
    stream, blank lines, `[]`): each empty shard is counted `skipped_empty_file`, and the source
    is not stopped as "files lost whole"; a source of empty shards only still stops the run."""
    import gzip
    from pipeline.checks import quarantine_verdict
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    files = {"part-0.jsonl.gz": gzip.compress(b'{"text": "one row"}\n{"text": "two rows"}\n'),
             "part-1.jsonl": b"", "part-2.jsonl.gz": gzip.compress(b""), "part-3.jsonl": b"\n \n",
             "part-4.json": b"[]", "part-5.jsonl.gz": gzip.compress(b"\n")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    src = SourceConfig(name="s", format=fmt, paths=[str(tmp_path)])
    state, docs, items = ReadState(), 0, []
    for name in files:
        for item in read_source_file(src, str(tmp_path / name), state):
            docs += isinstance(item, Doc)
            items += [] if isinstance(item, Doc) else [item]
    assert (docs, items, state.counters.get("skipped_empty_file")) == (2, [], 5)
    assert quarantine_verdict("s", docs, {}, 0.5, state.counters, fmt, files=1, lost_files={}) is None
    assert "no documents" in quarantine_verdict("s", 0, {}, 0.5, {"skipped_empty_file": 5}, fmt)


def test_odd_json_values_cost_their_line_only(tmp_path):
    """A lone UTF-16 surrogate escape (valid JSON, no UTF-8), an integer of 5,000 digits and deep
    nesting: the line's surrogate becomes U+FFFD (counted), the other two lines are bad_json, and
    every line after them is read."""
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    lines = ['{"id": "a", "text": "emoji half \\ud83d here", "meta": {"k": "x\\udc00"}}',
             '{"id": "b", "text": "big", "n": ' + "9" * 5000 + '}',
             '{"id": "c", "text": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + '}',
             '{"id": "d", "text": "a pair stays \\ud83d\\ude00"}', '{"id": "e", "text": "last"}']
    p = tmp_path / "odd.jsonl"
    p.write_text("\n".join(lines) + "\n")
    src = SourceConfig(name="s", format="jsonl", paths=[str(p)])
    state = ReadState()
    items = list(read_source_file(src, str(p), state))
    texts = [i.text for i in items if isinstance(i, Doc)]
    assert texts == ["emoji half \ufffd here", "a pair stays \U0001F600", "last"]
    assert [(i.reason, i.offset) for i in items if isinstance(i, Quarantined)] == [("bad_json", 2), ("bad_json", 3)]
    assert state.counters["lone_surrogates_replaced"] == 2


def test_parquet_metadata_of_every_arrow_type_reaches_the_table(tmp_path):
    """Timestamps, dates, decimals and binary columns (FineWeb-derived Parquet has a timestamp[us]
    column) travel in the metadata as JSON instead of stopping the run."""
    import datetime
    import decimal
    import json
    import pyarrow.parquet as pq
    from pipeline.documents import documents_table
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    t = pa.table({"text": ["one", "two"], "ts": pa.array([datetime.datetime(2024, 5, 1, 12, 30), None], pa.timestamp("us")),
                  "day": pa.array([datetime.date(2024, 5, 1)] * 2, pa.date32()),
                  "price": pa.array([decimal.Decimal("1.50")] * 2, pa.decimal128(5, 2)),
                  "raw": pa.array([b"caf\xc3\xa9", b"\xff\x00"], pa.binary())})
    p = tmp_path / "typed.parquet"
    pq.write_table(t, p)
    src = SourceConfig(name="s", format="parquet", paths=[str(p)])
    docs = [i for i in read_source_file(src, str(p), ReadState()) if isinstance(i, Doc)]
    table = documents_table([{"id": d.id, "source": "s", "text": d.text, "metadata": d.metadata} for d in docs])
    md = [json.loads(m) for m in table.column("metadata").to_pylist()]
    assert md[0]["ts"] == "2024-05-01T12:30:00" and md[0]["day"] == "2024-05-01" and md[0]["price"] == "1.50"
    assert md[0]["raw"] == "café" and md[1]["raw"] == "ff00"


def test_json_lines_under_a_json_name_and_max_doc_bytes_in_bytes(tmp_path):
    """Dolma's .json.gz and Hugging Face's to_json write JSON Lines: read as such (counted), not as
    one bad_json item hiding every row; max_doc_bytes counts UTF-8 bytes, as for every reader."""
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    p = tmp_path / "rows.json.gz"
    p.write_bytes(gzip.compress("\n".join(json.dumps({"id": str(i), "text": f"row {i}"}) for i in range(50)).encode()))
    state = ReadState()
    src = SourceConfig(name="s", format="json", paths=[str(p)])
    items = list(read_source_file(src, str(p), state))
    assert [i.text for i in items] == [f"row {i}" for i in range(50)] and state.counters["json_read_as_jsonl"] == 1
    cjk = tmp_path / "cjk.jsonl"
    cjk.write_text(json.dumps({"text": "汉" * 1500}, ensure_ascii=False) + "\n" + json.dumps({"text": "汉" * 600}) + "\n")
    src = SourceConfig(name="s", format="jsonl", paths=[str(cjk)], max_doc_bytes=2000)
    items = list(read_source_file(src, str(cjk), ReadState()))
    assert [getattr(i, "reason", None) for i in items] == ["too_large", None]     # 4,500 and 1,800 bytes


def test_files_cat_ed_together(tmp_path):
    """Two BOM-saved JSONL files joined with `cat`: the BOM in mid-file costs no row."""
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    part = lambda a, b: b"\xef\xbb\xbf" + b"".join(json.dumps({"text": f"row {i}"}).encode() + b"\n" for i in range(a, b))
    p = tmp_path / "joined.jsonl"
    p.write_bytes(part(0, 5) + part(5, 10))
    items = list(read_source_file(SourceConfig(name="s", format="jsonl", paths=[str(p)]), str(p), ReadState()))
    assert [i.text for i in items] == [f"row {i}" for i in range(10)]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_an_object_or_list_id_is_its_json_and_counted(tmp_path, fmt):
    """MongoDB exports keep `{"_id": {"$oid": ...}}`: the id is the value's JSON (the same from
    JSONL and Parquet), not Python's repr, and counted as the field may not be the one meant."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    rows = [{"_id": {"$oid": "65a1"}, "text": "one"}, {"_id": {"$oid": "65a2"}, "text": "two"}]
    path = tmp_path / f"rows.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], id_field="_id")
    state = ReadState()
    ids = [d.id for d in read_source_file(src, str(path), state)]
    assert ids == ['s/{"$oid":"65a1"}', 's/{"$oid":"65a2"}']
    assert state.counters["id_field_not_scalar"] == 2
