"""Gold pages the repository does not hold: the benchmarks' other pages, fetched by you.

`../shared/data` carries a sample of three extraction benchmarks (60 of scrapinghub's 181 pages,
40 of magic-html's 261, trafilatura's 106 cache pages) and CleanEval's 58 development pages. The
rest of each is a held-out set of the same kind. The pages are their publishers' copyright, so they
stay out of the repository; the rows run where you cloned them:

    git clone https://github.com/scrapinghub/article-extraction-benchmark
    git clone https://github.com/opendatalab/magic-html
    git clone https://github.com/j-szulc/html-cleaning-dataset-merged   # CleanEval final, Dragnet, ...
    SCRAPINGHUB_BENCHMARK=article-extraction-benchmark MAGIC_HTML=magic-html \
        HTML_CLEANING_DATASETS=html-cleaning-dataset-merged python -m bench --only extract

Per set (the pages in `../shared/data` left out):
- the reader: each page as a WARC response without a charset (warcio writes it), read by our
  reader; pages that raw `trafilatura.extract(bytes)` extracts and our reader loses, and pages
  whose extraction from our decoded HTML is not raw trafilatura's;
- the `extract` stage: token F1 against the gold of each engine next to bare trafilatura's.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from bench.bench_extract import SHARED, token_f1


def scrapinghub_pages(repo: Path) -> list[dict]:
    gold = json.loads((repo / "ground-truth.json").read_text())
    shared = {p.name for p in (SHARED / "html" / "scrapinghub" / "html").iterdir()}
    pages = []
    for p in sorted((repo / "html").glob("*.html.gz")):
        if p.name not in shared:
            page_id = p.name.split(".")[0]
            pages.append(dict(id=page_id, url=gold[page_id].get("url"), raw=gzip.decompress(p.read_bytes()),
                              gold=gold[page_id]["articleBody"]))
    return pages


def magic_html_pages(repo: Path, kind: str) -> list[dict]:
    root = repo / "benchmark" / "data" / kind
    gold = json.loads((root / "base.json").read_text())
    shared = {p.name.split(".")[0] for p in (SHARED / "zh" / "html" / "magic_html" / "html").iterdir()}
    return [dict(id=p.stem, url=gold[p.stem]["url"], raw=p.read_bytes(), gold=gold[p.stem]["content"])
            for p in sorted((root / "htmls").glob("*.html")) if p.stem not in shared and p.stem in gold]


# The HTML-cleaning sets of j-szulc/html-cleaning-dataset-merged (CleanEval's final test set, Dragnet,
# Google News (page-signal), CleanPortalEval, a Readability set): input/<id>.html, GoldStandard/<id>.txt
# (CleanEval's gold marks blocks with <p>, <h>, <l> and opens with a URL line). Its cleaneval-dev is
# the set ../shared/data holds.
CLEANING_SETS = ("cleaneval-final", "dragnet_data", "page-signal-master", "CleanPortalEval-master", "readability")
_TAG = re.compile(r"<[^>]{0,200}>")


def cleaning_pages(root: Path) -> list[dict]:
    pages = []
    for p in sorted((root / "input").glob("*.html")):
        gold = root / "GoldStandard" / f"{p.stem}.txt"
        if gold.is_file():
            text = gold.read_text("utf-8", "replace")
            text = text.split("\n", 1)[-1] if text.startswith("URL:") else text
            pages.append(dict(id=p.stem, url=None, raw=p.read_bytes(), gold=" ".join(_TAG.sub(" ", text).split())))
    return pages


def held_out_sets() -> dict[str, list[dict]]:
    sets = {}
    if (root := os.environ.get("SCRAPINGHUB_BENCHMARK")) and Path(root, "ground-truth.json").is_file():
        sets["scrapinghub"] = scrapinghub_pages(Path(root))
    if (root := os.environ.get("MAGIC_HTML")) and Path(root, "benchmark", "data").is_dir():
        for kind in ("article", "forum"):
            sets[f"magic-html {kind}"] = magic_html_pages(Path(root), kind)
    if (root := os.environ.get("HTML_CLEANING_DATASETS")) and Path(root).is_dir():
        for name in CLEANING_SETS:
            if (Path(root) / name / "input").is_dir():
                sets[name] = cleaning_pages(Path(root) / name)
    return {k: v for k, v in sets.items() if v}


def read_through_warc(pages: list[dict]) -> tuple[dict[str, str], int]:
    """Each page's HTML as our WARC reader hands it on, and the records it did not account for."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter
    from pipeline.readers import Doc, Quarantined, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "pages.warc.gz")
        with open(path, "wb") as f:
            w = WARCWriter(f, gzip=True)
            for p in pages:
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(p["raw"])))],
                                        protocol="HTTP/1.1")
                w.write_record(w.create_warc_record(f"http://held.out/{p['id']}", "response",
                                                    payload=io.BytesIO(p["raw"]), http_headers=http))
        src = SourceConfig(name="gold", format="warc", paths=[path])
        state = ReadState()
        items = list(read_source_file(src, path, state))
    html = {i.url.rsplit("/", 1)[1]: i.html_str for i in items if isinstance(i, Doc)}
    counted = len(html) + sum(isinstance(i, Quarantined) for i in items) + \
        sum(v for k, v in state.counters.items() if k.startswith("skipped_"))
    return html, len(pages) - counted


def rows(quick: bool = False) -> list[dict]:
    sets = held_out_sets()
    if not sets:
        return []
    import trafilatura
    from pipeline.documents import documents_table
    from stages.extract import Extract
    engines = {e: Extract(engine=e).ensure_setup() for e in ("trafilatura", "auto", "resiliparse")}
    out = []
    for name, pages in sets.items():
        html, unaccounted = read_through_warc(pages)
        raw = {p["id"]: trafilatura.extract(p["raw"]) or "" for p in pages}
        ours = {p["id"]: (trafilatura.extract(html[p["id"]]) or "") if p["id"] in html else "" for p in pages}
        lost = sum(1 for i in raw if raw[i] and not ours[i])
        same = sum(raw[i] == ours[i] for i in raw)
        bare = statistics.fmean(token_f1(raw[p["id"]], p["gold"]) for p in pages)
        out.append(dict(what=f"gold pages not in the repository, {name}: trafilatura on our decoded HTML vs raw "
                             f"extract(bytes)", ours=statistics.fmean(token_f1(ours[p["id"]], p["gold"]) for p in pages),
                        baseline=bare, unit="token F1",
                        notes=f"{len(pages)} pages; raw extracts that our reader loses: {lost}; extractions equal to "
                              f"raw trafilatura's: {same}; records not accounted for: {unaccounted}; see "
                              f"bench/gold_heldout.py"))
        for p in pages:
            p["html"] = html.get(p["id"], "")
        table = documents_table([dict(id=p["id"], source="gold", url=p["url"], html=p["html"]) for p in pages])
        for engine, stage in engines.items():
            kept = stage(table).kept
            texts = dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))
            fell_back = kept.column("extract_engine").to_pylist().count("trafilatura") if engine == "auto" else None
            f1 = statistics.fmean(token_f1(texts.get(p["id"]), p["gold"]) for p in pages)
            out.append(dict(what=f"gold pages not in the repository, {name}: extract engine={engine} vs bare "
                                 f"trafilatura", ours=f1, baseline=bare, unit="token F1",
                            notes=f"{len(pages)} pages; F1 minus bare trafilatura's {f1 - bare:+.3f}"
                                  + (f"; {fell_back} fell back to trafilatura" if fell_back is not None else "")
                                  + "; see bench/gold_heldout.py"))
    return out


if __name__ == "__main__":
    for row in rows():
        print(f"{row['what']}: {row['ours']:.3f} vs {row['baseline']:.3f}; {row['notes']}")
