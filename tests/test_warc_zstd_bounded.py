"""A `.warc.zst` decodes a bounded piece at a time, however far its frames expand.

zstd's decoder has no output limit: a few KB of a frame can stand for hundreds of MB (a page of
one repeated byte), and WarcZstdStream gave all of it from one decoder call, so a worker held it
whole (a decompression bomb) before the WARC reader could quarantine the record as too_large.
Inputs are built here, bombs with a streaming compressor so that no test holds them whole.
"""
import hashlib
import io
import json
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.readers.warc_zstd import WarcZstdStream
from pipeline.recipe import SourceConfig
from tests.test_ingest_zoo import gzip_members

REPO = Path(__file__).resolve().parents[1]
CALL = 8 << 20                      # decompressed bytes one decoder call may give at most
HTTP = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
SMALL_PAGE = HTTP + b"<html><head><title>Small</title></head><body><p>" + \
    b"An ordinary page with a few words in it. " * 40 + b"</p></body></html>"


def warc_head(n: int, length: int) -> bytes:
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
            f"WARC-Target-URI: http://site{n}.example/\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n").encode()


def small_record(n: int) -> bytes:
    return warc_head(n, len(SMALL_PAGE)) + SMALL_PAGE + b"\r\n\r\n"


def bomb_frame(out, mb: int, cctx=None, head: bytes = b"", sized: bool = False):
    """Write one frame of a response record whose page is `head` then `mb` MiB of b"A" to `out`
    (1 MiB at a time); the record's decompressed bytes are hashed into the returned sha256."""
    page = HTTP + head
    record_head = warc_head(1, len(page) + (mb << 20))
    total = len(record_head) + len(page) + (mb << 20) + 4
    co = (cctx or zstandard.ZstdCompressor(level=3)).compressobj(size=total if sized else -1)
    digest, chunk = hashlib.sha256(), b"A" * (1 << 20)
    for piece in [record_head + page, *[chunk] * mb, b"\r\n\r\n"]:
        digest.update(piece)
        out.write(co.compress(piece))
    out.write(co.flush())
    return digest


def dictionary_frame(d: zstandard.ZstdCompressionDict) -> bytes:
    return struct.pack("<II", 0x184D2A5D, len(d.as_bytes())) + d.as_bytes()


def read_all(stream, size: int = 64 << 20):
    """The stream's bytes hashed, their count, the largest piece one readinto gave (readinto hands
    out at most what one decoder call gave), and the last 4 KB."""
    digest, n, largest, tail, buf = hashlib.sha256(), 0, 0, b"", bytearray(size)
    while got := stream.readinto(buf):
        digest.update(memoryview(buf)[:got])
        n, largest, tail = n + got, max(largest, got), (tail + bytes(buf[max(0, got - 4096):got]))[-4096:]
    return digest, n, largest, tail


# -- 1. a 400 MB page, read through the real reader, in a process of its own ---------------------
CHILD = """
import json, resource, sys
from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
from pipeline.recipe import SourceConfig

def read(path):
    src = SourceConfig(name="s", format="warc", paths=[path])
    return [(i.reason if isinstance(i, Quarantined) else "doc", getattr(i, "id", None))
            for i in read_source_file(src, path, ReadState()) if isinstance(i, (Doc, Quarantined))]

read(sys.argv[2])                                # imports and first-use allocations, not counted
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
items = read(sys.argv[1])
print(json.dumps({"growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, "items": items}))
"""


def test_a_400_mb_page_in_a_few_kb_of_zstd_is_read_in_bounded_memory(tmp_path):
    """Before: the frame came out whole from one decoder call (~810 MB peak growth here)."""
    bomb = tmp_path / "bomb.warc.zst"
    with open(bomb, "wb") as f:
        bomb_frame(f, 400)
        f.write(zstandard.ZstdCompressor().compress(small_record(2)))
    assert bomb.stat().st_size < 64 << 10
    warm = tmp_path / "warm.warc.zst"
    warm.write_bytes(zstandard.ZstdCompressor().compress(small_record(3)))
    done = subprocess.run([sys.executable, "-c", CHILD, str(bomb), str(warm)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["items"] == [["too_large", "s/00000000-0000-0000-0000-000000000001"],
                            ["doc", "s/00000000-0000-0000-0000-000000000002"]]
    assert got["growth_mb"] < 150, got


def test_a_too_large_record_is_quarantined_as_in_an_uncompressed_warc(tmp_path):
    """Over max_doc_bytes: too_large with the same detail and sample as the plain .warc gives."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        digest = bomb_frame(f, 1)
    plain = warc_head(1, len(HTTP) + (1 << 20)) + HTTP + b"A" * (1 << 20) + b"\r\n\r\n"
    assert hashlib.sha256(plain).digest() == digest.digest()
    c = zstandard.ZstdCompressor()
    got = {}
    for name, data in (("p.warc", plain + small_record(2)),
                       ("p.warc.zst", big.read_bytes() + c.compress(small_record(2)))):
        p = tmp_path / name
        p.write_bytes(data)
        src = SourceConfig(name="s", format="warc", paths=[str(p)], max_doc_bytes=1 << 19)
        got[name] = [(i.reason, i.detail, i.offset, i.id, i.size, i.sample) if isinstance(i, Quarantined)
                     else (i.id, i.html_str) for i in read_source_file(src, str(p), ReadState())]
    assert got["p.warc"][0][0] == "too_large" and len(got["p.warc"]) == 2
    assert got["p.warc.zst"] == got["p.warc"]


# -- 2. every decoder call, whatever the frame's header holds -------------------------------------
@pytest.fixture(scope="module")
def dictionary(shared_data):
    return zstandard.train_dictionary(8192, gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 61))


@pytest.mark.parametrize("flavour", ["streamed", "sized", "level19-checksum", "dictionary", "incompressible-head"])
def test_every_decoder_call_gives_at_most_8_mib(flavour, dictionary):
    """Frame headers with and without content size, checksum and dictionary id; and a page whose
    first 256 KB do not compress (a feed sized by the ratio so far would take the rest in one)."""
    kw = {"level19-checksum": dict(level=19, write_checksum=True), "dictionary": dict(dict_data=dictionary)}
    head = random.Random(0).randbytes(256 << 10) if flavour == "incompressible-head" else b""
    out = io.BytesIO()
    if flavour == "dictionary":
        out.write(dictionary_frame(dictionary))
    digest = bomb_frame(out, 64, zstandard.ZstdCompressor(**kw.get(flavour, {})), head, sized=flavour == "sized")
    out.write(zstandard.ZstdCompressor(**kw.get(flavour, {})).compress(small_record(2)))
    assert len(out.getvalue()) < (300 << 10) + len(head)
    digest.update(small_record(2))
    got, n, largest, _ = read_all(WarcZstdStream(io.BytesIO(out.getvalue()), "bomb.warc.zst"))
    assert largest <= CALL, f"{largest >> 20} MiB from one call"
    assert got.digest() == digest.digest() and n > 64 << 20


@pytest.mark.parametrize("damage", ["checksum", "cut"])
def test_a_damaged_or_cut_bomb_frame_is_marked_and_reading_goes_on(damage):
    """The frame's pieces come out bounded up to the damage, then the marker, then the next frame."""
    out = io.BytesIO()
    bomb_frame(out, 64, zstandard.ZstdCompressor(level=3, write_checksum=True))
    frame = bytearray(out.getvalue())
    if damage == "checksum":
        frame[-1] ^= 0x55
        blob = bytes(frame) + zstandard.ZstdCompressor().compress(small_record(2))
    else:
        blob = bytes(frame[:len(frame) // 2])
    _, n, largest, tail = read_all(WarcZstdStream(io.BytesIO(blob), "bomb.warc.zst"))
    assert largest <= CALL and n < (64 << 20) + 4096
    if damage == "checksum":
        assert b"[WARC-zstd damage at compressed offset 0 of bomb.warc.zst" in tail
        assert tail.endswith(small_record(2))
    else:
        assert tail.endswith(b"of bomb.warc.zst: the file ends inside a frame]\r\n\r\n")


# -- 3. ordinary files: the same bytes and documents as before ------------------------------------
@pytest.mark.parametrize("dict_frame", [None, "raw", "compressed"])
def test_ordinary_warc_zstd_reads_byte_for_byte(shared_data, tmp_path, dictionary, dict_frame):
    """Frames of every kind the writers make (one-shot with content size, single-segment for small
    records, streamed without it, with checksums, skippable frames between) read in reads of any
    size give exactly the records, and the reader's documents are those of the plain WARC."""
    records = gzip_members(shared_data / "warc" / "sample_pages.warc.gz", 120)
    rng = random.Random(len(dict_frame or ""))
    frames, kw = [], {}
    if dict_frame:
        kw["dict_data"] = dictionary
        payload = dictionary.as_bytes()
        if dict_frame == "compressed":
            payload = zstandard.ZstdCompressor().compress(payload)
        frames.append(struct.pack("<II", 0x184D2A5D, len(payload)) + payload)
    for r in records:
        c = zstandard.ZstdCompressor(level=rng.choice([1, 3, 19]), write_checksum=rng.random() < .5, **kw)
        if rng.random() < .3:
            co = c.compressobj()
            frames.append(co.compress(r) + co.flush())
        else:
            frames.append(c.compress(r))
        if rng.random() < .05:
            frames.append(struct.pack("<II", 0x184D2A50 + rng.randrange(16), 5) + b"skip!")
    blob = b"".join(frames)
    for sizes in ([1 << 16], [1, 7, 4096, 1 << 20]):
        stream, pieces, buf = WarcZstdStream(io.BytesIO(blob)), [], bytearray(1 << 20)
        for k in range(10 ** 9):
            got = stream.readinto(memoryview(buf)[:sizes[k % len(sizes)]])
            if not got:
                break
            pieces.append(bytes(buf[:got]))
        assert b"".join(pieces) == b"".join(records)
    docs = {}
    for name, data in (("p.warc", b"".join(records)), ("p.warc.zst", blob)):
        p = tmp_path / name
        p.write_bytes(data)
        src = SourceConfig(name="s", format="warc", paths=[str(p)])
        items = list(read_source_file(src, str(p), ReadState()))
        docs[name] = [(i.id, i.html_str) for i in items if isinstance(i, Doc)]
        assert not [i for i in items if isinstance(i, Quarantined)]
    assert len(docs["p.warc"]) > 100 and docs["p.warc.zst"] == docs["p.warc"]


@pytest.mark.parametrize("head", ["incompressible", "after-ordinary-frame"])
def test_the_row_readers_zstd_stream_is_bounded_the_same_way(head):
    """DecompressedStream (JSON Lines, dumps, text) counts blocks as WarcZstdStream does: its feed
    had been sized by the last piece's ratio, which a frame's incompressible first bytes, or an
    ordinary frame before the bomb, made large enough for hundreds of MB from one call."""
    from pipeline.readers.decompress import DecompressedStream
    rnd = random.Random(1)
    words = " ".join(rnd.choice(["alpha", "beta", "gamma", "delta", "lorem", "ipsum"]) for _ in range(200_000))
    first = words.encode() if head == "after-ordinary-frame" else b""
    start = rnd.randbytes(256 << 10) if head == "incompressible" else b""
    out = io.BytesIO()
    if first:
        out.write(zstandard.ZstdCompressor(level=3).compress(first))
    co, digest = zstandard.ZstdCompressor(level=3).compressobj(), hashlib.sha256(first)
    for piece in [start, *[b"A" * (1 << 20)] * 64]:
        digest.update(piece)
        out.write(co.compress(piece))
    out.write(co.flush())
    assert len(out.getvalue()) < (2 << 20) + len(start)
    got, n, largest, _ = read_all(DecompressedStream(io.BytesIO(out.getvalue()), "zstd", "bomb.jsonl.zst"))
    assert largest <= CALL, f"{largest >> 20} MiB from one call"
    assert got.digest() == digest.digest() and n == len(first) + len(start) + (64 << 20)
