"""FineWeb quality rules, and the keep rates of the default filters on real en and zh articles."""

import pyarrow as pa
import pytest

from stages.c4 import C4Quality
from stages.fineweb import FineWebQuality
from stages.gopher import GopherQuality, GopherRepetition
from bench.gold import cjk_articles, english_articles

EN = ("The committee met on Tuesday to discuss the budget for the coming year.\n"
      "Members raised several concerns about spending on roads and schools.\n"
      "The chair promised a detailed answer before the next meeting.")
ZH = ("委员会周二开会，讨论明年的预算安排以及各项支出计划的具体细节。\n"
      "委员们对道路和学校方面的支出提出了若干担忧，并要求政府作出说明。\n"
      "主席承诺在下次会议之前给出详细答复，并公开相关的财政数据。")


def test_good_documents_pass():
    assert FineWebQuality().judge_texts([EN, ZH], ["en", "zh"]) == [None, None]
    # Blank lines between paragraphs do not change the verdict.
    assert FineWebQuality().judge_texts([EN.replace("\n", "\n\n")], ["en"]) == [None]


@pytest.mark.parametrize("text, language, reason", [
    ("\n".join(f"Section heading number {i} without a full stop at the end" for i in range(10)), "en",
     "line_punct_ratio"),
    ("\n".join(f"第{i}节的标题没有句号也没有其他标点符号结尾" for i in range(10)), "zh", "line_punct_ratio"),
    (EN + "\n" + "\n".join(["Short line."] * 3 + [f"Item {i}." for i in range(6)]), "en", "short_line_ratio"),
    (EN + "\n" + "The chair promised a detailed answer before the next meeting.", "en", "char_dup_ratio"),
    (ZH + "\n" + "主席承诺在下次会议之前给出详细答复，并公开相关的财政数据。", "zh", "char_dup_ratio"),
    ("\n".join(f"Item {i}." for i in range(40)) + "\n" + EN, "en", "list_ratio"),
])
def test_each_rule_fires(text, language, reason):
    assert FineWebQuality(short_line_thr=None if reason == "list_ratio" else 0.67).judge_texts(
        [text], [language]) == [reason]


def test_signals_and_segmentation_columns():
    out = FineWebQuality()(pa.table({"text": [EN, ZH], "language": ["en", "zh"]}))
    assert out.kept.column("segmentation").to_pylist() == ["whitespace", "jieba"]
    assert out.kept.column("fineweb_line_punct_ratio").to_pylist() == [1.0, 1.0]


def test_default_filters_keep_real_articles_in_english_and_chinese(shared_data):
    """FineWeb-2's filter set (gopher x2 + fineweb) keeps comparable shares of real en and zh/ja
    articles; C4's 5-sentence minimum is harsher on the short Chinese news items. (Gopher's alpha
    ratio is over words since #17; counted over tokens as datatrove does, it removed three date- and
    figure-heavy Chinese news items under FineWeb-2's cmn_Hani threshold 0.735.)"""
    en, cjk = english_articles(shared_data), cjk_articles(shared_data)
    chain = [GopherQuality(), GopherRepetition(), FineWebQuality()]
    rates = {}
    for name, texts in (("en", en), ("zh/ja", cjk)):
        table = pa.table({"text": texts})
        for stage in chain:
            table = stage(table).kept
        rates[name] = table.num_rows / len(texts)
        rates[name + "+c4"] = C4Quality()(table).kept.num_rows / len(texts)
    print("keep rates:", {k: round(v, 2) for k, v in rates.items()})
    assert rates["en"] >= 0.8 and rates["zh/ja"] >= 0.7
    assert abs(rates["en"] - rates["zh/ja"]) <= 0.15
    assert rates["en+c4"] >= 0.8 and rates["zh/ja+c4"] >= 0.6


# --- CJK line ends and one-line paragraphs (real text) ---------------------------------------------
def test_cjk_closing_quotes_and_citations_end_a_sentence():
    """Real lines from the magic-html gold texts end in 」 and ？” ; a Wikipedia line ends in 。[1]."""
    lines = ["「築73年、２階建ての古いボロボロの建物が札束に化けたってこの界隈でウワサになっているのよ」",
             "我自己确实是走过了那道黑雾……所以确实是身体在穿过黑雾的时候‘变化’成了这幅样子？”",
             "希奥利艾机场现为北约波罗的海防空部队的驻地。[1]",
             "这是一个没有标点的标题行"]
    out = FineWebQuality(annotate_only=True)(pa.table({"text": ["\n".join(lines)], "language": ["zh"]})).kept
    assert out.column("fineweb_line_punct_ratio").to_pylist() == [0.75]


def test_one_line_paragraph_is_not_judged_for_line_punctuation(shared_data):
    """A real one-line Wikipedia paragraph (CLUE) that ends in a colon before its list was cut off."""
    import gzip
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        para = next(line for line in f if line.startswith("邵伯镇是江苏省")).strip()
    assert para.endswith("：")
    assert FineWebQuality().judge_texts([para], ["zh"]) == [None]
    assert FineWebQuality(line_punct_min_lines=1).judge_texts([para], ["zh"]) == ["line_punct_ratio"]
    # two such lines are a page of unpunctuated lines again
    assert FineWebQuality().judge_texts([para + "\n" + para[:60]], ["zh"]) == ["line_punct_ratio"]


def test_table_rows_end_where_their_text_ends():
    """trafilatura 2 writes a table row as `| cell | cell |`: on a table-layout page every line ends
    in `|`, and read literally no line is punctuated (held-out CleanEval pages were removed so)."""
    from stages.fineweb import FineWebQuality
    import pyarrow as pa
    page = "\n".join(["|  |  |  | ", "| Home | About | Contact | ",
                      "|  | The club leader needs patience. She must know the girls well. |  |  | ",
                      "|  | Clubs meet once a week, in the evening. |  | ",
                      "| A third paragraph, about the rooms, ends here. | ", "|  |  |"])
    flat = page.replace("|", " ")
    st = FineWebQuality().ensure_setup()
    out = st(pa.table({"id": ["t", "f"], "text": [page, flat], "language": ["en", "en"]}))
    removed = [] if out.removed is None else out.removed.column("id").to_pylist()
    assert "t" not in removed and "f" not in removed
    kept = out.kept.to_pylist()
    assert [r["fineweb_lines"] for r in kept] == [4, 4]       # the rows of empty cells are blank lines
    assert kept[0]["fineweb_line_punct_ratio"] == kept[1]["fineweb_line_punct_ratio"] == 0.75


def test_a_numbered_citation_after_a_space_still_ends_a_sentence():
    """Baidu Baike writes its citations after a space ("启动。 [3]"); Wikipedia without ("。[3]")."""
    lines = ["河北雄安高新技术产业开发区，隶属河北省雄安新区，为省级高新技术产业开发区 [1] [5]。",
             "规划用地总面积952.7463公顷（具体范围以坐标为准）。 [2]", "2024年5月9日，雄安高新区正式揭牌启动。 [3]",
             "2023年12月，河北省政府批复设立省级河北雄安高新技术产业开发区。 [2] [5]", "The end. [12]", "Not [详细]"]
    assert abs(_zh_line_punct_ratio(lines) - 5 / 6) < 1e-6


def test_a_source_credit_in_brackets_after_the_full_stop_ends_a_sentence():
    """Chinese news closes a paragraph with its source in brackets after the full stop; a note that
    is the whole line, or brackets without a sentence's end before them, do not count."""
    lines = ["今年以来，全县经济运行总体平稳，主要指标趋稳趋优。（德清县发改局）",
             "记者从市交通局获悉，新线路将于下月开通。(记者 张明)", "比赛结果已经公布。【新华社】",
             "The council approved the plan. (Reuters)", "（图片来源：网络）", "县政府工作报告（全文）"]
    assert abs(_zh_line_punct_ratio(lines) - 4 / 6) < 1e-6


def _zh_line_punct_ratio(lines: list[str]) -> float:
    """fineweb_line_punct_ratio of one zh document made of these lines (kept: the tests' documents pass)."""
    from stages.fineweb import FineWebQuality
    import pyarrow as pa
    out = FineWebQuality().ensure_setup()(pa.table({"id": ["d"], "text": ["\n".join(lines)], "language": ["zh"]}))
    return out.kept.column("fineweb_line_punct_ratio").to_pylist()[0]


def test_teaser_lines_ending_in_a_bracketed_ellipsis_are_not_sentences():
    # A feed of teasers cut short ("... [...]", "[…]"): FineWeb's punctuation rule sees them as
    # unfinished (as datatrove does); C4 drops each such line. A finished sentence that ends with a
    # short note in brackets still counts.
    teasers = "\n".join(f"Post {i}: the council met on Tuesday to discuss the budget and the plans for "
                        f"the park {end}" for i, end in enumerate(["[...]", "[…]", "(...)", "[ … ]"] * 3))
    assert FineWebQuality().judge_texts([teasers], ["en"]) == ["line_punct_ratio"]
    # Gopher's own ellipsis rule ("..." or "…" at the end) is left as Gopher and datatrove have it
    dots = "\n".join(line.rsplit(" ", 1)[0] + " ..." for line in teasers.split("\n"))
    assert GopherQuality().judge_texts([dots, teasers], ["en", "en"]) == ["ellipsis_lines", None]
    finished = teasers.replace("[...]", "(AP).").replace("[…]", "[1].").replace("(...)", ".").replace("[ … ]", ".")
    assert FineWebQuality().judge_texts([finished], ["en"]) == [None]
    assert GopherQuality().judge_texts([finished], ["en"]) == [None]
    kept = ("The council will meet again next week, said the mayor.\nShe thanked everyone for coming to the "
            "long meeting today.\nThe vote on the budget is expected in the spring. It was a long day. All went home.")
    c4 = C4Quality().process(pa.table({"text": [teasers + "\n" + kept]}))
    assert c4.kept.column("text").to_pylist() == [kept]   # the teaser lines dropped, the sentences kept


def _sentences(shared_data, lang: str, n: int = 12) -> list[str]:
    import csv
    with open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        return [r["text"].strip() for r in csv.DictReader(f, delimiter="\t") if r["lang_iso639_1"] == lang][:n]


@pytest.mark.parametrize("lang, mark", [("hi", "।"), ("bn", "।"), ("pa", "।"), ("ur", "۔"), ("hy", "։"),
                                        ("ar", "؟")])
def test_lines_ending_in_their_own_scripts_full_stop_are_punctuated(shared_data, lang, mark):
    """Hindi, Bengali, Punjabi (।), Urdu (۔), Armenian (։) and Arabic (؟) prose ends its lines in
    its own marks: FineWeb's English list read every such line as unpunctuated. A line of one
    sentence each, every one ending in the native mark, is real prose for both FineWeb and C4."""
    lines = [s.rstrip(".!?।۔։؟") + mark for s in _sentences(shared_data, lang)]
    text = "\n".join(lines)
    out = FineWebQuality()(pa.table({"text": [text], "language": [lang]}))
    assert out.kept.num_rows == 1 and out.kept.column("fineweb_line_punct_ratio").to_pylist() == [1.0]
    assert C4Quality()(pa.table({"text": [text], "language": [lang]})).kept.column("text").to_pylist() == [text]


def test_thai_has_no_full_stop_and_is_not_judged_by_line_punctuation(shared_data):
    thai = "\n".join(s.rstrip(".!?") for s in _sentences(shared_data, "th"))
    assert FineWebQuality().judge_texts([thai], ["th"]) == [None]
    english = "\n".join(s.rstrip(".!?") for s in _sentences(shared_data, "en"))
    assert FineWebQuality().judge_texts([english], ["en"]) == ["line_punct_ratio"]


def test_chinese_list_ratio_threshold_removes_what_english_removes(shared_data):
    """zh new_line_ratio is derived, not copied: the value at which Chinese loses, kind by kind, the
    share of text English loses at 0.3 (bench.derive_profile_numbers.list_ratio_threshold, on the
    dev split of the calibration sets). FineWeb-2's 0.178 removed half of the Chinese page
    boilerplate where English loses a third, and short-line Chinese English would keep."""
    from bench.derive_profile_numbers import list_ratio_threshold
    from stages.profiles import load_profile
    derived = list_ratio_threshold(shared_data)
    assert abs(derived["dev"]["threshold"] - derived["held_out"]["threshold"]) <= 0.02
    for profile in ("zh-Hans", "zh-Hant"):
        t = load_profile(profile)["new_line_ratio"]
        assert abs(t - derived["dev"]["threshold"]) <= 0.005, (profile, t, derived["dev"]["threshold"])
        for kind, ratios in derived["ratios"].items():
            en = (ratios["en"]["all"] > derived["en_threshold"]).mean()
            zh = (ratios["zh"]["all"] > t).mean()
            assert abs(zh - en) <= 0.05, (profile, kind, zh, en)
    assert derived["en_threshold"] == 0.3 == FineWebQuality().new_line_ratio   # English keeps FineWeb's value


def test_japanese_list_ratio_is_the_chinese_value_scaled_by_words_per_line(shared_data):
    """ja new_line_ratio is ours, not FineWeb-2's jpn_Jpan 0.162 (counted as datatrove counts:
    every "\\n" over tokens with punctuation). There is too little Japanese to derive it per kind as
    for Chinese, so it is the Chinese value scaled by words per line of page boilerplate, where
    the rule acts (bench.derive_profile_numbers.japanese_list_ratio); FineWeb-2's value translated
    into our count agrees. If the calibration sets gain Japanese books and boilerplate, derive it
    as for Chinese instead."""
    from bench.derive_profile_numbers import japanese_list_ratio
    from stages.profiles import load_profile
    derived = japanese_list_ratio(shared_data)
    assert derived["counts"]["books"] == 0 and derived["counts"]["page boilerplate"] < 10, derived["counts"]
    t = load_profile("ja")["new_line_ratio"]
    assert abs(t - derived["scaled"]) <= 0.005, (t, derived["scaled"])
    assert abs(t - derived["scaled_pooled"]) <= 0.02
    # The translation of FineWeb-2's values lands near ours, for Chinese (derived) and Japanese.
    assert abs(derived["translated"]["zh"]["value"] - derived["zh_threshold"]) <= 0.02
    assert abs(derived["translated"]["ja"]["value"] - t) <= 0.02
    # Clean Japanese text is far below it.
    for kind in ("articles (gold)", "sentences x10"):
        assert max(derived["ja_ratios"][kind]) < 0.1, kind


def test_german_and_french_closing_quotes_end_a_line():
    """Dialogue in German („…“, »…«) and French (« … » with its space) lines ended in a quote after
    the full stop and counted as unpunctuated: an all-dialogue page went as line_punct_ratio 0.0."""
    lines = ["„Kommst du morgen mit?“, fragte sie.", "Er antwortete: „Ich weiß es noch nicht.“",
             "»Dann rufe ich dich an.«", "« Je viens demain. »", "Il répondit\u00a0: « Je ne sais pas.\u00a0»",
             "Eine Überschrift ohne Punkt"]
    out = FineWebQuality(annotate_only=True)(pa.table({"text": ["\n".join(lines)], "language": ["de"]})).kept
    assert out.column("fineweb_line_punct_ratio").to_pylist() == [pytest.approx(5 / 6)]
