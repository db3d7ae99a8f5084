"""Throughput of the code, Stack Exchange and LaTeX readers, one process (= per core), against the bare
library work on the same input: a plain read + UTF-8 decode of each code file; lxml iterparse of
Posts.xml (attributes copied, elements cleared); a plain read + decode of each paper's .tex files.
Ours and the baseline alternate in the same run; medians of the rounds.

    python -m bench.bench_sources_tech [--quick]
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO.parent / "shared" / "data" / "sources"


def _unpacked(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def code_tree(root: Path, copies: int) -> list[str]:
    """The code samples, decompressed, as `copies` checkouts (a tree of many files)."""
    files = [p for p in sorted((SOURCES / "code").rglob("*")) if p.is_file() and p.name != "metadata.jsonl"]
    out = []
    for c in range(copies):
        for p in files:
            rel = p.relative_to(SOURCES / "code")
            dest = root / f"copy{c:03d}" / rel.parent / (rel.name[:-3] if rel.suffix == ".gz" else rel.name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(_unpacked(p))
            out.append(str(dest))
    return out


def _drain(src, paths: list[str]) -> int:
    from pipeline.readers import Doc, ReadState, read_source_file
    state, n = ReadState(), 0
    for p in paths:
        n += sum(isinstance(item, Doc) for item in read_source_file(src, p, state))
    return n


def _plain_read(paths: list[str]) -> int:
    n = 0
    for p in paths:
        with open(p, "rb") as f:
            f.read().decode("utf-8")
        n += 1
    return n


def _iterparse_rows(path: str) -> int:
    n = 0
    for _, el in etree.iterparse(path, events=("end",), tag="row", huge_tree=True):
        dict(el.attrib)
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
        n += 1
    return n


def _alternate(ours, base, rounds: int) -> tuple[float, float, int, int]:
    """Median rates (units per second) of ours and the baseline, alternated round by round."""
    o_rates, b_rates, n_o, n_b = [], [], 0, 0
    ours(), base()                          # warm caches and imports
    for _ in range(rounds):
        t = time.perf_counter()
        n_b = base()
        b_rates.append(n_b / (time.perf_counter() - t))
        t = time.perf_counter()
        n_o = ours()
        o_rates.append(n_o / (time.perf_counter() - t))
    return statistics.median(o_rates), statistics.median(b_rates), n_o, n_b


def _row(what, o, b, unit, notes):
    return {"what": what, "ours": round(o, 1), "baseline": round(b, 1), "ratio": round(o / b, 3),
            "unit": unit, "notes": notes}


def run(quick: bool = False) -> list[dict]:
    from pipeline.recipe import SourceConfig
    rounds = 3 if quick else 5
    tmp = Path(tempfile.mkdtemp(prefix="bench_sources_tech_"))
    rows = []
    try:
        # -- code files ---------------------------------------------------------------------
        paths = code_tree(tmp / "code", 10 if quick else 40)
        src = SourceConfig(name="code", format="code", paths=[str(tmp / "code")], root=str(tmp / "code"), repo_depth=1)
        o, b, n, _ = _alternate(lambda: _drain(src, paths), lambda: _plain_read(paths), rounds)
        rows.append(_row(f"code reader, checkout tree ({n} files)", o, b, "files/s",
                         "language (Pygments), binary test, repo/path; baseline = open+read+utf-8 decode"))

        # code_filter on the same files, as one Arrow batch (no bare-library equivalent: baseline = reading them)
        from pipeline.documents import documents_table
        from pipeline.readers import Doc, ReadState, read_source_file
        from stages.code_filter import CodeFilter
        docs = [d for p in paths for d in read_source_file(src, p, ReadState()) if isinstance(d, Doc)]
        table = documents_table([{"id": d.id, "source": "code", "text": d.text, "metadata": d.metadata} for d in docs])
        cf = CodeFilter()
        o, b, n, _ = _alternate(lambda: (cf(table), table.num_rows)[1], lambda: _plain_read(paths), rounds)
        rows.append(_row(f"code_filter ({n} files, one batch)", o, b, "files/s",
                         "all rules incl. licence; baseline = open+read+decode of the same files"))

        # -- Stack Exchange Posts.xml ---------------------------------------------------------
        posts_dir = tmp / "coffee.stackexchange.com"
        posts_dir.mkdir()
        posts = posts_dir / "Posts.xml"
        posts.write_bytes(_unpacked(SOURCES / "qa" / "coffee.stackexchange.com" / "Posts.xml.gz"))
        reps = 5 if quick else 20
        se = SourceConfig(name="qa", format="stackexchange", paths=[str(posts)])
        n_rows = _iterparse_rows(str(posts))
        o, b, _, _ = _alternate(lambda: (_drain(se, [str(posts)] * reps), n_rows * reps)[1],
                                lambda: sum(_iterparse_rows(str(posts)) for _ in range(reps)), rounds)
        rows.append(_row(f"stackexchange reader, Posts.xml ({n_rows} posts x {reps})", o, b, "posts/s",
                         "threads joined, HTML->text (lxml), ordered; baseline = lxml iterparse + attrib copy"))

        # -- LaTeX papers ---------------------------------------------------------------------
        papers = [SOURCES / "papers" / "sympy-paper", SOURCES / "papers" / "scipy-1.0"]
        tex = [str(p) for d in papers for p in sorted(d.glob("*.tex"))]
        mains = [str(d / "paper.tex") for d in papers]
        lx = SourceConfig(name="papers", format="latex", paths=[str(papers[0])])
        reps = 3 if quick else 10
        o, b, _, _ = _alternate(lambda: sum(_drain(lx, tex) for _ in range(reps)),
                                lambda: (sum(_plain_read(tex) for _ in range(reps)), reps * len(mains))[1], rounds)
        rows.append(_row(f"latex reader, directories ({len(mains)} papers, {len(tex)} .tex files)", o, b, "papers/s",
                         "main file, includes, macros, floats; baseline = read+decode the papers' .tex files"))
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    for r in run(ap.parse_args().quick):
        print(r)
