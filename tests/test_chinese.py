"""chinese_clean and spam_filter on real Chinese web text (CLUECorpusSmall sample)."""
from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from stages.chinese import ChineseClean, SpamBlocklistFilter, mojibake_counts


@pytest.fixture(scope="module")
def clue(shared_data: Path) -> list[str]:
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return [line for line in f.read().splitlines() if line.strip()]


def _docs(texts, language=None) -> pa.Table:
    t = documents_table([{"id": str(i), "source": "t", "text": x} for i, x in enumerate(texts)])
    if language is not None:
        t = t.append_column("language", pa.array(language, pa.string()))
    return t


def test_width_and_katakana_normalised_only_in_cjk_documents():
    texts = ["ＡＢＣ１２３公司发布了新产品，价格为９９元。", "ｶﾀｶﾅとﾃﾞｰﾀの日本語テキストです。", "Ｆｕｌｌｗｉｄｔｈ English text stays."]
    out = ChineseClean()(_docs(texts)).kept
    got = out.column("text").to_pylist()
    assert got[0] == "ABC123公司发布了新产品，价格为99元。"  # CJK punctuation kept
    assert got[1] == "カタカナとデータの日本語テキストです。"
    assert got[2] == texts[2]  # Latin-script document: not touched
    assert out.column("cjk_ratio").type == pa.float32()


def test_language_column_selects_documents():
    texts = ["ＡＢＣ中文", "ＡＢＣ中文"]
    got = ChineseClean()(_docs(texts, language=["zh", "en"])).kept.column("text").to_pylist()
    assert got == ["ABC中文", "ＡＢＣ中文"]


def test_punctuation_modes_and_opencc():
    src = "今天天气很好,我们去公园(北京)吧!"
    full = ChineseClean(punctuation="fullwidth")(_docs([src])).kept.column("text")[0].as_py()
    assert full == "今天天气很好，我们去公园（北京）吧！"
    half = ChineseClean(punctuation="halfwidth")(_docs([full])).kept.column("text")[0].as_py()
    assert half == src
    t2s = ChineseClean(convert="t2s")(_docs(["這是一個繁體中文的句子，說明台灣的天氣。"])).kept
    assert t2s.column("text")[0].as_py() == "这是一个繁体中文的句子，说明台湾的天气。"
    s2t = ChineseClean(convert="s2t")(_docs(["这是简体中文"])).kept.column("text")[0].as_py()
    assert s2t == "這是簡體中文"


def test_opencc_conversion_leaves_japanese_alone():
    """convert: t2s ran over every selected document, Japanese (selected for its width rules) too:
    予算案を閣議決定した came out as 予算案を阁议决定した, 東京駅 as 东京駅, 紹介 as 绍介."""
    ja = ["東京駅の近くで新しい電池の紹介がありました。", "政府は予算案を閣議決定した。一般会計の総額は過去最大。"]
    zh = "這是一個繁體中文的句子，說明台灣的天氣。"
    out = ChineseClean(convert="t2s")(_docs([*ja, zh], language=["ja", "ja", "zh"])).kept.column("text").to_pylist()
    assert out == [*ja, "这是一个繁体中文的句子，说明台湾的天气。"]
    # without a language column: Japanese (its kana: script Jpan) left, Chinese by its script converted
    out = ChineseClean(convert="t2s")(_docs([*ja, zh])).kept.column("text").to_pylist()
    assert out == [*ja, "这是一个繁体中文的句子，说明台湾的天气。"]
    # Cantonese, when the stage selects it, is Chinese to OpenCC
    assert ChineseClean(convert="t2s", languages=["zh", "yue"])(_docs(["佢哋喺度講緊嘢。"], language=["yue"])).kept.column(
        "text").to_pylist() == ["佢哋喺度讲紧嘢。"]


def test_real_text_has_no_mojibake_but_garbled_copies_do(clue):
    res = ChineseClean()(_docs(clue))
    assert res.removed is None and res.kept.num_rows == len(clue)
    sample = [t for t in clue if len(t) > 200][:20]
    latin1 = [t.encode("utf-8").decode("latin-1") for t in sample]
    cp1252 = [t.encode("utf-8").decode("cp1252", errors="replace") for t in sample]
    gbk = [t.encode("utf-8").decode("gbk", errors="replace") for t in sample]
    # GBK bytes read as UTF-8: nearly every character a replacement character
    replaced = [t.encode("gbk", errors="replace").decode("utf-8", errors="replace") for t in sample]
    garbled = latin1 + cp1252 + gbk + replaced
    res = ChineseClean()(_docs(garbled))
    assert res.kept.num_rows == 0
    assert set(res.removed.column("reason").to_pylist()) == {"mojibake"}


def test_english_text_with_accents_and_a_stray_replacement_char_is_kept():
    texts = ["Café, naïve façade, Zürich, São Paulo and déjà vu — “quoted” text.",
             "A long clean paragraph about weather " * 20 + "\ufffd",
             "中文里的·间隔号····和××公司不算乱码。"]
    res = ChineseClean()(_docs(texts))
    assert res.removed is None
    assert list(mojibake_counts(pa.array(["锟斤拷锟斤拷", "Ã©tÃ©", "ok"]))) == [6, 4, 0]


def test_low_cjk_ratio(clue):
    # language ID said zh for both (the runner puts `language` first); the second is mostly Latin
    texts = [clue[0], "中文 " + "english words only here " * 10]
    res = ChineseClean(min_cjk_ratio=0.3)(_docs(texts, language=["zh", "zh"]))
    assert res.kept.column("text").to_pylist() == [clue[0]]
    assert res.removed.column("reason").to_pylist() == ["low_cjk_ratio"]


def test_opencc_failure_raises_in_setup():
    with pytest.raises(Exception):
        ChineseClean(convert="x2y")


SPAM_PAGE = ("澳门威尼斯人娱乐城，真人百家乐在线赌场，注册送38元彩金，首存100送100，返水无上限，"
             "体育投注、老虎机、真人视讯应有尽有，24小时提款秒到！立即注册网上赌场领取彩金。")


def test_spam_filter_keeps_real_text_and_removes_spam(clue):
    news = ("警方近日破获一起网络赌博案件，涉案的赌博网站以博彩为名诈骗群众。警方提醒市民，"
            "切勿参与任何形式的赌博活动。" + clue[1])
    table = _docs(clue + [news, SPAM_PAGE])
    res = SpamBlocklistFilter()(table)
    removed = dict(zip(res.removed.column("text").to_pylist(), res.removed.column("reason").to_pylist()))
    assert removed.pop(SPAM_PAGE) == "gambling_text" and news not in removed
    # the rest are the real WeChat/phone ads in the sample (tests/test_spam.py: CLUE_ADS)
    assert all(r.endswith("_contact") for r in removed.values())
    assert res.kept.num_rows == len(clue) + 1 - len(removed)
    assert res.kept.column("spam_matches").type == pa.int32()


def test_spam_categories_and_english(tmp_path):
    invoice = "代开发票，代开增值税专用发票，各类发票均可代开，可查验后付款，点数优惠，联系电话。"
    pharma = "Buy VIAGRA and Cialis online pharmacy, cheap pills without prescription, fast shipping!"
    res = SpamBlocklistFilter()(_docs([invoice, pharma]))
    assert res.removed.column("reason").to_pylist() == ["fake_invoice_text", "pharma_text"]
    extra = tmp_path / "xx_crypto.txt"
    extra.write_text("# test list\nairdrop\nmoonshot coin\n", encoding="utf-8")
    res = SpamBlocklistFilter(lists=[], extra_list_files=[str(extra)], min_matches=2)(
        _docs(["Free airdrop! moonshot coin airdrop now", "One airdrop mention in a long story."]))
    assert res.removed.column("reason").to_pylist() == ["crypto_text"]
    # one phrase repeated is not enough when two different phrases are required
    res = SpamBlocklistFilter()(_docs(["六合彩" * 5]))
    assert res.removed is None
    with pytest.raises(FileNotFoundError):
        SpamBlocklistFilter(lists=["zh_nothing"]).ensure_setup()


def test_a_few_replacement_characters_are_holes_dropped_from_a_good_text(clue):
    """A real news page carried six runs of U+FFFD from its publisher (2 % of its characters): the
    article is kept without them; past max_replacement_ratio the page was decoded wrongly."""
    text = next(t for t in clue if len(t) > 600)
    holed = "".join(c + ("\ufffd" * 4 if i % 120 == 60 else "") for i, c in enumerate(text))
    english = "A clean sentence about the weather by the sea, with a hole \ufffd\ufffd in it. " * 3
    res = ChineseClean()(_docs([holed, english]))
    assert res.removed is None
    assert res.kept.column("text").to_pylist() == [text, english.replace("\ufffd", "")]
    assert res.counters["replacement_chars_dropped"] == holed.count("\ufffd") + 6
    assert 0.01 < res.kept.column("replacement_ratio")[0].as_py() < 0.05
    strict = ChineseClean(max_replacement_ratio=0.01)(_docs([holed]))
    assert strict.removed.column("reason").to_pylist() == ["mojibake"]
