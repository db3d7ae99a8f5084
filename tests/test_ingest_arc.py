"""ARC files (pipeline/readers/arc.py): real records in ARC's framing, damaged the ways real files are.

Records are the real pages of the sample WARC and the real 2008 Heritrix crawl of archive.org
(dns, robots.txt, pages, images) whose WARC twin is in ../shared/data. Every intact record must
come out and every damaged one be counted: documents + skipped + quarantined = the records written.
"""
import gzip
import re

import pytest

from pipeline.readers.arc import parse_header
from tests.test_ingest_zoo import (accounted, block_of, gzip_members, intact, read, records,  # noqa: F401
                                    warcio_count)

V1 = b"1 1 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
V2 = (b"2 0 Alexa Internet\nURL IP-address Archive-date Content-type Result-code Checksum Location "
      b"Offset Filename Archive-length\n")


def captures(recs: list[bytes]) -> list[tuple[bytes, bytes, bytes]]:
    """(url, content type, block) of each response record of a WARC's inflated records."""
    out = []
    for rec in recs:
        head = rec.partition(b"\r\n\r\n")[0]
        if b"WARC-Type: response" not in head:
            continue
        url = re.search(rb"WARC-Target-URI: <?([^>\r\n]+)", head).group(1)
        block = block_of(rec)
        if url.startswith(b"dns:"):
            mime = b"text/dns"
        else:
            m = re.search(rb"(?i)\r?\ncontent-type:[ \t]*([^;\r\n]+)", block.partition(b"\r\n\r\n")[0])
            mime = m.group(1).strip().lower() if m else b"no-type"
        out.append((url, mime, block))
    return out


def arc_records(caps, version: bytes = V1, sep: bytes = b"\n", lengths: dict[int, int] | None = None
                ) -> list[bytes]:
    """One ARC record each (filedesc first); `lengths` overrides the length written for record i."""
    v2 = version.startswith(b"2")
    out = [b"filedesc://t.arc 0.0.0.0 20080430204825 text/plain %d\n" % len(version) + version + sep]
    for i, (url, mime, block) in enumerate(caps):
        n = (lengths or {}).get(i, len(block))
        fields = [url, b"207.241.229.39", b"20080430204826", mime]
        if v2:
            fields += [b"200", b"-", b"-", b"%d" % (1000 * i), b"t.arc"]
        out.append(b" ".join(fields) + b" %d\n" % n + block + sep)
    return out


def write_arc(tmp_path, recs: list[bytes], gz: bool, name: str = "t"):
    p = tmp_path / (name + (".arc.gz" if gz else ".arc"))
    p.write_bytes(b"".join(gzip.compress(r) for r in recs) if gz else b"".join(recs))
    return p


@pytest.fixture(scope="module")
def heritrix(shared_data):
    """The responses of the real 2008 Heritrix crawl (dns, robots.txt, pages, images)."""
    return captures(gzip_members(shared_data / "warc" / "ukwa_IAH-20080430204825-00000-blackbook-truncated.warc.gz"))


@pytest.fixture(scope="module")
def pages(records):
    return captures(records[1:13])


def html_of(docs) -> list[str]:
    return [d.html_str for d in docs]


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sep", [b"\n", b""], ids=["newline", "no-separator"])
def test_real_crawl_as_arc_with_and_without_newlines_between_records(heritrix, tmp_path, gz, sep):
    """Heritrix 1.x wrote ARCs with no newline after a record: warcio reads the first record
    and then fails; every record must be read."""
    docs, q, counters = read(write_arc(tmp_path, arc_records(heritrix, sep=sep), gz))
    expected, _, _ = read(write_arc(tmp_path, arc_records(heritrix), True, "reference"))
    assert not q and accounted(docs, q, counters) == len(heritrix) + 1
    assert counters["skipped_warcinfo"] == 1 and counters["skipped_dns"] >= 1
    assert len(docs) >= 2 and html_of(docs) == html_of(expected)


def test_arc_documents_are_the_warc_documents(records, intact, pages, tmp_path):
    """The same captures in ARC and WARC framing give the same pages, in order."""
    docs, q, counters = read(write_arc(tmp_path, arc_records(pages), True))
    assert not q and counters == {"skipped_warcinfo": 1}
    warc_ids = [re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in records[1:13]]
    assert html_of(docs) == [intact[i] for i in warc_ids]
    d = docs[0]
    assert d.url == pages[0][0].decode() and d.metadata["warc_date"] == "2008-04-30T20:48:26Z"


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("delta", [200, -200, 10 ** 12])
@pytest.mark.parametrize("sep", [b"\n", b""], ids=["newline", "no-separator"])
def test_wrong_length_never_swallows_or_loses_a_neighbour(pages, tmp_path, gz, delta, sep):
    """Without separators the next header begins right after the page's last byte, mid-line."""
    good, _, _ = read(write_arc(tmp_path, arc_records(pages), gz, "good"))
    bad = 4
    recs = arc_records(pages, sep=sep, lengths={bad: len(pages[bad][2]) + delta})
    docs, q, counters = read(write_arc(tmp_path, recs, gz))
    assert accounted(docs, q, counters) == len(pages) + 1
    assert not q and counters["length_mismatch"] == 1
    assert html_of(docs) == html_of(good)           # the damaged page too: the next header says where it ends


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sep", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_garbage_between_records_and_a_header_whose_length_is_no_number(pages, tmp_path, gz, sep):
    recs = arc_records(pages, sep=sep)
    good, _, _ = read(write_arc(tmp_path, recs, gz, "good"))
    recs.insert(3, b"\x00junk that is no record\n" * 50)
    recs.insert(6, pages[0][0] + b" 93.184.216.34 20080430204825 text/html abc\n\n")
    docs, q, counters = read(write_arc(tmp_path, recs, gz))
    assert q == {"garbage_between_records": 1, "malformed_record": 1}
    assert html_of(docs) == html_of(good)


def test_record_cut_off_by_the_end_of_the_file(pages, tmp_path):
    recs = arc_records(pages)
    p = write_arc(tmp_path, recs, False)
    p.write_bytes(p.read_bytes()[:-(len(pages[-1][2]) // 2)])
    good, _, _ = read(write_arc(tmp_path, recs[:-1], False, "good"))
    docs, q, counters = read(p)
    assert q == {"truncated_record": 1} and html_of(docs) == html_of(good)


def test_corrupt_member_costs_its_record_only(pages, tmp_path):
    recs = arc_records(pages)
    members = [gzip.compress(r) for r in recs]
    good, _, _ = read(write_arc(tmp_path, recs[:5] + recs[6:], True, "good"))
    m = bytearray(members[5])
    m[len(m) // 2: len(m) // 2 + 40] = b"\xff" * 40
    members[5] = bytes(m)
    p = tmp_path / "corrupt.arc.gz"
    p.write_bytes(b"".join(members))
    docs, q, counters = read(p)
    assert q == {"corrupt_gzip": 1} and html_of(docs) == html_of(good)


def test_version_2_headers_and_urls_with_spaces(pages, tmp_path):
    """Alexa's ten-field headers (version 2), and URLs holding spaces (warcio's example ARC)."""
    caps = [(url + b"?q=a b" if i == 2 else url, mime, block) for i, (url, mime, block) in enumerate(pages)]
    docs, q, counters = read(write_arc(tmp_path, arc_records(caps, version=V2), True))
    good, _, _ = read(write_arc(tmp_path, arc_records(pages), True, "good"))
    assert not q and html_of(docs) == html_of(good) and docs[2].url.endswith("?q=a b")


def test_header_lines():
    h = parse_header(b"http://a.org/x y 1.2.3.4 20080430204825 text/html 680", 5)
    assert (h.url, h.ip, h.date, h.mime, h.length) == ("http://a.org/x y", "1.2.3.4", "20080430204825", "text/html", 680)
    assert parse_header(b"http://a.org/ 1.2.3.4 20080430204825 text/html abc", 5).length is None
    assert parse_header(b"<html><body>not a header</body> 1 2 3 4", 5) is None
    assert parse_header(b"http://a.org/ 1.2.3.4 yesterday text/html 680", 5) is None
    v2 = b"http://a.org/ 1.2.3.4 20001102 text/html 200 abc http://b/ 4096 IA-1.arc 512"
    assert parse_header(v2, 10).length == 512 and parse_header(v2, 10).url == "http://a.org/"


@pytest.mark.parametrize("line, fields, url, mime", [
    (b"http://a.org/x 1.2.3.4 20080430204825 text/html; charset=iso-8859-1 680", 5,
     "http://a.org/x", "text/html; charset=iso-8859-1"),
    (b"http://a.org/x y 1.2.3.4 20080430204825 text/html ; charset=UTF-8 680", 5,
     "http://a.org/x y", "text/html ; charset=utf-8"),
    (b"http://a.org/x 1.2.3.4 20080430204825 text/html;charset=utf-8; q=1 680", 5,
     "http://a.org/x", "text/html;charset=utf-8; q=1"),
    (b"http://a.org/x 1.2.3.4 20001102 text/html; charset=utf-8 200 abc http://b/ 4096 IA-1.arc 680", 10,
     "http://a.org/x", "text/html; charset=utf-8"),
])
def test_header_lines_whose_content_type_holds_spaces(line, fields, url, mime):
    """`text/html; charset=...` in the content type field: the header was not one (its date
    field was `text/html;`), so its intact page was `garbage_between_records`."""
    h = parse_header(line, fields)
    assert (h.url, h.ip, h.mime, h.length) == (url, "1.2.3.4", mime, 680)


def test_a_version_2_header_is_no_version_1_header_with_a_long_content_type():
    """The content type takes more words only when they are parameters: the fields of version 2
    after it are not (a v2 line read as v1 would give them all to the type)."""
    v2 = b"http://a.org/ 1.2.3.4 20001102 text/html;charset=utf-8 200 abc http://b/ 4096 IA-1.arc 512"
    assert parse_header(v2, 5) is None and parse_header(v2, 10).mime == "text/html;charset=utf-8"


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("version", [V1, V2], ids=["v1", "v2"])
def test_content_types_with_spaces_and_indented_status_lines(pages, tmp_path, gz, version):
    """Every record keeps its page: a content type holding a space (record 1; record 3 with a
    space in its URL too), and a block whose status line is indented (record 5), which was read
    as a resource whose page began with the HTTP head."""
    caps = [(url + b"?q=a b" if i == 3 else url, mime + b"; charset=utf-8" if i in (1, 3) else mime,
             b" " + block if i == 5 else block) for i, (url, mime, block) in enumerate(pages)]
    assert pages[5][2].startswith(b"HTTP/")
    docs, q, counters = read(write_arc(tmp_path, arc_records(caps, version=version), gz))
    good, _, _ = read(write_arc(tmp_path, arc_records(pages), gz, "good"))
    assert not q and counters == {"skipped_warcinfo": 1}
    assert html_of(docs) == html_of(good) and docs[3].url.endswith("?q=a b")


def test_a_page_with_no_http_head_is_read_by_its_arc_content_type_and_charset(tmp_path):
    """A record holding a page without its HTTP head is read by the header's type, charset too."""
    page = "<html><body><p>Déjà vu au château, près de la forêt.</p></body></html>".encode("latin-1")
    caps = [(b"http://a.org/fr", b"text/html; charset=iso-8859-1", page),
            (b"http://a.org/2", b"text/html", b"<html><body><p>Second.</p></body></html>")]
    docs, q, counters = read(write_arc(tmp_path, arc_records(caps), False))
    assert not q and counters == {"skipped_warcinfo": 1} and [d.url for d in docs] == ["http://a.org/fr", "http://a.org/2"]
    assert "Déjà vu au château" in docs[0].html_str and docs[0].metadata["content_type"] == "text/html"
def test_arc_file_built_from_real_records(records, intact, tmp_path):
    """ARC (pre-WARC Internet Archive format), one gzip member per record."""
    version = b"1 0 tokenmill\nURL IP-address Archive-date Content-type Archive-length\n"
    members = [gzip.compress(b"filedesc://t.arc 0.0.0.0 20080430204825 text/plain %d\n" % len(version)
                             + version + b"\n")]
    ids = []
    for rec in records[1:6]:
        url = re.search(rb"WARC-Target-URI: (\S+)", rec).group(1)
        ids.append(re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", rec).group(1).decode())
        block = block_of(rec)
        members.append(gzip.compress(b"%s 93.184.216.34 20080430204825 text/html %d\n" % (url, len(block))
                                     + block + b"\n"))
    p = tmp_path / "t.arc.gz"
    p.write_bytes(b"".join(members))
    docs, q, counters = read(p)
    assert not q and [d.html_str for d in docs] == [intact[i] for i in ids]
    assert counters == {"skipped_warcinfo": 1}


def test_arc_record_whose_length_is_no_number(records, intact, tmp_path):
    """An uncompressed ARC whose header line says 'abc' where the length goes (pywb's bad.arc): that
    record is counted as damage and the file reads on; it crashed the reader (int('abc'))."""
    version = b"1 0 tokenmill\nURL IP-address Archive-date Content-type Archive-length\n"
    out = [b"filedesc://t.arc 0.0.0.0 20080430204825 text/plain %d\n" % len(version) + version + b"\n"]
    ids = []
    for i, rec in enumerate(records[1:4]):
        url = re.search(rb"WARC-Target-URI: (\S+)", rec).group(1)
        block = block_of(rec)
        if i == 1:
            out.append(b"%s 93.184.216.34 20080430204825 text/html abc\n\n" % url)
        ids.append(re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", rec).group(1).decode())
        out.append(b"%s 93.184.216.34 20080430204825 text/html %d\n" % (url, len(block)) + block + b"\n")
    p = tmp_path / "t.arc"
    p.write_bytes(b"".join(out))
    docs, q, counters = read(p)
    assert q == {"malformed_record": 1} and [d.html_str for d in docs] == [intact[i] for i in ids]
    assert accounted(docs, q, counters) == warcio_count(p)




@pytest.mark.parametrize("gz", [True, False])
def test_a_piece_of_an_arc_without_its_filedesc_record(pages, tmp_path, gz):
    """A file cut out of an ARC (no version block) is still read as ARC."""
    docs, q, counters = read(write_arc(tmp_path, arc_records(pages)[1:], gz))
    good, _, _ = read(write_arc(tmp_path, arc_records(pages), gz, "good"))
    assert not q and html_of(docs) == html_of(good) and "skipped_warcinfo" not in counters
