"""Web readers on real-world layouts: a WARC folder with indexes beside the WARCs, a folder of
saved pages with their assets, Common Crawl's WET language labels, generic HTTP types that
Common Crawl's sniffer identified, and `text/plain` among `content_types`. Every WARC case is
read by both the per-record and the batch path (`batch_path_differs`)."""
from __future__ import annotations

import gzip
import re
import shutil
from collections import Counter

import pytest

from pipeline.documents import documents_table
from pipeline.readers import Doc, DocBatch, Quarantined, ReadState, expand_paths, read_source_file
from pipeline.readers.web import HtmlReader, WarcReader, WetReader
from pipeline.recipe import SourceConfig
from tests.test_ingest_batch import cc_file, members, with_response
from tests.test_ingest_fuzz import batch_path_differs

PAGE = b"<html><head><title>T</title></head><body><p>A page with a real paragraph of text.</p></body></html>"


def read_source(fmt: str, paths: list, batches: bool = False, **options):
    """Every file of a source as ingest reads it: (documents, quarantine reasons, counters)."""
    src = SourceConfig(name="s", format=fmt, paths=[str(p) for p in paths], **options)
    state, docs, quarantined = ReadState(), [], Counter()
    for pattern in src.paths:
        for path in expand_paths(pattern):
            for item in read_source_file(src, path, state, batches=batches):
                if isinstance(item, DocBatch):
                    docs.extend(item.docs())
                elif isinstance(item, Doc):
                    docs.append(item)
                elif isinstance(item, Quarantined):
                    quarantined[item.reason] += 1
    return docs, quarantined, state.counters


@pytest.fixture(scope="module")
def capture(shared_data) -> tuple[bytes, list[bytes]]:
    """cc_whirlwind's warcinfo, and its capture: request, response, metadata."""
    recs = members(shared_data / "warc" / "cc_whirlwind.warc.gz")
    return recs[0], recs[1:]


# -- 1. a WARC folder with other files beside the WARCs ------------------------------------------
def test_a_warc_folder_skips_indexes_and_readmes_but_reads_every_warc_name(shared_data, tmp_path):
    d = tmp_path / "crawl"
    d.mkdir()
    warcs = shared_data / "warc"
    shutil.copy(warcs / "cc_whirlwind.warc.gz", d / "CC-MAIN-20240518015810-20240518045810-00000.warc.gz")
    shutil.copy(warcs / "pywb_example.warc.gz", d / "PYWB-EXAMPLE.WARC.GZ")                # upper case
    shutil.copy(warcs / "node-warc_books.toscrape.warc", d / "books.warc")
    shutil.copy(warcs / "pywb_example.warc.gz", d / "heritrix-20240101-00001.warc.gz.open")  # still written
    (d / "index.cdx").write_text(" CDX N b a m s k r M S V g\ncom,example)/ 20140103030321 http://example.com "
                                 "text/html 200 ABC - - 1043 333 example.warc.gz\n")
    (d / "index.cdxj").write_text('com,example)/ 20140103030321 {"url": "http://example.com/", "status": "200"}\n')
    (d / "warc.paths.gz").write_bytes(gzip.compress(b"crawl-data/CC-MAIN-2024-22/segments/x/warc/a.warc.gz\n"))
    (d / "README.md").write_text("# crawl\n")
    docs, q, counters = read_source("warc", [d])
    assert not q                                    # was: garbage_between_records for each of the four
    assert counters["skipped_not_warc_file"] == 4
    assert {doc.metadata["warc_file"] for doc in docs} == {
        "CC-MAIN-20240518015810-20240518045810-00000.warc.gz", "PYWB-EXAMPLE.WARC.GZ", "books.warc",
        "heritrix-20240101-00001.warc.gz.open"}
    # the batch path lists the same files
    assert read_source("warc", [d], batches=True)[2] == counters
    # a file named on its own is read whatever its name (here: as the damage it is)
    _, q, counters = read_source("warc", [d / "index.cdx"])
    assert q and "skipped_not_warc_file" not in counters
    # WET over a folder skips alike
    shutil.copy(warcs / "cc_whirlwind.warc.wet.gz", d / "CC-MAIN-x-00000.warc.wet.gz")
    docs, q, counters = read_source("wet", [d])
    assert len([doc for doc in docs if doc.text]) == 1 and counters["skipped_not_wet_file"] == 4


def test_warc_data_suffixes_cover_every_name_the_reader_opens():
    for name in ("a.warc", "a.warc.gz", "a.WARC.GZ", "a.arc", "a.arc.gz", "a.warc.zst", "a.wacz", "a.warc.wet.gz",
                 "a.wet", "a.warc.wat.gz", "a.warc.gz.open", "a.warc.bz2"):
        assert name.lower().endswith(WarcReader.data_suffixes), name
        assert name.lower().endswith(WetReader.data_suffixes), name
    for name in ("index.cdx", "index.cdxj", "warc.paths.gz", "README.md", "a.cdx.gz", "pages.jsonl"):
        assert not name.lower().endswith(WarcReader.data_suffixes), name


# -- 2. a folder of saved pages ------------------------------------------------------------------
def test_a_folder_of_saved_pages_skips_their_assets(tmp_path):
    d = tmp_path / "saved"
    (d / "page_files").mkdir(parents=True)
    (d / "sub").mkdir()
    (d / "page.html").write_bytes(PAGE)
    (d / "OLD.HTM").write_bytes(PAGE.replace(b"real", "caf\xe9".encode("cp1252")))
    (d / "sub" / "x.xhtml").write_bytes(b'<?xml version="1.0"?>' + PAGE)
    (d / "sub" / "y.shtml").write_bytes(PAGE)
    (d / "sub" / "z.html.gz").write_bytes(gzip.compress(PAGE))
    (d / "page_files" / "style.css").write_text("body { color: red }\n")
    (d / "page_files" / "app.js").write_text("var x = 1;\n")
    (d / "page_files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (d / "page_files" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (d / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(50))
    (d / "notes.txt").write_text("remember to read these\n")
    docs, q, counters = read_source("html", [d])
    assert not q                                    # was: bad_encoding / not_html for every asset
    assert counters == {"skipped_not_html_file": 7}
    assert sorted(doc.metadata["file"].rsplit("/", 1)[-1] for doc in docs) == \
        ["OLD.HTM", "page.html", "x.xhtml", "y.shtml", "z.html.gz"]
    # named, or matched by a glob: read whatever the name (a mirror of extensionless pages)
    (d / "about").write_bytes(PAGE)
    docs, q, counters = read_source("html", [d / "about", d / "notes.txt"])
    assert len(docs) == 2 and not counters
    docs, _, _ = read_source("html", [f"{d}/*"])
    assert "about" in {doc.metadata["file"].rsplit("/", 1)[-1] for doc in docs}
    # a mirror's pages without a page's name ending (wget -r without --adjust-extension) are pages
    (d / "index.php?id=3").write_bytes(PAGE)
    docs, q, counters = read_source("html", [d])
    assert {"about", "index.php?id=3"} <= {doc.metadata["file"].rsplit("/", 1)[-1] for doc in docs}
    assert counters == {"skipped_not_html_file": 7} and not q
    assert "a.css.gz".endswith(HtmlReader.skip_suffixes) and not "page.xhtml.bz2".endswith(HtmlReader.skip_suffixes)


# -- 3. Common Crawl's language labels -----------------------------------------------------------
def test_wet_keeps_common_crawls_languages_and_the_record_it_refers_to(shared_data, tmp_path):
    docs, q, _ = read_source("wet", [shared_data / "warc" / "cc_whirlwind.warc.wet.gz"])
    assert len(docs) == 1 and not q
    assert docs[0].metadata["cc_languages"] == ["spa"]
    assert docs[0].metadata["warc_refers_to"] == "2aabeff2-67f5-4608-8466-e87c6296e2b6"
    # several labels, most likely first; a record without the header has no key
    info, conversion = members(shared_data / "warc" / "cc_whirlwind.warc.wet.gz")
    two = conversion.replace(b"WARC-Identified-Content-Language: spa", b"WARC-Identified-Content-Language: deu,eng")
    none = re.sub(rb"WARC-Identified-Content-Language: spa\r\n", b"", conversion)
    path = tmp_path / "x.warc.wet.gz"
    path.write_bytes(b"".join(gzip.compress(r) for r in (info, two, none)))
    docs, q, _ = read_source("wet", [path])
    assert [doc.metadata.get("cc_languages") for doc in docs] == [["deu", "eng"], None] and not q
    assert sorted(docs[0].metadata) == ["cc_languages", "charset", "warc_date", "warc_file", "warc_offset",
                                        "warc_refers_to"]


def test_a_warc_response_with_a_language_label_keeps_it_on_both_paths(capture, tmp_path):
    info, (request, response, metadata) = capture
    labelled = with_response(response, warc=(b"WARC-Identified-Payload-Type: text/html",
                                             b"WARC-Identified-Payload-Type: text/html\r\n"
                                             b"WARC-Identified-Content-Language: arg,spa"))
    path = cc_file(tmp_path / "cc.warc.gz", info, [[request, response, metadata], [request, labelled, metadata]])
    assert not batch_path_differs(path)
    docs, _, _ = read_source("warc", [path], batches=True)
    assert [d.metadata.get("cc_languages") for d in docs] == [None, ["arg", "spa"]]
    assert sorted(docs[0].metadata) == ["charset", "content_type", "warc_date", "warc_file", "warc_offset"]


# -- 4. generic HTTP types with Common Crawl's identified type -----------------------------------
def _typed(response: bytes, http_type: bytes | None, identified: bytes | None, body: bytes | None = None) -> bytes:
    head = response.partition(b"\r\n\r\n")[2].partition(b"\r\n\r\n")[0]
    ctype = re.compile(rb"(?im)^content-type:[^\r\n]*")
    head = ctype.sub(b"Content-Type: " + http_type if http_type else b"X-No: type", head)
    ident = b"WARC-Identified-Payload-Type: text/html"
    out = with_response(response, head=head, body=body,
                        warc=(ident, b"WARC-Identified-Payload-Type: " + identified) if identified else
                        (b"\r\n" + ident, b""))
    assert (b"WARC-Identified-Payload-Type: " + identified if identified else b"Identified-Payload") in out \
        or not identified
    assert identified or b"Identified-Payload" not in out.partition(b"\r\n\r\n")[0]
    return out


def test_a_generic_http_type_is_read_by_the_identified_payload_type(capture, tmp_path):
    info, (request, response, metadata) = capture
    body = b"\n\n   " + PAGE                          # starts with blanks: no `<` sniffed from the start
    cases = [_typed(response, b"application/octet-stream", b"text/html", body),        # read
             _typed(response, b"binary/octet-stream; charset=utf-8", b"text/html", body),  # read
             _typed(response, None, b"application/xhtml+xml", b"%!junk " + PAGE),        # read: no type at all
             _typed(response, b"application/octet-stream", b"image/png", body),           # not wanted
             _typed(response, b"application/octet-stream", None, body),                   # read: sniffed as a page
             _typed(response, b"text/plain", b"text/html", body),                          # read: identified html
             _typed(response, b"image/jpeg", b"text/html", body)]                           # a declared image stays
    path = cc_file(tmp_path / "cc.warc.gz", info, [[request, r, metadata] for r in cases])
    assert not batch_path_differs(path)
    for batches in (False, True):
        docs, q, counters = read_source("warc", [path], batches=batches)
        assert len(docs) == 5 and [d.metadata["content_type"] for d in docs][:3] == \
            ["text/html", "text/html", "application/xhtml+xml"]
        assert not q and counters["skipped_not_html"] == 2 and counters["content_type_identified"] == 4
        assert all(b"real paragraph" in d.html for d in docs)


# -- 5. text/plain among content_types -----------------------------------------------------------
def test_text_plain_responses_become_text_documents_that_extract_passes_through(capture, tmp_path):
    info, (request, response, metadata) = capture
    words = b"A plain text article. It has sentences, and more of them.\n" * 5
    cases = [response,
             _typed(response, b"text/plain; charset=utf-8", b"text/plain", words),
             _typed(response, b"application/octet-stream", b"text/plain", words),
             _typed(response, b"text/plain", b"text/plain", gzip.compress(words))]     # undeclared gzip
    path = cc_file(tmp_path / "cc.warc.gz", info, [[request, r, metadata] for r in cases])
    types = ["text/html", "text/plain"]
    assert not batch_path_differs(path, content_types=types)
    docs, q, counters = read_source("warc", [path], batches=True, content_types=types)
    assert not q and [d.metadata["content_type"] for d in docs] == ["text/html"] + ["text/plain"] * 3
    assert docs[0].html and docs[0].text is None
    assert all(d.html is None and d.text_str == words.decode() for d in docs[1:])
    assert counters["undeclared_gzip"] == 1
    # extract keeps the text documents as they are (was: not_html)
    from stages.extract import Extract
    table = documents_table([dict(id=d.id, source="s", url=d.url, text=d.text_str, html=d.html_str,
                                  metadata=d.metadata) for d in docs])
    result = Extract()(table)
    assert result.quarantined is None or result.quarantined.num_rows == 0
    kept = result.kept.to_pylist()
    assert len(kept) == 4 and [r["text"] for r in kept[1:]] == [words.decode()] * 3
    # without text/plain wanted they are counted, as before
    _, q, counters = read_source("warc", [path])
    assert not q and counters["skipped_not_html"] == 3
