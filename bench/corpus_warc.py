"""WARC files of a given size built from the real pages in shared/data, for scale runs without a download.

Every HTML response record of the sample WARCs (sample_pages: 166 news/blog pages; dolma: 22 home
pages) is re-emitted round-robin, each copy with its own WARC-Record-ID and target URI
(`?copy=N` appended), one gzip member per record, until the file reaches the requested size.
Copies repeat the page content, so dedup stages remove them: use `--unique` to stop after one
pass when a benchmark must not measure dedup on copies. `--gold` adds the real pages of the gold
extraction sets (CleanEval, Readability, and the Chinese/Japanese sets under zh/html) as response
records with a plain `200 OK` text/html head, plus the HTML responses of two more sample WARCs
(IANA, UK Web Archive): 363 distinct pages before the first copy.

    python -m bench.corpus_warc --mb 200 --out /tmp/big.warc.gz
"""
from __future__ import annotations

import argparse
import gzip
import lzma
import uuid
import zlib
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = ["warc/sample_pages.warc.gz", "warc/dolma_sample-0000.warc.gz"]
EXTRA_SOURCES = ["warc/pywb_iana.warc.gz", "warc/ukwa_IAH-urls-wget.warc.gz"]    # with --gold


def _members(path: Path):
    raw = path.read_bytes()
    pos = 0
    while pos < len(raw):
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(raw[pos:])
        pos = len(raw) - len(d.unused_data)
        yield out


def html_records(shared: Path = SHARED, sources: list[str] = SOURCES) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, block) of every response record whose HTTP content type is HTML."""
    recs = []
    for rel in sources:
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


# Real pages of the gold sets (no WARC of their own): (glob under SHARED, URL prefix).
GOLD_PAGES = [("html/cleaneval_dev/input/*.html.gz", "http://cleaneval.invalid/"),
              ("html/readability/*/source.html.gz", "http://readability.invalid/"),
              ("zh/html/magic_html/html/*", "http://magic-html.invalid/"),
              ("zh/html/newspaper4k/html/*", "http://newspaper4k.invalid/"),
              ("zh/html/twnews/samples/*", "http://twnews.invalid/"),
              ("zh/html/trafilatura/pages/*", "http://trafilatura-zh.invalid/")]


def gold_records(shared: Path = SHARED) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, HTTP block) for every page of the gold sets, bytes as stored."""
    recs = []
    for pattern, prefix in GOLD_PAGES:
        for path in sorted(shared.glob(pattern)):
            body = path.read_bytes()
            if path.suffix == ".gz":
                body = gzip.decompress(body)
            elif path.suffix == ".xz":
                body = lzma.decompress(body)
            rel = path.relative_to(shared).as_posix()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
            recs.append(({"WARC-Target-URI": prefix + rel}, head.encode() + body))
    return recs


def write_warc(out: Path, mb: float | None = None, unique: bool = False, seed: int = 0, gold: bool = False,
               records: int | None = None) -> dict:
    """Write until `mb` of compressed WARC or `records` records (whichever is given)."""
    recs = html_records() + (html_records(sources=EXTRA_SOURCES) + gold_records() if gold else [])
    target = int(mb * 1e6) if mb is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    n = size = 0
    rng = uuid.UUID(int=seed)
    with open(out, "wb") as f:
        while (size < target if target is not None else n < records) and not (unique and n >= len(recs)):
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
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--mb", type=float, help="compressed size to reach")
    size.add_argument("--records", type=int, help="number of records to write")
    p.add_argument("--out", required=True)
    p.add_argument("--unique", action="store_true", help="one copy of each page at most")
    p.add_argument("--gold", action="store_true", help="add the gold sets' pages (more distinct pages)")
    a = p.parse_args(argv)
    print(write_warc(Path(a.out), a.mb, a.unique, gold=a.gold, records=a.records))


if __name__ == "__main__":
    main()
