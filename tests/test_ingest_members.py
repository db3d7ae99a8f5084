"""The per-member fast path (warc_members.py) on real records: it reads what FastWARC reads, hands
every member it does not take to FastWARC, and stops at damage without losing a record."""
from __future__ import annotations

import gzip
import re

import pytest
from fastwarc.warc import ArchiveIterator

import pipeline.readers.warc_members as members
from pipeline.readers.http import parse_http
from pipeline.readers.warc import WarcRecord, iter_warc
from tests.test_ingest_zoo import gzip_members

TYPES = ("response", "resource")
WANT = (lambda h: (h.get("warc-type") or "").lower() in TYPES)


def framing_headers(headers: dict) -> dict:
    """What the fast path keeps of a record the reader does not want: its type and length."""
    return headers if WANT(headers) else {k: headers[k] for k in ("warc-type", "content-length")}


@pytest.fixture(scope="module")
def records(shared_data):
    """The decompressed records (WARC header + block + separator) of the real sample WARC."""
    return gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 41)


def read(path) -> list:
    """Every record and damage of the file, as comparable tuples, and how each record was framed."""
    out = []
    for r in iter_warc(str(path), 10 << 20, TYPES):
        if isinstance(r, WarcRecord):
            block, resp = bytes(r.block), r.http
            if r.by_scanner and resp is None and "application/http" in r.headers.get("content-type", ""):
                block, resp = b"", parse_http(block)        # the scanner leaves the block to web.py
            http = None if resp is None else (resp.status, resp.headers, resp.body)
            out.append((r.offset, framing_headers(r.headers), block, r.length, r.truncated, r.length_mismatch,
                        http))
        else:
            out.append((r.offset, r.reason))
    return out


def by_fastwarc(path) -> list:
    """The same records as FastWARC alone frames them in an intact file (the reference)."""
    from pipeline.readers.warc import _take
    return [(r.stream_pos, framing_headers(t.headers), bytes(t.block), t.length, False, False,
             None if t.http is None else (t.http.status, t.http.headers, t.http.body))
            for r in ArchiveIterator(str(path), parse_http=False) if (t := _take(r, 10 << 20, WANT))]


def counting(monkeypatch) -> dict:
    """Count the members taken as plain records and those handed to FastWARC one by one."""
    seen = {"plain": 0, "fastwarc": 0}
    plain, single = members._plain_record, members.record_from_fastwarc

    def count_plain(*a):
        r = plain(*a)
        seen["plain"] += r is not None
        return r

    def count_single(*a):
        r = single(*a)
        seen["fastwarc"] += r is not None
        return r
    monkeypatch.setattr(members, "_plain_record", count_plain)
    monkeypatch.setattr(members, "record_from_fastwarc", count_single)
    return seen


def test_plain_members_read_as_fastwarc_reads_them(records, tmp_path, monkeypatch):
    p = tmp_path / "a.warc.gz"
    p.write_bytes(b"".join(gzip.compress(r) for r in records))
    seen = counting(monkeypatch)
    got = read(p)
    assert got == by_fastwarc(p) and len(got) == len(records)
    assert seen == {"plain": len(records), "fastwarc": 0}


def test_members_fastwarc_must_read_are_handed_to_it_one_by_one(records, tmp_path, monkeypatch):
    """A folded header line, a value that is not UTF-8 and a name with a space: FastWARC's header
    rules (joined, kept) apply to those members, and the members after them stay on the fast
    path; a value that is not UTF-8 is Latin-1, as warcio reads it, not U+FFFD as FastWARC has
    it. A UTF-8 value (an IRI) is plain, decoded as FastWARC decodes it."""
    recs = list(records)
    recs[3] = recs[3].replace(b"WARC-Date:", b"X-Folded: a\r\n  b\r\nWARC-Date:", 1)
    recs[5] = recs[5].replace(b"WARC-Date:", "X-Name: café\r\nWARC-Date:".encode(), 1)
    recs[7] = recs[7].replace(b"WARC-Date:", b"X-Latin: caf\xe9\r\nWARC-Date:", 1)
    recs[9] = recs[9].replace(b"WARC-Date:", b"X Odd: v\r\nWARC-Date:", 1)
    p = tmp_path / "b.warc.gz"
    p.write_bytes(b"".join(gzip.compress(r) for r in recs))
    seen = counting(monkeypatch)
    got = read(p)
    assert got == by_fastwarc(p)
    assert got[3][1]["x-folded"] == "a b" and got[5][1]["x-name"] == "café" and got[9][1]["x odd"] == "v"
    assert got[7][1]["x-latin"] == "café"
    assert seen == {"plain": len(recs) - 3, "fastwarc": 3}


def test_gzip_magic_inside_a_member_is_not_taken_for_its_end(records, tmp_path, monkeypatch):
    """Stored (level 0) deflate blocks carry the body's bytes as they are, so a body holding the
    gzip magic puts a false member start inside the compressed member."""
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>" + b"\x1f\x8b\x08\x00" * 10 + b"</p>"
    head = records[1].partition(b"\r\n\r\n")[0]
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
    odd = head + b"\r\n\r\n" + body + b"\r\n\r\n"
    packed = gzip.compress(odd, compresslevel=0)
    assert packed.count(b"\x1f\x8b\x08") > 1
    p = tmp_path / "c.warc.gz"
    p.write_bytes(b"".join(gzip.compress(r) for r in records[:5]) + packed
                  + b"".join(gzip.compress(r) for r in records[6:]))
    seen = counting(monkeypatch)
    got = read(p)
    assert got == by_fastwarc(p) and got[5][6][2] == body[body.index(b"<p>"):]
    assert seen["plain"] == len(records)


def test_a_member_longer_than_the_window_goes_to_fastwarc(records, tmp_path, monkeypatch):
    monkeypatch.setattr(members, "WINDOW", 64 << 10)
    p = tmp_path / "d.warc.gz"
    p.write_bytes(b"".join(gzip.compress(r, compresslevel=0) for r in records))   # some over 32 KB
    big = [i for i, r in enumerate(records) if len(gzip.compress(r, compresslevel=0)) > 64 << 10]
    assert big
    seen = counting(monkeypatch)
    assert read(p) == by_fastwarc(p)
    assert seen["plain"] == big[0]                     # the fast path reads up to the first big one


@pytest.mark.parametrize("tail", [b"\x00" * 8, b"\r\n", b"junk after the last member\n"])
def test_bytes_after_a_member_are_damage_not_ignored(records, tmp_path, tail):
    clean, damaged = tmp_path / "clean.warc.gz", tmp_path / "e.warc.gz"
    clean.write_bytes(b"".join(gzip.compress(r) for r in records))
    damaged.write_bytes(clean.read_bytes() + tail)
    got = read(damaged)
    assert [g for g in got if len(g) > 2] == by_fastwarc(clean)
    damage = [g for g in got if len(g) == 2]
    # Junk is counted; a line end or NUL padding at the end of a file is not junk (warc_scan.py).
    assert [reason for _, reason in damage] == (["garbage_between_records"] if tail.strip(b"\r\n\x00 ") else [])
    assert all(offset >= clean.stat().st_size for offset, _ in damage)


def test_one_member_for_many_records_is_read_by_the_other_path(records, tmp_path, monkeypatch):
    p = tmp_path / "f.warc.gz"
    p.write_bytes(gzip.compress(b"".join(records)))
    seen = counting(monkeypatch)
    got = read(p)
    assert len(got) == len(records) and all(len(g) > 2 for g in got)
    assert seen == {"plain": 0, "fastwarc": 0}


def test_records_the_reader_skips_are_framed_by_type_and_length(shared_data, tmp_path, monkeypatch):
    """Common Crawl's layout (request, response, metadata records, one member each): the records
    the reader only counts come from the fast path with their type and length, as FastWARC reads
    them; one whose member holds more or less than its Content-Length says is damage, not skipped."""
    recs = gzip_members(shared_data / "warc" / "dolma_sample-0000.warc.gz")
    kinds = [r.split(b"WARC-Type: ", 1)[1].split(b"\r\n", 1)[0] for r in recs]
    assert {b"request", b"metadata", b"response"} <= set(kinds)
    p = tmp_path / "cc.warc.gz"
    p.write_bytes(b"".join(gzip.compress(r) for r in recs))
    seen = counting(monkeypatch)
    got = clean = read(p)
    assert got == by_fastwarc(p) and seen == {"plain": len(recs), "fastwarc": 0}
    skipped = [g for g in got if not WANT(g[1])]
    assert len(skipped) == sum(k not in (b"response", b"resource") for k in kinds)
    assert all(set(g[1]) == {"warc-type", "content-length"} and g[2] == b"" for g in skipped)

    i = kinds.index(b"request")
    bad = list(recs)
    n = int(re.search(rb"Content-Length: (\d+)", bad[i]).group(1))
    bad[i] = bad[i].replace(b"Content-Length: %d" % n, b"Content-Length: %d" % (n + 5), 1)
    p.write_bytes(b"".join(gzip.compress(r) for r in bad))
    got = read(p)
    # The member says where the record ends (warc.py): it is kept, flagged, and its neighbours intact.
    assert len(got) == len(recs) and [g[5] for g in got] == [j == i for j in range(len(recs))]
    assert got[i][1]["warc-type"] == "request" and got[i][3] == n + 5
    assert [g for j, g in enumerate(got) if j != i] == [g for j, g in enumerate(clean) if j != i]


def test_plain_http_heads_read_at_once_as_line_by_line(shared_data):
    """parse_plain_response (the whole head at once) gives what parse_http_stream (line by line)
    gives, on every real head of the shared crawls and on 3,000 damaged copies of them (stray CR,
    LF, VT/FF, NUL, spaces and colons in names, folded lines, bytes cut out), and takes the real
    ones (most are plain)."""
    import io
    import random
    from pipeline.readers.http import parse_http_stream, parse_plain_response
    heads = []
    for path in sorted((shared_data / "warc").glob("*.warc.gz")):
        for rec in gzip_members(path):
            i = rec.find(b"\r\n\r\nHTTP/")
            if i > 0:
                heads.append(rec[i + 4:])
    rnd = random.Random(7)
    bits = [b"\r", b"\n", b"\r\n", b"\x0b", b"\x0c", b" ", b"\t", b":", b"\xe9", b"\x00", b"\r\n\r\n", b"\r\n ",
            b"\r\nX y: z", b"1"]
    cases = [(h, False) for h in heads]
    for _ in range(3000):
        h = bytearray(rnd.choice(heads)[:4000])
        for _ in range(rnd.randint(1, 3)):
            pos = rnd.randrange(min(len(h), 2500))
            if rnd.random() < 0.6:
                h[pos:pos] = rnd.choice(bits)
            else:
                del h[pos:pos + rnd.randint(1, 3)]
        cases.append((bytes(h), True))
    taken = {False: 0, True: 0}
    for block, damaged in cases:
        got = parse_plain_response(block, 0, len(block))
        if got is None:
            continue
        taken[damaged] += 1
        resp, n = parse_http_stream(io.BytesIO(block))
        assert (resp.status, resp.headers, resp.body) == (got[0], got[1], block[got[2]:]) and n == len(block)
        # Looked up where they lie (PlainHeaders): each name as the dict has it, absent ones absent.
        for name in [*resp.headers, "content-type", "content-encoding", "transfer-encoding", "x-absent",
                     "Content-Type", "type", ""]:
            assert (got[1].get(name), name in got[1]) == (resp.headers.get(name), name in resp.headers), name
    assert len(heads) > 300 and taken[False] > 0.9 * len(heads) and 0 < taken[True] < 3000


@pytest.mark.parametrize("blank", [b"\r\n", b"\x00" * 4])
def test_blanks_after_each_member_keep_the_fast_path(records, tmp_path, monkeypatch, blank):
    """A line end (or NUL padding) after every member is no junk: the members are still read one
    by one, as from the file without them."""
    clean, p = tmp_path / "clean.warc.gz", tmp_path / "blanks.warc.gz"
    clean.write_bytes(b"".join(gzip.compress(r) for r in records))
    p.write_bytes(b"".join(gzip.compress(r) + blank for r in records))
    seen = counting(monkeypatch)
    got = read(p)
    assert seen == {"plain": len(records), "fastwarc": 0}
    assert [g[1:] for g in got] == [g[1:] for g in read(clean)]
