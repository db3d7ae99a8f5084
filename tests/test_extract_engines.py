"""The resiliparse and auto engines of `extract`, and the time limit that holds inside C code."""
import faulthandler
import gzip
import json
import os
import pickle
import re
import signal
import sys
from pathlib import Path

import pytest
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from pipeline.documents import documents_table
from stages.extract import Extract
from stages.extract.sandbox import CRASHED, TIMED_OUT, Sandbox

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.bench_extract import decode_html  # noqa: E402


def _scrapinghub(shared_data, n):
    gt = json.loads((shared_data / "html/scrapinghub/ground-truth.json").read_text())
    ids = sorted(gt)[:n]
    return [dict(id=i, source="t", url=gt[i]["url"],
                 html=decode_html(gzip.open(shared_data / f"html/scrapinghub/html/{i}.html.gz").read()))
            for i in ids]


def test_resiliparse_engine_text_and_metadata_from_one_parse(shared_data):
    docs = _scrapinghub(shared_data, 20)
    result = Extract(engine="resiliparse")(documents_table(docs))
    kept = {r["id"]: r for r in result.kept.to_pylist()}
    assert len(kept) == 20 and result.counters["engine_resiliparse"] == 20
    for d in docs:
        want = extract_plain_text(HTMLTree.parse(d["html"]), main_content=True, alt_texts=False).strip()
        assert kept[d["id"]]["text"] == want
        assert kept[d["id"]]["extract_engine"] == "resiliparse"
    rows = list(kept.values())
    assert sum(r["title"] is not None for r in rows) >= 18
    assert sum(r["date"] is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]) is not None
               for r in rows) >= 15
    assert sum(r["html_lang"] is not None for r in rows) >= 10


def test_auto_engine_records_which_engine_made_each_text(shared_data):
    docs = _scrapinghub(shared_data, 30)
    table = documents_table(docs)
    auto = Extract(engine="auto")(table)
    fast = {r["id"]: r["text"] for r in Extract(engine="resiliparse")(table).kept.to_pylist()}
    slow = {r["id"]: r["text"] for r in Extract()(table).kept.to_pylist()}
    engines = auto.kept["extract_engine"].to_pylist()
    assert set(engines) <= {"resiliparse", "trafilatura"}
    assert auto.counters.get("engine_resiliparse", 0) == engines.count("resiliparse") > 0
    assert auto.counters.get("engine_trafilatura", 0) == engines.count("trafilatura")
    fallbacks = sum(v for k, v in auto.counters.items() if k.startswith("fallback_"))
    assert fallbacks >= engines.count("trafilatura")
    for r in auto.kept.to_pylist():
        if r["extract_engine"] == "trafilatura":
            assert r["text"] == slow[r["id"]]
        else:  # the fast text with its boilerplate lines dropped: lines of resiliparse's text, in order
            fast_lines = [_words(line) for line in fast[r["id"]].split("\n")]
            kept = [_words(line) for line in r["text"].split("\n")]
            assert 0 < len(kept) <= len(fast_lines) and _is_subsequence(kept, fast_lines)
    plain = Extract(engine="auto", auto_drop_boilerplate=False)(table)
    for r in plain.kept.to_pylist():
        assert r["text"] == (fast if r["extract_engine"] == "resiliparse" else slow)[r["id"]]


def _words(line):
    # without list bullets / item numbers (plain text has them, boilerplate.py's lines do not) and spacing
    return " ".join(re.sub(r"^\s*(?:\u2022|\d+\.)\s", "", line).split())


def _is_subsequence(items, of):
    it = iter(of)
    return all(any(x == y for y in it) for x in items)


def test_auto_falls_back_when_the_fast_text_is_too_short():
    # The article sits in a container resiliparse's main-content rules treat as boilerplate
    # (class "sidebar"): the fast text is the heading alone, trafilatura finds the article.
    para = "<p>" + " ".join(f"Sentence {k} of a long article about rivers and their floods." for k in range(12)) + "</p>"
    html = (f"<html><head><title>t</title></head><body><h1>Rivers</h1><div class='sidebar'>{para * 6}</div>"
            "</body></html>")
    result = Extract(engine="auto")(documents_table([dict(id="a", source="t", html=html)]))
    row = result.kept.to_pylist()[0]
    assert row["extract_engine"] == "trafilatura" and "floods" in row["text"]
    # the lone heading is a short line without punctuation: boilerplate.py drops it, nothing is left
    assert result.counters.get("fallback_no_text") == 1 and result.counters["engine_trafilatura"] == 1
    kept = Extract(engine="auto", auto_drop_boilerplate=False)(documents_table([dict(id="a", source="t", html=html)]))
    assert kept.counters.get("fallback_little_text") == 1 and kept.counters["engine_trafilatura"] == 1


@pytest.mark.parametrize("engine", ["resiliparse", "auto"])
def test_bad_pages_are_counted_not_fatal(engine):
    empty = "<html><head><title>x</title></head><body><script>var a = 1;</script><div></div></body></html>"
    table = documents_table([dict(id="empty", source="t", html=empty),
                             dict(id="plain", source="t", text="already text", html=None),
                             dict(id="big", source="t", html="<p>" + "x" * 2000 + "</p>")])
    result = Extract(engine=engine, max_html_bytes=1000)(table)
    assert result.removed.to_pylist()[0]["reason"] == "no_text"
    assert [(r["id"], r["reason"]) for r in result.quarantined.to_pylist()] == [("big", "too_large")]
    assert result.kept.to_pylist()[0]["text"] == "already text"


def _slow_page(n=8000):
    block = "<div><p>word " + "<span><b><i>x</i></b></span> " * 8 + "</p></div>"
    return "<html><body>" + block * n + "</body></html>"


@pytest.mark.parametrize("isolation", ["process", "signal"])
def test_timeout_holds_for_the_auto_engine(shared_data, isolation):
    first = _scrapinghub(shared_data, 1)[0]
    table = documents_table([first, dict(id="slow", source="t", html=_slow_page(16000)), {**first, "id": "again"}])
    result = Extract(engine="auto", timeout_seconds=0.5, isolation=isolation)(table)
    assert [(r["id"], r["reason"]) for r in result.quarantined.to_pylist()] == [("slow", "timeout")]
    assert set(result.kept["id"].to_pylist()) == {first["id"], "again"}


def _catastrophic(s):
    # Exponential backtracking inside the C regex engine: no Python bytecode runs, so SIGALRM
    # handlers cannot fire until it ends (minutes for 40 characters).
    return bool(re.match(r"(a+)+$", s))


def _crash(s):
    if s == "crash":
        faulthandler.disable()  # pytest's handler would print the child's stack: expected here
        os.kill(os.getpid(), signal.SIGSEGV)
    return s.upper()


def test_sandbox_stops_work_stuck_in_c_code():
    box = Sandbox(lambda s: s if s.startswith("ok") else _catastrophic(s), timeout=1.0, chunk=2)
    out = box.map(["ok1", "a" * 40 + "b", "ok2", "ok3"])
    assert out == ["ok1", TIMED_OUT, "ok2", "ok3"]
    assert box.forks == 2
    box.close()


def test_sandbox_survives_a_crashing_page():
    box = Sandbox(_crash, timeout=5.0)
    assert box.map(["a", "crash", "b"]) == ["A", CRASHED, "B"]
    box.close()


def test_stage_copies_start_their_own_worker(shared_data):
    docs = _scrapinghub(shared_data, 2)
    stage = Extract(engine="auto")
    a = stage(documents_table(docs))
    copy = pickle.loads(pickle.dumps(stage))
    b = copy(documents_table(docs))
    assert a.kept.equals(b.kept)


def test_body_date_finds_what_the_one_regex_finds(shared_data):
    # body_date runs BODY_DATE's branches one at a time (faster); the date must be the one the
    # whole regex finds first, on real pages and where branches compete or differ in case.
    from bench.bench_extract import cjk_gold, english_gold
    from stages.extract.page import BODY_DATE, body_date
    built = ['<p itemprop="datePublished" content="2020-01-02">', "<META ITEMPROP='DATEPUBLISHED' datetime='2021-03-04'>",
             '<time class="x" datetime="2019-05-06">', '{"datePublished" : "2018-07-08"}', '<TIME DATETIME="2017-09-10">',
             '<time datetime="2016-01-01"> {"datePublished":"2015-02-02"} <b itemprop="datePublished" content="2014-03-03">',
             '<b itemprop="datePublished" content="2014-03-03"> <time datetime="2016-01-01">',
             '{"datePublished":"2015-02-02"} <b itemprop=\'datePublished\' content="2014-03-03">',
             '<b itemprop="datePublished" content="soon"> <time datetime="bad"> {"datePublished": "x"}', ""]
    pages = [p["html"] for p in english_gold(shared_data) + cjk_gold(shared_data)] + built
    found = [(m.group(1) if (m := BODY_DATE.search(html)) else None) for html in pages]
    assert [body_date(html) for html in pages] == found
    assert sum(d is not None for d in found) > 40 and found[-len(built):-2] == [
        "2020-01-02", "2021-03-04", "2019-05-06", "2018-07-08", "2017-09-10", "2016-01-01", "2014-03-03", "2015-02-02"]


def test_resiliparse_metadata_reads_each_kind_of_meta_tag():
    # One `meta:is(...)` query finds the tags by property, name, itemprop or http-equiv, any case.
    fast = Extract(engine="resiliparse").ensure_setup()._resiliparse
    head = ('<meta name="viewport" content="width=device-width"><meta NAME="OG:Title" content="Rivers  rise">'
            '<meta http-equiv="Content-Language" content="de-AT"><meta itemprop="datePublished" content="2021-06-07T10:00">'
            '<meta property="article:published_time" content="2020-01-01">')
    html = f"<html><head><title>Fallback title</title>{head}</head><body><p>x</p></body></html>"
    assert fast.metadata(fast.parse(html), html) == ("Rivers rise", "de-AT", "2021-06-07")
    bare = "<html lang='fr'><head><title>Fallback  title</title></head><body><time datetime='2019-02-03'>x</time></body></html>"
    assert fast.metadata(fast.parse(bare), bare) == ("Fallback title", "fr", "2019-02-03")


def test_auto_gives_the_default_engines_verdict_on_feeds_and_deep_pages():
    """Was: auto kept an RSS feed's items run together and raw JSON as text (the default engine
    quarantines them not_html), and sent a page of thousands of unclosed rows to resiliparse, whose
    main-content pass ran past the page's time limit (quarantined `timeout`)."""
    import pyarrow as pa
    from stages.extract import Extract
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>City News</title>'
           + "".join(f"<item><title>Story {i}</title><link>http://x.test/{i}</link><description>The committee "
                     f"met on day {i} to discuss the budget and the schools.</description></item>" for i in range(5))
           + "</channel></rss>")
    data = '{"items": [{"title": "Story", "body": "The committee met on Tuesday to discuss the budget."}]}'
    deep = "<html><body>" + "".join(f"<div class=row><p>Paragraph {i} of the story, with a few words.</p>"
                                    for i in range(3000)) + "</body></html>"
    table = pa.table({"id": ["rss", "json", "deep"], "html": [rss, data, deep], "url": [None] * 3})
    default = Extract(isolation="signal")(table)
    auto = Extract(engine="auto", isolation="signal", timeout_seconds=20)(table)
    assert sorted(auto.quarantined.column("reason").to_pylist()) == ["not_html", "not_html"]
    assert sorted(default.quarantined.column("reason").to_pylist()) == ["not_html", "not_html"]
    assert auto.kept.column("text").to_pylist() == default.kept.column("text").to_pylist()
    assert auto.counters["fallback_deep_nesting"] == 1 and auto.counters["html_depth_limit"] == 1
