"""WARC framing the probe of session 26 found lossy: plain records after junk that follows gzip
members, a lower-case version line, WARC header values that are not UTF-8.

The files are built at test time from the real sample WARC's records."""
from __future__ import annotations

import gzip
import io
import re
import tarfile
from collections import Counter

import pytest

from pipeline.readers.warc import WarcRecord, iter_warc
from pipeline.readers.warc_stream import CHUNK, PEEK
from tests.test_ingest_fuzz import batch_path_differs
from tests.test_ingest_http_bodies import read as read_warc
from tests.test_ingest_zoo import gzip_members


@pytest.fixture(scope="module")
def records(shared_data):
    """warcinfo + 11 pages of the real sample WARC, each record decompressed."""
    return gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 12)


def read(path):
    """(pages by document id, quarantine reasons, counters) as ingest reads the file; the batch
    path reads it the same."""
    docs, counters, q = read_warc(path, check_batch=False)
    assert not batch_path_differs(path)
    return {d.id.rsplit("/", 1)[-1]: bytes(d.html) for d in docs}, Counter(q), counters


def member(rec: bytes) -> bytes:
    return gzip.compress(rec, mtime=0)


def ids(recs) -> set[str]:
    return {re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r, re.I).group(1).decode() for r in recs}


@pytest.fixture(scope="module")
def expected(records, tmp_path_factory):
    """The pages of the intact file, one gzip member a record."""
    p = tmp_path_factory.mktemp("one") / "one.warc.gz"
    p.write_bytes(b"".join(map(member, records)))
    pages, q, counters = read(p)
    assert not q and len(pages) == len(records) - 1
    return pages


# -- junk after gzip members, then plain records -------------------------------------------------
JUNK = {
    "short": b"J" * 512,
    # longer than the bytes looked at for a header: the junk is read past in pieces
    "over_peek": b"J" * (PEEK + 3000),
    # the first plain header runs over the end of the first chunk the stream reads
    "header_across_chunks": b"J" * (CHUNK - 100),
    # text that quotes a version line without a whole header is junk too
    "quoted_version": b"see WARC/1.0\r\nand warc/1.1\r\n" * 20,
}


@pytest.mark.parametrize("junk", sorted(JUNK))
@pytest.mark.parametrize("first", [1, 4])
def test_plain_records_after_junk_after_gzip_members_are_read(records, expected, tmp_path, junk, first):
    """`cat a.warc.gz junk b.warc`: the junk is one garbage item, every record of b.warc is read."""
    p = tmp_path / "mixed.warc.gz"
    p.write_bytes(b"".join(map(member, records[:first])) + JUNK[junk] + b"".join(records[first:]))
    pages, q, counters = read(p)
    assert q == {"garbage_between_records": 1}
    assert pages == expected and counters == {"skipped_warcinfo": 1}


def test_junk_after_plain_records_that_follow_junk_is_counted_again(records, expected, tmp_path):
    p = tmp_path / "twice.warc.gz"
    p.write_bytes(b"".join(map(member, records[:3])) + b"J" * 512 + b"".join(records[3:7]) + b"K" * 512
                  + b"".join(records[7:]))
    pages, q, counters = read(p)
    assert q == {"garbage_between_records": 2} and pages == expected


def test_a_tar_of_gzip_and_plain_warcs_loses_no_record(records, expected, tmp_path):
    """A .tar holding 0.warc.gz, 1.warc.gz and 2.warc, read as one WARC: the tar headers are junk
    (one item each), the records of all three files are read."""
    parts = {"crawl/0.warc.gz": b"".join(map(member, records[:4])),
             "crawl/1.warc.gz": b"".join(map(member, records[4:8])),
             "crawl/2.warc": b"".join(records[8:])}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in parts.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    p = tmp_path / "multi.tar"
    p.write_bytes(out.getvalue())
    pages, q, counters = read(p)
    assert q == {"garbage_between_records": 3}
    assert pages == expected and counters == {"skipped_warcinfo": 1}


def test_junk_in_a_damaged_member_is_not_searched_for_plain_records(records, tmp_path):
    """The bytes of a corrupt member up to the next member are that member's damage, not junk
    to read plain records from: the record it stores uncompressed (its page damaged) is not read,
    the members after it are."""
    stored = gzip.compress(records[2], compresslevel=0, mtime=0)
    broken = stored[:-300] + b"\xff" * 8 + stored[-292:]                   # the page: the CRC fails
    p = tmp_path / "stored.warc.gz"
    p.write_bytes(b"".join(map(member, records[:2])) + broken + b"".join(map(member, records[3:])))
    got = [r for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)]
    assert {r.headers["warc-record-id"].strip("<>").removeprefix("urn:uuid:") for r in got} == \
        ids(records[:2] + records[3:])


# -- a lower-case version line ---------------------------------------------------------------------
def lower(rec: bytes) -> bytes:
    return b"warc/1.0" + rec[len(b"WARC/1.0"):]


@pytest.mark.parametrize("which", ["some", "all"])
@pytest.mark.parametrize("gz", [True, False])
def test_a_lower_case_version_line_is_a_record(records, expected, tmp_path, which, gz):
    """`warc/1.0` (warcio reads it; FastWARC refuses it): the record is read, not garbage."""
    assert all(r.startswith(b"WARC/1.0\r\n") for r in records)
    recs = [lower(r) if which == "all" or k in (2, 5, 6) else r for k, r in enumerate(records)]
    p = tmp_path / ("lower.warc.gz" if gz else "lower.warc")
    p.write_bytes(b"".join(map(member, recs)) if gz else b"".join(recs))
    pages, q, counters = read(p)
    assert not q and pages == expected and counters == {"skipped_warcinfo": 1}


def test_a_lower_case_version_line_ends_a_record_with_a_wrong_length(records, tmp_path):
    """A length too long runs into a record whose version line is lower case: the record ends
    there, flagged, and the next is read."""
    head, sep, body = records[3].partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    head = head.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length + 300))
    p = tmp_path / "long.warc"
    p.write_bytes(b"".join(records[:3]) + head + sep + body + lower(records[4]) + b"".join(records[5:]))
    got = [r for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)]
    assert len(got) == len(records)
    assert [r.length_mismatch for r in got] == [k == 3 for k in range(len(records))]


# -- header values that are not UTF-8 --------------------------------------------------------------
URI = "https://example.de/straße"


def with_uri(rec: bytes, uri: bytes) -> bytes:
    return re.sub(rb"WARC-Target-URI: [^\r\n]*", b"WARC-Target-URI: " + uri, rec, count=1)


LAYOUTS = {
    "per_record_gzip": lambda recs: b"".join(map(member, recs)),        # libdeflate + FastWARC
    "plain": lambda recs: b"".join(recs),                               # FastWARC
    "whole_gzip": lambda recs: member(b"".join(recs)),                  # the scanner
    "damaged": lambda recs: b"".join(map(member, recs[:2])) + b"junk" + b"".join(map(member, recs[2:])),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("charset", ["latin-1", "utf-8"])
def test_a_target_uri_is_utf8_else_latin1(records, tmp_path, layout, charset):
    """A URL written in a page's 8-bit charset (`stra\\xdfe`) keeps its letter, as warcio reads it,
    however the record is framed; UTF-8 stays UTF-8."""
    recs = list(records)
    recs[4] = with_uri(recs[4], URI.encode(charset))
    rid = ids(recs[4:5]).pop()
    p = tmp_path / "uri.warc.gz"
    p.write_bytes(LAYOUTS[layout](recs))
    got = {r.headers["warc-record-id"].strip("<>").removeprefix("urn:uuid:"): r.headers
           for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)}
    assert got[rid]["warc-target-uri"] == URI
    docs, counters, q = read_warc(p, check_batch=False)
    assert [d.url for d in docs if d.id.endswith(rid)] == [URI]
    assert not batch_path_differs(p)
