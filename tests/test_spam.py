"""spam_filter reads title, URL and text: real clean Chinese and English text stays, hijacked pages
(a spam title over a real article) and keyword farms go, and every removal says where it matched."""
from __future__ import annotations

import gzip

import pyarrow as pa
import pytest

from bench.gold import cjk_articles, english_articles
from stages.spam import SpamFilter, read_phrase_file


@pytest.fixture(scope="module")
def clue(shared_data) -> list[str]:
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def _table(texts, titles=None, urls=None) -> pa.Table:
    n = len(texts)
    return pa.table({"id": [str(i) for i in range(n)], "text": texts,
                     "title": pa.array(titles or [None] * n, pa.string()),
                     "url": pa.array(urls or [None] * n, pa.string())})


def test_real_clean_text_is_kept(clue, shared_data):
    """2,500 CLUE documents (news, Q&A, Wikipedia, reviews; a few stock and lottery news among
    them) and the gold news articles, with their real URLs where known: nothing is removed."""
    texts = clue + cjk_articles(shared_data) + english_articles(shared_data)
    res = SpamFilter()(_table(texts))
    assert res.removed is None or res.removed.num_rows == 0


def test_hijacked_pages_are_caught_by_title_or_host(clue):
    body = next(t for t in clue if t.startswith("甘肃三年内将新增幼儿入园学位"))   # a real news story
    en_body = ("The city council voted on Tuesday to extend the bus network to the new hospital. "
               "Residents had asked for the route for years, and the first buses will run in spring.")
    table = _table(
        [body, body, body, en_body, en_body],
        titles=["澳门新葡京娱乐场-官方网站", "甘肃新增幼儿园学位", "甘肃新增幼儿园学位",
                "Free Porn Videos - XXX Tube", "City extends bus network"],
        urls=[None, "http://www.xpj-bet365.example/news/1.html", None, None,
              "https://casino.example/bus"])
    res = SpamFilter()(table)
    reasons = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    assert reasons == {"0": "gambling_title", "1": "gambling_url", "3": "porn_title"}
    signal = res.removed.column("spam_signal").to_pylist()[0]
    assert "title[新葡京,葡京娱乐]" in signal and "score=9" in signal
    # one URL token alone (weight 1 x url_weight 3 < min_score 6) is not enough
    assert res.kept.column("id").to_pylist() == ["2", "4"]


def test_news_about_gambling_is_kept_and_keyword_farms_go(clue):
    news = next(t for t in clue if "赛事保险" in t)    # a real sports-business story
    crackdown_title = "警方破获网络赌博案 涉案赌博网站已被关停"
    farm = "\n".join(["Free porn videos and xxx sex videos, hot milf and teen sex, free sex tube!"] * 5)
    res = SpamFilter()(_table([news, news, farm], titles=["赛事保险如何挽救危机", crackdown_title, None]))
    assert res.removed.column("reason").to_pylist() == ["porn_text"]
    assert res.kept.num_rows == 2


def test_lists_are_extensible_data_files(tmp_path):
    extra = tmp_path / "xx_crypto.txt"
    extra.write_text("# test list\nairdrop\nmoonshot coin\t2\nurl: shib\n", encoding="utf-8")
    assert read_phrase_file(extra) == [("airdrop", 1.0), ("moonshot coin", 2.0), ("url:shib", 1.0)]
    stage = SpamFilter(lists=[], extra_list_files=[str(extra)])
    res = stage(_table(["An ordinary story.", "An ordinary story.", "Airdrop! airdrop! moonshot coin airdrop"],
                       titles=["Moonshot coin presale", None, None],
                       urls=[None, "https://shib.example/x", None]))
    assert res.removed.column("reason").to_pylist() == ["crypto_title", "crypto_text"]
    bad = tmp_path / "xx_bad.txt"
    bad.write_text("phrase\tlots\n", encoding="utf-8")
    with pytest.raises(ValueError, match="xx_bad.txt:1"):
        SpamFilter(lists=[], extra_list_files=[str(bad)]).ensure_setup()
    with pytest.raises(FileNotFoundError):
        SpamFilter(lists=["zh_nothing"]).ensure_setup()


def test_without_title_and_url_columns():
    res = SpamFilter()(pa.table({"text": ["代开发票，代开增值税专用发票，各类发票，可查验后付款，点数优惠。"]}))
    assert res.removed.column("reason").to_pylist() == ["fake_invoice_text"]


def test_traditional_chinese_spam_titles(clue):
    """Lists are written in Simplified characters; their Traditional forms count too."""
    body = next(t for t in clue if t.startswith("甘肃三年内将新增幼儿入园学位"))
    res = SpamFilter()(_table([body, body], titles=["澳門新葡京娛樂城｜百家樂官網", "甘肅新增幼兒園學位"]))
    assert res.removed.column("reason").to_pylist() == ["gambling_title"]
    off = SpamFilter(traditional_variants=False)(_table([body], titles=["百家樂｜娛樂城"]))
    assert off.removed is None


def test_declared_thresholds_are_the_options_on_real_signal_columns():
    """The report draws `min_score` on `spam_score` and `min_matches` on `spam_matches`; the lines
    follow the options, name columns the filter writes, and removals lie on the removed side."""
    assert SpamFilter().declared_thresholds() == {
        "spam_score": [{"option": "min_score", "direction": "below", "value": 6.0}],
        "spam_matches": [{"option": "min_matches", "direction": "below", "value": 3.0}]}
    f = SpamFilter(min_score=4.5, min_matches=5)
    declared = f.declared_thresholds()
    assert declared["spam_score"][0]["value"] == 4.5 and declared["spam_matches"][0]["value"] == 5.0
    farm = "\n".join(["Free porn videos and xxx sex videos, hot milf and teen sex, free sex tube!"] * 5)
    res = f(_table(["The council met on Tuesday.", farm, "A short note."],
                   titles=[None, None, "澳门新葡京娱乐场-官方网站"]))
    assert set(declared) <= set(res.removed.column_names) and set(declared) <= set(res.kept.column_names)
    removed = res.removed.to_pydict()
    assert removed["reason"] == ["porn_text", "gambling_title"]
    assert removed["spam_matches"][0] >= 5 and removed["spam_score"][1] >= 4.5


def test_a_report_about_the_activity_is_not_a_keyword_farm(clue):
    """A crackdown story names the gambling sites as often as a farm does; its police and court
    words keep it from the text-only rule (the title rule still applies)."""
    report = ("警方近日破获一起特大跨境网络赌博案。据介绍，该团伙搭建多个赌博网站，以百家乐、赌球等方式吸引参赌人员，"
              "赌博网站服务器设在境外。民警经过三个月侦查，抓获犯罪嫌疑人四十余名，查封赌博网站二十余个。"
              "目前，案件正在进一步审理中，涉案赌博网站已全部关停，警方提醒市民远离赌球和网络百家乐。")
    farm = ("真人百家乐，赌球投注，赌博网站推荐，百家乐平台注册送彩金，赌球首存优惠，网上赌博官方网站。"
            "百家乐技巧，赌球心得，赌博网站大全。")
    en_report = ("Police arrested eleven people on Tuesday in a crackdown on an illegal online casino ring. "
                 "Prosecutors said the online casino sites offered a no deposit bonus and free spins to lure "
                 "players; the court will hear the case in May. The online casino operators face charges.")
    body = next(t for t in clue if t.startswith("甘肃三年内将新增幼儿入园学位"))
    res = SpamFilter()(_table([report, farm, en_report, body], titles=[None, None, None, "澳门新葡京娱乐场-官方网站"]))
    reasons = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    assert reasons == {"1": "gambling_text", "3": "gambling_title"}
    off = SpamFilter(report_min_distinct=100)(_table([report, en_report]))
    assert off.removed.column("reason").to_pylist() == ["gambling_text", "gambling_text"]


@pytest.mark.parametrize("title,url,reason", [
    ("Payday Loans No Credit Check Instant Approval", "https://loans.example/apply", "loans_title"),
    ("Cheap Custom Essay Writing Services - Write My Essay", None, "essay_mill_title"),
    ("Swiss Replica Watches | Replica Rolex Sale", None, "counterfeit_title"),
    ("Daily Profit 3% - HYIP Investment Plans", None, "investment_scam_title"),
    ("新开传奇私服发布网-今日新开传奇私服", "http://www.sf999.example/", "private_server_title"),
])
def test_spam_families_beyond_casinos(clue, title, url, reason):
    """Loans, essay mills, counterfeit goods, investment scams and private game servers: a page
    whose title sells them goes; the same body under its own title stays."""
    body = next(t for t in clue if t.startswith("甘肃三年内将新增幼儿入园学位"))
    res = SpamFilter()(_table([body, body], titles=[title, "甘肃新增幼儿园学位"], urls=[url, None]))
    assert res.removed.column("reason").to_pylist() == [reason] and res.kept.num_rows == 1


def test_latin_phrases_match_whole_words_only(shared_data):
    """`cialis` is in "specialist" and "socialist", `xxx` in "XXXL": a word inside another is no hit.
    A host keeps matching inside one label (buycialisonline)."""
    body = ("The specialist nurses and the socialist council met to plan the online pharmacy service "
            "for the district. Commercialism was not on the agenda.")
    res = SpamFilter()(_table([body, body, "Cheap cialis and viagra, online pharmacy, no prescription. " * 3],
                              titles=["Socialist specialists plan a new clinic", "XXXL shirts on sale", None],
                              urls=[None, None, "http://buycialisonline.example/"]))
    assert res.removed.column("id").to_pylist() == ["2"]
    signals = res.kept.column("spam_signal").to_pylist()
    assert signals == [None, None]


def test_platform_vocabulary_and_the_tax_office(clue):
    """A betting site's promotion (deposits, turnover conditions) goes; the tax office's own service
    of issuing invoices (代开发票 in a title) stays, a seller's offer does not."""
    promo = ("活动内容：用户在活动期间内，每日累计充值≥500并在当日达到相应流水要求后，次日即可获得对应活动奖金。"
             "有效投注额以彩种结算为准，骰宝与时时彩的下注均计入有效投注，封盘后的注单不计。") * 2
    tax = "纳税人可以到主管税务机关申请代开发票，自然人代开发票需携带身份证件和合同。"
    seller = "本公司长期代开增值税专用发票，可查验后付款。"
    res = SpamFilter()(_table([promo, tax, seller], titles=[None, "自然人代开发票办理指南", "代开发票"]))
    reasons = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    assert reasons.keys() == {"0", "2"} and reasons["0"] == "gambling_text"
    assert reasons["2"].startswith("fake_invoice_")
