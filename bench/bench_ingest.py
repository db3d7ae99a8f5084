"""Ingest: what the reader keeps of real gold pages, and how fast it reads real WARCs.

Quality, per gold set in ../shared/data (CleanEval dev, scrapinghub, trafilatura, magic-html):
trafilatura on the HTML our reader decodes vs raw `trafilatura.extract(bytes)` (which does its own
charset guessing) - token F1 against the human gold (snippet accuracy for the trafilatura set,
which has snippets, not full texts), and the pages raw trafilatura extracts that our reader loses
(must be 0).

Speed, on the real per-record-gzip sample WARC (166 pages), in the same run, alternated, medians
of CPU time (this process, pinned to one core; every variant starts from the file, none keeps state
between runs):
- reading and decoding in MB/s of compressed WARC vs FastWARC's bare iteration over the same file
  (goal >= 0.8x). "Ours" is everything needed to have every page as validated UTF-8 text ready for
  the next stage, as the runner's ingest does it: our WARC reader (framing, WARC and HTTP checks,
  HTTP heads, transfer/content encodings, charset: UTF-8 validated in place or transcoded) and the
  Arrow document table built from its documents as ingest builds it (`DocColumns`, from the
  reader's batches where it has them: `Reader.read_batches`; the html column a string column). The baseline is the fastest (by median) of FastWARC's own ways to iterate and hand over
  every response body as bytes: through fsspec (its default), its own local I/O
  (`fsspec_args=False`, what our reader uses), and that with `record_types=response, inplace=True`;
  no HTTP parsing, no text;
- where our time goes, step by step (each step includes the ones before): FastWARC alone, our
  framing with HTTP heads (`iter_warc`), the whole reader (WARC/HTTP checks, encodings, charset),
  and the document table;
- the floor for any reader that hands out a Python str per page: FastWARC's iteration plus a bare
  `bytes.decode` of every response body (no HTTP head parsing, no checks, no table);
- the same whole ingest with pages as str (decode_html, as before pages became bytes);
- the same whole ingest (reader + document table) vs the reader before issue #14 (commit 6e055d9,
  loaded from git, its str pages put into the same table).
"""
from __future__ import annotations

import gzip
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OLD_COMMIT = "6e055d9"


def _cleaneval() -> list[dict]:
    root = SHARED / "html/cleaneval_dev"
    out = []
    for g in sorted((root / "gold").glob("*.txt")):
        gold = g.read_text(encoding="utf-8", errors="replace").split("\n", 1)[1]
        gold = re.sub(r"<[phl]>", " ", gold)
        out.append(dict(id=g.stem, raw=gzip.open(root / "input" / f"{g.stem}.html.gz").read(), gold=gold))
    return out


def _scrapinghub() -> list[dict]:
    root = SHARED / "html/scrapinghub"
    gt = json.loads((root / "ground-truth.json").read_text())
    return [dict(id=k, raw=gzip.open(root / "html" / f"{k}.html.gz").read(), gold=v["articleBody"])
            for k, v in sorted(gt.items())]


def _trafilatura() -> list[dict]:
    root = SHARED / "html/trafilatura"
    ev = json.loads((root / "evaldata.json").read_text())
    out = []
    for k, v in sorted(ev.items()):
        p = root / "pages" / (v["file"] + ".gz")
        if p.exists():
            out.append(dict(id=k, raw=gzip.open(p).read(), with_=v.get("with", []), without=v.get("without", [])))
    return out


def _magic_html() -> list[dict]:
    root = SHARED / "zh/html/magic_html"
    gt = json.loads((root / "ground-truth.json").read_text())
    return [dict(id=k, raw=gzip.open(root / "html" / f"{k}.html.gz").read(), gold=v["content"])
            for k, v in sorted(gt.items())]


def _snippet_score(text: str | None, page: dict) -> float:
    t = " ".join((text or "").split())
    checks = [" ".join(s.split()) in t for s in page["with_"]] + \
             [" ".join(s.split()) not in t for s in page["without"]]
    return sum(checks) / max(1, len(checks))


def _ours_html(raw: bytes) -> str | None:
    """The page as our reader hands it on (UTF-8 bytes), as the text the extractor reads."""
    from pipeline.readers.decode import decode_html_utf8
    utf8 = decode_html_utf8(raw)[0]
    return None if utf8 is None else utf8.decode("utf-8")


def quality_rows(quick: bool) -> list[dict]:
    import trafilatura

    from bench.bench_extract import token_f1
    rows = []
    sets = [("CleanEval dev", _cleaneval()), ("scrapinghub", _scrapinghub()),
            ("trafilatura (snippets)", _trafilatura()), ("magic-html zh/ja", _magic_html())]
    _old_reader()
    old_decode = importlib.import_module("old_readers.decode").decode_html
    for name, pages in sets:
        if quick:
            pages = pages[::3]
        ours_scores, raw_scores, before_scores, lost, lost_before = [], [], [], [], 0
        for p in pages:
            raw_text = trafilatura.extract(p["raw"])
            html = _ours_html(p["raw"])
            ours_text = trafilatura.extract(html) if html is not None else None
            old_html = old_decode(p["raw"])[0]
            before_text = ours_text if old_html == html else trafilatura.extract(old_html) if old_html else None
            if raw_text and html is None:
                lost.append(p["id"])
            lost_before += bool(raw_text and old_html is None)
            score = (lambda t: token_f1(t, p["gold"])) if "gold" in p else (lambda t: _snippet_score(t, p))
            ours_scores.append(score(ours_text))
            raw_scores.append(score(raw_text))
            before_scores.append(score(before_text))
        ours, base = statistics.fmean(ours_scores), statistics.fmean(raw_scores)
        unit = "token F1" if "gold" in pages[0] else "snippet accuracy"
        rows.append(dict(what=f"gold pages {name}: trafilatura on our decoded HTML vs raw extract(bytes)",
                         ours=round(ours, 3), baseline=round(base, 3), ratio=ours / base if base else None,
                         unit=unit, notes=f"{len(pages)} pages; pages raw extracts that our reader loses: "
                                          f"{len(lost)}{' ' + str(lost[:5]) if lost else ''}; reader before #14: "
                                          f"{statistics.fmean(before_scores):.3f}, {lost_before} pages lost"))
    return rows


def _old_reader():
    """The WARC reader as of OLD_COMMIT, loaded from git into a temporary package."""
    tmp = Path(tempfile.mkdtemp(prefix="old_readers_"))
    pkg = tmp / "old_readers"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for mod in ("warc", "decode", "web"):
        src = subprocess.run(["git", "show", f"{OLD_COMMIT}:pipeline/readers/{mod}.py"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
        src = src.replace("pipeline.readers.warc", "old_readers.warc").replace(
            "pipeline.readers.decode", "old_readers.decode")
        (pkg / f"{mod}.py").write_text(src)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("old_readers.web")


def _ingest_table(src, items):
    """The document table of one file's reader items, built as the runner's ingest builds it
    (columns, batches as they come: pipeline.documents.DocColumns)."""
    from pipeline.documents import DocColumns
    from pipeline.readers import Doc, DocBatch
    cols = DocColumns(src.name)
    for item in items:
        if isinstance(item, DocBatch):
            cols.extend(item)
        elif isinstance(item, Doc):
            cols.add(item)
    return cols.table()


def speed_rows(quick: bool) -> list[dict]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from pipeline.readers import Doc, DocBatch, ReadState, read_source_file
    import pipeline.readers.web as web
    from pipeline.readers.charsets import is_utf8
    from pipeline.readers.decode import decode_html, decode_html_utf8
    from pipeline.readers.warc import iter_warc
    from pipeline.recipe import SourceConfig

    path = str(SHARED / "warc/sample_pages.warc.gz")
    mb = Path(path).stat().st_size / 1e6
    src = SourceConfig(name="b", format="warc", paths=[path])
    old = _old_reader()
    old_opts = old.WarcReader()

    def table(items):
        """The document table, as the runner's ingest builds it."""
        return _ingest_table(src, items)

    def ours(batches=True):
        return table(read_source_file(src, path, ReadState(), batches=batches)).num_rows

    def reader():
        return sum(len(d) if isinstance(d, DocBatch) else 1
                   for d in read_source_file(src, path, ReadState(), batches=True))

    def ours_str():
        """The same reader handing pages on as str (decode_html), as before pages became bytes
        (its per-record path: the batch path validates UTF-8 itself)."""
        web.decode_html_utf8 = lambda body, declared, url=None: decode_html(body, declared, url=url)
        try:
            return ours(batches=False)
        finally:
            web.decode_html_utf8 = decode_html_utf8

    def fastwarc(**kw):
        def iterate():
            n = 0
            for r in ArchiveIterator(path, parse_http=False, **kw):
                n += len(r.reader.read())
            return n
        return iterate

    def fastwarc_decode():
        n = 0
        for r in ArchiveIterator(path, parse_http=False, fsspec_args=False, record_types=WarcRecordType.response):
            body = r.reader.read()
            try:
                n += len(body.decode("utf-8"))
            except UnicodeDecodeError:
                n += len(body.decode("cp1252", "replace"))
        return n

    def framing():
        return sum(1 for _ in iter_warc(path, src.max_doc_bytes, ("response", "resource")))

    def before():
        return table(old._read_warc(old_opts, src, path, ReadState())).num_rows

    # The charset step and the table apart (on pages read beforehand, so caches are warmer than in the reader).
    pages: list[tuple[bytes, str | None, str | None]] = []
    real = web.decode_html_utf8
    web.decode_html_utf8 = lambda body, declared, url=None: (pages.append((body, declared, url)),
                                                            real(body, declared, url))[1]
    try:
        docs = list(read_source_file(src, path, ReadState()))
    finally:
        web.decode_html_utf8 = real
    legacy = [(b, d, u) for b, d, u in pages if not is_utf8(b)]
    assert len(docs) == len(pages) > 0, "the page-collecting wrapper must see every page"

    def utf8_check():
        return sum(is_utf8(b) for b, _, _ in pages)

    def charset():
        return sum(decode_html_utf8(b, d, u)[0] is not None for b, d, u in pages)

    def charset_legacy():
        return sum(decode_html_utf8(b, d, u)[0] is not None for b, d, u in legacy)

    baselines = {"fastwarc (fsspec)": fastwarc(), "fastwarc (own I/O)": fastwarc(fsspec_args=False),
                 "fastwarc (own I/O, responses, inplace)": fastwarc(fsspec_args=False, inplace=True,
                                                                    record_types=WarcRecordType.response)}
    fns = {"ours": ours, "ours_str": ours_str, **baselines, "fastwarc+decode": fastwarc_decode, "framing": framing, "reader": reader,
           "before": before, "utf8_check": utf8_check, "charset": charset, "charset_legacy": charset_legacy,
           "table": lambda: table(docs)}
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(cpus)})               # same core for every variant
    try:
        for _ in range(5 if quick else 21):
            for k, fn in fns.items():
                t0 = time.process_time()          # CPU time: the machine is shared, wall time is noise
                fn()
                times[k].append(time.process_time() - t0)
    finally:
        os.sched_setaffinity(0, cpus)
    load = os.getloadavg()[1]                          # the machine is shared: say how busy it was
    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: mb / v for k, v in med.items()}
    best = max(baselines, key=rate.get)
    rate["fastwarc"], med["fastwarc"] = rate[best], med[best]
    variants = ", ".join(f"{k.removeprefix('fastwarc ')} {rate[k]:.0f}" for k in baselines)
    ms = {k: 1000 * v for k, v in med.items()}
    steps = (f"FastWARC bare {ms['fastwarc']:.1f}; our framing + HTTP heads {ms['framing']:.1f} "
             f"(+{ms['framing'] - ms['fastwarc']:.1f}); whole reader with WARC/HTTP checks, encodings and charset "
             f"{ms['reader']:.1f} (+{ms['reader'] - ms['framing']:.1f}); + document table {ms['ours']:.1f} "
             f"(+{ms['ours'] - ms['reader']:.1f}). Apart, on the {len(pages)} pages read beforehand: the charset step "
             f"{ms['charset']:.1f}, of which strict UTF-8 validation {ms['utf8_check']:.1f} "
             f"({sum(len(b) for b, _, _ in pages) / med['utf8_check'] / 1e9:.1f} GB/s, "
             f"{sum(len(b) for b, _, _ in pages) / 1e6:.1f} MB of pages) and the {len(legacy)} pages in other charsets "
             f"{ms['charset_legacy']:.1f}; the document table {ms['table']:.1f}. For 0.8x ours may take "
             f"{ms['fastwarc'] / 0.8:.1f}, FastWARC + {ms['fastwarc'] / 0.8 - ms['fastwarc']:.1f}")
    return [
        dict(what="WARC read + decode to a validated UTF-8 document table vs FastWARC bare iteration, one core",
             ours=rate["ours"], baseline=rate["fastwarc"], ratio=rate["ours"] / rate["fastwarc"],
             unit="MB/s compressed WARC",
             notes=f"sample_pages.warc.gz {mb:.1f} MB, 166 pages; goal >= 0.8x. Ours: our WARC reader (framing, "
                   "WARC/HTTP checks, HTTP heads, encodings, charset: UTF-8 validated in place, other charsets "
                   "transcoded) + the Arrow document table of its pages (html a string column), as ingest builds it; "
                   "baseline: FastWARC handing over every body as bytes, no HTTP parsing, no text. Same file, same "
                   f"core, CPU time, alternated, medians of {len(times['ours'])}, each run opening the file anew "
                   f"(page cache warm for all alike, no state kept); baseline = FastWARC's fastest "
                   f"own iteration, {best} (MB/s: {variants}); machine load average {load:.1f} on "
                   f"{os.cpu_count()} cores during the run"),
        dict(what="where the time of the read + decode row goes (ms per file, each step includes the ones before)",
             ours=ms["ours"], baseline=ms["fastwarc"], ratio=ms["fastwarc"] / ms["ours"], unit="ms CPU per file",
             notes=steps),
        dict(what="whole WARC ingest with pages as validated UTF-8 bytes vs the same reader making a str of each page",
             ours=rate["ours"], baseline=rate["ours_str"], ratio=rate["ours"] / rate["ours_str"],
             unit="MB/s compressed WARC",
             notes="both: our reader + the document table; the baseline decodes every page to str (decode_html) "
                   "and the table encodes it back, ours validates UTF-8 in place and the table takes the bytes"),
        dict(what="WARC framing + HTTP heads only (no checks, no charset, no table) vs FastWARC bare iteration",
             ours=rate["framing"], baseline=rate["fastwarc"], ratio=rate["framing"] / rate["fastwarc"],
             unit="MB/s compressed WARC", notes="our record framing (gzip members inflated by libdeflate, FastWARC for "
                                                "other members and files, damage checks around both) and HTTP heads"),
        dict(what="FastWARC iteration + bare UTF-8 decode of every response body vs FastWARC bare iteration",
             ours=rate["fastwarc+decode"], baseline=rate["fastwarc"], ratio=rate["fastwarc+decode"] / rate["fastwarc"],
             unit="MB/s compressed WARC",
             notes="the floor for a reader that makes a Python str of every page (bytes -> str alone, no HTTP "
                   f"parsing, no checks, no table); our read + decode row is {rate['ours'] / rate['fastwarc+decode']:.2f}x of it"),
        dict(what="whole WARC ingest (reader + document table) vs the reader before #14 (6e055d9)",
             ours=rate["ours"], baseline=rate["before"], ratio=rate["ours"] / rate["before"],
             unit="MB/s compressed WARC", notes="same file, both with the same document table built from their pages; "
                                                "both yield the same 166 pages here"),
    ]


def _cc_layout(path: Path, captures: int) -> Path:
    """Common Crawl's own layout at its page size: one warcinfo, then its one real capture
    (request, 75 KB response, metadata; 19 KB compressed, as CC's ~23 KB a capture) `captures`
    times, each copy with its own record ids (seeded), one gzip member per record as CC writes.
    (A CC file holds one warcinfo for ~30,000 captures and no id twice.)"""
    import random
    import uuid
    raw = (SHARED / "warc" / "cc_whirlwind.warc.gz").read_bytes()
    members, a = [], 0
    while a < len(raw):
        d = zlib.decompressobj(31)
        members.append(d.decompress(raw[a:]))
        a = len(raw) - len(d.unused_data)
    info_id = re.search(rb"WARC-Record-ID: <urn:uuid:([0-9a-f-]{36})>", members[0]).group(1)
    capture = members[1:]
    ids = sorted({i for m in capture for i in re.findall(rb"urn:uuid:([0-9a-f-]{36})", m.split(b"\r\n\r\n")[0])}
                 - {info_id})
    rnd = random.Random(0)
    out = [gzip.compress(members[0], 6, mtime=0)]
    for _ in range(captures):
        new = {old: str(uuid.UUID(int=rnd.getrandbits(128), version=4)).encode() for old in ids}
        for m in capture:
            head, sep, block = m.partition(b"\r\n\r\n")
            for old, fresh in new.items():
                head = head.replace(old, fresh)
            out.append(gzip.compress(head + sep + block, 6, mtime=0))
    path.write_bytes(b"".join(out))
    return path


def crawl_rows(quick: bool) -> list[dict]:
    """The read + decode row on the shared crawls in Common Crawl's and other crawlers' layouts
    (long HTTP heads, request/metadata records, small pages): the per-record cost shows there."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import SourceConfig
    rows = []
    cc = _cc_layout(Path(tempfile.mkdtemp(prefix="bench_cc_")) / "cc_whirlwind_x200.warc.gz", 200)
    for name in ("dolma_sample-0000.warc.gz", "pywb_iana.warc.gz", "node-warc_books.toscrape.warc", cc):
        path = str(SHARED / "warc" / name)
        name = Path(path).name
        mb = Path(path).stat().st_size / 1e6
        src = SourceConfig(name="b", format="warc", paths=[path])
        docs = [d for d in read_source_file(src, path, ReadState()) if isinstance(d, Doc)]
        loops = max(1, int(20 / mb))          # ~20 MB of WARC per timing: a small file's time is not noise

        def ours():
            for _ in range(loops):
                _ingest_table(src, read_source_file(src, path, ReadState(), batches=True))

        def bare(**kw):
            def iterate():
                for _ in range(loops):
                    for r in ArchiveIterator(path, parse_http=False, **kw):
                        r.reader.read()
            return iterate
        fns = {"ours": ours, "own I/O": bare(fsspec_args=False),
               "own I/O, responses, inplace": bare(fsspec_args=False, inplace=True,
                                                   record_types=WarcRecordType.response)}
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(5 if quick else 15):
            for k, fn in fns.items():
                t0 = time.process_time()
                fn()
                times[k].append(time.process_time() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        best = min((k for k in fns if k != "ours"), key=med.get)
        rows.append(dict(
            what=f"WARC read + decode to a validated UTF-8 document table vs FastWARC bare iteration: {name}",
            ours=mb * loops / med["ours"], baseline=mb * loops / med[best], ratio=med[best] / med["ours"],
            unit="MB/s compressed WARC",
            notes=f"{mb:.2f} MB, {len(docs)} pages; as the sample_pages row (CPU time, alternated, medians of "
                  f"{len(times['ours'])}, file read {loops}x per timing); baseline FastWARC {best}; "
                  f"{1e6 * (med['ours'] - med[best]) / loops / max(1, len(docs)):.0f} us of ours per page "
                  f"over FastWARC; load average {os.getloadavg()[1]:.1f}"))
    return rows


def run(quick: bool = False) -> list[dict]:
    from bench import charset_corpus, charset_stress
    return speed_rows(quick) + crawl_rows(quick) + quality_rows(quick) + charset_stress.rows(quick) + \
        charset_corpus.rows(quick)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
