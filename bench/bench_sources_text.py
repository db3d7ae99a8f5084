"""Text-source readers, one core: Wikipedia pages/s and Gutenberg books/s against the bare libraries
on the same input, alternating runs, medians of repeats.

- Wikipedia: our `mediawiki` reader (bz2, page framing, lxml, wikitext to clean text) on the enwiki
  dump sample vs the bare minimum with the same libraries: bz2 + `xml.etree.ElementTree.iterparse`
  (elements cleared) + `mwparserfromhell.parse` of every article's wikitext (no text produced).
- Gutenberg: our `gutenberg` reader (gunzip, decode, header/footer/credits/TOC stripped) on the
  seven sample books vs a plain `gzip.open(...).read().decode()` of the same files.

    python -m bench.bench_sources_text [--quick]
"""
from __future__ import annotations

import argparse
import bz2
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "sources"


def _reader_items(fmt: str, paths: list[Path], **opts) -> int:
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    src = SourceConfig(name="bench", format=fmt, paths=[str(p) for p in paths], **opts)
    n = 0
    for p in paths:
        n += sum(isinstance(i, Doc) for i in read_source_file(src, str(p), ReadState()))
    return n


def bare_wikipedia(path: Path) -> int:
    """Pages of the dump, each article's wikitext parsed by mwparserfromhell."""
    import mwparserfromhell
    pages = 0
    with bz2.open(path) as f:
        for _, el in ET.iterparse(f):
            if el.tag.endswith("}page"):
                ns = el.findtext("{*}ns")
                text = el.findtext("{*}revision/{*}text") or ""
                if ns == "0" and el.find("{*}redirect") is None:
                    mwparserfromhell.parse(text)
                pages += 1
                el.clear()
    return pages


def bare_gutenberg(paths: list[Path]) -> int:
    import gzip
    for p in paths:
        gzip.open(p).read().decode("utf-8")
    return len(paths)


def _alternate(ours, base, repeats: int) -> tuple[float, float]:
    ours_t, base_t = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        base()
        base_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours()
        ours_t.append(time.perf_counter() - t0)
    return statistics.median(ours_t), statistics.median(base_t)


def _dump_subset(path: Path, n_pages: int, out: Path) -> Path:
    """The dump's header and first n pages, as a new .bz2 (quick mode)."""
    xml = bz2.decompress(path.read_bytes())
    end = 0
    for _ in range(n_pages):
        end = xml.index(b"</page>", end) + len(b"</page>")
    out.write_bytes(bz2.compress(xml[:end] + b"\n</mediawiki>\n"))
    return out


def run(quick: bool = False) -> list[dict]:
    rows = []
    dump = SHARED / "wiki" / "enwiki-pages-articles-sample.xml.bz2"
    with tempfile.TemporaryDirectory() as tmp:
        if quick:
            dump = _dump_subset(dump, 80, Path(tmp) / "subset.xml.bz2")
        pages = bare_wikipedia(dump)
        docs = _reader_items("mediawiki", [dump])        # warm imports and caches
        o, b = _alternate(lambda: _reader_items("mediawiki", [dump]), lambda: bare_wikipedia(dump),
                          2 if quick else 5)
        rows.append({"what": f"mediawiki reader: enwiki dump sample ({pages} pages, {docs} articles kept)",
                     "ours": round(pages / o, 2), "baseline": round(pages / b, 2), "ratio": round(b / o, 3),
                     "unit": "pages/s (1 core)",
                     "notes": "baseline = bz2 + ElementTree iterparse + mwparserfromhell.parse per article, no text "
                              "out; ours also renders clean text but cuts citations/tables before the parse"})
    books = sorted((SHARED / "books" / "gutenberg").glob("pg*.raw.txt.gz"))
    batch = books * (2 if quick else 6)
    _reader_items("gutenberg", books)
    o, b = _alternate(lambda: _reader_items("gutenberg", batch), lambda: bare_gutenberg(batch), 3 if quick else 7)
    rows.append({"what": f"gutenberg reader: {len(books)} sample eBooks x{len(batch) // len(books)}",
                 "ours": round(len(batch) / o, 1), "baseline": round(len(batch) / b, 1), "ratio": round(b / o, 3),
                 "unit": "books/s (1 core)",
                 "notes": "baseline = gzip read + UTF-8 decode; ours strips header, footer, credits, TOC"})
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    for r in run(ap.parse_args().quick):
        print(r)
