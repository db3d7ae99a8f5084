"""Records FastWARC frames whose Content-Length runs over the whole next record(s).

FastWARC frames by length and skips line breaks before a header, so a length that ends in or at
the next record's CRLF CRLF gave no error: the next record came out inside this one's block,
neither read nor counted (fuzz seeds 524345, 537369, 567164). Built at test time from real
records of ../shared/data/warc; more cases in tests/test_ingest_zoo.py (the scanner's side).
"""
import gzip
import re
import zlib
from collections import Counter

import pytest

from pipeline.readers import Doc, Quarantined, ReadState
from pipeline.readers.warc import WarcRecord, iter_warc
from pipeline.recipe import SourceConfig

AT = 5                                    # the damaged record (the records after it are pages too)


@pytest.fixture(scope="module")
def records(shared_data):
    """warcinfo + 11 pages, each record's decompressed bytes (header, block, CRLF CRLF)."""
    raw, out = (shared_data / "warc" / "sample_pages.warc.gz").read_bytes(), []
    while raw and len(out) < 12:
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(raw))
        raw = d.unused_data
    return out


def read(path):
    src = SourceConfig(name="s", format="warc", paths=[str(path)])
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    docs = {d.id: d for d in items if isinstance(d, Doc)}
    return docs, Counter(i.reason for i in items if isinstance(i, Quarantined)), state.counters


def write(tmp_path, name: str, recs: list[bytes], packing: str):
    if packing == "uncompressed":
        data = b"".join(recs)
    elif packing == "gzip-per-record":
        # junk after the second member stops the per-member phase: FastWARC reads the rest
        members = [gzip.compress(r) for r in recs]
        data = b"".join(members[:2]) + b"junk between members\r\n" + b"".join(members[2:])
    else:                                 # several records to a member, the damage inside one
        data = b"".join(gzip.compress(b"".join(recs[a:b])) for a, b in ((0, 4), (4, 9), (9, len(recs))))
    p = tmp_path / (name + (".warc" if packing == "uncompressed" else ".warc.gz"))
    p.write_bytes(data)
    return p


def over_next(recs: list[bytes], n: int, gap: int) -> list[bytes]:
    """recs with record AT's Content-Length running over the next n records whole, up to `gap`
    bytes before the last one's end (its CRLF CRLF: 0 takes all of it, 4 none)."""
    out = list(recs)
    head, _, _ = out[AT].partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1)) + 4 + sum(map(len, out[AT + 1:AT + 1 + n]))
    out[AT] = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % (length - gap), out[AT], count=1)
    return out


def check(tmp_path, records, packing: str, n: int, gap: int):
    junk = {"garbage_between_records": 1} if packing == "gzip-per-record" else {}
    clean, q0, _ = read(write(tmp_path, "clean", records, packing))
    assert len(clean) == len(records) - 1 and q0 == junk
    path = write(tmp_path, "damaged", over_next(records, n, gap), packing)
    docs, q, counters = read(path)
    # every page is read, each as in the clean file, the damaged record's too (it ends where
    # the first record inside begins, or with its member), and it alone is counted
    assert {k: d.html_str for k, d in docs.items()} == {k: d.html_str for k, d in clean.items()}
    assert counters["length_mismatch"] == 1
    assert [d.metadata.get("flags") for d in docs.values() if d.metadata.get("flags")] == [["length_mismatch"]]
    assert q == junk
    framed = [r for r in iter_warc(str(path), 1 << 30) if isinstance(r, WarcRecord)]
    ids = [r.headers["warc-record-id"] for r in framed]
    assert sorted(ids) == sorted(re.search(rb"WARC-Record-ID: ([^\r]+)", r).group(1).decode() for r in records)
    assert [r.length_mismatch for r in framed].count(True) == 1


@pytest.mark.parametrize("packing", ["uncompressed", "gzip-per-record", "gzip-several-per-member"])
@pytest.mark.parametrize("gap", [0, 2, 3])
def test_a_length_over_the_whole_next_record_does_not_swallow_it(records, tmp_path, packing, gap):
    check(tmp_path, records, packing, 1, gap)


def test_a_length_into_a_later_gzip_member_ends_with_its_own(records, tmp_path):
    """One record a member: a block that runs over two members and ends at the second one's block
    (its CRLF CRLF then where this record's belongs) looks regular, but the member before the next
    record is too small to hold it."""
    check(tmp_path, records, "gzip-per-record", 2, 4)


def test_compression_is_read_from_the_bytes_not_the_name(records, tmp_path):
    """A gzip WARC named .warc.zst and a zstd one named .warc.gz are read as what they are; a
    bzip2 or xz WARC (no WARC tool writes one) is one quarantine item naming the compression,
    not 'data outside any record'."""
    import bz2
    import lzma

    import zstandard
    clean, _, _ = read(write(tmp_path, "clean", records, "uncompressed"))
    assert len(clean) == 11
    gz_as_zst = tmp_path / "a.warc.zst"
    gz_as_zst.write_bytes(b"".join(gzip.compress(r) for r in records))
    zst_as_gz = tmp_path / "b.warc.gz"
    zst_as_gz.write_bytes(b"".join(zstandard.ZstdCompressor().compress(r) for r in records))
    for p in (gz_as_zst, zst_as_gz):
        docs, quarantined, _ = read(p)
        assert sorted(d.html for d in docs.values()) == sorted(d.html for d in clean.values()) and not quarantined, p
    for name, compress in (("bzip2", bz2.compress), ("xz", lzma.compress)):
        p = tmp_path / f"c.warc.{name}"
        p.write_bytes(compress(b"".join(records)))
        src = SourceConfig(name="s", format="warc", paths=[str(p)])
        (item,) = list(src.reader.read(str(p), src, ReadState()))
        assert isinstance(item, Quarantined) and item.reason == "unsupported_compression" and name in item.detail
