"""zhwiki and jawiki wikitext: the wiki's rendering of dates, language labels, flags and {{by}}, a raw
wikitext file's language read from its script, -{…}- and {{NoteTA}} conversion, zh/ja back-matter headings.

Real text: jawiki ティーンズねっとわーく as geohci/edit-types @ c45a7746d78ab93480fbf9c6af1061ebf53eb584,
tests/context.py keeps it; jawiki ウィキペディア's lead as the page shows it ("ウィキペディア（英: Wikipedia）は、…",
"ジミー・ウェールズ（英: Jimmy Donal "Jimbo" Wales）") in typst/typst @ 06640feca7e5fa3c01fd2bc2cd57408906f3bbff,
tests/suite/layout/inline/justify.typ. The other excerpts are the shapes a probe of zhwiki/jawiki dumps
found rendered wrong (one sentence each, as the articles write them)."""
from __future__ import annotations

import pytest

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.readers.mediawiki import DROP_SECTIONS
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.readers.wikitext_rules import dropped_heading
from pipeline.readers.zh_variants import finish, resolve
from pipeline.recipe import SourceConfig

# jawiki ティーンズねっとわーく's lead (geohci/edit-types, tests/context.py)
TEENS = ("{{特筆性|date=2016年1月30日 (土) 01:03 (UTC)}}\n『'''ティーンズねっとわーく'''』は、[[1994年]][[4月4日]]から"
         "[[1996年]][[3月11日]]まで[[NHK教育テレビジョン|NHK教育テレビ]]で放送されていた高校生向けの[[学校放送]]"
         "（教科：[[特別活動]]）である。\n")
TEENS_TEXT = ("『ティーンズねっとわーく』は、1994年4月4日から1996年3月11日までNHK教育テレビで放送されていた"
              "高校生向けの学校放送（教科：特別活動）である。")


def read(tmp_path, files: dict[str, str], **opts) -> dict[str, str]:
    for name, wikitext in files.items():
        (tmp_path / name).write_text(wikitext)
    src = SourceConfig(name="w", format="wikitext", paths=[str(tmp_path)], **opts)
    state, out = ReadState(), {}
    for p in expand_paths(str(tmp_path)):
        for item in read_source_file(src, p, state):
            assert isinstance(item, Doc)
            out[item.metadata["title"]] = item.text
    return out


def text(wikitext: str, language: str | None) -> str:
    return wikitext_to_text(wikitext, WikitextOptions(language=language,
                                                      drop_sections=frozenset(s.lower() for s in DROP_SECTIONS)))


def test_a_wikitext_file_without_language_is_read_as_its_script_and_templates_say(tmp_path):
    """Without `language:` a jawiki file got "山田はJanuary 2, 1990生まれ", and a zhwiki file whose -{…}-
    markup was resolved as zhwiki's still "他生于January 2, 1950" and a {{lang-en}} without its "英语："."""
    docs = read(tmp_path, {
        "山田.wiki": "山田は{{生年月日と年齢|1990|1|2}}生まれ。",
        "ティーンズねっとわーく.wiki": TEENS + "初回は{{start date|1994|4|4}}。\n",
        "李.wiki": "他生于{{birth date|1950|1|2}}，是-{zh-hans:计算机;zh-hant:電腦}-（{{lang-en|Computer}}）专家。",
        "王.wiki": "王明（{{lang-en|Wang Ming}}）生于{{birth date|1950|1|2}}，是一位作家，曾在北京大学任教多年。",
        "Beijing.wiki": "'''Beijing''' ({{lang|zh|北京}}) was founded on {{start date|1045|1|2}} as a city.",
    })
    assert docs == {
        "山田": "山田は1990年1月2日生まれ。",
        "ティーンズねっとわーく": TEENS_TEXT + "\n初回は1994年4月4日。",
        "李": "他生于1950年1月2日，是计算机（英语：Computer）专家。",
        "王": "王明（英语：Wang Ming）生于1950年1月2日，是一位作家，曾在北京大学任教多年。",
        # an English article with a Chinese name stays English
        "Beijing": "Beijing (北京) was founded on January 2, 1045 as a city.",
    }
    # a language given wins over the script
    assert read(tmp_path, {}, language="en")["山田"] == "山田はJanuary 2, 1990生まれ。"


def test_jawiki_by_and_language_labels_read_as_the_page_shows_them():
    # {{by|1950年}} links the year to 1950年の野球 and shows it; enwiki's {{by|1998}} "1998"
    assert text("'''山田商事'''は、{{by|1950年}}に設立された日本の企業である。", "ja") == "山田商事は、1950年に設立された日本の企業である。"
    assert text("He debuted in {{by|1998}}.", "en") == "He debuted in 1998."
    # jawiki ウィキペディア: "ウィキペディア（英: Wikipedia）は、…", "ジミー・ウェールズ（英: Jimmy Donal "Jimbo" Wales）"
    assert text("'''ウィキペディア'''（{{Lang-en-short|Wikipedia}}）は、[[フリー]]の百科事典である。[[ジミー・ウェールズ]]"
                "（{{lang-en-short|Jimmy Donal \"Jimbo\" Wales}}）", "ja") \
        == "ウィキペディア（英: Wikipedia）は、フリーの百科事典である。ジミー・ウェールズ（英: Jimmy Donal \"Jimbo\" Wales）"
    assert text("'''ジョン'''（{{lang-en|John}}）", "ja") == "ジョン（英語: John）"
    assert text("（{{lang-de-short|Straßenbahn}}、{{lang-ko|서울}}）", "ja") == "（独: Straßenbahn、朝鮮語: 서울）"
    # zhwiki keeps its own label; other wikis show the text alone
    assert text("（{{lang-en|John}}）", "zh") == "（英语：John）"
    assert text("({{lang-en|John}})", "en") == "(John)"


def test_flag_templates_named_by_a_country_code_show_the_country():
    assert text("'''李明'''是{{flag|JPN}}籍华人，出生于{{flagcountry|CHN}}，曾在{{flag|Japan}}工作。", "zh") \
        == "李明是日本籍华人，出生于中国，曾在Japan工作。"
    assert text("{{flag|JPN}}の選手", "ja") == "日本の選手"
    assert text("a {{flag|JPN}} player", "en") == "a JPN player"          # enwiki's names are the template's data


def _zh(wikitext: str, variant: str) -> str:
    return finish(resolve(wikitext, variant), None)


def test_a_rule_block_across_a_blank_line_is_one_block():
    block = "甲-{zh-hans:计算机是电子设备。\n\n它能计算;zh-hant:電腦是電子設備。\n\n它能計算}-乙"
    assert _zh(block, "zh-hant") == "甲電腦是電子設備。\n\n它能計算乙"
    assert _zh(block, "zh") == "甲计算机是电子设备。\n\n它能计算乙"
    # a stray "-{" in prose still ends at its paragraph, and the block after it is read
    assert _zh("a -{ stray\n\nb -{zh-hans:x;zh-hant:y}- c", "zh-hant") == "a  stray\n\nb y c"


def test_note_ta_with_a_nested_template_applies_its_rules_but_not_inside_code():
    page = ("{{NoteTA\n|1=zh-hans:软件;zh-hant:軟體;\n|2=zh-hans:{{lang|en|bit}}; zh-hant:位元;\n|G1=IT\n}}\n"
            "软件很好。<code>软件</code><syntaxhighlight lang=\"c\">软件()</syntaxhighlight><pre>软件</pre>软件。")
    assert _zh(page, "zh-hant") == ("\n軟體很好。<code>软件</code><syntaxhighlight lang=\"c\">软件()</syntaxhighlight>"
                                    "<pre>软件</pre>軟體。")


def test_page_rules_leave_code_and_preformatted_text_alone():
    """MediaWiki's converter skips <code> and <pre> (<syntaxhighlight> renders to one): code keeps its words."""
    page = "{{NoteTA|1=zh-hans:文件;zh-hant:檔案}}-{H|zh-hans:程序;zh-hant:程式}-文件<code>open(文件)</code><pre>程序</pre>程序"
    assert _zh(page, "zh-hant") == "檔案<code>open(文件)</code><pre>程序</pre>程式"


@pytest.mark.parametrize("heading, dropped", [("脚注と出典", True), ("参考文献と注", True), ("脚注及び出典", True),
                                              ("歴史と文化", False), ("ことば", False)])
def test_ja_back_matter_headings_joined_by_to_are_dropped(heading, dropped):
    assert dropped_heading(heading, frozenset(s.lower() for s in DROP_SECTIONS)) is dropped


def test_a_jawiki_article_loses_its_joined_back_matter(tmp_path):
    docs = read(tmp_path, {"ティーンズねっとわーく.wiki": TEENS + "\n== 脚注と出典 ==\n{{Reflist}}\n* 『NHK年鑑』1995年。\n"})
    assert docs == {"ティーンズねっとわーく": TEENS_TEXT}
