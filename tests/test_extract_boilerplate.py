"""boilerplate.py: the lines `auto` drops from resiliparse's main text, on real gold pages."""
import statistics
import sys
from pathlib import Path

import pytest
from resiliparse.parse.html import HTMLTree

from pipeline.documents import documents_table
from stages.extract import Extract
from stages.extract.boilerplate import boilerplate, clean_text, lines_of

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.bench_extract import cjk_gold, english_gold, token_prf  # noqa: E402


@pytest.fixture(scope="module")
def fast():
    return Extract(engine="auto").ensure_setup()._resiliparse


@pytest.fixture(scope="module")
def english(shared_data):
    return {p["id"]: p for p in english_gold(shared_data)}


@pytest.fixture(scope="module")
def chinese(shared_data):
    return {p["id"]: p for p in cjk_gold(shared_data)}


def _lines(fast, page):
    tree = HTMLTree.parse(page["html"])
    return fast.text(tree), lines_of(fast.markup(tree))


def test_dropped_lines_are_boilerplate_kept_lines_the_article(fast, english, chinese):
    # Over all gold pages of each language: the cleaner raises token precision against the human
    # gold more than it costs recall, so F1 goes up.
    for pages in (english, chinese):
        before, after = [], []
        for page in pages.values():
            raw, _ = _lines(fast, page)
            cleaned = clean_text(fast.markup(HTMLTree.parse(page["html"])))
            before.append(token_prf(raw, page["gold"]))
            after.append(token_prf(cleaned, page["gold"]))
        p0, r0, f0 = (statistics.fmean(s[k] for s in before) for k in (0, 1, 2))
        p1, r1, f1 = (statistics.fmean(s[k] for s in after) for k in (0, 1, 2))
        assert p1 > p0 + 0.03 and r1 > r0 - 0.05 and f1 > f0 + 0.005


def test_a_portal_menu_is_dropped_and_auto_falls_back(fast, english):
    # A 2006 newspaper classifieds page: resiliparse keeps its whole menu (one link per line).
    page = english["ce/35"]
    raw, lines = _lines(fast, page)
    assert any(line.strip() == "Top Stories" for line in raw.split("\n"))
    cleaned = clean_text(fast.markup(HTMLTree.parse(page["html"])))
    for menu_item in ("Top Stories", "Local Sports", "Movie Showtimes", "Site Map"):
        assert menu_item not in cleaned.split("\n")
    menu = [line for line in lines if line.text in ("Top Stories", "Local Sports", "Movie Showtimes")]
    assert menu and all(line.link_units == line.units for line in menu)
    # little is left of the fast text, so auto asks trafilatura
    result = Extract(engine="auto")(documents_table([dict(id="p", source="t", url=page["url"], html=page["html"])]))
    assert result.kept["extract_engine"].to_pylist() == ["trafilatura"]


def test_related_story_teasers_are_dropped_article_paragraphs_kept(fast, english):
    page = next(p for p in english.values() if "twincities.com" in (p["url"] or ""))
    cleaned = clean_text(fast.markup(HTMLTree.parse(page["html"]))).split("\n")
    assert "Read More" not in cleaned
    assert not any("Minnesotan Casey Mittelstadt finding his legs" in line for line in cleaned)  # a linked teaser title
    gold_paragraphs = [g.strip() for g in page["gold"].split("\n") if len(g.split()) > 12]
    kept = "\n".join(cleaned)
    assert sum(g[:60] in kept for g in gold_paragraphs) >= 0.9 * len(gold_paragraphs)


def test_chinese_comment_chrome_is_dropped_by_characters(fast, chinese):
    # A qq.com news page: under every reader comment the same labels ("回复", "举报这条评论", a date).
    page = chinese["mh/23942aabb8b28ada"]
    raw, lines = _lines(fast, page)
    assert raw.count("举报这条评论") >= 5 and "\n回复\n" in raw
    cleaned = clean_text(fast.markup(HTMLTree.parse(page["html"])))
    assert cleaned.count("举报这条评论") <= 1 and "回复" not in cleaned.split("\n") and "5月19日" not in cleaned.split("\n")
    # the article's sentences stay: CJK lines have no spaces, they are judged by their characters
    assert "近日，捷途汽车一门店直播时出现女主播裙底的不雅画面" in cleaned
    assert "在近日的一场直播中" in cleaned


def test_cjk_lines_count_characters_not_spaces():
    sentence = "抖音黑板报发布公告称近期平台发现汽车销售行业部分主播以香车美女为噱头"  # no spaces, no punctuation
    markup = f"<p>{sentence}</p>\n<p>分享</p>\n<a href='/a'>相关推荐一</a>\n<a href='/b'>相关推荐二</a>\n"
    lines = lines_of(markup)
    assert [line.units for line in lines] == [len(sentence), 2, 5, 5]
    assert boilerplate(lines) == [False, True, True, True]
    assert clean_text(markup) == sentence


def test_link_density_is_measured_per_line_and_unclosed_anchors_do_not_leak():
    markup = ('<a href="/x">\n<p>Home News Sport</p>\n</a>\n'
              '<p>The council voted on Tuesday to close the <a href="/r">river path</a> for the winter.</p>\n'
              '<a href="">\n<p>This paragraph follows an anchor that was never closed and is the article.</p>\n')
    lines = lines_of(markup)
    assert [line.link_units for line in lines if line.units] == [3, 2, 0]
    assert clean_text(markup).split("\n") == [
        "The council voted on Tuesday to close the river path for the winter.",
        "This paragraph follows an anchor that was never closed and is the article."]


def test_a_repeated_short_line_keeps_its_first_occurrence():
    label = "Report this comment to the moderators"  # 6 words: not short, but said under every comment
    comments = [f"Comment {k}: the bridge closure will cost the town far more than the council admits, and "
                "the shops on the east bank will feel it first." for k in range(3)]  # > BETWEEN_UNITS words
    markup = "\n".join(f"<p>{c}</p>\n<p>{label}</p>" for c in comments)
    assert clean_text(markup).split("\n") == [comments[0], label, comments[1], comments[2]]


def test_post_meta_rule_that_takes_a_whole_blog_is_undone(english):
    # CleanEval page 8: a blog whose entries resiliparse's post-meta rule takes whole; without the
    # post meta the fast text is a few words, so auto extracts it again with the post meta.
    page = english["ce/8"]
    table = documents_table([dict(id="p", source="t", url=page["url"], html=page["html"])])
    kept = Extract(engine="auto")(table).kept.to_pylist()[0]
    assert kept["extract_engine"] == "resiliparse"
    assert token_prf(kept["text"], page["gold"])[2] > 0.8
    tree = HTMLTree.parse(page["html"])
    fast = Extract(engine="auto").ensure_setup()._resiliparse
    assert len(fast.markup(tree, post_meta=False)) < len(fast.markup(tree)) / 10  # the rule this undoes


def test_code_in_pre_keeps_its_short_lines_and_indentation():
    """auto's line rules dropped `return n` and a shell session (short lines without punctuation)
    and stripped every code line's indentation; lines in <pre> are the text as written."""
    from stages.extract.boilerplate import clean
    markup = ("<p>Use this function to compute the numbers you need in your own program today.</p>\n\n"
              "<pre>def fib(n):\n    if n &lt; 2:\n        return n\n    return fib(n - 1)</pre>\n\n"
              "<pre>$ pip install mylib</pre>\n\n<p>Home</p>")
    text, units = clean(markup)
    assert text.split("\n") == ["Use this function to compute the numbers you need in your own program today.",
                                "def fib(n):", "    if n < 2:", "        return n", "    return fib(n - 1)",
                                "$ pip install mylib"]
    assert len(units) == 6
