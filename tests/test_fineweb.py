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
    articles; C4's 5-sentence minimum is harsher on the short Chinese news items. Gopher's alpha
    ratio counts punctuation and number tokens (as datatrove/FineWeb-2 do), which removes three
    date- and figure-heavy Chinese news items under FineWeb-2's cmn_Hani threshold 0.735."""
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
