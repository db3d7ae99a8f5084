"""WARC files that mix gzip members and plain records, blanks between records, and where
`warc_offset` points (issue 14: every intact record kept, nothing lost without a count).

The files are built at test time from the real sample WARC's records."""
from __future__ import annotations

import gzip
import re
import zlib
from collections import Counter

import pytest
import zstandard

from pipeline.readers.warc import WarcRecord, iter_warc
from tests.test_ingest_fuzz import batch_path_differs
from tests.test_ingest_http_bodies import read as read_warc
from tests.test_ingest_zoo import gzip_members


@pytest.fixture(scope="module")
def records(shared_data):
    """warcinfo + 11 pages of the real sample WARC, each record decompressed."""
    return gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 12)


def read(path):
    """(documents, quarantine reasons, counters) as ingest reads the file."""
    docs, counters, q = read_warc(path, check_batch=False)
    return docs, Counter(q), counters


def pages(docs) -> dict:
    return {d.id: bytes(d.html) for d in docs}


def member(rec: bytes) -> bytes:
    return gzip.compress(rec, mtime=0)


def read_back(raw: bytes, offset: int, index: int = 0) -> bytes:
    """The bytes a reader gets seeking to `offset`: the gzip member's content there (its
    records from the `index`-th on), or the file's own bytes."""
    if raw.startswith(b"\x1f\x8b\x08", offset):
        content = zlib.decompressobj(31).decompress(raw[offset:])
        for _ in range(index):
            content = content[content.index(b"\r\n\r\nWARC/") + 4:]
        return content
    return raw[offset:]


# -- gzip members and plain records in one file --------------------------------------------------
LAYOUTS = {
    "gzip_then_plain": lambda recs: member(recs[0]) + b"".join(recs[1:]),                  # cat a.warc.gz b.warc
    "gzip3_then_plain": lambda recs: b"".join(map(member, recs[:4])) + b"".join(recs[4:]),
    "plain_then_gzip": lambda recs: recs[0] + b"".join(map(member, recs[1:])),
    "gzip_plain_gzip": lambda recs: b"".join(map(member, recs[:3])) + b"".join(recs[3:7])
    + b"".join(map(member, recs[7:])),
    "plain_gzip_plain": lambda recs: b"".join(recs[:3]) + b"".join(map(member, recs[3:7])) + b"".join(recs[7:]),
    "whole_gzip_then_plain": lambda recs: gzip.compress(b"".join(recs[:5]), mtime=0) + b"".join(recs[5:]),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("suffix", [".warc.gz", ".warc"])
def test_gzip_members_and_plain_records_in_one_file_are_all_read(records, tmp_path, layout, suffix):
    """`cat a.warc.gz b.warc > c.warc.gz` (or plain then gzip): every record of both parts is
    read, as from the file in one framing; each record's offset reads it back."""
    one = tmp_path / "one.warc.gz"
    one.write_bytes(b"".join(map(member, records)))
    expected = pages(read(one)[0])
    assert len(expected) == len(records) - 1
    p = tmp_path / f"mixed{suffix}"
    p.write_bytes(LAYOUTS[layout](records))
    docs, q, counters = read(p)
    assert not q and pages(docs) == expected
    assert counters == {"skipped_warcinfo": 1}
    assert not batch_path_differs(p)
    raw = p.read_bytes()
    got = [r for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)]
    assert len(got) == len(records)
    for r, rec in zip(got, records):
        assert read_back(raw, r.offset, r.index).startswith(rec[:200])


def test_a_plain_record_that_holds_a_gzip_warc_is_not_split(records, tmp_path):
    """A plain record whose page is itself a .warc.gz (a crawled archive): its gzip member is
    the record's block, not a member of the file."""
    body = member(records[1])
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), records[2].partition(b"\r\n\r\n")[0])
    head = head.replace(b"application/http; msgtype=response", b"application/warc")
    odd = head + b"\r\n\r\n" + body + b"\r\n\r\n"
    p = tmp_path / "inner.warc"
    p.write_bytes(records[0] + odd + b"".join(records[3:6]) + b"".join(map(member, records[6:])))
    got = [(r.headers.get("warc-record-id"), r.length_mismatch) for r in iter_warc(str(p), 10 << 20)
           if isinstance(r, WarcRecord)]
    ids = [re.search(rb"WARC-Record-ID: (\S+)", r).group(1).decode() for r in records]
    assert got == [(i, False) for i in ids[:1] + ids[2:]]


def test_a_plain_record_cut_off_before_gzip_members_loses_none_of_them(records, tmp_path):
    """A plain record cut short (its Content-Length runs past it) right before gzip members: it
    ends where the next member begins a record, flagged; the members are all read."""
    p = tmp_path / "cut.warc.gz"
    p.write_bytes(b"".join(map(member, records[:3])) + records[3][:len(records[3]) // 2]
                  + b"".join(map(member, records[4:])))
    docs, q, counters = read(p)
    ids = {re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in records[4:]}
    assert ids <= {d.id.rsplit("/", 1)[-1] for d in docs}
    assert len(docs) + sum(q.values()) == len(records) - 1


# -- blanks between records are no junk ------------------------------------------------------------
@pytest.mark.parametrize("blank", [b"\r\n", b"\n", b"\x00" * 7, b" \r\n"])
def test_blanks_after_each_gzip_member_are_not_junk(records, tmp_path, blank):
    one = tmp_path / "one.warc.gz"
    one.write_bytes(b"".join(map(member, records)))
    p = tmp_path / "blanks.warc.gz"
    p.write_bytes(b"".join(member(r) + blank for r in records))
    docs, q, counters = read(p)
    assert not q and pages(docs) == pages(read(one)[0]) and counters == read(one)[2]
    assert not batch_path_differs(p)


@pytest.mark.parametrize("gz", [True, False])
def test_nul_padding_at_the_end_is_not_junk_but_junk_is(records, tmp_path, gz):
    """NUL padding after the last record (a preallocated file, a copy rounded to blocks) is no
    record lost, compressed or not; text between records is junk, counted once."""
    data = b"".join(map(member, records)) if gz else b"".join(records)
    p = tmp_path / ("pad.warc.gz" if gz else "pad.warc")
    p.write_bytes(data + bytes(4096))
    docs, q, counters = read(p)
    assert not q and len(docs) == len(records) - 1
    junk = b"".join(map(member, records[:4])) if gz else b"".join(records[:4])
    rest = b"".join(map(member, records[4:])) if gz else b"".join(records[4:])
    p.write_bytes(junk + b"\r\nnot a record\r\n" + rest)
    docs, q, counters = read(p)
    assert q == {"garbage_between_records": 1} and len(docs) == len(records) - 1


# -- warc_offset: where the record can be read back ---------------------------------------------------
def without_id(rec: bytes) -> bytes:
    return re.sub(rb"WARC-Record-ID: [^\r\n]*\r\n", b"", rec, count=1)


@pytest.mark.parametrize("per_member", [12, 3])
def test_records_sharing_a_gzip_member_get_its_offset_and_ids_of_their_own(records, tmp_path, per_member):
    """A whole-file gzip (or members of 3 records): each record's offset is the member it begins
    in (FastWARC gives the end of the file there); records without WARC-Record-ID get ids of
    their own, none counted as duplicates of another."""
    recs = [without_id(r) for r in records]
    members = [gzip.compress(b"".join(recs[i:i + per_member]), mtime=0) for i in range(0, len(recs), per_member)]
    starts = [sum(map(len, members[:k])) for k in range(len(members))]
    p = tmp_path / "shared.warc.gz"
    p.write_bytes(b"".join(members))
    docs, q, counters = read(p)
    assert not q and len(docs) == len(records) - 1 and "duplicate_id" not in counters
    assert len({d.id for d in docs}) == len(docs)
    expected = [starts[(k + 1) // per_member] for k in range(len(docs))]     # docs: records 1..
    assert [d.metadata["warc_offset"] for d in docs] == expected
    raw = p.read_bytes()
    got = [r for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)]
    assert [(r.offset, r.index) for r in got] == [(starts[k // per_member], k % per_member) for k in range(len(recs))]
    assert all(read_back(raw, r.offset, r.index).startswith(rec[:200]) for r, rec in zip(got, recs))


def test_ids_without_a_record_id_stay_as_they_were_with_a_member_per_record(records, tmp_path):
    recs = [without_id(r) for r in records]
    members = [member(r) for r in recs]
    p = tmp_path / "per.warc.gz"
    p.write_bytes(b"".join(members))
    docs, q, counters = read(p)
    starts = [sum(map(len, members[:k])) for k in range(1, len(members))]
    assert [d.id for d in docs] == [f"s/{p}@{s}" for s in starts]
    assert [d.metadata["warc_offset"] for d in docs] == starts


@pytest.mark.parametrize("frames", ["per_record", "one"])
def test_zstd_offsets_are_frame_offsets_in_the_file(records, tmp_path, frames):
    """A .warc.zst's offsets are where each record's frame begins in the file (what a reader
    seeks to), not positions in the decompressed WARC."""
    cctx = zstandard.ZstdCompressor()
    parts = [cctx.compress(r) for r in records] if frames == "per_record" else [cctx.compress(b"".join(records))]
    p = tmp_path / "z.warc.zst"
    p.write_bytes(b"".join(parts))
    starts = [sum(map(len, parts[:k])) for k in range(len(parts))]
    got = [r for r in iter_warc(str(p), 10 << 20) if isinstance(r, WarcRecord)]
    assert [r.offset for r in got] == (starts if frames == "per_record" else [0] * len(records))
    assert [r.index for r in got] == ([0] * len(records) if frames == "per_record" else list(range(len(records))))
    docs, q, counters = read(p)
    assert not q and [d.metadata["warc_offset"] for d in docs] == [r.offset for r in got[1:]]
    raw = p.read_bytes()
    for r, rec in zip(got, records):
        content = zstandard.ZstdDecompressor().decompressobj().decompress(raw[r.offset:])
        for _ in range(r.index):
            content = content[content.index(b"\r\n\r\nWARC/") + 4:]
        assert content.startswith(rec[:200])
