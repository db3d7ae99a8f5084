"""Rebuild the bundled sample data from ../shared/data (run from the repo root).

Only permissively licensed items are copied; see README.md beside this file for attribution.
"""
import gzip
import json
import shutil
import uuid
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
OUT = Path(__file__).resolve().parent


def warc_response(url: str, body: bytes, date: str = "2024-01-01T00:00:00Z") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    rid = uuid.uuid5(uuid.NAMESPACE_URL, url)
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\nWARC-Date: {date}\r\n"
            f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode()
    return gzip.compress(head + http + b"\r\n\r\n", mtime=0)


def main() -> None:
    (OUT / "web").mkdir(exist_ok=True)
    shutil.copyfile(SHARED / "warc" / "sample_pages.warc.gz", OUT / "web" / "sample_pages.warc.gz")
    # Chinese and Japanese pages of the magic-html benchmark (Apache-2.0), packed as a WARC.
    mh = SHARED / "zh" / "html" / "magic_html"
    truth = json.loads((mh / "ground-truth.json").read_text())
    (OUT / "zh").mkdir(exist_ok=True)
    with open(OUT / "zh" / "zh_pages.warc.gz", "wb") as f:
        for pid in sorted(truth):
            f.write(warc_response(truth[pid]["url"], gzip.decompress((mh / "html" / f"{pid}.html.gz").read_bytes())))
    # CLUECorpusSmall sample (Apache-2.0 / MIT): the first 800 documents as JSONL.
    lines = gzip.decompress((SHARED / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz").read_bytes()).decode().splitlines()
    rows = [json.dumps({"id": f"clue-{i:05d}", "text": t}, ensure_ascii=False) for i, t in enumerate(lines[:800]) if t.strip()]
    (OUT / "zh" / "clue_sample.jsonl.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0))
    (OUT / "cc").mkdir(exist_ok=True)
    for p in sorted((SHARED / "text").glob("ccnet_cc_en_head-*.jsonl.gz")):
        shutil.copyfile(p, OUT / "cc" / p.name)
    # Sources beside the web (recipes/multisource.yaml), copied unmodified; licences in README.md.
    src, dst = SHARED / "sources", OUT / "sources"
    for rel in ["wiki/enwiki-pages-articles-sample.xml.bz2",
                "books/gutenberg/pg10026.raw.txt.gz", "books/gutenberg/pg1013.raw.txt.gz",
                "books/gutenberg/pg33956.raw.txt.gz",
                *(f"qa/blender.meta.stackexchange_fixture/{n}.xml" for n in ("Posts", "Comments")),
                "qa/coffee.stackexchange.com/Posts.xml.gz",
                *(str(p.relative_to(src)) for p in sorted((src / "code").rglob("*"))
                  if p.is_file() and p.name != "metadata.jsonl"),
                *(str(p.relative_to(src)) for paper in ("sympy-paper", "scipy-1.0")
                  for p in sorted((src / "papers" / paper).glob("*.tex")))]:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dst / rel)


if __name__ == "__main__":
    main()
