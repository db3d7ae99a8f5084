"""Damaged compressed input (decompress.DecompressedStream, base.read_whole/open_decompressed).

Every input is built here from generated rows: a complete .gz with one trailing byte or a cut-off
next header (junk, not truncation), multi-member/multistream files with a damaged member (the
stream reads on at the next member; a whole-file document with a hole is quarantined), members cut
mid-line (the hole does not glue two rows), a file compressed twice, xz stream padding, and the
output bound kept past a resync.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
import re

import pytest
import zstandard

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.readers.base import read_whole
from pipeline.readers.decompress import OUT, CorruptStream, DecompressedStream, JunkAfterStream
from pipeline.recipe import SourceConfig

WORDS = ("river stone lamp orchard quiet marble ledger harbor violet copper meadow signal "
         "thunder pocket lantern cedar window basket").split()


def rows(first: int, n: int, seed: int = 0) -> bytes:
    rng = random.Random(seed + first)
    return b"".join(json.dumps({"id": f"r{i}", "text": " ".join(rng.choices(WORDS, k=rng.randint(20, 400)))}
                               ).encode() + b"\n" for i in range(first, first + n))


def compress(codec: str, data: bytes) -> bytes:
    if codec == "gzip":
        return gzip.compress(data, mtime=0)
    if codec == "bz2":
        return bz2.compress(data)
    if codec == "xz":
        return lzma.compress(data)
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


EXT = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zstd": ".zst"}


def flip(member: bytes) -> bytes:
    b = bytearray(member)
    for i in range(len(b) // 2, len(b) // 2 + 6):
        b[i] ^= 0x55
    return bytes(b)


def drain(blob: bytes, codec: str = "gzip"):
    """(every byte the stream gives, the error it ends with or None, the stream)."""
    s = DecompressedStream(io.BytesIO(blob), codec, "x")
    out = bytearray()
    try:
        while chunk := s.read(1 << 16):
            out += chunk
    except CorruptStream as e:
        return bytes(out), e, s
    return bytes(out), None, s


def read(path, fmt: str = "jsonl", **opts):
    src = SourceConfig(name="s", format=fmt, paths=[str(path)], **opts)
    state = ReadState()
    items = list(read_source_file(src, str(path), state))
    return ([i for i in items if isinstance(i, Doc)], [i for i in items if isinstance(i, Quarantined)],
            state.counters)


# -- 1. bytes after a complete member, too few to be one: junk, the content kept ---------------------
@pytest.mark.parametrize("tail", [b"\n", b"\x00", b"\x1f\x8b", b"\x1f\x8b\x08\x00\x00"])
def test_bytes_too_few_for_a_member_after_a_complete_gz_are_junk_not_truncation(tmp_path, tail):
    text = rows(0, 30)
    out, err, _ = drain(compress("gzip", text) + tail)
    assert out == text and type(err) is JunkAfterStream and "truncated" not in str(err)
    path = tmp_path / "book.txt.gz"                  # a whole-file document keeps its text, counted
    path.write_bytes(compress("gzip", text) + tail)
    docs, q, counters = read(path, "text")
    assert [d.text_str for d in docs] == [text.decode()] and not q
    assert counters == {"junk_after_compressed_data": 1}


def test_a_trailing_newline_after_a_streamed_files_last_member_is_counted_not_quarantined(tmp_path, shared_data):
    """Row and dump readers read to the junk and keep going: a counter, as whole-file readers
    count it, not a corrupt_compression item after every row was read."""
    cases = {"rows.jsonl.gz": ("jsonl", rows(0, 12), {}),
             "lines.txt.gz": ("text", b"one line\nanother line\n", {"documents": "line"}),
             "Posts.xml.gz": ("stackexchange", gzip.decompress(
                 (shared_data / "sources/qa/coffee.stackexchange.com/Posts.xml.gz").read_bytes()), {}),
             "wiki.xml.gz": ("mediawiki", bz2.decompress(
                 (shared_data / "sources/wiki/enwiki-table-markup.xml.bz2").read_bytes()), {})}
    for name, (fmt, body, opts) in cases.items():
        (tmp_path / "intact").mkdir(exist_ok=True)
        intact, junk = tmp_path / "intact" / name, tmp_path / name
        intact.write_bytes(compress("gzip", body))
        junk.write_bytes(compress("gzip", body) + b"\n")
        want, got = read(intact, fmt, **opts), read(junk, fmt, **opts)
        assert want[0] and not want[1] and not got[1], (name, got[1][:1])
        assert [d.text for d in want[0]] == [d.text for d in got[0]], name
        assert got[2] == {**want[2], "junk_after_compressed_data": 1}, name


# -- 2. a damaged member between good ones is a hole: a whole-file document is quarantined -----------
DAMAGES = {
    "flipped": lambda m: flip(m),
    "truncated": lambda m: m[:len(m) // 2],
    "garbage_before": lambda m: b"GARBAGE!" * 5 + m,
    "header_lost": lambda m: m[10:],
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_middle_member_quarantines_a_whole_file_document(tmp_path, damage):
    parts = [rows(0, 20), rows(20, 20), rows(40, 20)]
    members = [compress("gzip", p) for p in parts]
    members[1] = DAMAGES[damage](members[1])
    path = tmp_path / "book.txt.gz"
    path.write_bytes(b"".join(members))
    docs, q, counters = read(path, "text")
    assert not docs and [i.reason for i in q] == ["corrupt_compression"]
    assert "junk_after_compressed_data" not in counters                      # was: kept cut, only counted
    start = len(members[0])
    assert f"compressed byte {start} " in q[0].detail and "decoded bytes" in q[0].detail
    resumed = start + (40 if damage == "garbage_before" else len(members[1]))   # the next intact member
    assert f"read on at compressed byte {resumed}" in q[0].detail
    got = read_whole(SourceConfig(name="s", format="text", paths=[str(path)]), str(path), ReadState())
    assert isinstance(got, Quarantined) and got.reason == "corrupt_compression"


def test_a_damaged_last_member_that_decodes_nothing_is_no_junk(tmp_path):
    # a small member is decoded in one call, and a call that fails gives nothing: it still is a
    # member (magic, longer than a header), damaged, not junk to be dropped with the content kept
    members = [compress("gzip", rows(0, 20)), flip(compress("gzip", rows(20, 5)))]
    out, err, _ = drain(b"".join(members))
    assert out == rows(0, 20) and type(err) is CorruptStream and "corrupt gzip member" in str(err)
    path = tmp_path / "book.txt.gz"
    path.write_bytes(b"".join(members))
    docs, q, counters = read(path, "text")
    assert not docs and [i.reason for i in q] == ["corrupt_compression"] and not counters


# -- 3/4. row readers read on after a damaged member, of every codec --------------------------------
@pytest.mark.parametrize("codec", ["gzip", "bz2", "xz", "zstd"])
@pytest.mark.parametrize("victim", [0, 1])
def test_rows_after_a_damaged_member_are_read(tmp_path, codec, victim):
    parts = [rows(0, 40), rows(40, 40), rows(80, 40)]
    members = [compress(codec, p) for p in parts]
    members[victim] = flip(members[victim])          # the first: a multistream dump's siteinfo stream
    blob = b"".join(members)
    out, err, stream = drain(blob, codec)
    assert type(err) is CorruptStream and "damaged" in str(err) and "\n" not in str(err)
    assert out.endswith(parts[2]) and (victim == 0 or out.startswith(parts[0]))
    [(at, _, resumed)] = stream.damage
    assert at == sum(map(len, members[:victim])) and resumed == sum(map(len, members[:victim + 1]))
    path = tmp_path / f"rows.jsonl{EXT[codec]}"
    path.write_bytes(blob)
    docs, q, _ = read(path, id_field="id")
    ids = {d.id for d in docs}
    intact = {f"s/r{i}" for k, p in enumerate(parts) if k != victim for i in range(40 * k, 40 * k + 40)}
    assert intact <= ids                                                      # was: every later member lost
    assert "corrupt_compression" in [i.reason for i in q]


def test_a_hole_inside_a_line_does_not_glue_the_rows_around_it(tmp_path):
    # members cut mid-line (as bgzip and split-then-compressed files are): the hole is told by a
    # newline, so the two cut rows fail alone and the intact rows after the hole come out
    data = rows(0, 90)
    cuts = [len(data) // 3 + 17, 2 * len(data) // 3 + 5]
    parts = [data[:cuts[0]], data[cuts[0]:cuts[1]], data[cuts[1]:]]
    members = [compress("gzip", p) for p in parts]
    members[1] = members[1][:25]                     # cut off: decodes a few bytes at most
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(b"".join(members))
    docs, q, _ = read(path, id_field="id")
    whole = [json.loads(line)["id"] for line in data.splitlines()]
    first_cut = data[:cuts[0]].count(b"\n")          # the row the hole starts in
    last_cut = data[:cuts[1]].count(b"\n")           # the row it ends in
    kept = whole[:first_cut] + whole[last_cut + 1:]
    assert [d.id for d in docs] == [f"s/{i}" for i in kept]
    reasons = sorted(i.reason for i in q)
    assert reasons == ["bad_json", "bad_json", "corrupt_compression"]


def test_garbage_between_two_good_members_is_a_hole_not_junk():
    a, b = rows(0, 10), rows(10, 10)
    out, err, s = drain(compress("gzip", a) + b"\x00" * 300 + compress("gzip", b))
    assert out == a + b and type(err) is CorruptStream and len(s.damage) == 1


# -- 5. compressed twice ----------------------------------------------------------------------------
@pytest.mark.parametrize("inner", ["gzip", "bz2", "zstd"])
def test_a_file_compressed_twice_is_decompressed_again(tmp_path, inner):
    data = rows(0, 25)
    path = tmp_path / "twice.jsonl.gz"
    path.write_bytes(compress("gzip", compress(inner, data)))
    docs, q, counters = read(path, id_field="id")
    assert [d.id for d in docs] == [f"s/r{i}" for i in range(25)] and not q     # was: bad_encoding a line
    assert counters["compressed_twice"] == 1
    book = tmp_path / "book.txt.gz"
    book.write_bytes(compress("gzip", compress(inner, data)) + b"\n")      # junk after the outer stream
    docs, q, counters = read(book, "text")
    assert [d.text_str for d in docs] == [data.decode()] and not q
    assert counters == {"compressed_twice": 1, "junk_after_compressed_data": 1}


def test_a_truncated_outer_stream_of_a_file_compressed_twice_is_corrupt(tmp_path):
    blob = compress("gzip", compress("gzip", rows(0, 200)))
    path = tmp_path / "twice.txt.gz"
    path.write_bytes(blob[:len(blob) * 2 // 3])
    docs, q, counters = read(path, "text")
    assert not docs and [i.reason for i in q] == ["corrupt_compression"] and "truncated" in q[0].detail
    assert counters == {"compressed_twice": 1}


# -- xz stream padding is the format's own -------------------------------------------------------
def test_xz_stream_padding_between_streams_is_no_damage():
    a, b = rows(0, 10), rows(10, 10)
    out, err, s = drain(compress("xz", a) + b"\x00" * 8 + compress("xz", b), "xz")
    assert out == a + b and err is None and not s.damage


# -- the output bound holds past a resync (a decompression bomb after a damaged member) -------------
def test_output_per_read_stays_bounded_after_a_resync():
    bomb = gzip.compress(b"\x00" * (40 << 20), compresslevel=9, mtime=0)
    s = DecompressedStream(io.BytesIO(flip(compress("gzip", rows(0, 30))) + bomb), "gzip", "x")
    buf, total = bytearray(64 << 20), 0
    with pytest.raises(CorruptStream):
        while n := s.readinto(buf):
            assert n <= OUT
            total += n
    assert total >= 40 << 20                         # the bomb's member was read, piece by piece


# -- 4. a multistream MediaWiki dump whose first stream is damaged keeps the later streams' pages --
def test_a_multistream_dump_reads_on_after_a_damaged_first_stream(tmp_path, shared_data):
    xml = bz2.decompress((shared_data / "sources" / "wiki" / "enwiki-pages-articles-sample.xml.bz2").read_bytes())
    pages = re.findall(rb"  <page>.*?</page>\n", xml, re.S)
    cut = xml.index(pages[len(pages) // 2])         # as Wikipedia's multistream: streams end between pages
    second = {int(re.search(rb"<id>(\d+)</id>", p).group(1)) for p in pages[len(pages) // 2:]}
    clean = tmp_path / "clean.xml.bz2"
    clean.write_bytes(bz2.compress(xml[:cut]) + bz2.compress(xml[cut:]))
    path = tmp_path / "damaged.xml.bz2"
    path.write_bytes(flip(bz2.compress(xml[:cut])) + bz2.compress(xml[cut:]))
    expected = {d.metadata["page_id"]: d.text_str for d in read(clean, "mediawiki")[0]
                if int(d.metadata["page_id"]) in second}
    docs, q, counters = read(path, "mediawiki")
    assert expected and expected.items() <= {d.metadata["page_id"]: d.text_str for d in docs}.items()
    assert "corrupt_compression" in [i.reason for i in q]                  # was: no page at all, one item


def test_a_zstd_file_written_with_long_31_is_read(tmp_path):
    """`zstd --long=31` (Pushshift's Reddit dumps) declares a 2 GiB window when streamed: the
    default decoder limit (128 MiB) refused the file whole as corrupt_compression."""
    data = rows(0, 200)
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True, write_content_size=False)
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(out, closefd=False) as w:
        w.write(data)
    assert zstandard.get_frame_parameters(out.getvalue()).window_size == 1 << 31
    path = tmp_path / "RC_2023-01.zst"
    path.write_bytes(out.getvalue())
    docs, quarantined, _ = read(path, id_field="id")
    assert not quarantined and [d.id for d in docs] == [f"s/r{i}" for i in range(200)]


# -- 5. zeroed blocks (a sparse file, an interrupted download or copy) ----------------------------------
def zeroed(blob: bytes, at: int, n: int) -> bytes:
    return blob[:at] + bytes(n) + blob[at + n:]


@pytest.mark.parametrize("n", [4096, 64 << 10])
def test_a_zeroed_block_gives_no_garbage_rows(tmp_path, n):
    """Deflate inflates zeros as back-references: a single-member .jsonl.gz with a block zeroed in
    its middle gave the rows before it, then thousands of earlier rows repeated and glued (the
    checksum failing only at the end). Now the rows before the zeros, and not one row more."""
    data = rows(0, 800)
    blob = compress("gzip", data)
    at = len(blob) // 2
    out, error, _ = drain(zeroed(blob, at, n))
    assert data.startswith(out) and len(out) > len(data) // 4
    assert error is not None and f"zero bytes from compressed byte {at}" in str(error)
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(zeroed(blob, at, n))
    docs, q, _ = read(path, "jsonl")
    originals = {json.loads(line)["text"] for line in data.splitlines()}
    assert docs and all(d.text_str in originals for d in docs)
    assert len(docs) == out.count(b"\n") and [i.reason for i in q] == ["corrupt_compression"]


@pytest.mark.parametrize("more", [0, 1 << 20])
def test_a_file_whose_tail_is_zeros_gives_no_garbage(more):
    """A preallocated file whose download stopped: its end is zeros, which the decoder turned into
    more garbage than probation holds."""
    data = rows(0, 800)
    blob = compress("gzip", data)
    at = len(blob) // 3
    out, error, _ = drain(blob[:at] + bytes(len(blob) - at + more))
    assert data.startswith(out) and out and f"zero bytes from compressed byte {at}" in str(error)
    assert ("to the end of the file" in str(error)) == (not more)


def test_a_zeroed_block_in_one_member_loses_that_member_only():
    """bgzip, pigz and concatenated parts: the member with the zeros is a hole (what it gave
    before them, then a newline where the hole cuts a line), the members after it are read."""
    parts = [rows(i * 50, 50) for i in range(6)]
    members = [compress("gzip", p) for p in parts]
    members[2] = zeroed(members[2], len(members[2]) // 3, 4096)
    out, error, s = drain(b"".join(members))
    head, tail = b"".join(parts[:2]), b"".join(parts[3:])
    assert out.startswith(head) and out.endswith(tail) and error is not None and len(s.damage) == 1
    hole = out[len(head):len(out) - len(tail)]
    assert hole and parts[2].startswith(hole.removesuffix(b"\n")) and len(hole) < len(parts[2])


@pytest.mark.parametrize("codec", ["gzip", "zstd", "xz", "bz2"])
def test_zeros_a_codec_wrote_itself_are_no_damage(codec):
    """A long run of one byte (a tar's zero-filled file) packs into zero bytes too: the member is
    held until its checksum says it is whole, then given as ever, a piece a read."""
    data = rows(0, 20) + bytes(40 << 20) + rows(20, 20) + b"a" * (20 << 20) + rows(40, 20)
    blob = compress(codec, data)
    s = DecompressedStream(io.BytesIO(blob), codec, "x")
    buf, out = bytearray(64 << 20), bytearray()
    while n := s.readinto(buf):
        assert n <= max(OUT, 8 << 20)                  # (zstd's step is ~8 MiB at most)
        out += buf[:n]
    assert bytes(out) == data
