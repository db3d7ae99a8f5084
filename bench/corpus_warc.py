"""WARC files of a given size built from the real pages in shared/data, for scale runs without a download.

Every HTML response record of the sample WARCs (sample_pages: 166 news/blog pages; dolma: 22 home
pages) is re-emitted round-robin, each copy with its own WARC-Record-ID and target URI
(`?copy=N` appended), one gzip member per record, until the file reaches the requested size.
Copies repeat the page content, so dedup stages remove them: use `--unique` to stop after one
pass when a benchmark must not measure dedup on copies.

    python -m bench.corpus_warc --mb 200 --out /tmp/big.warc.gz
"""
from __future__ import annotations

import argparse
import gzip
import uuid
import zlib
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = ["warc/sample_pages.warc.gz", "warc/dolma_sample-0000.warc.gz"]


def _members(path: Path):
    raw = path.read_bytes()
    pos = 0
    while pos < len(raw):
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(raw[pos:])
        pos = len(raw) - len(d.unused_data)
        yield out


def html_records(shared: Path = SHARED) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, block) of every response record whose HTTP content type is HTML."""
    recs = []
    for rel in SOURCES:
        for rec in _members(shared / rel):
            head, _, block = rec.partition(b"\r\n\r\n")
            lines = head.decode("utf-8", "replace").split("\r\n")
            hdr = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            if hdr.get("WARC-Type") != "response":
                continue
            block = block[: int(hdr["Content-Length"])]
            http_head = block.split(b"\r\n\r\n", 1)[0].lower()
            if b"text/html" in http_head or b"xhtml" in http_head:
                recs.append((hdr, block))
    return recs


def write_warc(out: Path, mb: float, unique: bool = False, seed: int = 0) -> dict:
    recs = html_records()
    target = int(mb * 1e6)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = size = 0
    rng = uuid.UUID(int=seed)
    with open(out, "wb") as f:
        while size < target and not (unique and n >= len(recs)):
            hdr, block = recs[n % len(recs)]
            copy = n // len(recs)
            uri = hdr.get("WARC-Target-URI", "http://unknown.invalid/")
            uri = uri if copy == 0 else f"{uri}{'&' if '?' in uri else '?'}copy={copy}"
            rid = uuid.uuid5(rng, f"{n}")
            head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\n"
                    f"WARC-Date: {hdr.get('WARC-Date', '2024-01-01T00:00:00Z')}\r\nWARC-Target-URI: {uri}\r\n"
                    f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n")
            member = gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6, mtime=0)
            f.write(member)
            size += len(member)
            n += 1
    return {"path": str(out), "records": n, "bytes": size, "distinct_pages": min(n, len(recs))}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, required=True, help="compressed size to reach")
    p.add_argument("--out", required=True)
    p.add_argument("--unique", action="store_true", help="one copy of each page at most")
    a = p.parse_args(argv)
    print(write_warc(Path(a.out), a.mb, a.unique))


if __name__ == "__main__":
    main()
