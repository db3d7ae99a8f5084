"""The WARC zoo: real records from ../shared/data, damaged at test time the ways real crawls are.

Every intact record must come out; every damaged one must be counted with its reason. The
accounting check: records an independent parser (warcio) reads = documents + skipped (by kind)
+ quarantined (by reason).
"""
import gzip
import re
import zlib
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.readers import Doc, Quarantined, ReadState
from pipeline.readers.warc import WarcRecord, iter_warc
from pipeline.recipe import SourceConfig

WARCS = ["cc_whirlwind.warc.gz", "dolma_sample-0000.warc.gz", "node-warc_books.toscrape.warc",
         "pywb_dupes.warc.gz", "pywb_example-wget-1-14.warc.gz", "pywb_example.warc.gz", "pywb_iana.warc.gz",
         "sample_pages.warc.gz", "ukwa_IAH-20080430204825-00000-blackbook-truncated.warc.gz",
         "ukwa_IAH-urls-wget.warc.gz", "ukwa_wikipedia-mona-lisa.warc.gz",
         "resiliparse_clipped.warc.gz", "cc_whirlwind.warc.wat.gz"]     # a record cut off; a WAT file


def read(path, fmt="warc"):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)])
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    docs = [i for i in items if isinstance(i, Doc)]
    return docs, Counter(i.reason for i in items if isinstance(i, Quarantined)), state.counters


def accounted(docs, q, counters) -> int:
    return len(docs) + sum(v for k, v in counters.items() if k.startswith("skipped_")) + sum(q.values())


def framing(path) -> Counter:
    """How many records FastWARC framed and how many our scanner (the slow path) did."""
    return Counter("scanner" if r.by_scanner else "fastwarc" for r in iter_warc(str(path), 1 << 30)
                   if isinstance(r, WarcRecord))


def warcio_count(path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in ArchiveIterator(f))


@pytest.fixture(scope="module")
def records(shared_data):
    """The decompressed records (WARC header + block + separator) of the real sample WARC."""
    # warcinfo + 60 pages: enough for every case, and fast
    return gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 61)


def gzip_members(path, limit: int | None = None) -> list[bytes]:
    """The inflated gzip members of a file (one record each in these WARCs), the first `limit`."""
    raw = path.read_bytes()
    out, pos = [], 0
    while pos < len(raw) and (limit is None or len(out) < limit):
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(raw[pos:]))
        pos = len(raw) - len(d.unused_data)
    return out


@pytest.fixture(scope="module")
def intact(records, tmp_path_factory):
    docs, q, counters = read(write(tmp_path_factory.mktemp("intact"), "intact", records))
    assert len(docs) == 60 and not q and counters == {"skipped_warcinfo": 1}
    return {d.id: d.html_str for d in docs}


def write(tmp_path, name, recs, gz=True):
    p = tmp_path / (name + (".warc.gz" if gz else ".warc"))
    p.write_bytes(b"".join(gzip.compress(r) for r in recs) if gz else b"".join(recs))
    return p


def set_length(rec: bytes, delta: int = 0, value: int | None = None) -> bytes:
    head, _, rest = rec.partition(b"\r\n\r\n")
    n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    return re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % (value if value is not None else n + delta),
                  head) + b"\r\n\r\n" + rest


def with_block(rec: bytes, block: bytes) -> bytes:
    head = rec.partition(b"\r\n\r\n")[0]
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), head)
    head = re.sub(rb"WARC-(Block|Payload)-Digest: [^\r\n]*\r\n", b"", head + b"\r\n")[:-2]
    return head + b"\r\n\r\n" + block + b"\r\n\r\n"


def block_of(rec: bytes) -> bytes:
    head, _, rest = rec.partition(b"\r\n\r\n")
    n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    return rest[:n]


@pytest.mark.parametrize("name", WARCS)
def test_accounting_on_real_warcs(shared_data, name):
    path = shared_data / "warc" / name
    docs, q, counters = read(path)
    assert accounted(docs, q, counters) == warcio_count(path), (counters, q)


def test_non_http_records_are_skipped_by_kind_not_bad_input(shared_data):
    docs, q, counters = read(shared_data / "warc" / "ukwa_IAH-20080430204825-00000-blackbook-truncated.warc.gz")
    assert counters["skipped_dns"] == 1 and counters["skipped_metadata"] == 7 and counters["skipped_request"] == 7
    assert "malformed_http" not in q
    docs, q, counters = read(shared_data / "warc" / "cc_whirlwind.warc.gz")
    assert counters["skipped_metadata"] == 1 and counters["skipped_warcinfo"] == 1 and len(docs) == 1
    docs, q, counters = read(shared_data / "warc" / "cc_whirlwind.warc.wet.gz", "wet")
    assert len(docs) == 1 and counters == {"skipped_warcinfo": 1}


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
@pytest.mark.parametrize("damage", ["+200", "-200", "absurd"])
def test_wrong_content_length_never_swallows_or_loses_a_neighbour(records, intact, tmp_path, gz, damage):
    recs = list(records)
    delta = {"+200": (200, None), "-200": (-200, None), "absurd": (0, 10**12)}[damage]
    recs[5] = set_length(recs[5], *delta)
    docs, q, counters = read(write(tmp_path, "cl", recs, gz))
    assert not q and counters["length_mismatch"] == 1
    assert {d.id: d.html_str for d in docs} == intact          # every page, each complete, none with a neighbour
    flagged = [d for d in docs if "flags" in d.metadata]
    assert len(flagged) == 1 and flagged[0].metadata["flags"] == ["length_mismatch"]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_lf_only_warc_headers_with_crlf_crlf_in_bodies(records, intact, tmp_path, gz):
    recs = []
    for r in records:
        head, _, rest = r.partition(b"\r\n\r\n")
        assert b"\r\n\r\n" in rest                           # the HTTP head inside the block
        recs.append(head.replace(b"\r\n", b"\n") + b"\n\n" + rest)
    docs, q, counters = read(write(tmp_path, "lf", recs, gz))
    assert not q and {d.id: d.html_str for d in docs} == intact


def http_record(rec: bytes, http_head: bytes, body: bytes) -> bytes:
    return with_block(rec, http_head + body)


def test_http_quirks_lf_headers_wrong_encoding_chunked_missing_status(records, tmp_path):
    originals = [block_of(r).partition(b"\r\n\r\n")[2] for r in records[1:7]]
    html = originals[0]
    # ClueWeb: LF-only HTTP head, a CRLF CRLF inside the HTML, and a gzip header over a plain body.
    clue = html[:1000] + b"\r\n\r\n" + html[1000:]
    recs = [records[0],
            http_record(records[1], b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Encoding: gzip\n\n", clue),
            http_record(records[2], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
                        b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (originals[1][:700], originals[1][700:]))
                        + b"0\r\n\r\n"),
            http_record(records[3], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n",
                        gzip.compress(originals[2])),
            http_record(records[4], b"Content-Type: text/html; charset=utf-8\r\n\r\n", originals[3]),
            http_record(records[5], b"HTTP/1.1 OK\r\nContent-Type: text/html\r\n\r\n", originals[4]),
            http_record(records[6], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n", originals[5])]
    docs, q, counters = read(write(tmp_path, "http", recs))
    assert not q and len(docs) == 6
    assert docs[0].html_str.startswith(html[:100].decode()) and "Content-Encoding" not in docs[0].html_str
    assert docs[0].metadata["flags"] == ["content_encoding_mismatch"]
    assert [d.html_str.encode() for d in docs[1:]] == originals[1:]
    assert docs[3].metadata["flags"] == docs[4].metadata["flags"] == ["http_missing_status"]
    assert docs[5].metadata["flags"] == ["chunked_mismatch"]
    assert counters["content_encoding_mismatch"] == 1 and counters["http_missing_status"] == 2


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_gzip_body_that_no_content_encoding_declares_is_inflated(records, tmp_path, gz):
    """A server that compressed twice (one Content-Encoding for two layers) or served a .gz file as
    text/html: the page is inflated and flagged, not quarantined as binary."""
    originals = [block_of(r).partition(b"\r\n\r\n")[2] for r in records[1:4]]
    recs = [records[0],
            http_record(records[1], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", gzip.compress(originals[0])),
            http_record(records[2], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n",
                        gzip.compress(gzip.compress(originals[1]))),
            # not gzip after all (magic, then junk): still binary, still quarantined
            http_record(records[3], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
                        b"\x1f\x8b\x08" + bytes(range(256)) * 8)]
    docs, q, counters = read(write(tmp_path, "undeclared", recs, gz))
    assert [d.html_str.encode() for d in docs] == originals[:2]
    assert [d.metadata["flags"] for d in docs] == [["undeclared_gzip"]] * 2
    assert q == {"bad_encoding": 1} and counters["undeclared_gzip"] == 2
    assert accounted(docs, q, counters) == warcio_count(write(tmp_path, "undeclared", recs, gz))


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_an_empty_page_gzip_encoded_is_an_empty_page(records, tmp_path, gz):
    """A feed endpoint answering with a compressed nothing (a complete gzip stream of 0 bytes, as
    real portal crawls hold): empty, not a body whose encoding did not match (it was quarantined
    bad_encoding with the gzip bytes as its sample)."""
    recs = [records[0], records[1],
            http_record(records[2], b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n",
                        gzip.compress(b"")), records[3]]
    docs, q, counters = read(write(tmp_path, "empty-gzip", recs, gz))
    assert len(docs) == 2 and q == {"empty_document": 1} and "content_encoding_mismatch" not in counters
    assert accounted(docs, q, counters) == warcio_count(write(tmp_path, "empty-gzip", recs, gz))


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_dns_and_other_non_http_records_among_pages(records, tmp_path, gz):
    dns = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: dns:example.org\r\n"
           b"WARC-Record-ID: <urn:uuid:dns-1>\r\nContent-Type: text/dns\r\nContent-Length: 56\r\n\r\n"
           b"20080430204826\nexample.org.\t3600\tIN\tA\t93.184.216.34\n\n\r\n\r\n")
    assert len(block_of(dns)) == 56
    conversion = with_block(records[2].replace(b"WARC-Type: response", b"WARC-Type: conversion"), b"plain text")
    recs = records[:3] + [dns, conversion] + records[3:6]
    docs, q, counters = read(write(tmp_path, "mixed", recs, gz))
    assert len(docs) == 5 and not q
    assert counters == {"skipped_warcinfo": 1, "skipped_dns": 1, "skipped_conversion": 1}


def test_corrupt_and_truncated_members_and_garbage_between_members(records, intact, tmp_path):
    members = [gzip.compress(r) for r in records]
    corrupt = bytearray(members[10])
    corrupt[len(corrupt) // 2: len(corrupt) // 2 + 64] = b"\x00" * 64
    cut = members[20][: len(members[20]) // 2]
    data = (b"".join(members[:10]) + bytes(corrupt) + b"".join(members[11:20]) + cut
            + b"".join(members[21:30]) + b"junk between members\r\n" * 3 + b"".join(members[30:])
            + members[40][:100])
    p = tmp_path / "damaged.warc.gz"
    p.write_bytes(data)
    docs, q, counters = read(p)
    assert q == {"corrupt_gzip": 2, "garbage_between_records": 1, "truncated_gzip": 1}
    lost = {re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", records[i]).group(1).decode() for i in (10, 20)}
    assert {d.id: d.html_str for d in docs} == {k: v for k, v in intact.items() if k not in lost}
    assert accounted(docs, q, counters) - 2 == len(records)      # + the junk, + the cut copy of record 40
    # FastWARC resumes after each damaged region: only the record before the junk (which FastWARC
    # cannot confirm) and the last one are framed by our scanner.
    assert framing(p) == {"fastwarc": 57, "scanner": 2}


def test_uncompressed_garbage_and_truncated_end(records, intact, tmp_path):
    data = b"".join(records[:50]) + b"not a record\r\n\r\n" + b"".join(records[50:]) + records[60][:500]
    p = tmp_path / "plain.warc"
    p.write_bytes(data)
    docs, q, counters = read(p)
    assert q == {"garbage_between_records": 1, "truncated_record": 1}
    assert {d.id: d.html_str for d in docs} == intact
    assert framing(p) == {"fastwarc": 60, "scanner": 1}


def test_fastwarc_resumes_after_each_record_it_cannot_read(records, intact, tmp_path):
    """Every 10th record with LF-only WARC headers (FastWARC stops at each): the scanner reads
    those, FastWARC all the others."""
    recs = []
    for i, r in enumerate(records):
        head, _, rest = r.partition(b"\r\n\r\n")
        recs.append(head.replace(b"\r\n", b"\n") + b"\n\n" + rest if i % 10 == 5 else r)
    p = write(tmp_path, "mixed", recs)
    docs, q, counters = read(p)
    assert not q and {d.id: d.html_str for d in docs} == intact
    assert framing(p) == {"fastwarc": 55, "scanner": 6}         # the 6 LF-only records


@pytest.mark.parametrize("delta", [200, -200])
def test_last_record_with_a_wrong_length(records, intact, tmp_path, delta):
    """The last record has no next one to confirm it: only when its member holds exactly its header,
    Content-Length bytes and CRLF CRLF is FastWARC's reading kept. A length past the member's end
    is decided by the member reader (the record ends with its member: the file ends there); any
    other mismatch by the scanner."""
    p = write(tmp_path, "intact", records)
    assert framing(p) == {"fastwarc": len(records)}
    recs = list(records)
    recs[-1] = set_length(recs[-1], delta)
    p = write(tmp_path, "last", recs)
    docs, q, counters = read(p)
    assert not q and counters["length_mismatch"] == 1 and {d.id: d.html_str for d in docs} == intact
    assert framing(p) == ({"fastwarc": len(records)} if delta > 0 else {"fastwarc": len(records) - 1, "scanner": 1})


@pytest.mark.parametrize("packing", ["whole-file-gzip", "zstd"])
def test_one_stream_for_all_records_with_a_wrong_length(records, intact, tmp_path, packing):
    """No member boundaries to lean on: the record ends where the next valid WARC header starts."""
    import zstandard
    recs = list(records)
    recs[7] = set_length(recs[7], -300)
    plain = b"".join(recs)
    p = tmp_path / ("one.warc.gz" if packing == "whole-file-gzip" else "one.warc.zst")
    p.write_bytes(gzip.compress(plain) if packing == "whole-file-gzip" else zstandard.ZstdCompressor().compress(plain))
    docs, q, counters = read(p)
    assert not q and counters["length_mismatch"] == 1 and {d.id: d.html_str for d in docs} == intact


# -- WARC-zstd (the IIPC specification: a frame per record, a dictionary frame first) --------------
def warc_zstd(recs, dictionary: str | None, checksum: bool = False) -> tuple[bytes, list[int]]:
    """A .warc.zst as warcprox writes it, and where each record's frame starts."""
    import struct

    import zstandard
    frames, starts, pos = [], [], 0
    if dictionary is None:
        cctx = zstandard.ZstdCompressor(level=3, write_checksum=checksum)
    else:
        d = zstandard.train_dictionary(8192, list(recs) * max(1, 64 // len(recs)))   # enough samples
        cctx = zstandard.ZstdCompressor(level=3, dict_data=d, write_checksum=checksum)
        payload = d.as_bytes() if dictionary == "raw" else zstandard.ZstdCompressor().compress(d.as_bytes())
        frames.append(struct.pack("<II", 0x184D2A5D, len(payload)) + payload)
        pos = len(frames[0])
    for r in recs:
        starts.append(pos)
        frames.append(cctx.compress(r))
        pos += len(frames[-1])
    return b"".join(frames), starts


@pytest.mark.parametrize("dictionary", [None, "raw", "compressed"])
def test_warc_zstd_with_and_without_its_dictionary_frame(records, intact, tmp_path, dictionary):
    """Every record frame needs the dictionary of the file's first, skippable frame (fsspec's zstd
    file knew none: 'Dictionary mismatch' ended the read)."""
    p = tmp_path / "spec.warc.zst"
    p.write_bytes(warc_zstd(records, dictionary)[0])
    docs, q, counters = read(p)
    assert not q and counters == {"skipped_warcinfo": 1} and {d.id: d.html_str for d in docs} == intact


@pytest.mark.parametrize("damage", ["flipped", "junk-between", "junk-after", "truncated"])
def test_warc_zstd_damage_costs_its_frame_only(records, intact, tmp_path, damage):
    """A damaged frame costs its record, counted; reading goes on at the next frame (a flipped byte
    or appended junk raised ZstdError and ended the whole read)."""
    blob, starts = warc_zstd(records, "raw")
    victim = 20                                   # record 20's frame (page 19)
    a, b = starts[victim], starts[victim + 1]
    if damage == "flipped":
        blob = blob[:(a + b) // 2] + bytes([blob[(a + b) // 2] ^ 0x55]) + blob[(a + b) // 2 + 1:]
    elif damage == "junk-between":
        blob = blob[:b] + b"junk between frames " * 20 + blob[b:]
    elif damage == "junk-after":
        blob += b"\x00junk after the last frame" * 10
    else:
        blob = blob[:(a + b) // 2]
    p = tmp_path / "damaged.warc.zst"
    p.write_bytes(blob)
    docs, q, counters = read(p)
    lost = {"flipped": {victim - 1}, "junk-between": set(), "junk-after": set(),
            "truncated": set(range(victim - 1, 60))}[damage]
    kept = [k for i, k in enumerate(intact) if i not in lost]
    assert {d.id: d.html_str for d in docs} == {k: intact[k] for k in kept}
    assert sum(q.values()) == 1, q                # one damaged region, one item with its reason
    if damage != "truncated":
        assert accounted(docs, q, counters) == len(records) + (0 if damage == "flipped" else 1)


@pytest.mark.parametrize("seed", range(24))
def test_warc_zstd_seeded_damage(records, intact, tmp_path, seed):
    """Random damage to one frame (flipped or zeroed bytes, the frame dropped or duplicated, junk
    before it) or a cut: every record whose frame is untouched comes out as in the clean file,
    and a loss is counted unless the frame vanished whole (a dropped frame leaves no trace).
    Frames carry their checksum here: without one, zstd cannot see a flipped literal byte."""
    import random
    rng = random.Random(seed)
    recs = records[:rng.randint(5, len(records))]
    blob, starts = warc_zstd(recs, rng.choice([None, "raw", "compressed"]), checksum=True)
    starts.append(len(blob))
    k = rng.randrange(1, len(recs))                   # a page's frame (the warcinfo stays)
    a, b = starts[k], starts[k + 1]
    kind = rng.choice(["flip", "zero", "drop", "dup", "junk", "cut"])
    if kind == "flip":
        i = rng.randrange(a, b)
        blob = blob[:i] + bytes([blob[i] ^ rng.randrange(1, 256)]) + blob[i + 1:]
    elif kind == "zero":
        i = rng.randrange(a, b)
        blob = blob[:i] + bytes(min(40, b - i)) + blob[i + min(40, b - i):]
    elif kind == "drop":
        blob = blob[:a] + blob[b:]
    elif kind == "dup":
        blob = blob[:b] + blob[a:b] + blob[b:]
    elif kind == "junk":
        blob = blob[:a] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + blob[a:]
    else:
        blob = blob[:rng.randrange(a, b)]
    p = tmp_path / "d.warc.zst"
    p.write_bytes(blob)
    docs, q, counters = read(p)
    got = {d.id: d.html_str for d in docs}
    pages = list(intact)[:len(recs) - 1]
    victim = pages[k - 1]
    after = pages[k:] if kind == "cut" else []
    for page in pages:
        if page != victim and page not in after:
            assert got.get(page) == intact[page], (kind, page)
    lost = [page for page in [victim, *after] if got.get(page) != intact[page]]
    if lost and kind != "drop":
        assert sum(q.values()) or any(v for c, v in counters.items() if c != "skipped_warcinfo"), (kind, lost)


# -- regressions found by the damage fuzzer (tests/test_ingest_fuzz.py) ---------------------------
def ids_of(recs) -> list[str]:
    return [re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in recs]


def lf_only(rec: bytes) -> bytes:
    head, _, rest = rec.partition(b"\r\n\r\n")
    return head.replace(b"\r\n", b"\n") + b"\n\n" + rest


def test_records_sharing_a_member_with_one_fastwarc_cannot_read(records, intact, tmp_path):
    """One gzip member for many records: FastWARC's stream_pos is then no record start (inside the
    member, or the junk after it) while offsets have not yet repeated; the scanner must not start
    there (all records after it were lost, uncounted)."""
    recs = list(records[:12])
    recs[1] = lf_only(recs[1])
    p = tmp_path / "one.warc.gz"
    p.write_bytes(gzip.compress(b"".join(recs)))
    docs, q, counters = read(p)
    assert not q and {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:12])}
    p = tmp_path / "two.warc.gz"
    p.write_bytes(gzip.compress(b"".join(records[:2])) + b"junk\r\n" * 5 + gzip.compress(b"".join(records[2:8])))
    docs, q, counters = read(p)
    assert q == {"garbage_between_records": 1}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:8])}


def test_corrupt_whole_file_member_keeps_what_came_before_and_counts_the_rest(records, intact, tmp_path):
    """A whole-file gzip member damaged three quarters in: the records that decompress before the
    damage come out (as warcio reads them), the rest is counted, never dropped silently."""
    plain = b"".join(records[:30])
    data = bytearray(gzip.compress(plain))
    at = len(data) * 3 // 4
    data[at:at + 64] = bytes(64)
    p = tmp_path / "whole.warc.gz"
    p.write_bytes(bytes(data))
    good, d = b"", zlib.decompressobj(31)
    for i in range(0, len(data), 4096):           # what decompresses before zlib sees the damage
        try:
            good += d.decompress(bytes(data[i:i + 4096]))
        except zlib.error:
            break
    # Records decompressed unchanged, with the next one's start: after the zeroed bytes zlib
    # outputs wrong bytes for a while before it fails (those records may come out changed).
    ends = [len(b"".join(records[:k + 1])) for k in range(30)]
    whole = [k for k in range(1, 29) if good[:ends[k] + 5] == plain[:ends[k] + 5]]
    assert 5 < len(whole) < 28
    docs, q, counters = read(p)
    assert q["corrupt_gzip"] >= 1
    out = {d.id: d.html_str for d in docs}
    assert {i: out.get(i) for i in ids_of([records[k] for k in whole])} == \
        {i: intact[i] for i in ids_of([records[k] for k in whole])}


def test_junk_before_the_first_gzip_member(records, intact, tmp_path):
    for junk in (b"junk\r\n" * 5, b"WARC/1.0\r\nWARC-Type: response\r\n", bytes(100)):
        p = tmp_path / "junk.warc.gz"
        p.write_bytes(junk + b"".join(gzip.compress(r) for r in records[:10]))
        docs, q, counters = read(p)
        assert q == {"garbage_between_records": 1}
        assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:10])}


def test_warc_0_17_uncompressed_with_a_wrong_length(shared_data, tmp_path):
    """Heritrix 1.x wrote WARC/0.17: the scanner finds those headers too after a wrong length."""
    path = shared_data / "warc" / "ukwa_IAH-20080430204825-00000-blackbook-truncated.warc.gz"
    recs = []
    raw = path.read_bytes()
    while raw:
        d = zlib.decompressobj(31)
        recs.append(d.decompress(raw))
        raw = d.unused_data
    assert recs[0].startswith(b"WARC/0.17\r\n")
    clean = write(tmp_path, "clean", recs, gz=False)
    docs0, q0, _ = read(clean)
    assert len(docs0) == 2
    for k in (0, next(k for k, r in enumerate(recs) if docs0[0].id.encode() in r[:1000])):
        recs[k] = set_length(recs[k], 200)        # the warcinfo record, and the first page's
    docs, q, counters = read(write(tmp_path, "cl", recs, gz=False))
    assert not q and counters["length_mismatch"] == 1
    assert {d.id: d.html_str for d in docs} == {d.id: d.html_str for d in docs0}


def test_record_cut_mid_line_then_the_next_record(records, intact, tmp_path):
    """Uncompressed: a record cut off in the middle of a line (a writer that crashed, then went on
    appending) is followed at once by the next header; that record is found, not swallowed."""
    cut = records[5][:len(records[5]) // 2].rstrip(b"\r\n") + b"x"
    p = write(tmp_path, "cut", records[:5] + [cut] + records[6:12], gz=False)
    docs, q, counters = read(p)
    out = {d.id: d.html_str for d in docs}
    assert {i: out.get(i) for i in ids_of(records[1:12]) if i != ids_of([cut])[0]} == \
        {i: intact[i] for i in ids_of(records[1:12]) if i != ids_of([cut])[0]}
    assert not any("WARC/1." in h for h in out.values())
    assert counters.get("length_mismatch", 0) + sum(q.values()) >= 1     # the cut record is counted


def test_member_cut_off_then_more_members(records, intact, tmp_path):
    """A writer that died inside a gzip member and then appended more: zlib reads the next members
    as the rest of the cut one; they are found again from just after the cut member's start."""
    members = [gzip.compress(r) for r in records[:12]]
    for cut, after in [(0.3, [6]), (0.7, [6]), (0.9, [6]), (0.7, [0, 1]), (0.5, [6, 7])]:
        data = b"".join(members[:5]) + members[5][:int(len(members[5]) * cut)] + b"".join(members[k] for k in after)
        p = tmp_path / "cut.warc.gz"
        p.write_bytes(data)
        docs, q, counters = read(p)
        assert sum(q.values()) >= 1 and set(q) <= {"truncated_gzip", "corrupt_gzip"}
        want = records[1:5] + [records[k] for k in after if k]
        assert sorted(d.id for d in docs) == sorted(ids_of(want))
        assert all(d.html_str == intact[d.id.partition("#")[0]] for d in docs)


def test_multi_record_member_cut_inside_a_header(records, intact, tmp_path):
    """FastWARC reads a header cut off by the end of the stream as a whole record of length 0
    (no Content-Length): that is damage, counted, not a record."""
    recs = list(records[:8])
    recs[6] = recs[6].replace(b"WARC-Type: response", b"WARC-Type: request")
    plain = b"".join(recs)
    at = len(b"".join(recs[:6])) + 40                       # inside the 7th record's WARC header
    p = tmp_path / "cut.warc.gz"
    c = zlib.compressobj(wbits=31)
    p.write_bytes(c.compress(plain[:at]) + c.flush(zlib.Z_SYNC_FLUSH))     # the member stops there
    docs, q, counters = read(p)
    assert "truncated_gzip" in q and "skipped_request" not in counters
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:6])}


def test_header_end_overwritten_runs_into_the_next_record(records, intact, tmp_path):
    """Uncompressed: NULs over the end of a record's header and all of its block, up to the next
    record's header. FastWARC reads both headers as one record (the first's id, the second's
    block); the broken record is counted and the next one read."""
    recs = list(records[:8])
    h = recs[3].index(b"WARC-Record-ID")
    recs[3] = recs[3][:h + 20] + bytes(len(recs[3]) - h - 20)
    docs, q, counters = read(write(tmp_path, "nul", recs, gz=False))
    assert q == {"malformed_record": 1}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:3] + records[4:8])}


def test_wrong_length_and_no_separator_keeps_the_pages_last_newline(records, intact, tmp_path):
    """A record alone in its member, with a wrong length and no CRLF CRLF after its block: the
    page ends where the member ends, its own last newline kept."""
    recs = list(records[:6])
    recs[2] = with_block(recs[2], block_of(recs[2]) + b"\n")
    clean, _, _ = read(write(tmp_path, "clean", recs))
    assert clean[1].html_str.endswith("\n")
    recs[2] = set_length(recs[2], 150)[:-4]
    docs, q, counters = read(write(tmp_path, "nosep", recs))
    assert not q and counters["length_mismatch"] == 1
    assert {d.id: d.html_str for d in docs} == {d.id: d.html_str for d in clean}


def test_last_member_cut_off_after_members_of_many_records(records, intact, tmp_path):
    """Several records to a member, and the last member cut off before its first record is
    whole: FastWARC ends quietly there; the cut member is counted."""
    members = [gzip.compress(b"".join(records[a:b])) for a, b in ((0, 3), (3, 6), (6, 9))]
    p = tmp_path / "tail.warc.gz"
    p.write_bytes(members[0] + members[1] + members[2][:30])
    docs, q, counters = read(p)
    assert q == {"truncated_gzip": 1}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:6])}


def test_wrong_length_before_a_record_with_a_broken_header(records, intact, tmp_path):
    """Uncompressed: a length too long, then a record whose Content-Length is not a number. The
    first ends at the second's WARC line after the separator; the second is counted, not
    swallowed into the first."""
    recs = list(records[:8])
    recs[2] = set_length(recs[2], 300)
    recs[3] = re.sub(rb"Content-Length: \d+", b"Content-Length: 12 34", recs[3], count=1)
    docs, q, counters = read(write(tmp_path, "two", recs, gz=False))
    assert q == {"malformed_record": 1} and counters["length_mismatch"] == 1
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:3] + records[4:8])}


@pytest.mark.parametrize("n", [2, 3, 12])
def test_clean_file_in_one_gzip_member(records, intact, tmp_path, n):
    """Undamaged: all records in one gzip member. FastWARC's stream_pos for the last record is no
    record start (here the end of the file); the last record was lost without a count."""
    p = tmp_path / "one.warc.gz"
    p.write_bytes(gzip.compress(b"".join(records[:n])))
    docs, q, counters = read(p)
    assert not q and {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:n])}


def test_junk_then_a_member_as_long_as_the_one_before(shared_data, tmp_path):
    """Per-record gzip, junk after a request record's member; two members on, another request
    record of the same length. A member's end is where its own trailer is (CRC and size), not
    where a later member's size happens to match: the members between were lost uncounted."""
    raw = (shared_data / "warc" / "pywb_example.warc.gz").read_bytes()
    members = []
    while raw:
        d = zlib.decompressobj(31)
        recs = d.decompress(raw)
        members.append((raw[:len(raw) - len(d.unused_data)], recs))
        raw = d.unused_data
    assert len(members[2][1]) == len(members[4][1]) and members[2][1] != members[4][1]
    p = tmp_path / "junk.warc.gz"
    p.write_bytes(b"".join(m for m, _ in members[:3]) + b"junk\r\n" * 20 + b"".join(m for m, _ in members[3:]))
    clean = tmp_path / "clean.warc.gz"
    clean.write_bytes(b"".join(m for m, _ in members))
    docs, q, counters = read(p)
    docs0, q0, counters0 = read(clean)
    assert q == {"garbage_between_records": 1} and not q0 and counters == counters0
    assert [d.id for d in docs] == [d.id for d in docs0]


def test_last_member_with_its_gzip_header_zeroed(records, intact, tmp_path):
    """NULs over a last member from its third byte: no gzip member starts there any more; those
    bytes are junk and counted, also when the scanner reads past them in more than one chunk."""
    members = [gzip.compress(r) for r in records[:10]]
    members[9] = members[9][:2] + bytes(len(members[9]) - 2)
    p = tmp_path / "zeroed.warc.gz"
    p.write_bytes(b"".join(members))
    docs, q, counters = read(p)
    assert q == {"garbage_between_records": 1}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:9])}


def test_crlf_separator_then_a_damaged_version_line(shared_data, tmp_path):
    """Uncompressed, a writer that ends records with one CRLF (node-warc), and a record whose
    `WARC/1.1` line is damaged: the record before it ends as declared, the damaged one is
    counted, not swallowed into its neighbour."""
    path = shared_data / "warc" / "node-warc_books.toscrape.warc"
    with open(path, "rb") as f:
        it = ArchiveIterator(f)
        starts = [it.get_record_offset() for _ in it]
    raw = path.read_bytes()
    recs = [raw[a:b] for a, b in zip(starts, starts[1:] + [len(raw)])][:12]
    head = recs[3].index(b"\r\n\r\n") + 4
    assert len(recs[3]) - head - int(re.search(rb"Content-Length: (\d+)", recs[3]).group(1)) == 2   # one CRLF
    clean = write(tmp_path, "clean", recs, gz=False)
    recs[4] = recs[4].replace(b"WARC/1.1", b"WARC\xd41.1", 1)
    docs, q, counters = read(write(tmp_path, "bad", recs, gz=False))
    docs0, q0, counters0 = read(clean)
    assert q == {"garbage_between_records": 1} and "length_mismatch" not in counters
    assert accounted(docs, q, counters) == accounted(docs0, q0, counters0)


def test_nuls_over_a_header_end_and_into_the_page(shared_data, tmp_path):
    """Uncompressed: NULs from inside a header line into the page. FastWARC takes the page's
    lines up to a blank one as header lines (`WARC-Warcin\\0...\\0="Content-type" ...: ...`) and
    reads Content-Length bytes from there, over the next records; such a name is damage."""
    raw = (shared_data / "warc" / "pywb_example.warc.gz").read_bytes()
    recs = []
    while raw:
        d = zlib.decompressobj(31)
        recs.append(d.decompress(raw))
        raw = d.unused_data
    clean = write(tmp_path, "clean", recs, gz=False)
    at = recs[1].index(b"WARC-Warcinfo-ID") + 11
    recs[1] = recs[1][:at] + bytes(512) + recs[1][at + 512:]
    docs, q, counters = read(write(tmp_path, "nul", recs, gz=False))
    docs0, q0, counters0 = read(clean)
    assert sum(q.values()) == 1 and accounted(docs, q, counters) == accounted(docs0, q0, counters0)


@pytest.mark.parametrize("cut", [1, 3, 4, 7, 10, 17, 18, 19])
def test_file_cut_in_the_first_bytes_of_a_member(records, intact, tmp_path, cut):
    """The file ends a few bytes into a gzip member (inside its header): never an exception;
    the members before are read and the cut one is counted."""
    members = [gzip.compress(r) for r in records[:4]]
    p = tmp_path / "cut.warc.gz"
    p.write_bytes(b"".join(members[:3]) + members[3][:cut])
    docs, q, counters = read(p)
    assert sum(q.values()) == 1 and set(q) <= {"truncated_gzip", "garbage_between_records"}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:3])}


def test_junk_then_a_copy_of_the_member_before_it(records, intact, tmp_path):
    """Per-record gzip: a member, junk, other members, then a copy of the first member. The copy's
    trailer (CRC and size) is the first one's too; the first ends where zlib says it ends."""
    members = [gzip.compress(r) for r in records[:8]]
    p = tmp_path / "copy.warc.gz"
    p.write_bytes(members[2] + b"junk\r\n" * 30 + members[3] + members[4] + members[2] + b"".join(members[5:8]))
    docs, q, counters = read(p)
    assert q == {"garbage_between_records": 1}
    assert sorted(d.id.partition("#")[0] for d in docs) == sorted(ids_of([records[k] for k in (2, 3, 4, 2, 5, 6, 7)]))


def test_wrong_length_landing_on_the_next_records_header_end(records, intact, tmp_path):
    """Uncompressed: a Content-Length too long by exactly the separator and the next record's
    WARC header, so that CRLF CRLF stands where the block is said to end. The next record is
    inside the declared block after a separator: the first ends there, both are read."""
    recs = list(records[:8])
    recs[3] = set_length(recs[3], 4 + recs[4].index(b"\r\n\r\n"))
    docs, q, counters = read(write(tmp_path, "land", recs, gz=False))
    assert not q and counters["length_mismatch"] == 1
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:8])}


@pytest.mark.parametrize("gz", [False, True], ids=["uncompressed", "one-member"])
def test_each_record_with_a_broken_header_is_counted(records, intact, tmp_path, gz):
    """Three records in a row whose Content-Length is not a number: each is one quarantine item
    (the scanner skips to the next valid header and counts the WARC lines it passes over)."""
    recs = list(records[:9])
    for k in (3, 4, 5):
        recs[k] = re.sub(rb"Content-Length: \d+", b"Content-Length: abc", recs[k], count=1)
    p = write(tmp_path, "broken", recs, gz=False)
    if gz:
        p = tmp_path / "broken.warc.gz"
        p.write_bytes(gzip.compress(b"".join(recs)))
    docs, q, counters = read(p)
    assert q == {"malformed_record": 3}
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids_of(records[1:3] + records[6:9])}


def test_nuls_to_the_end_of_a_record_before_lf_only_headers(records, intact, tmp_path):
    """Uncompressed: NULs from inside a record's header to its end, then a record with LF-only
    header lines. FastWARC reads the second header's lines into the first record's values (no
    WARC-Record-ID, NULs in a value): damage, and the second record is read by the scanner."""
    recs = list(records[:8])
    at = recs[3].index(b"WARC-Target-URI") + 20
    recs[3] = recs[3][:at] + bytes(len(recs[3]) - at)
    recs[4] = lf_only(recs[4])
    docs, q, counters = read(write(tmp_path, "nul", recs, gz=False))
    out = {d.id: d.html_str for d in docs}
    assert sum(q.values()) >= 1
    assert out == {i: intact[i] for i in ids_of(records[1:3] + records[4:8])}


@pytest.mark.parametrize("gz", [True, False])
def test_folded_warc_type_and_an_http_block_typed_as_the_page(records, intact, tmp_path, gz):
    """A header value folded onto the next line (`WARC-Type:` CRLF SP `response`, which JHOVE's
    valid fixtures use) is the value without its leading space; a response whose WARC Content-Type
    names the page's type (text/html, as WARC/0.17 writers did) still holds an HTTP message: the
    page is what follows its head."""
    recs = list(records[:6])
    recs[2] = recs[2].replace(b"WARC-Type: response\r\n", b"WARC-Type:\r\n response\r\n", 1)
    recs[3] = re.sub(rb"\r\nContent-Type: application/http[^\r\n]*", b"\r\nContent-Type: text/html", recs[3], 1)
    assert recs[2] != records[2] and recs[3] != records[3]
    docs, q, counters = read(write(tmp_path, "folded", recs, gz))
    ids = [re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in records[1:6]]
    assert not q and {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids}
    assert all(not d.html_str.startswith("HTTP/") for d in docs)


@pytest.mark.parametrize("member, compression", [("archive/data.warc.gz", "stored"), ("archive/data.warc", "deflated")])
def test_wacz_reads_its_warcs_and_nothing_else(records, intact, tmp_path, member, compression):
    """A WACZ (Browsertrix's output: a zip of archive/*.warc[.gz], indexes and page lists): every
    record of its WARCs, none of its index bytes as damage; a zip without a WARC says so."""
    import zipfile
    recs = list(records[:8])
    data = b"".join(gzip.compress(r) for r in recs) if member.endswith(".gz") else b"".join(recs)
    p = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("indexes/index.cdx.gz", gzip.compress(b"com,example)/ 20200101 {}\n"), zipfile.ZIP_STORED)
        z.writestr(member, data, zipfile.ZIP_STORED if compression == "stored" else zipfile.ZIP_DEFLATED)
        z.writestr("pages/pages.jsonl", b'{"url": "http://example.com/"}\n', zipfile.ZIP_DEFLATED)
        z.writestr("datapackage.json", b"{}", zipfile.ZIP_DEFLATED)
    docs, q, counters = read(p)
    ids = [re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in recs[1:]]
    assert not q and counters == {"skipped_warcinfo": 1} and {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids}
    empty = tmp_path / "notes.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", b"no crawl here")
    docs, q, counters = read(empty)
    assert not docs and q == {"not_a_warc": 1}


def test_a_damaged_record_inside_a_wacz_costs_that_record_only(records, intact, tmp_path):
    """The zip's CRC covers a whole WARC member and fails at its end, after every record: that
    error lost them all (0 of 7 pages). The WARC's own checks find the one damaged record."""
    import zipfile
    recs = list(records[:8])
    members = [gzip.compress(r) for r in recs]
    p = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.warc.gz", b"".join(members), zipfile.ZIP_STORED)
    data = bytearray(p.read_bytes())                # damaged after the zip was written: its CRC fails
    at = data.index(members[4]) + len(members[4]) // 2               # inside record 4's compressed page
    data[at:at + 8] = bytes(b ^ 0xFF for b in data[at:at + 8])
    p.write_bytes(data)
    docs, q, counters = read(p)
    ids = [re.search(rb"WARC-Record-ID: <urn:uuid:([^>]+)>", r).group(1).decode() for r in recs[1:]]
    assert sum(q.values()) == 1 and "reader_error" not in q
    assert {d.id: d.html_str for d in docs} == {i: intact[i] for i in ids[:3] + ids[4:]}


@pytest.mark.parametrize("gz", [True, False])
def test_the_first_segment_of_a_segmented_record_is_no_whole_page(records, intact, tmp_path, gz):
    """WARC's segmentation: a response cut into a first segment and `continuation` records. The
    pieces are not joined; the first is quarantined instead of passing for a whole page."""
    recs = list(records[:5])
    recs[2] = recs[2].replace(b"WARC-Type: response\r\n", b"WARC-Type: response\r\nWARC-Segment-Number: 1\r\n", 1)
    cont = (b"WARC/1.0\r\nWARC-Type: continuation\r\nWARC-Segment-Number: 2\r\n"
            b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\nContent-Length: 4\r\n\r\ntail\r\n\r\n")
    recs.insert(3, cont)
    docs, q, counters = read(write(tmp_path, "segmented", recs, gz))
    assert q == {"segmented_record": 1} and counters["skipped_continuation"] == 1 and len(docs) == 3


@pytest.mark.parametrize("zeros", [4096, 1 << 20])
def test_a_zeroed_block_loses_only_the_records_it_touches(shared_data, tmp_path, zeros):
    """A block of zeros inside a member (a sparse or interrupted download): zeros inflate as
    back-references, megabytes of garbage before zlib sees the damage, enough to fill the record
    whose member it is. That record came out as a page (its text changed from the damage on, no
    flag) beside the member's damage item; now the item stands for it. Every record in a member
    the zeros do not touch is read as it was."""
    raw = (shared_data / "warc" / "sample_pages.warc.gz").read_bytes()
    starts, pos = [], 0
    while pos < len(raw):
        starts.append(pos)
        d = zlib.decompressobj(wbits=31)
        d.decompress(raw[pos:])
        pos = len(raw) - len(d.unused_data)
    spans = list(zip(starts, starts[1:] + [len(raw)]))
    before = {d.id: d.html_str for d in read(shared_data / "warc" / "sample_pages.warc.gz")[0]}
    large = [s for s in spans if s[1] - s[0] > 30_000]
    for a, b in large[len(large) // 2::max(1, len(large) // 8)]:        # pages across the file
        for frac in (0.2, 0.5):
            cut = a + int((b - a) * frac)
            path = tmp_path / f"zeroed-{a}-{frac}.warc.gz"
            path.write_bytes(raw[:cut] + bytes(zeros) + raw[cut + zeros:])
            docs, q, _ = read(path)
            got = {d.id: d.html_str for d in docs}
            assert all(got[i] == before[i] for i in got), f"a damaged record passed for a page ({a}, {frac})"
            untouched = read_members(raw, [s for s in spans if s[1] <= cut or s[0] >= cut + zeros])
            assert set(got) == {d.id for d in untouched} and q["corrupt_gzip"] + q["truncated_gzip"] >= 1


def read_members(raw: bytes, spans) -> list:
    """The documents of the given gzip members of `raw`, read on their own."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "members.warc.gz"
        p.write_bytes(b"".join(raw[a:b] for a, b in spans))
        return read(p)[0]


@pytest.mark.parametrize("body", [b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>Not Found</body></html>",
                                  b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>',
                                  b'{"error": "quota exceeded"}'])
def test_an_error_page_saved_as_a_warc_says_how_it_begins(tmp_path, body):
    """An error page saved under a WARC's name was one `garbage_between_records` item, "153 trailing
    bytes are not gzip", with no sample: nothing said the file was no WARC at all."""
    p = tmp_path / "crawl.warc.gz"
    p.write_bytes(body)
    docs, q, _ = read(p)
    assert not docs and q == {"not_warc": 1}
    src = SourceConfig(name="s", format="warc", paths=[str(p)])
    (item,) = list(src.reader.read(str(p), src, ReadState()))
    assert f"{p}: not a WARC file: it begins {body[:60].decode()!r}" in item.detail and item.sample == body
