"""The wiki readers on frwiki, dewiki, ruwiki, zhwiki, jawiki and enwikisource wikitext: inline
templates that carry words of the sentence, French spacing before ; : ! ?, section names that are
content on some pages, zh headings with conversion markup, disambiguation template families,
OpenCC with the default variant, nested -{…}- and Wikisource's transclusion pages."""
import bz2
from xml.sax.saxutils import escape

import pytest

from pipeline.readers import Doc, ReadState, read_source_file
from pipeline.readers.mediawiki import DROP_SECTIONS, MediaWikiReader, disambiguation_pattern, not_an_article
from pipeline.readers.mediawiki import DISAMBIGUATION_TEMPLATES
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.readers.zh_variants import finish, resolve
from pipeline.recipe import SourceConfig

DROP = frozenset(s.lower() for s in DROP_SECTIONS)


def text(wikitext, language=None):
    return wikitext_to_text(wikitext, WikitextOptions(language=language, drop_sections=DROP))


# -- 1. inline templates that put words into the sentence -----------------------------------------
@pytest.mark.parametrize("language, wikitext, expected", [
    ("fr", "né le {{date de naissance|26|février|1802}} à [[Besançon]] et mort le "
           "{{date de décès|22|mai|1885|26|février|1802}} à [[Paris]].",
     "né le 26 février 1802 à Besançon et mort le 22 mai 1885 (à 83 ans) à Paris."),
    ("fr", "Le {{1er}} janvier 1830, le {{date|14|juillet|1870}}, du {{s|XIX}} au {{-s|III}}, "
           "aux {{sp|XV|e|et|XVI|e}}, au {{XIXe siècle}}, le {{Ier}} et le {{IIe|Empire}}.",
     "Le 1er janvier 1830, le 14 juillet 1870, du XIXe siècle au IIIe siècle av. J.-C., "
     "aux XVe et XVIe siècles, au XIXe siècle, le Ier et le IIe Empire."),
    ("fr", "Il compte {{unité|2102650|habitants}} sur {{unité|105.4|km|2}} pendant {{nombre|19|ans}}.",
     "Il compte 2\u00a0102\u00a0650 habitants sur 105,4 km² pendant 19 ans."),
    ("fr", "Il vit à {{Lien|langue=en|trad=Hauteville House|fr=Maison de Hauteville}}, dit "
           "{{citation|Ceci tuera cela}} et se prononce {{API|vik.tɔʁ}}.",
     "Il vit à Maison de Hauteville, dit « Ceci tuera cela » et se prononce vik.tɔʁ."),
    ("de", "Er schrieb: {{Zitat|Edel sei der Mensch|Goethe}} Sein Werk umfasst {{FormatZahl|90000}} Seiten, "
           "er war {{Höhe|1,74|m}} groß und lernte {{Polytonisch|Ἑλληνική}}. Er starb im Alter von "
           "{{Alter|28|8|1749|22|3|1832}} Jahren. {{\"|Mehr Licht!}} soll er gesagt haben.",
     "Er schrieb:\nEdel sei der Mensch\nSein Werk umfasst 90.000 Seiten, er war 1,74 m groß und lernte "
     "Ἑλληνική. Er starb im Alter von 82 Jahren. „Mehr Licht!“ soll er gesagt haben."),
    ("zh", "使用{{黑幕|隐藏文本}}表示。悉尼（{{lang-en|Sydney}}）", "使用隐藏文本表示。悉尼（英语：Sydney）"),
])
def test_fr_de_zh_inline_templates_keep_their_words(language, wikitext, expected):
    assert text(wikitext, language) == expected


def test_names_other_wikis_use_otherwise_keep_their_meaning_there():
    """{{citation}} is enwiki's citation template and {{e|23}} its ×10^n: not French quotes there."""
    assert text("A claim.{{citation|title=Book|year=2000}} Avogadro 6.022{{e|23}}.", "en") == \
        "A claim. Avogadro 6.022×10^23."


# -- 2. French spacing before ; : ! ? --------------------------------------------------------------
def test_french_spacing_before_punctuation_is_kept():
    wikitext = "Pourquoi ? Parce que ! Il dit : « bonjour » ; puis il part."
    assert text(wikitext, "fr") == wikitext
    assert text(wikitext) == wikitext          # no language known: only gaps left by removals are mended


def test_a_gap_left_by_a_removed_template_or_citation_is_still_mended():
    assert text("He said {{citation needed}}; then left <ref>x</ref> : fine {{cn}} , ok.", "en") == \
        "He said; then left: fine, ok."


# -- 3. section names that are content on some pages ------------------------------------------------
def test_ambiguous_section_names_with_prose_are_kept():
    wikitext = ("'''Österreich''' ist ein Staat.\n\n== Kultur ==\n=== Literatur ===\n"
                "Die österreichische Literatur umfasst Werke von [[Stefan Zweig]] und anderen Autoren.\n\n"
                "== Geographie ==\n=== Quellen ===\nDie Quellen der Donau liegen nicht in Österreich.\n\n"
                "== Literatur ==\n* Hans Muster: ''Geschichte Österreichs.'' Wien 2000.\n\n"
                "== Einzelnachweise ==\n<references />\n")
    out = text(wikitext, "de")
    assert "Stefan Zweig" in out and "Die Quellen der Donau" in out
    assert "Hans Muster" not in out and not out.rstrip().endswith("Literatur")
    assert "Литература\nФранцузская литература" in text(
        "'''Культура'''.\n\n== Литература ==\nФранцузская литература — одна из крупнейших литератур мира.\n\n"
        "== Музыка ==\nФранция.\n\n== Примечания ==\n{{примечания}}\n", "ru")
    zh = text("'''北京市'''。\n\n== 来源 ==\n北京地名来源于明朝永乐年间迁都。\n\n== 参考资料 ==\n{{reflist}}\n", "zh")
    assert zh.endswith("来源\n北京地名来源于明朝永乐年间迁都。")


def test_an_ambiguous_name_in_the_back_matter_is_dropped():
    out = text("'''Mainz''' ist eine Stadt.\n\n== Anmerkungen ==\n<references group=\"A\" />\n\n"
               "== Quellen ==\nDie Stadt ist alt.\n", "de")
    assert out == "Mainz ist eine Stadt."


def test_a_heading_whose_sections_were_all_dropped_goes_too():
    out = text("'''Paris''' est une ville.\n\n== Histoire ==\nFondée.\n\n== Annexes ==\n"
               "=== Bibliographie ===\n* Un livre.\n=== Articles connexes ===\n* [[France]]\n"
               "=== Liens externes ===\n* [http://x.fr site]\n", "fr")
    assert out == "Paris est une ville.\n\nHistoire\nFondée."


# -- 4. zh back-matter headings with conversion markup ----------------------------------------------
def _zh(wikitext, variant):
    return finish(wikitext_to_text(resolve(wikitext, variant), WikitextOptions(language="zh", drop_sections=DROP)),
                  None)


def test_zh_back_matter_headings_with_conversion_markup_are_dropped():
    wikitext = ("'''甲'''是一家公司。\n== 历史 ==\n成立于1990年。\n== -{zh-hans:参考资料;zh-hant:參考資料}- ==\n"
                "* 某某报道 2001年\n== -{zh-hans:外部链接; zh-hant:外部連結;}- ==\n* [http://x.com 官方网站]\n")
    assert _zh(wikitext, "zh") == "甲是一家公司。\n\n历史\n成立于1990年。"
    noteta = ("{{NoteTA|1=zh-cn:链接; zh-tw:連結;|2=zh-cn:参考; zh-tw:參考;}}\n'''超链接'''是一种链接。\n"
              "== 历史 ==\n成立于1990年。\n== 参考资料 ==\n* 某某报道\n== 外部链接 ==\n* [http://x.com 官方网站]\n")
    assert _zh(noteta, "zh-tw") == "超連結是一种連結。\n\n历史\n成立于1990年。"


# -- 5. disambiguation template families ------------------------------------------------------------
@pytest.mark.parametrize("wikitext", [
    "'''Dupont''' est un nom de famille.\n* [[Jean Dupont]]\n\n{{Patronymie}}",
    "'''Martin''' peut désigner :\n* [[Saint Martin]]\n\n{{Homonymie de personnes}}",
    "'''富士山'''（ふじさん）\n* [[富士山]] - 山。\n\n{{山の曖昧さ回避}}",
    "'''青葉小学校'''\n* [[仙台市立青葉小学校]]\n\n{{学校の曖昧さ回避}}",
])
def test_fr_and_ja_disambiguation_families_are_skipped(wikitext):
    assert not_an_article(wikitext, "X", disambiguation_pattern(DISAMBIGUATION_TEMPLATES)) == "skipped_disambiguation"


def test_an_article_tagged_to_fix_a_disambiguation_link_is_kept():
    assert not_an_article("'''山'''は高い。{{要曖昧さ回避}}", "山", disambiguation_pattern(DISAMBIGUATION_TEMPLATES)) is None


# -- 6. OpenCC without language_variant --------------------------------------------------------------
ZH_HEADER = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="zh">\n'
             "  <siteinfo>\n    <dbname>zhwiki</dbname>\n    <base>https://zh.wikipedia.org/wiki/Wikipedia</base>\n"
             '    <namespaces>\n      <namespace key="0" case="first-letter" />\n    </namespaces>\n  </siteinfo>\n')


def _dump(tmp_path, name, header, pages):
    body = "".join(
        f"  <page>\n    <title>{escape(t)}</title>\n    <ns>{ns}</ns>\n    <id>{i}</id>\n    <revision>\n"
        f"      <id>{i * 10}</id>\n      <timestamp>2024-05-01T12:00:00Z</timestamp>\n      <model>wikitext</model>\n"
        f"      <format>text/x-wiki</format>\n      <text xml:space=\"preserve\">{escape(w)}</text>\n    </revision>\n"
        f"  </page>\n" for i, (t, ns, w) in enumerate(pages, 1))
    path = tmp_path / name
    path.write_bytes(bz2.compress((header + body + "</mediawiki>\n").encode()))
    return path


def _read(path, **kw):
    src = SourceConfig(name="w", format="mediawiki", paths=[str(path)], **kw)
    state = ReadState()
    docs = [d for d in read_source_file(src, str(path), state) if isinstance(d, Doc)]
    return docs, state.counters


def test_opencc_to_traditional_reads_the_blocks_in_a_traditional_variant(tmp_path):
    path = _dump(tmp_path, "zhwiki-pages-articles.xml.bz2", ZH_HEADER,
                 [("计算机", 0, "'''-{zh-hans:计算机;zh-hant:電腦}-'''是一种设备。")])
    docs, _ = _read(path, opencc="s2t")
    assert docs[0].text_str == "電腦是一種設備。"
    assert docs[0].metadata["language_variant"] == "zh-hant"
    assert MediaWikiReader(opencc="s2tw").language_variant == "zh-tw"
    assert MediaWikiReader(opencc="s2t", language_variant="zh").language_variant == "zh"     # asked for: kept


# -- 7. nested and unclosed -{ }- -----------------------------------------------------------------
def test_nested_and_unclosed_conversion_blocks_leak_no_markup():
    wikitext = ("'''甲'''是-{zh-hans:-{R|乙}-的公司;zh-hant:丙的公司}-，位于北京。\n他说-{没有结束的块，而后文本继续。\n"
                "下一段正常。-{zh-hans:一;zh-hant:二}-完")
    assert _zh(wikitext, "zh-hans") == "甲是乙的公司，位于北京。\n他说没有结束的块，而后文本继续。\n下一段正常。一完"
    assert _zh(wikitext, "zh-hant").startswith("甲是丙的公司，")


# -- 8. Wikisource transclusion pages --------------------------------------------------------------
def test_wikisource_transclusion_pages_have_their_own_counter(tmp_path):
    header = ZH_HEADER.replace("zhwiki", "enwikisource").replace('xml:lang="zh"', 'xml:lang="en"')
    path = _dump(tmp_path, "enwikisource-pages-articles.xml.bz2", header, [
        ("The Raven (Poe)", 0, "{{header\n | title = The Raven\n | author = Edgar Allan Poe\n}}\n"
                               '<pages index="The Raven (1884).djvu" from=5 to=7 />\n'),
        ("Empty", 0, "{{header|title=Empty}}\n"),
        ("Page:The Raven (1884).djvu/5", 104, "Once upon a midnight dreary, while I pondered, weak and weary,"),
    ])
    docs, counters = _read(path)
    assert counters.get("skipped_transclusion_only") == 1 and counters.get("skipped_empty_after_cleaning") == 1
    docs, _ = _read(path, namespaces=[0, 104])
    assert [d.metadata["title"] for d in docs] == ["Page:The Raven (1884).djvu/5"]


def test_a_kept_ambiguous_section_is_rendered_once(monkeypatch):
    """A "Literatur" section with prose was rendered to decide it is content, then again to keep it;
    its body is now rendered once, and the text is what it was."""
    import pipeline.readers.wikitext as wikitext
    links = []
    link = wikitext._link
    monkeypatch.setattr(wikitext, "_link", lambda node, out, opts: links.append(str(node.title)) or link(node, out, opts))
    out = text("'''Österreich''' ist ein Staat.\n\n== Literatur ==\n<div>Die österreichische Literatur umfasst "
               "Werke von [[Stefan Zweig]] und anderen Autoren.</div>\n\n== Einzelnachweise ==\n<references />\n", "de")
    assert out == "Österreich ist ein Staat.\n\nLiteratur\n\nDie österreichische Literatur umfasst Werke von " \
                  "Stefan Zweig und anderen Autoren."
    assert links == ["Stefan Zweig"]
