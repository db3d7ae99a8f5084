"""spam_filter reads title, URL and text: real clean Chinese and English text stays, hijacked pages
(a spam title over a real article) and keyword farms go, and every removal says where it matched."""
from __future__ import annotations

import gzip

import pyarrow as pa
import pytest

from bench.gold import cjk_articles, english_articles
from stages.spam import SpamFilter
from stages.spam_phrases import read_phrase_file


@pytest.fixture(scope="module")
def clue(shared_data) -> list[str]:
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def _table(texts, titles=None, urls=None) -> pa.Table:
    n = len(texts)
    return pa.table({"id": [str(i) for i in range(n)], "text": texts,
                     "title": pa.array(titles or [None] * n, pa.string()),
                     "url": pa.array(urls or [None] * n, pa.string())})


# CLUE lines (0-based) read one by one and judged ads: promotion whose purpose is to make the reader
# contact, pay or visit (found by searching the 2,500 for contact, trading, health, course, loan,
# fortune and agent words, then reading each; 2026-12). Not all are caught (see the spam_filter notes).
CLUE_ADS = {
    3: "oil/silver trading calls, WeChat ID", 38: "store promotion, WeChat ID and hotline",
    93: "management course, teacher's phone", 111: "restaurant promotion, phones ('广告推广')",
    137: "beauty tips + block of WeChat accounts selling breast enlargement", 168: "oil calls, 薇信 number",
    313: "renovation service, WeChat consultation", 328: "rosewood seller, WeChat ID",
    398: "oil calls, 威/信 ID", 585: "fitness article + slimming 'teacher' WeChat",
    596: "private-school open day, sign-up phone", 817: "oil/silver calls, 'v：' ID",
    871: "photo studio, WeChat/QQ/hotlines", 919: "wedding photography, phone/WeChat",
    1021: "tailoring course, WeChat", 1216: "payment-terminal agent recruitment, WeChat ID",
    1225: "paid fortune reading, WeChat", 1358: "vaginal 'remedy', teacher's WeChat",
    1440: "relationship article + slimming/breast ads with WeChat IDs", 1454: "oil calls, WeChat",
    1561: "oil calls, WeChat", 1562: "horoscope reading, reader ID", 1577: "paid parenting course, QR sign-up",
    2020: "boot-camp school, link", 2021: "commodity exchange account opening, QQ/phone",
    2111: "prayer-bead seller, WeChat ID", 2124: "paid child-massage course, phones/WeChat",
    2204: "fortune reading, author's WeChat", 2324: "Tmall coupon affiliate", 2336: "car dealer, 400 number",
}
# CLUE lines that use the same words and are not ads: market and finance news (涨停, 止损, 原油),
# stories on scams and pyramid schemes, Zhihu answers that mention WeChat, a job posting with a
# phone, news pages ending with the newsroom's WeChat ID, hotline or QQ for tips.
CLUE_NOT_ADS = [17, 105, 106, 145, 208, 366, 375, 380, 478, 547, 698, 729, 767, 878, 916, 942, 956, 965, 974,
                1008, 1087, 1131, 1165, 1311, 1335, 1381, 1469, 1479, 1490, 1619, 1661, 1678, 1908, 1926,
                2010, 2041, 2055, 2114, 2121, 2240, 2257, 2295, 2340, 2377, 2392, 2465, 2472, 2489]


def test_real_text_is_kept_and_real_ads_go(clue, shared_data):
    """2,500 CLUE documents (news, Q&A, Wikipedia, reviews) and the gold news articles: what goes is
    among the ads read in CLUE (most of them, by the contact rule), every look-alike stays, and so
    does every gold article."""
    gold = cjk_articles(shared_data) + english_articles(shared_data)
    res = SpamFilter()(_table(clue + gold))
    removed = dict(zip(map(int, res.removed.column("id").to_pylist()), res.removed.column("reason").to_pylist()))
    assert set(removed) <= set(CLUE_ADS)
    assert len(removed) >= 20 and all(r.endswith("_contact") for r in removed.values())
    assert removed[3] == "stock_tips_contact"   # the stock-tip ad the audit found ("…操作策略…加微信")
    assert not set(removed) & set(CLUE_NOT_ADS)


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
    # the resort's bare name (新葡京) is no spam phrase, its casino-site form (葡京娱乐) is
    assert "title[葡京娱乐]" in signal and "score=6" in signal
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


# (a JSON text's value at the path a.b, as json.loads reads it; the cases of the shared helper)
JSON_PATH_CASES = [
    ('{"a": {"b": "x"}}', "x"), ('{"a": {"b": {"c": 1}}, "z": 0}', {"c": 1}), ('{"a": {"b": 3}}', 3),
    ('{"a": {"b": true}}', True), ('{"a": {"b": "1.5"}}', "1.5"),
    ('{"a": {"c": "b"}}', None), ('{"b": "x"}', None), ('{"a": 1, "b": "x"}', None),     # missing, or no object
    ('{"a": "b"}', None), ('{"kind": "b", "a": {"\\"b\\"": 2}}', None),   # "b" named only in a string value
    ('{"a": {"b": "x"', None), ("", None), (None, None), ("[1, 2]", None), ('"b"', None),    # bad JSON, no object
    ('{"\\u0061": {"\\u0062": "esc"}}', "esc"),        # a key spelt with escapes: no "b" for the prefilter
    ('{"b": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}", None),     # nested too deep to parse
]


def test_json_path_values_reads_a_dotted_key_of_a_json_column():
    """The walk spam_filter's `metadata.title` and minhash_dedup's `metadata.score` share: the value at
    a key path, None where the text is null or bad, a key is missing or a step is no object; the
    prefilter on the last key's name must neither invent a value (the name in a string value) nor
    lose one (an escaped key)."""
    from pipeline.documents import json_path_values
    texts = [t for t, _ in JSON_PATH_CASES]
    column = pa.chunked_array([pa.array(texts[:5], pa.string()), pa.array(texts[5:], pa.string())])
    assert json_path_values(column, ["a", "b"]) == [v for _, v in JSON_PATH_CASES]
    assert json_path_values(pa.array(['{"t": 1}', '{"t": 1, "u": 2}', None]), ["u"]) == [None, 2, None]
    assert json_path_values(pa.array(['{"t": 1}', "no", None]), []) == [{"t": 1}, None, None]
    # spam_filter's title: strings only, the same walk
    table = pa.table({"text": ["x"] * len(texts), "metadata": column})
    assert SpamFilter(title_field="metadata.a.b")._title_column(table).to_pylist() == [
        v if isinstance(v, str) else None for _, v in JSON_PATH_CASES]


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
        "spam_matches": [{"option": "min_matches", "direction": "below", "value": 3.0}],
        "spam_contact_score": [{"option": "contact_min_score", "direction": "below", "value": 2.0}]}
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
    ("无抵押贷款_当天放款_黑户可贷", None, "loans_title"),
    ("丰胸产品无效退款-私处紧致", None, "health_scam_title"),
    ("招财符_风水大师在线看八字", None, "fortune_title"),
    ("诚招代理-一件代发-轻松月入过万", None, "mlm_title"),
])
def test_spam_families_beyond_casinos(clue, title, url, reason):
    """Loans, essay mills, counterfeit goods, investment scams, private game servers, Chinese loan,
    remedy, fortune-telling and agent-recruitment ads: a page whose title sells them goes; the same
    body under its own title stays."""
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


# --- the contact rule: ads that send the reader to a WeChat, QQ or phone -------------------------
# (constructed examples of the common kinds, written for these tests)
_MARKET = ("周五两市震荡整理，沪指小幅收涨，成交量较前一交易日略有萎缩。板块方面，券商、保险等金融股表现活跃，"
           "资源类个股则普遍回调。分析人士认为，短期市场仍以结构性行情为主，政策面与外围市场的变化值得关注。") * 3
STOCK_TIP_AD = ("【晚间策略】本周原油走势分析：美原油日线收出十字星，短线有回调需求。" + _MARKET +
                "操作建议：52.6美元附近空单进场，止损0.5美元，目标51.8美元；51.2美元附近多单进场，止损0.5美元。"
                "行情瞬息万变，以上点位仅供参考，实盘单子请联系本人。作者：金牛分析师 微信：jn88998")
MARKET_NEWS = ("本报讯（记者 李明）" + _MARKET + "两市逾60只个股涨停。有券商人士建议投资者控制仓位、设好止损。"
               "欢迎读者提供新闻线索，记者微信：liming2016")
ZHIHU_WECHAT = ("谢邀。我和他是在一次读书会上认识的，后来加了微信，他的微信号是 reader_2015，平时就聊聊书和电影，"
                "偶尔也吐槽工作。两年下来，我们成了无话不谈的朋友。")
JOB_POSTING = ("【招聘】某连锁药房招聘门店店员3名。岗位职责：负责门店日常销售，为顾客提供用药咨询；任职要求：中专以上学历，"
               "有药店工作经验者优先。薪资面议，五险一金，员工福利完善。联系人：王女士，联系电话：0731-88886666")
TICKET_NEWS = ("晨报记者报道：旅游日期间本市二十家景区门票半价优惠，活动时间为5月17日至19日。其中，海洋公园成人票原价"
               "160元，半价80元，游客咨询电话：021-58792888；植物园成人票原价60元，游客咨询电话：021-37792288。")


def test_a_stock_tip_ad_with_a_wechat_goes_and_market_news_with_a_reporters_wechat_stays():
    """The trading words (空单, 止损, 点位) are market news words too and the ad is long: the old
    rules kept it. With a WeChat ID it is an ad; a news story with its reporter's WeChat is not
    (记者, 本报, 新闻线索); a Zhihu answer that gives a friend's WeChat sells nothing."""
    res = SpamFilter()(_table([STOCK_TIP_AD, MARKET_NEWS, ZHIHU_WECHAT]))
    assert res.removed.column("id").to_pylist() == ["0"]
    assert res.removed.column("reason").to_pylist() == ["stock_tips_contact"]
    signal = res.removed.column("spam_signal")[0].as_py()
    assert "contact[wechat:jn88998]" in signal and "止损" in signal
    # its weight is its own signal, over contact_min_score (spam_score, the other rules', says 0: the
    # report's histogram showed the removals below min_score, as if wrongly removed)
    assert res.removed.column("spam_contact_score")[0].as_py() >= 2.0
    assert res.kept.column("spam_contact_score").to_pylist() == [0.0, 0.0]
    # the newsroom's words are what keeps the news story
    off = SpamFilter(report_min_distinct=100)(_table([MARKET_NEWS, ZHIHU_WECHAT]))
    assert off.removed.column("reason").to_pylist() == ["stock_tips_contact"]
    # and the handle is what removes the ad
    assert SpamFilter()(_table([STOCK_TIP_AD.replace("微信：jn88998", "")])).removed is None
    assert SpamFilter(contact_min_score=None)(_table([STOCK_TIP_AD])).removed is None


@pytest.mark.parametrize("text,reason", [
    ("很多姐妹产后都有妇科炎症、私处松弛的困扰，试了很多办法都不见效。我用了一个纯中药调理的方子，两个月就好了，"
     "现在皮肤也变好了。想了解的姐妹可以长按复制，添加李老师微信，免费帮你分析。", "health_scam_contact"),
    ("属龙的朋友明年财运亨通，事业运也会有贵人相助，但婚姻方面要多注意。想看自己的八字命盘、流年运势，"
     "可以找我详细测算，微信：mingli_888（有偿）", "fortune_contact"),
    ("零基础也能学会的短视频剪辑课程，小班教学，学会为止，本月开班名额有限，报名即赠送全套素材。"
     "报名电话：13912345678", "ads_contact"),
    ("急用钱？个人信用贷款，不看征信，额度高，最快当天放款。有意者加QQ 12345678 详谈。", "loans_contact"),
    ("宝妈在家也能做的副业，一部手机就能赚钱，零门槛，团队带你月入上万，现招代理。感兴趣的加薇信 ab12345 了解项目。",
     "mlm_contact"),
    ("Stuck with your coursework? Our essay writing service has native writers and every paper is "
     "plagiarism free. Message us on WhatsApp: +44 7700 900123 today.", "essay_mill_contact"),
])
def test_ads_that_give_a_contact_handle(text, reason):
    """Remedies (sent to a 'teacher's' WeChat), readings, courses, loans, agent recruitment, essay
    mills: ordinary words of the trade plus a handle. The same words without the handle stay."""
    assert SpamFilter()(_table([text])).removed.column("reason").to_pylist() == [reason]
    from stages.spam_rules import CONTACT_RE
    assert SpamFilter()(_table([CONTACT_RE.sub("", text)])).removed is None


def test_a_handle_with_few_shop_words_or_in_a_news_page_stays():
    """A job ad's phone with 门店, 咨询, 福利 (half weight: every business text has them) and a news
    page listing ticket offers and hotlines (记者, 报道) are not ads to be removed."""
    res = SpamFilter()(_table([JOB_POSTING, TICKET_NEWS]))
    assert res.removed is None
    off = SpamFilter(report_min_distinct=100)(_table([TICKET_NEWS]))
    assert off.removed.column("reason").to_pylist() == ["ads_contact"]


def test_contact_handles_and_the_spellings_that_dodge_filters():
    from stages.spam_rules import contact_handles
    # an account to follow (公众号) is not a person to contact
    assert contact_handles("添加微信：ZDLJ028，微信公众号：abc_news") == ["wechat:zdlj028"]
    assert contact_handles("更多行情可与笔者薇信1771443606交流") == ["wechat:1771443606"]
    assert contact_handles("文/许某/威/信/xyz4864") == ["wechat:xyz4864"]
    assert contact_handles("文/某某品金 v ：z1105542911") == ["wechat:z1105542911"]
    assert contact_handles("客服QQ2927007594 热线：0310-3202000 咨询13800138000") == [
        "qq:2927007594", "phone:03103202000", "phone:13800138000"]
    assert contact_handles("免费电话400-886-5590转123") == ["phone:4008865590"]
    assert contact_handles("长按二维码加小王老师好友，在线咨询") == ["ask:加小王老师好友"]
    # a WeChat mention without a handle, an app version, a user count, a year
    assert contact_handles("微信Android版更新了，微信5000万用户，2016年微信支付，微信群里聊天") == []
    assert contact_handles("Section V: Results2020 and the phone rang") == []


def test_contact_only_lines_in_list_files(tmp_path):
    """`contact: phrase` lines count only with a handle, and are not text phrases for anyone reading
    the lists (calibration's stuffed pages)."""
    extra = tmp_path / "xx_tutoring.txt"
    extra.write_text("# test list\nguaranteed grades\t2\ncontact: tutor\ncontact: lessons\n", encoding="utf-8")
    assert read_phrase_file(extra) == [("guaranteed grades", 2.0)]
    assert read_phrase_file(extra, contact=True) == [
        ("guaranteed grades", 2.0), ("contact:tutor", 1.0), ("contact:lessons", 1.0)]
    stage = SpamFilter(lists=[], extra_list_files=[str(extra)])
    texts = ["A maths tutor gives lessons after school. " * 3,
             "A maths tutor gives lessons after school. WhatsApp: +44 7700 900123"]
    res = stage(_table(texts))
    assert res.removed.column("id").to_pylist() == ["1"]
    assert res.removed.column("reason").to_pylist() == ["tutoring_contact"]


# --- reports about the activity under a headline that names it ----------------------------------
# (constructed like the probe's cases: real headline shapes over report bodies written for the tests)
_TW_REPORT = ("刑事警察局今天召開記者會表示，近年來詐騙集團與非法賭博業者在社群平台大量投放廣告，以各種優惠吸引民眾加入，"
              "許多民眾因此血本無歸。警方提醒，參與非法賭博可能觸犯刑法，相關案件已移送地檢署偵辦，法院將擇期審理。")
_CN_REPORT = ("公安部今天召开新闻发布会表示，一些不法分子通过社交平台大量投放广告，以各种优惠吸引群众参与网络赌博。"
              "警方提醒，参与网络赌博可能触犯刑法，记者了解到，相关案件已移送检察院审查起诉。")
_EN_REPORT = ("Police said on Tuesday that they had arrested twelve people who ran an illegal online casino. "
              "Prosecutors said the suspects advertised on social media. The court will hear the case next month.")


def test_news_and_warnings_about_gambling_keep_their_headlines(clue):
    """A crackdown story or a consumer warning names the casino offer in its headline and URL slug;
    its body is a report (警方, 記者, 法院, police) that names gambling: kept. A spam title over an
    unrelated article, even a report, still goes; so does one on a spammer's host, and one over a
    long article that names the activity once in passing."""
    hijack_body = clue[226]     # 甘肃三年内将新增幼儿入园学位... "记者从省教育厅获悉": a report, not about gambling
    long_report = clue[2188]    # 4,800 characters on criminal procedure (法院, 公安, 犯罪), "xxx" once
    titles = ["詐騙集團利用娛樂城吸金 警方逮12人", "警方破獲線上娛樂城賭博集團 查扣不法所得",
              "警惕！“注册送彩金”是网络赌博陷阱", "Police shut down illegal online casino ring",
              "詐騙集團利用娛樂城吸金 警方逮12人", "澳门新葡京娱乐场-官方网站",
              "Police shut down illegal online casino ring", "午夜福利视频在线观看"]
    texts = [_TW_REPORT, _TW_REPORT, _CN_REPORT, _EN_REPORT, hijack_body, hijack_body, _EN_REPORT, long_report]
    urls = [None, None, None, "https://news.example.com/2024/05/police-shut-down-illegal-online-casino-ring",
            None, None, "http://best-online-casino.example/news/1.html", None]
    res = SpamFilter()(_table(texts, titles, urls))
    reasons = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    assert reasons == {"4": "gambling_title", "5": "gambling_title", "6": "gambling_url", "7": "porn_title"}
    # the report words are what keeps them: with the exception off, every headline removes its page
    off = SpamFilter(report_title_min_distinct=100)(_table(texts[:4], titles[:4], urls[:4]))
    assert off.removed.num_rows == 4
    # and the activity named in the text: the same reports about something else do not keep them
    other = [t.replace("非法賭博", "非法吸金").replace("网络赌博", "网络传销").replace("online casino", "call centre")
             for t in texts[:4]]
    assert SpamFilter()(_table(other, titles[:4], urls[:4])).removed.num_rows == 4


def test_stuffed_phrases_and_product_names_do_not_make_a_report():
    """Found in review of the first version, which counted the spam phrases as naming the topic: a
    casino-affiliate page ("licensed, unlike illegal offshore sites; regulators and authorities
    check each casino") and a hijacked page of scraped crime news plus one stuffed keyword line
    were both kept. Neither names the activity as a report does (gambling, 赌博)."""
    en = ("Welcome to the best online casino guide. Every online casino we list is licensed, so you never "
          "have to worry about illegal offshore sites. Regulators and authorities check each casino "
          "every year. Claim your casino bonus today and enjoy free spins on hundreds of games. ") * 2
    zh = ("记者从市公安局获悉，警方近日破获一起盗窃案，抓获犯罪嫌疑人3名。据报道，嫌疑人多次在商场作案。"
          "目前案件正在进一步审理中。" * 3 + "\n澳门新葡京 葡京娱乐 注册送彩金 真人百家乐")
    res = SpamFilter()(_table([en, zh], ["Top Online Casinos 2024 – Claim Free Spins and Casino Bonus",
                                         "澳门新葡京娱乐场_葡京娱乐官网_注册送彩金"],
                              ["https://best-games-guide.example/online-casino-free-spins",
                               "http://www.city-news.example.cn/2024/0512/123.html"]))
    # (the URL's path repeats the title's phrases: counted once, in the title)
    assert dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist())) == \
        {"0": "gambling_title", "1": "gambling_title"}


def test_the_host_of_a_url_without_a_scheme():
    from stages.spam_phrases import _host
    assert _host("casino-xpj.example/r?to=https://news.example/a") == "casino-xpj.example"
    assert _host("https://news.example/a?x=//y") == "news.example"
    assert _host("//cdn.example/x") == "cdn.example" and _host(None) is None


def test_a_spam_page_with_a_report_word_or_two_is_still_spam():
    """A casino page whose body is the promotion names gambling and says 非法 and 公安 ("stay away
    from illegal platforms", "registered with the police"): two report words spare it the text rule,
    not the title rule (report_title_min_distinct 3). A `topic:` word is no spam word (a text of
    topic words alone removes nothing)."""
    promo = ("2024最新線上娛樂城推薦排名！註冊就送體驗金，首儲加碼100%，百家樂、老虎機、運彩、捕魚機通通有。"
             "出金快速，遠離非法平台，本站已通過公安備案，新會員限時優惠，體驗金免費領。")
    topics_only = "赌博、赌场、色情、gambling, casino, pornography: 这些词本身不是广告。" * 3
    res = SpamFilter()(_table([promo, topics_only], titles=["2024娛樂城推薦｜註冊送體驗金", None]))
    assert res.removed.column("id").to_pylist() == ["0"]
    assert res.removed.column("reason").to_pylist() == ["gambling_title"]


def test_topic_lines_are_read_only_when_asked(tmp_path):
    extra = tmp_path / "xx_crypto.txt"
    extra.write_text("moonshot coin\t2\ntopic: cryptocurrency\n", encoding="utf-8")
    assert read_phrase_file(extra) == [("moonshot coin", 2.0)]
    assert read_phrase_file(extra, topic=True) == [("moonshot coin", 2.0), ("topic:cryptocurrency", 1.0)]
    stage = SpamFilter(lists=[], extra_list_files=[str(extra)])
    report = ("Police arrested two men over a cryptocurrency fraud, prosecutors said. The cryptocurrency "
              "was worthless, the court heard.")
    res = stage(_table([report, "An ordinary story about the harbour, told by the police."],
                       titles=["Moonshot coin founders arrested", "Moonshot coin presale"]))
    assert res.removed.column("id").to_pylist() == ["1"]


# --- Japanese and Taiwanese spam -----------------------------------------------------------------
@pytest.mark.parametrize("title,text,reason", [
    ("【2024年最新】オンラインカジノおすすめランキング｜入金不要ボーナスあり",
     "オンラインカジノおすすめランキング2024年最新版。入金不要ボーナスで無料でプレイできるオンラインカジノを徹底比較。"
     "初回入金ボーナス最大500ドル、フリースピン100回。登録するだけで30ドルの入金不要ボーナスがもらえます。", "gambling_title"),
    ("ロレックス スーパーコピー 時計 N級品 激安通販専門店",
     "ロレックススーパーコピー時計N級品激安通販専門店。スーパーコピー時計、ブランドコピー財布を激安価格で販売しております。"
     "品質保証、全国送料無料、代引き対応。", "counterfeit_title"),
    ("無料の出会い系サイト｜今すぐセフレが見つかる",
     "完全無料の出会い系サイトで今すぐセフレを探そう！登録無料、サクラなしの優良出会い系サイトだけを厳選しました。", "porn_title"),
    ("バイアグラ 通販 最安値｜シアリス レビトラ ジェネリック",
     "バイアグラ通販の最安値はこちら。ジェネリックED治療薬を処方箋なしで即日発送。カマグラゴールド、タダリスも激安。", "pharma_title"),
    ("運彩分析｜NBA運彩推薦｜百分百準確明牌",
     "運彩分析師每日提供NBA、MLB運彩推薦明牌，勝率高達85%。加入VIP會員即可獲得獨家運彩明牌。", "gambling_title"),
    ("股票代操｜保證獲利｜飆股推薦",
     "專業股票代操團隊，保證月獲利20%以上，老師每日提供飆股名單。台股、美股、期貨代操，資金安全有保障。", "stock_tips_title"),
], ids=["ja_casino", "ja_supercopy", "ja_deai", "ja_ed_drugs", "tw_sports_tips", "tw_stock_tips"])
def test_japanese_and_taiwanese_spam(clue, title, text, reason):
    """Japanese SEO spam (casino affiliates, スーパーコピー, 出会い系, ED drugs by mail order) and Taiwan's
    sports-lottery and stock tip sellers: the page goes, by its title or its text alone; the same
    title over an unrelated article goes too."""
    res = SpamFilter()(_table([text, text, clue[226]], titles=[title, None, title]))
    removed = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    assert removed["0"] == reason and removed["2"].endswith("_title")
    assert removed.get("1", reason).endswith("_text")


def test_japanese_and_taiwanese_news_on_the_same_subjects_stay():
    """Bare カジノ (the integrated-resort news), 出会い系 in crime news, バイアグラ in a clinic's
    comparison, 飆股 in market news, 明牌 in lottery news: none is listed alone."""
    texts = [("政府は14日、カジノを含む統合型リゾート施設（IR）について、大阪府と大阪市が申請していた整備計画を認定した。"
              "一方で、ギャンブル依存症への懸念も根強い。"),
             ("警察によると、容疑者は出会い系サイトで知り合った女性から現金をだまし取った疑いが持たれている。"
              "容疑者は調べに対し容疑を認めている。"),
             "バイアグラ、シアリス、レビトラはいずれもED治療薬で、医師の診察と処方が必要です。効果の持続時間に違いがあります。",
             "台股今天大漲300點，半導體族群領軍，多檔飆股創下新高，分析師提醒投資人留意追高風險。",
             "威力彩頭獎槓龜，下期頭獎上看10億元，不少民眾到廟裡求明牌，彩券公司提醒民眾理性購買。"]
    titles = ["カジノ含むIR、大阪で開業へ 国が計画認定", "出会い系サイトで知り合った女性から詐取 容疑者逮捕",
              "バイアグラ・シアリス・レビトラの違い", "台股大漲 飆股創新高", "威力彩頭獎槓龜 民眾求明牌"]
    assert SpamFilter()(_table(texts, titles)).removed is None


# --- Chinese/Japanese spam the first lists missed (spam_filter version 6) ------------------------
_WEIFA_REPORT = ("男子沉迷网上赌博输光积蓄 家人报警求助\n近日，市民王先生的妻子向派出所求助，称丈夫沉迷一个所谓的“百家乐”"
                 "网站，半年内输掉了家里的六十万元积蓄。民警了解到，王先生最初是在短视频平台上看到广告，称“注册即送彩金”"
                 "“首存翻倍”，抱着试一试的心态下载了APP。起初小赢了几千元，之后越陷越深，最后连房贷都还不上了。\n"
                 "民警提醒，网络赌博是违法行为，所谓的“稳赚不赔”都是骗局，赌博平台可以随意操控输赢。市民如发现相关线索，请及时举报。")


def test_topic_words_inside_a_spam_phrase_do_not_name_the_category(clue):
    """赌场 in 澳门赌场, 赌博 in 网上赌博 are the spam phrase, not a report naming the activity: a spam
    title over a news body (记者, 警方, 涉嫌) whose one stuffed line holds them still goes."""
    s = SpamFilter()
    s.setup()
    gambling = next(c for c in s._categories if c.name == "gambling")
    assert not gambling.named_in("澳门赌场网上赌博" + "记者从省教育厅获悉。" * 30)
    assert gambling.named_in("警方破获一起赌博案，" + "记者从省教育厅获悉。" * 30)
    english = next(c for c in s._categories if c.name == "gambling" and "online casino" in c.weights)
    assert english.named_in("Police arrested twelve people who ran an illegal online casino.")   # a word around one
    body = "澳门赌场 网上赌博 澳门赌场\n" + "警方通报，一男子涉嫌盗窃被刑事拘留。" + clue[226]
    res = SpamFilter()(_table([body], titles=["真人百家乐官网_首存优惠"]))
    assert res.removed.column("reason").to_pylist() == ["gambling_title"]


def test_crackdown_words_every_report_uses():
    """违法, 举报, 派出所, 报警 (違法, 舉報, 報警): a family's call to the police about online gambling
    names the site and its offers as densely as a keyword farm; it is a report, kept."""
    from stages.chinese import opencc_converter
    hant = opencc_converter("s2t").convert(_WEIFA_REPORT)
    assert SpamFilter()(_table([_WEIFA_REPORT, hant])).removed is None


def test_grouped_mobile_numbers_and_line_ids_are_handles():
    from stages.spam_rules import contact_handles
    assert contact_handles("咨询电话：138-1688-9999 微信同号") == ["phone:13816889999"]
    assert contact_handles("联系电话：139 1234 5678") == ["phone:13912345678"]
    assert contact_handles("欢迎来电 138-1688-9999") == ["phone:13816889999"]
    # a group of a longer number is none; a bare @name is a Weibo or Twitter mention
    assert contact_handles("ISBN 978-7-138-1688-9999，2139 1234 5678") == []
    assert contact_handles("官方LINE：@jz888") == ["line:jz888"]
    assert contact_handles("加LINE @jz888 領體驗金") == ["line:jz888"]
    assert contact_handles("转发微博 @jz888 抽奖") == []
    ad = "本公司长期办理各类证件，刻章，信誉第一。联系电话：139 1234 5678"
    assert SpamFilter()(_table([ad])).removed.column("reason").to_pylist() == ["fake_invoice_contact"]


def _parasite(clue, phrase: str, n: int = 13) -> str:
    """A 寄生虫 page: one target phrase glued onto scraped sentences, its title the phrase three times."""
    sents = [x for t in clue[:400] for x in t.split("。") if 15 <= len(x) <= 60 and "赌" not in x][:n * 2]
    return f"{phrase}_{phrase}官网_{phrase}最新网址\n" + "".join(
        (phrase if k % 2 == 0 else "") + x + "。" for k, x in enumerate(sents))


def test_one_phrase_repeated_through_scraped_text(clue):
    """One phrase 16 times in ~1,300 characters of unrelated sentences: min_distinct (2) never sees it,
    the repetition rule does (6 times and 4 per 1000 characters; of the calibration's good documents
    the densest repeat is 1.7 per 1000). A text about the activity (赌场, 赌博 in its own words) stays."""
    pages = [_parasite(clue, "澳门赌场"), _parasite(clue, "六合彩")]
    res = SpamFilter()(_table(pages))
    assert res.removed.column("reason").to_pylist() == ["gambling_repeat", "lottery_repeat"]
    assert "repeat[澳门赌场x16]" in res.removed.column("spam_signal").to_pylist()[0]
    assert SpamFilter(repeat_min_matches=None)(_table(pages)).removed is None
    about = "澳门赌场的历史。" + "".join(f"第{k}家澳门赌场开业后，赌场的赌客增加，赌博收入上升。" for k in range(8))
    assert SpamFilter()(_table([about])).removed is None


_SURROGACY_AD = ("上海代孕中心 专业代孕服务十五年\n我们是一家专业从事代孕、试管婴儿、供卵服务的机构。二、可选性别：采用第三代"
                 "试管婴儿技术，可以选择宝宝性别，包生男孩。三、爱心妈妈资源丰富。四、代孕套餐价格从38万到88万不等。")
_SURROGACY_LAW = ("代孕在我国为何被禁止？专家解读相关法律法规\n根据《人类辅助生殖技术管理办法》，医疗机构和医务人员不得实施任何形式的"
                  "代孕技术。禁止代孕主要基于以下考虑：一是代孕可能导致对女性身体的商品化；二是代孕容易引发亲子关系认定纠纷。"
                  "近年来，网络上出现不少所谓“代孕机构”，以“包成功、包性别”为噱头招揽客户。卫生健康部门多次开展专项整治，"
                  "查处非法代孕机构。专家提醒，切勿轻信非法中介。非法代孕机构往往缺乏必要的医疗条件。")
_CHEAT_AD = ("绝地求生辅助官网 - 稳定不封号的吃鸡辅助\n透视功能、自瞄功能、无后座。防封说明：我们采用驱动级防护技术，至今零封号。"
             "价格：天卡15元，周卡68元，永久卡888元。购买后自动发卡。售后客服QQ：2233445566")
_CHEAT_FORUM = ("【官方公告】关于本周封禁外挂账号的公告\n本周共封禁使用外挂、脚本等第三方辅助程序的账号12,873个。如果发现可疑玩家，"
                "请通过游戏内举报功能进行举报。回复：我朋友被误封了，申诉了三天还没结果。回复：封号力度比以前大多了，外挂作者被判了三年。")
_SIDE_JOB_AD = ("【スマホだけで月収100万円】誰でも簡単に稼げる副業を紹介します\n1日5分のスマホ作業だけで毎月安定した収入が得られます。"
                "知識や経験は一切不要です。私もこの方法で会社を辞めることができました。LINE登録で特典動画を受け取ってください。")
_SIDE_JOB_GOV = ("副業・兼業の促進に関するガイドライン\n厚生労働省では、働き方改革の一環として、副業・兼業の普及促進を図っています。"
                 "なお、「簡単に稼げる副業」をうたう情報商材の購入をめぐるトラブルも増えており、消費者庁が注意を呼びかけています。")


def test_surrogacy_game_cheat_and_side_job_spam():
    """Surrogacy agencies, game-cheat shops and Japanese side-job schemes go; a regulator's page on
    surrogacy, a publisher's ban notice and the labour ministry's guideline, which name the same
    subjects in their own words (代孕, 外挂, 封号, 情報商材), stay."""
    res = SpamFilter()(_table([_SURROGACY_AD, _CHEAT_AD, _SIDE_JOB_AD, _SURROGACY_LAW, _CHEAT_FORUM, _SIDE_JOB_GOV],
                              urls=[None, None, None, "https://www.health.gov.cn/article/2023/daiyun.html", None, None]))
    assert res.removed.column("reason").to_pylist() == ["surrogacy_text", "game_cheat_text", "side_job_text"]


_TAX_FAQ = ("问：小规模纳税人能否向税务机关申请代开增值税专用发票？\n答：已办理税务登记的小规模纳税人发生增值税应税行为，需要开具"
            "增值税专用发票的，可以向主管税务机关申请代开。\n问：自然人出租不动产，能否申请代开发票？\n答：可以，向不动产所在地主管"
            "税务机关申请代开增值税普通发票。\n问：代开发票需要哪些资料？\n答：纳税人申请代开发票，需要提供《代开增值税发票缴纳税款申报"
            "单》、身份证件。目前多地已开通网上代开服务，纳税人可以通过电子税务局在线申请。")


def test_resort_names_and_the_tax_office_are_not_spam():
    """Macau's resorts by name (澳门威尼斯人, 澳门银河, 新葡京) in a travel note, and the tax office's FAQ on
    代开增值税发票 (its own `report:` words: 税务机关, 纳税人), stay; an invoice seller that says the
    tax bureau can verify its invoices still goes."""
    travel = ("澳门三日游：入住澳门威尼斯人酒店，可以坐贡多拉船。晚上去澳门银河看免费的钻石表演。第三天逛新葡京一带，"
              "看看澳门的夜景。入住澳门威尼斯人，对面是澳门银河，新葡京附近吃葡国菜。")
    seller = "代开增值税专用发票，各类发票，可上国家税务总局网站查验，税务局可查，点数优惠。"
    res = SpamFilter()(_table([travel, _TAX_FAQ, _TAX_FAQ, seller],
                              titles=[None, None, "如何申请代开增值税发票？", "代开增值税发票"],
                              urls=[None, None, "https://www.chinatax.gov.cn/chinatax/n810356/c5171234/content.html", None]))
    assert res.removed.column("id").to_pylist() == ["3"]


def test_a_title_kept_in_the_metadata_json():
    """JSONL and Parquet sources keep a `title` field in the metadata JSON: read by default when
    there is no title column, and by a dotted title_field; the recipe then needs only `metadata`."""
    import json as _json
    body = "甘肃三年内将新增幼儿入园学位。记者从省教育厅获悉，全省将新建、改扩建一批幼儿园。"
    table = pa.table({"id": ["0", "1", "2"], "text": [body] * 3,
                      "metadata": [_json.dumps({"title": "澳门新葡京娱乐场-官方网站"}, ensure_ascii=False),
                                   _json.dumps({"page": {"title": "澳门新葡京娱乐场-官方网站"}}, ensure_ascii=False),
                                   None]})
    assert SpamFilter()(table).removed.column("id").to_pylist() == ["0"]
    dotted = SpamFilter(title_field="metadata.page.title")
    assert dotted.input_columns() == {"text", "metadata"}
    assert dotted(table).removed.column("id").to_pylist() == ["1"]


def test_the_regulators_footer_line_is_no_report():
    """违法和不良信息举报 is in every Chinese site's footer: its 违法 and 举报 (report words since
    crackdown stories use them) must not spare a gambling page that carries it."""
    spam = ("澳门赌场官网，网上赌场注册送彩金，百家乐真人荷官在线发牌，时时彩稳赚不赔。"
            "澳门赌场最新网址，网上赌场首存优惠，百家乐技巧。\n违法和不良信息举报电话：12377")
    f = SpamFilter()
    out = f(pa.table({"text": [spam]}))
    assert out.removed is not None and out.removed.column("reason")[0].as_py().startswith("gambling_")
    assert f._report_words("民警提醒，发现违法线索请及时举报。", 5) == 3       # 民警, 违法, 举报 in a story


def _reasons(rows) -> dict[str, str | None]:
    """title -> reason (None: kept) for (url, title, text) rows."""
    res = SpamFilter()(_table([r[2] for r in rows], [r[1] for r in rows], [r[0] for r in rows]))
    removed = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist()))
    return {r[1]: removed.get(str(i)) for i, r in enumerate(rows)}


def test_roman_numerals_and_number_masks_are_not_porn():
    """Found on encyclopedia, sports and programming pages: XXX is a numeral in "Super Bowl XXX" and
    "XXX Corps", and a placeholder in "(XXX) XXX-XXXX"; the URL's path repeats the title. Where
    XXX stands with other porn words (a tube site's title, a porn host) it still counts."""
    rows = [
        ("https://en.wikipedia.org/wiki/XXX_Corps_(United_Kingdom)", "XXX Corps (United Kingdom)",
         "XXX Corps was a British Army corps of the Second World War, formed in the Western Desert in 1941. "
         "It fought at El Alamein and later took part in the Normandy landings and Operation Market Garden."),
        ("https://www.sports.example.com/2024/01/super-bowl-xxx-rematch", "Cowboys and Steelers recall Super Bowl XXX",
         "Twenty-eight years after Super Bowl XXX, players from both teams met in Tempe to remember the game. "
         "Larry Brown, who intercepted Neil O'Donnell twice, said he still watches the tape every January."),
        ("https://regex.example.dev/phone-number-format", "Validating US phone numbers with a regular expression",
         "US phone numbers are usually written as (XXX) XXX-XXXX or XXX-XXX-XXXX. A pattern that accepts both "
         "is shown below. The area code XXX must not start with 0 or 1, and neither may the exchange XXX. "
         "To accept XXX.XXX.XXXX as well, add the dot to the separator class."),
        ("https://www.tube.example.com/", "Free Videos - XXX Sex Tube", "Welcome! New videos every day."),
        ("https://hot-xxx-sex.example.com/latest", "Latest updates", "New videos every day, updated hourly."),
    ]
    assert _reasons(rows) == {"XXX Corps (United Kingdom)": None, "Cowboys and Steelers recall Super Bowl XXX": None,
                              "Validating US phone numbers with a regular expression": None,
                              "Free Videos - XXX Sex Tube": "porn_title", "Latest updates": "porn_url"}


def test_innocent_names_and_a_path_that_repeats_the_title():
    """`not:` lines (pussy willow, Pussy Riot) and a URL path that repeats the title: one piece of
    evidence (an NHS page on weight loss pills scored title 3 + URL 3 + text 1 before). A spam host
    over the same title still adds its own."""
    nhs = ("Weight loss medicines are not the first treatment for obesity. Orlistat is a medicine that can help "
           "you lose weight. Be careful if you buy weight loss pills online: many products sold online are "
           "unlicensed and may contain dangerous ingredients. Speak to a GP or pharmacist first.")
    rows = [
        ("https://en.wikipedia.org/wiki/Salix_discolor", "Salix discolor - pussy willow",
         "Salix discolor, the American pussy willow, is a species of willow native to northern North America. "
         "It is one of the first plants to flower in spring; its catkins are sold as cut branches."),
        ("https://www.news.example.com/world/2024/pussy-riot-member-sentenced",
         "Pussy Riot member sentenced in absentia by Moscow court",
         "A Moscow court sentenced a member of the punk band Pussy Riot in absentia to six years in prison "
         "for spreading false information about the army, her lawyer said on Tuesday."),
        ("https://www.nhs.uk/live-well/healthy-weight/managing-your-weight/weight-loss-pills/",
         "Weight loss pills - NHS", nhs),
        ("https://cheap-pills-rx.example.com/weight-loss-pills/", "Weight loss pills - Fast Delivery", nhs),
    ]
    assert _reasons(rows) == {"Salix discolor - pussy willow": None,
                              "Pussy Riot member sentenced in absentia by Moscow court": None,
                              "Weight loss pills - NHS": None, "Weight loss pills - Fast Delivery": "pharma_url"}


def test_a_title_that_asks_names_what_the_page_explains():
    """Q&A and explainer titles (What is a cash advance?, How can I ... do my homework?, How to spot a
    replica Rolex) weigh as text, not as a title; with a word of selling (buy, cheap) they are titles."""
    rows = [
        ("https://www.bank.example.com/help/credit-cards/what-is-a-cash-advance", "What is a cash advance?",
         "A cash advance lets you use your credit card to get cash from an ATM. A cash advance fee is 5% of "
         "the amount. Cash advance APR is higher than your purchase APR, and interest starts the same day."),
        ("https://parenting.stackexchange.example.com/questions/4410/how-can-i-motivate-myself-to-do-my-homework",
         "How can I motivate myself to do my homework?",
         "I'm 15 and I always leave my homework until late at night. How do other people find motivation?"),
        ("https://www.watch-blog.example.com/guides/how-to-spot-a-replica-rolex", "How to spot a replica Rolex",
         "Counterfeit watches have become much better. Check the weight, the cyclops lens and the movement."),
        ("https://www.health.example.com/where-to-buy-viagra", "Where to buy Viagra online without prescription",
         "Viagra is sold by pharmacies in most countries."),
        ("https://www.essays.example.com/", "Who can write my essay cheap?", "Our writers are ready."),
    ]
    assert _reasons(rows) == {"What is a cash advance?": None, "How can I motivate myself to do my homework?": None,
                              "How to spot a replica Rolex": None, "Where to buy Viagra online without prescription": "pharma_title",
                              "Who can write my essay cheap?": "essay_mill_title"}


def test_regulators_help_pages_and_european_medicine_pages_are_reports():
    """Report words of regulators (fined, investigation), of problem-gambling help, consumer credit,
    savings, universities and health services, in English, German, French and Spanish: such pages name
    online casinos, payday loans or Viagra throughout. Shop pages on the same subjects still go."""
    rows = [
        ("https://www.news.example.co.uk/business/2024/mar/online-casino-operator-fined",
         "Online casino operator fined £6m for failing to protect problem gamblers",
         "An online casino operator has been fined £6m by the Gambling Commission after failing to stop "
         "customers who showed signs of problem gambling from losing thousands. The regulator said the company "
         "sent free spins to a customer who was struggling with his gambling. The company said it had "
         "cooperated fully with the investigation."),
        ("https://www.gambling-support.example.org/advice/online-gambling", "Recognising the warning signs",
         "Many of the people who call our helpline tell us it started with a welcome bonus or a few free spins "
         "from an online casino. A deposit bonus usually has to be wagered 35 times. Sign up to a self-exclusion "
         "scheme that covers every licensed online casino at once."),
        ("https://de.wikipedia.org/wiki/PDE-5-Hemmer", "PDE-5-Hemmer",
         "PDE-5-Hemmer sind Arzneistoffe zur Behandlung der erektilen Dysfunktion. Der erste war Sildenafil "
         "(Viagra); es folgten Vardenafil (Levitra) und Tadalafil (Cialis). Generika von Viagra und Cialis "
         "sind erhältlich. Die Einnahme mit Nitraten ist kontraindiziert."),
        ("https://www.sante.example.fr/medicaments/dysfonction-erectile", "Dysfonction érectile : les traitements",
         "Les médicaments les plus prescrits sont le sildénafil (Viagra), le tadalafil (Cialis) et le vardénafil "
         "(Levitra). Ils ne sont délivrés que sur ordonnance. Méfiez-vous des sites qui vendent du Viagra : "
         "les produits sont souvent contrefaits."),
        ("https://www.university.example.ac.uk/students/academic-integrity/essay-mills", "Essay mills",
         "Essay mills write assignments for payment; it is illegal to advertise them to students. They may "
         "offer a custom essay, an essay writing service or plagiarism free work. Using one breaches the "
         "academic integrity regulations; penalties range from a mark of zero to expulsion."),
        ("https://www.money.example.co.uk/savings/best-easy-access", "Best easy access savings accounts",
         "All accounts below are protected by the FSCS. Chip - 5.01% AER. Minimum deposit £1, maximum deposit "
         "£250,000. Instant withdrawal. Zopa - 4.90% AER. Minimum deposit £1, maximum deposit £85,000. "
         "Instant withdrawal. A fixed-rate bond gives guaranteed returns for the term."),
        ("http://pharmacie-discount.example.fr/", "Acheter Viagra en ligne - Cialis pas cher",
         "Achetez du Viagra générique au meilleur prix. Cialis 20mg pas cher, Levitra, Kamagra livraison "
         "rapide et discrète. Pharmacie en ligne de confiance."),
    ]
    assert _reasons(rows) == {r[1]: None for r in rows[:-1]} | {"Acheter Viagra en ligne - Cialis pas cher": "pharma_title"}


def test_report_word_files_are_read_with_the_main_one(tmp_path):
    """more_report_words_files add to report_words_file (the built-in ones: English regulators,
    German, French, Spanish); a missing one is a clear error."""
    f = SpamFilter()
    f.setup()
    assert f._report_words("Die Polizei hat zwei Männer festgenommen; das Gericht verhandelt im Mai.", 5) == 3
    assert f._report_words("La policía detuvo a dos hombres; el tribunal impuso una multa.", 5) == 3
    g = SpamFilter(more_report_words_files=[])
    g.setup()
    assert g._report_words("Die Polizei hat zwei Männer festgenommen.", 5) == 0
    with pytest.raises(Exception, match="nope.txt"):
        SpamFilter(more_report_words_files=[str(tmp_path / "nope.txt")]).check_recipe(None, "s")


def test_japanese_consumer_warnings_and_police_news_keep_their_report_words():
    """A consumer agency's warning quotes the side-job scam's slogans, a police story names the
    online casino: both were removed by the text rule (side_job_text, gambling_text), as the
    Japanese report words were five (警察, 容疑者, 摘発, 違法, 裁判所) and these stories use others."""
    warning = ("国民生活センターは、SNSの広告をきっかけとした副業に関するトラブルが急増しているとして、注意を呼びかけています。"
               "相談の多くは、「スマホ1台で稼げる」「誰でも簡単に稼げる」「1日5分の作業で月収100万円」といった広告を見て、"
               "LINEで友だち追加をしたところ、高額なサポート契約を勧められたというものです。"
               "なかには「知識や経験は一切不要」と説明されたのに、実際には数十万円の情報商材を購入させられたケースもありました。")
    casino = ("警視庁は12日、海外のオンラインカジノで賭博をしたとして、会社員の男性を書類送検した。"
              "捜査関係者によると、男性はスマートフォンからオンラインカジノのサイトに接続し、バカラなどで約300万円を賭けていた疑いがある。"
              "オンラインカジノは海外で合法的に運営されていても、日本国内から接続して賭けると賭博罪にあたる。"
              "入金不要ボーナスなどをうたう広告も多く、政府は注意を呼びかけている。")
    res = SpamFilter()(_table([warning, casino]))
    assert res.removed is None or res.removed.num_rows == 0
