"""The `extract` stage on real pages: same text as trafilatura, metadata columns, bad input."""
import gzip
import json
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from pipeline.registry import resolve_stage
from stages.extract import Extract

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.bench_extract import decode_html  # noqa: E402


def _pages(shared_data, n_each=5):
    sh = sorted((shared_data / "html/scrapinghub/html").glob("*.html.gz"))[:n_each]
    tr = sorted((shared_data / "html/trafilatura/pages").glob("*.gz"))[:n_each]
    return [(p.name, decode_html(gzip.open(p).read())) for p in sh + tr]


def _table(pages, urls=None):
    return documents_table([dict(id=n, source="t", url=(urls or {}).get(n), html=h) for n, h in pages])


# trafilatura.extract in a process where nothing of ours changed trafilatura's parser
_CLEAN_EXTRACT = """
import json, sys, trafilatura
pages, options = json.load(sys.stdin)
json.dump([trafilatura.extract(html, **options) for _, html in pages], sys.stdout)
"""


def clean_trafilatura(pages, options) -> list:
    out = subprocess.run([sys.executable, "-c", _CLEAN_EXTRACT], input=json.dumps([pages, options]),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("options", [{}, {"favor_precision": True, "include_comments": False}])
@pytest.mark.parametrize("isolation", ["process", "signal"])
def test_text_equals_trafilatura_extract(shared_data, options, isolation):
    pages = _pages(shared_data, 8)
    result = Extract(isolation=isolation, **options)(_table(pages))
    got = dict(zip(result.kept["id"].to_pylist(), result.kept["text"].to_pylist()))
    for (name, _), want in zip(pages, clean_trafilatura(pages, options)):
        assert got.get(name) == want, name
    assert "html" not in result.kept.column_names


def test_fast_class_lookup_gives_lxml_html_classes():
    """The C lookup the engine gives trafilatura's parser makes the classes lxml.html's would."""
    import lxml.html
    from lxml import etree

    from stages.extract.trafilatura_engine import FORM_CLASSES, fast_class_lookup
    assert {k: v.__name__ for k, v in lxml.html.HtmlElementClassLookup()._element_classes.items()} == FORM_CLASSES
    html = ("<html><head><title>t</title><?pi x?></head><body><!-- c --><form><input name=a>"
            "<select><option>o</option></select><textarea>x</textarea><label>l</label></form>"
            "<p>text &amp; <b>bold</b></p><svg:rect/></body></html>")
    trees = []
    for lookup in (lxml.html.HtmlElementClassLookup(), fast_class_lookup()):
        parser = lxml.html.HTMLParser()
        parser.set_element_class_lookup(lookup)
        trees.append(lxml.html.document_fromstring(html, parser=parser))
    classes = [[(el.tag if isinstance(el.tag, str) else "node", type(el)) for el in t.iter()] for t in trees]
    assert classes[0] == classes[1]
    assert {c for _, c in classes[1]} >= {lxml.html.FormElement, lxml.html.InputElement, lxml.html.HtmlComment,
                                           lxml.html.HtmlElement, lxml.html.SelectElement}
    made = trees[1].makeelement("form")
    assert type(made) is lxml.html.FormElement and isinstance(trees[1], etree.ElementBase)


def test_scrapinghub_articles_have_text_and_metadata(shared_data):
    gt = json.loads((shared_data / "html/scrapinghub/ground-truth.json").read_text())
    ids = sorted(gt)[:20]
    pages = [(i, decode_html(gzip.open(shared_data / f"html/scrapinghub/html/{i}.html.gz").read())) for i in ids]
    result = Extract()(_table(pages, {i: gt[i]["url"] for i in ids}))
    assert result.kept.num_rows == len(ids) and result.removed is None and result.quarantined is None
    kept = result.kept.to_pylist()
    assert all(len(r["text"]) > 200 for r in kept)
    assert sum(r["title"] is not None for r in kept) >= 18
    assert sum(r["date"] is not None for r in kept) >= 15
    assert sum(r["html_lang"] is not None for r in kept) >= 10
    assert result.kept.schema.field("date").type == pa.string()


def test_too_large_quarantined_and_rest_extracted(shared_data):
    pages = _pages(shared_data, 2)
    small = min(len(h.encode()) for _, h in pages)
    big_name = max(pages, key=lambda p: len(p[1].encode()))[0]
    result = Extract(max_html_bytes=small)(_table(pages))
    q = result.quarantined.to_pylist()
    assert big_name in [r["id"] for r in q]
    assert {r["reason"] for r in q} == {"too_large"}
    assert all(r["html"] for r in q)  # kept for inspection
    assert result.kept.num_rows + len(q) + (result.removed.num_rows if result.removed else 0) == len(pages)


def _slow_page(n=8000):
    # Thousands of sibling blocks of nested inline markup: seconds of trafilatura work.
    block = "<div><p>word " + "<span><b><i>x</i></b></span> " * 8 + "</p></div>"
    return "<html><body>" + block * n + "</body></html>"


@pytest.mark.parametrize("isolation", ["process", "signal"])
@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_timeout_quarantines_slow_page_and_continues(shared_data, isolation, clock):
    first = _pages(shared_data, 1)[0]
    pages = [first, ("slow", _slow_page()), ("again", first[1])]
    # 1 s let an ordinary page time out under a parallel CI run (a wall clock counts other
    # processes' time, and a shared machine's CPU seconds stretch too). The slow page took 12-15 s
    # here, so 3 s still stops it.
    result = Extract(timeout_seconds=3.0, isolation=isolation, timeout_clock=clock)(_table(pages))
    assert [(r["id"], r["reason"]) for r in result.quarantined.to_pylist()] == [("slow", "timeout")]
    assert set(result.kept["id"].to_pylist()) >= {pages[0][0], "again"}


@pytest.mark.parametrize("isolation", ["process", "signal"])
@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_timeout_works_off_the_main_thread(isolation, clock):
    out = {}
    stage = Extract(timeout_seconds=0.2, isolation=isolation, timeout_clock=clock)
    t = threading.Thread(target=lambda: out.update(r=stage(_table([("slow", _slow_page())]))))
    t.start()
    t.join(60)
    assert out["r"].quarantined.column("reason").to_pylist() == ["timeout"]


def test_no_text_removed_and_text_rows_pass_through():
    empty = "<html><head><title>x</title></head><body><script>var a = 1;</script><div></div></body></html>"
    table = documents_table([dict(id="empty", source="t", html=empty),
                             dict(id="plain", source="t", text="already text", html=None)])
    result = Extract()(table)
    assert result.removed.to_pylist()[0]["reason"] == "no_text"
    assert result.kept.to_pylist()[0]["text"] == "already text"


def test_deduplicate_is_per_batch_and_deterministic(shared_data):
    pages = _pages(shared_data, 2)
    # trafilatura drops a segment seen more than twice: the 3rd and 4th copies go
    table = _table([(f"{n}-{k}", h) for k in range(4) for n, h in pages])
    stage = Extract(deduplicate=True)
    a, b = stage(table), stage(table)  # a second batch starts from a fresh cache
    assert a.kept.equals(b.kept) and a.removed.equals(b.removed)
    assert a.removed.num_rows >= 1 and set(a.removed["reason"].to_pylist()) == {"no_text"}
    assert all(i.endswith(("-2", "-3")) for i in a.removed["id"].to_pylist())


def test_registry_resolves_extract():
    assert resolve_stage("extract") is Extract


def test_broken_trafilatura_import_raises_instead_of_empty_output():
    code = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "trafilatura" or name.startswith("trafilatura."):
            raise ImportError("blocked for the test: " + name)
sys.meta_path.insert(0, Block())
from pipeline.documents import documents_table
from stages.extract import Extract
t = documents_table([dict(id="a", source="t", html="<html><body><p>hello world</p></body></html>")])
try:
    Extract()(t)
except RuntimeError as e:
    print("RAISED", e)
    sys.exit(0)
print("NO ERROR")
sys.exit(1)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 0 and "RAISED extract: cannot import trafilatura" in p.stdout, p.stdout + p.stderr


@pytest.mark.parametrize("tag", ["div class=row", "FONT face=Arial"])
def test_a_page_past_the_parsers_depth_limit_is_counted_not_silently_cut(tag):
    """libxml2 stops nesting at 256 levels: a page that never closes its containers keeps only
    its first ~250 paragraphs, in trafilatura as here (the text stays trafilatura's), but the cut
    is counted (`html_depth_limit`); a page of the same size that closes them is not counted."""
    import trafilatura
    name = tag.split()[0]
    body = "".join(f"<{tag}><p>Paragraph {i} of the story, with a few words in it.</p>" for i in range(400))
    cut = f"<html><body>{body}</body></html>"
    closed = cut.replace("</p>", f"</p></{name}>")
    out = Extract(isolation="signal")(pa.table({"id": ["cut", "closed"], "html": [cut, closed],
                                                 "url": [None, None]}))
    texts = out.kept.column("text").to_pylist()
    assert texts[0] == trafilatura.extract(cut) and texts[0].count("Paragraph") < 300
    assert texts[1].count("Paragraph") == 400
    assert out.counters["html_depth_limit"] == 1
