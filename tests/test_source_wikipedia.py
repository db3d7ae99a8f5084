"""The MediaWiki reader on real enwiki dump excerpts and wikitext articles, Chinese variant markup
written from the LanguageConverter syntax, damaged dumps, and one run through the runner."""
import bz2
import gzip
import html
import re
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from pydantic import ValidationError

from pipeline.readers import Doc, Quarantined, ReadState
from pipeline.readers.mediawiki import DROP_SECTIONS
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.readers.zh_variants import finish, resolve
from pipeline.recipe import SourceConfig, load_recipe
from pipeline import read_documents
from pipeline.runner import Runner

MARKUP = ("{{", "[[", "<ref", "{|")
NS = "{http://www.mediawiki.org/xml/export-0.10/}"


def read(path, **kw):
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(path)], **kw)
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    docs = [i for i in items if isinstance(i, Doc)]
    return docs, [i for i in items if isinstance(i, Quarantined)], state.counters


def oracle_pages(path):
    """Every page of a dump as the stdlib's iterparse sees it (independent of the reader's framing)."""
    pages = []
    with bz2.open(path) as f:
        for _, el in ET.iterparse(f):
            if el.tag == NS + "page":
                rev = el.findall(NS + "revision")[-1]
                pages.append({"title": el.findtext(NS + "title"), "ns": int(el.findtext(NS + "ns")),
                              "id": int(el.findtext(NS + "id")), "redirect": el.find(NS + "redirect") is not None,
                              "rev": int(rev.findtext(NS + "id")), "text": rev.findtext(NS + "text") or ""})
                el.clear()
    return pages


def plain_lines(wikitext):
    """Prose lines of the wikitext with no markup at all, outside citations, comments and tables
    (which are dropped): they must reach the output as they are."""
    out, in_table, dropped_level = [], 0, 0
    wikitext = re.sub(r"<ref[^>]*/>|<ref[^>]*>.*?</ref>|<!--.*?-->", "", wikitext, flags=re.S)
    for line in wikitext.split("\n"):
        in_table += line.startswith("{|") - line.startswith("|}")
        heading = re.match(r"^(=+)\s*(.*?)\s*=+\s*$", line)
        if heading and (not dropped_level or len(heading.group(1)) <= dropped_level):
            dropped_level = len(heading.group(1)) if heading.group(2).lower() in DROP_SECTIONS else 0
        if in_table or dropped_level:
            continue
        if len(line) > 80 and not re.search(r"[\[\]{}<>|=*#:;'&_]", line) and not line.startswith((" ", "-")):
            out.append(" ".join(line.split()))   # runs of spaces are collapsed in the output
    return out


@pytest.fixture(scope="module")
def sample(shared_data):
    path = shared_data / "sources" / "wiki" / "enwiki-pages-articles-sample.xml.bz2"
    docs, quarantined, counters = read(path)
    return path, docs, quarantined, counters, oracle_pages(path)


def test_dump_articles_metadata_and_skips(sample):
    path, docs, quarantined, counters, pages = sample
    assert not quarantined
    by_id = {p["id"]: p for p in pages}
    articles = [p for p in pages if p["ns"] == 0]
    redirects = sum(p["redirect"] for p in articles)
    assert counters["skipped_redirect"] == redirects > 0
    assert counters["skipped_disambiguation"] > 0
    assert len(docs) + redirects + counters["skipped_disambiguation"] == len(articles)
    assert not any("(disambiguation)" in d.metadata["title"] for d in docs)
    for d in docs:
        p = by_id[d.metadata["page_id"]]
        assert (d.metadata["title"], d.metadata["revision_id"]) == (p["title"], p["rev"])
        assert not p["redirect"] and d.id == f"enwiki:{p['id']}"
        assert d.url == d.metadata["url"] == "https://en.wikipedia.org/wiki/" + p["title"].replace(" ", "_") \
            or "%" in d.url   # titles with non-URL characters are percent-encoded


def test_dump_text_has_no_markup_and_keeps_sentences(sample):
    path, docs, _, _, pages = sample
    by_id = {p["id"]: p for p in pages}
    kept_lines = 0
    for d in docs:
        wikitext = by_id[d.metadata["page_id"]]["text"]
        # math and code are kept as written (LaTeX has its own braces): the markup check is about the rest
        prose = d.text
        for lit in re.findall(r"<(math|code|pre|syntaxhighlight|source)[^>]*>(.*?)</\1>", wikitext, re.S):
            prose = prose.replace(html.unescape(lit[1]).strip("\n"), "")
        for m in MARKUP:
            assert m not in prose, (d.metadata["title"], m)
        for line in plain_lines(wikitext):
            assert line in d.text, (d.metadata["title"], line[:80])
            kept_lines += 1
    assert kept_lines > 50
    # math is kept as LaTeX, braces and all (the leftover-markup cleanup does not touch it)
    formulas = [m.group(1) for p in pages if p["ns"] == 0 for m in re.finditer(r"<math>(.*?)</math>", p["text"], re.S)]
    assert formulas and any(r"\frac{1329\times10^{-H/5}}{D}" in f for f in formulas)
    assert any(r"\frac{1329\times10^{-H/5}}{D}" in d.text for d in docs)
    anarchism = next(d for d in docs if d.metadata["title"] == "Anarchism")
    # headings are lines of text; the References / External links sections are gone
    assert "\nEtymology and terminology\n" in anarchism.text and "\nHistory\n" in anarchism.text
    assert "\nExternal links\n" not in anarchism.text and "\nReferences\n" not in anarchism.text


def test_tables_files_categories_removed(shared_data):
    path = shared_data / "sources" / "wiki" / "enwiki-table-markup.xml.bz2"   # no <siteinfo>
    docs, quarantined, _ = read(path, base_url="https://en.wikipedia.org/wiki/")
    pages = [p for p in oracle_pages(path) if p["ns"] == 0 and not p["redirect"]]
    assert len(docs) == len(pages) and not quarantined
    for d, p in zip(docs, pages):
        assert "{|" in p["text"] and "[[Category:" in p["text"]
        assert not any(m in d.text for m in MARKUP + ("|-", "class=", "wikitable"))
        cats = re.findall(r"\[\[Category:([^\]|]+)", p["text"])
        assert not any(f"\n{c}\n" in d.text for c in cats)
        assert all(line in d.text for line in plain_lines(p["text"]))
        assert d.url.startswith("https://en.wikipedia.org/wiki/") and d.metadata["wiki"] is None


def test_wikitext_articles_infobox_option_and_lists(shared_data):
    files = sorted((shared_data / "sources" / "wiki" / "wikitext").glob("*.txt.gz"))
    assert len(files) >= 40
    drop = frozenset(DROP_SECTIONS)
    for f in files:
        wt = gzip.open(f, "rt").read()
        text = wikitext_to_text(wt, WikitextOptions(drop_sections=drop))
        assert text and not any(m in text for m in MARKUP), f.name
        assert not re.search(r"\bthumb\|", text)
    bodmin = gzip.open(shared_data / "sources" / "wiki" / "wikitext" / "Bodmin.txt.gz", "rt").read()
    without = wikitext_to_text(bodmin, WikitextOptions(drop_sections=drop))
    with_box = wikitext_to_text(bodmin, WikitextOptions(drop_sections=drop, keep_infobox=True))
    assert "population: 14,736" in with_box and "population: 14,736" not in without
    assert "static image" not in with_box                         # file fields of the infobox are not facts
    assert without.startswith("Bodmin (Bosvena) is a civil parish")   # {{lang-kw|Bosvena}} keeps its text
    # list items stay one per line, as "- item"
    items = [" ".join(m.group(1).split()) for m in re.finditer(r"^\*\s*([^\[\]{}<|'\n]+)$", bodmin, re.M)]
    assert len(items) >= 5 and all(f"- {i}" in without.split("\n") for i in items)


@pytest.mark.parametrize("wikitext, expected", [
    ("It is {{convert|14|km|mi}} long and {{convert|3|-|5|m}} deep.", "It is 14 km long and 3–5 m deep."),
    ("{{As of|2010}}, {{nihongo|Tokyo|東京|Tōkyō}} had {{nowrap|13 million}} people.",
     "As of 2010, Tokyo (東京) had 13 million people."),
    ("'''Bodmin''' ({{lang-kw|Bosvena}}<ref>{{cite web|url=x}}</ref>) is a town.{{citation needed|date=May 2010}}",
     "Bodmin (Bosvena) is a town."),
    ("A {{Navbox|name=X|list1=[[A]] • [[B]]}}town{{Authority control}}.", "A town."),
    ("Text.\n{{quote|A quoted sentence.|Someone}}\nMore.", "Text.\n\nA quoted sentence.\n\nMore."),
])
def test_inline_templates_keep_their_text(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected


@pytest.mark.parametrize("wikitext, expected", [
    # MediaWiki's doQuotes: odd bold and italic counts make a bold run inside a word an apostrophe
    ("The ''Iliad'''s account and ''Animal Farm'''s theme.", "The Iliad's account and Animal Farm's theme."),
    ("An '''unclosed bold run.", "An unclosed bold run."),
    ("Four: ''''bold''''.", "Four: 'bold'."),
    # a link shown as written: its entities are characters
    ("Apple's [[OS&nbsp;X]] and the [[Kruskal&ndash;Wallis test|]].", "Apple's OS\u00a0X and the Kruskal–Wallis test."),
])
def test_unpaired_quote_markup_and_entities_in_link_titles(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected


@pytest.mark.parametrize("language, wikitext, expected", [
    # sentences that had holes where these stood ("born on in Ohio", "Water is.")
    ("en", "He was born on {{birth date|1950|1|2}} in Ohio and died {{death date and age|2010|5|6|1950|7|2}}.",
     "He was born on January 2, 1950 in Ohio and died May 6, 2010 (aged 59)."),
    ("en", "Born {{Birth date and age|df=yes|1950|1|2}}, in {{year|1990}} he left.", "Born 2 January 1950, in 1990 he left."),
    ("en", "{{flag|Germany}} won. Water is {{chem|H|2|O}}; {{frac|1|2}} of {{val|1.23|u=kg}}.",
     "Germany won. Water is H2O; 1\u20442 of 1.23 kg."),
    ("en", "Built {{circa|1850}} by {{sortname|John|Smith}}, the {{ordinal|3}} of {{formatnum:12345}}.",
     "Built c. 1850 by John Smith, the 3rd of 12345."),
    ("en", "Tom{{'s}} house{{snd}}built in {{nts|1901}}{{ndash}}stands.", "Tom's house – built in 1901–stands."),
    ("en", "A mass of {{val|1.99|e=30|u=kg}}.", "A mass of 1.99×10^30 kg."),
    ("en", "It cost ${{formatnum:{{inflation|US|800|1861}}}} then.", "It cost $ then."),   # nested: dropped as before
    # zhwiki: links to other wikis' articles show their Chinese label; dates as the wiki writes them
    ("zh", "張三（{{birth date|1950|1|2}}－{{death date and age|2010|5|6|1950|1|2}}）是{{link-en|中國|China}}人，"
           "在{{tsl|en|Foo Bar|福巴}}工作。", "張三（1950年1月2日－2010年5月6日（60岁））是中國人，在福巴工作。"),
    # jawiki: furigana (ruby) by its base text
    ("ja", "{{Ruby|漢字|かんじ}}は{{lang|zh|中国}}から伝わった。", "漢字は中国から伝わった。"),
])
def test_templates_that_render_words_of_the_sentence(language, wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions(language=language)) == expected


@pytest.mark.parametrize("wikitext, expected", [
    # a date in both calendars: the lead of Ayn Rand lost her birth date
    ("Rand ({{lang-ru|Али́са}}; {{OldStyleDate|February 2|1905|January 20}}&nbsp;– March 6, 1982) was",
     "Rand (Али́са; February 2 [O.S. January 20] 1905\u00a0– March 6, 1982) was"),
    ("Born {{OS2NS|January 20|1905|February 2}} and active {{floruit|1230}}.",
     "Born January 20 [February 2 N.S.] 1905 and active fl. 1230."),
    # a text template's text given by number (the text holds "="), or inside another text template
    ("His formula {{nowrap|1=''E'' = ''mc''<sup>2</sup>}} (the Greek {{lang|grc|{{linktext|λόγος}}}}).",
     "His formula E = mc² (the Greek λόγος)."),
    ("Khan ({{lang-ur|{{Nastaliq|انور کمال}}}}; 1946) and {{script/Arabic|ﷲ}}.", "Khan (انور کمال; 1946) and ﷲ."),
    ("HA {{eqm}} H+ + A−, notes A{{Music|flat}} and B{{music|sharp}}; state{{mdashb}}the Republic.",
     "HA ⇌ H+ + A−, notes A♭ and B♯; state — the Republic."),
])
def test_date_and_text_templates_that_were_dropped(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected


@pytest.mark.parametrize("wikitext, expected", [
    # a bracket the dropped pronunciation templates emptied, or left starting with a separator
    ("'''Albania''' ({{IPAc-en|æ|l|ˈ|b|eɪ|n|i|ə}}, {{respell|a(w)l|BAY|nee-ə}}; Albanian: ''Shqipëri'') "
     "is a country.",
     "Albania (Albanian: Shqipëri) is a country."),
    ("'''Asphalt''' ({{IPAc-en|US|ˈ|æ|s|f|ɔː|l|t}}, {{IPAc-en|UK|ˈ|æ|s|f|æ|l|t}},<ref>x</ref> occasionally "
     "{{IPAc-en|ˈ|æ|ʃ|f|ɔː|l|t}}), also known as bitumen.", "Asphalt (occasionally), also known as bitumen."),
    ("'''Aardvark''' ({{IPAc-en|ˈ|ɑːr|d|v|ɑːr|k}} {{respell|ARD|vark}}) is a mammal.", "Aardvark is a mammal."),
    ("Born ({{IPAc-en|x}}, 1950; {{audio|a.ogg|listen}}) in Ohio, (a, {{respell|B}}, c) too.",
     "Born (1950) in Ohio, (a, c) too."),
    ("'''Adobe''' ([[File:En-us-adobe.ogg]]) is a material.", "Adobe is a material."),
    # brackets the author wrote empty or starting with a separator stay: no template was dropped there
    ("Call f() or g(, x) in prose, <code>main()</code> in code and <math>f()</math>.",
     "Call f() or g(, x) in prose, main() in code and f()."),
])
def test_brackets_emptied_by_dropped_templates(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected


def test_the_dump_names_its_wikis_language(tmp_path):
    """A dump's <dbname> gives the language dates are written in (zhwiki: 1950年1月2日)."""
    bold = "'" * 3
    xml = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="zh"><siteinfo>'
           '<dbname>zhwiki</dbname><base>https://zh.wikipedia.org/wiki/Wikipedia:首页</base></siteinfo>'
           '<page><title>张三</title><ns>0</ns><id>7</id><revision><id>9</id><text xml:space="preserve">'
           f"{bold}张三{bold}（{{{{birth date|1950|1|2}}}}）是一位作家，写了很多书，也翻译了很多外国文学作品。"
           "</text></revision></page></mediawiki>")
    (tmp_path / "zh.xml").write_text(xml, encoding="utf-8")
    docs, quarantined, _ = read(tmp_path / "zh.xml")
    assert not quarantined and docs[0].text_str.startswith("张三（1950年1月2日）是一位作家")


# -- Chinese Wikipedia: LanguageConverter markup (no real zhwiki excerpt is at hand) -------------
@pytest.mark.parametrize("wikitext, variant, expected", [
    ("-{zh-hans:计算机;zh-hant:電腦;}-科学", "zh-hans", "计算机科学"),
    ("-{zh-hans:计算机;zh-hant:電腦;}-科学", "zh-hant", "電腦科学"),
    ("-{zh-hans:计算机;zh-hant:電腦;}-", "zh-tw", "電腦"),                 # zh-tw falls back to zh-hant
    ("-{zh-cn:计算机;zh-tw:電腦;zh-hk:電腦}-", "zh-hans", "计算机"),       # zh-hans falls back to zh-cn
    ("-{zh-cn:计算机;zh-tw:電腦;}-", "zh-hk", "電腦"),                    # zh-hk -> zh-hant -> zh-mo -> zh-tw
    ("-{H|zh-hans:光盘;zh-hant:光碟;}-我买了光碟。", "zh-hans", "我买了光盘。"),  # hidden page rule
    ("我买了光碟。-{H|zh-hans:光盘;zh-hant:光碟;}-", "zh-hans", "我买了光盘。"),  # rules hold for the whole page
    ("-{A|zh-hans:软件;zh-hant:軟體;}-和軟體", "zh-hans", "软件和软件"),      # shown and added as a rule
    ("-{R|zh-hans:x;zh-hant:y}-", "zh-hans", "zh-hans:x;zh-hant:y"),      # raw
    ("名称：-{Linux}-", "zh-hant", "名称：Linux"),                           # no conversion
    ("-{T|zh-hans:标题;zh-hant:標題}-正文", "zh-hans", "正文"),               # title rule shows nothing
    ("-{H|巨集=>zh-cn:宏;}-使用巨集", "zh-cn", "使用宏"),                     # one-way rule
    ("-{H|巨集=>zh-cn:宏;}-使用巨集", "zh-tw", "使用巨集"),
])
def test_language_converter_syntax(wikitext, variant, expected):
    assert finish(resolve(wikitext, variant), None) == expected


def test_opencc_leaves_protected_spans():
    text = finish(resolve("這是電腦軟體。-{R|電腦}-，-{zh-hans:内存;zh-hant:記憶體}-", "zh-hans"), "t2s")
    assert text == "这是电脑软体。電腦，内存"


ZHWIKI = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="zh">
  <siteinfo>
    <dbname>zhwiki</dbname>
    <base>https://zh.wikipedia.org/wiki/Wikipedia:%E9%A6%96%E9%A1%B5</base>
    <namespaces>
      <namespace key="6" case="first-letter">File</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
    </namespaces>
  </siteinfo>
  <page>
    <title>電腦</title>
    <ns>0</ns>
    <id>1</id>
    <revision><id>11</id><timestamp>2020-01-01T00:00:00Z</timestamp>
      <text xml:space="preserve">{{Infobox|name=電腦}}'''-{zh-hans:计算机;zh-hant:電腦}-'''是一種利用數位電子技術的機器。&lt;ref&gt;{{cite web|url=x}}&lt;/ref&gt;
[[File:Computer.jpg|thumb|電腦]]
== 歷史 ==
* 第一台-{zh-hans:计算机;zh-hant:電腦}-
[[Category:電腦]]
[[en:Computer]]</text>
    </revision>
  </page>
  <page>
    <title>電腦 (消歧義)</title>
    <ns>0</ns>
    <id>2</id>
    <revision><id>12</id><text xml:space="preserve">'''電腦'''可以指：
* [[電腦]]
{{disambig}}</text></revision>
  </page>
  <page>
    <title>计算机</title>
    <ns>0</ns>
    <id>3</id>
    <revision><id>13</id><text xml:space="preserve">#重定向 [[電腦]]</text></revision>
  </page>
</mediawiki>
"""


def test_zhwiki_dump_variant_and_opencc(tmp_path):
    path = tmp_path / "zhwiki-sample.xml"
    path.write_text(ZHWIKI, encoding="utf-8")
    docs, quarantined, counters = read(path, language_variant="zh-hans", opencc="t2s")
    assert not quarantined and counters == {"skipped_disambiguation": 1, "skipped_redirect": 1}
    (d,) = docs
    assert d.text == "计算机是一种利用数位电子技术的机器。\n\n历史\n- 第一台计算机"
    assert d.id == "zhwiki:1" and d.url == "https://zh.wikipedia.org/wiki/%E9%9B%BB%E8%85%A6"
    assert d.metadata["language_variant"] == "zh-hans"
    traditional, _, _ = read(path, language_variant="zh-hant")
    assert traditional[0].text.startswith("電腦是一種")
    with pytest.raises(ValidationError, match="OpenCC"):
        SourceConfig(name="w", format="mediawiki", paths=[str(path)], opencc="no-such-config")


def test_zhwiki_markup_is_resolved_by_default_and_other_wikis_keep_their_text(tmp_path):
    """With no variant asked for, a zhwiki dump reads as MediaWiki's unconverted view: each block
    shows its own text (Simplified first), page rules convert nothing; no -{ }- is left. A wiki
    without the converter keeps such text as written."""
    page = "-{H|zh-hans:光盘;zh-hant:光碟;}-我买了光碟。'''-{zh-hans:计算机;zh-hant:電腦}-'''很重要。-{Linux}-"
    path = tmp_path / "zhwiki-sample.xml"
    path.write_text(ZHWIKI.replace("{{Infobox|name=電腦}}'''-{zh-hans:计算机;zh-hant:電腦}-'''", page, 1),
                    encoding="utf-8")
    (d,), _, _ = read(path)
    assert d.text.startswith("我买了光碟。计算机很重要。Linux") and "-{" not in d.text
    assert d.metadata["language_variant"] == "zh"
    other = tmp_path / "enwiki-sample.xml"
    other.write_text(path.read_text(encoding="utf-8").replace("<dbname>zhwiki</dbname>", "<dbname>enwiki</dbname>"),
                     encoding="utf-8")
    (e,), _, _ = read(other)
    assert e.text.startswith("-{H|zh-hans:光盘") and "language_variant" not in e.metadata


# -- damaged dumps -------------------------------------------------------------------------------
def test_truncated_bz2_keeps_pages_before(sample, tmp_path):
    path, full, _, _, _ = sample
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    docs, quarantined, _ = read(cut)
    assert 0 < len(docs) < len(full)
    assert [d.id for d in docs] == [d.id for d in full[: len(docs)]]
    assert [d.text for d in docs] == [d.text for d in full[: len(docs)]]
    assert [q.reason for q in quarantined] in (["truncated_dump", "corrupt_compression"], ["corrupt_compression"])
    assert "EOFError" in quarantined[-1].detail


def test_malformed_pages_quarantined_and_reading_goes_on(sample, tmp_path):
    path, full, _, _, pages = sample
    xml = bz2.decompress(path.read_bytes()).decode("utf-8")
    starts = [m.start() for m in re.finditer(r"<page>", xml)]
    ids = [p["id"] for p in pages]
    # page 2 (an article kept in the full read) gets a mismatched tag; page 5 loses its </page>
    victims = [i for i, p in enumerate(pages) if f"enwiki:{p['id']}" in {d.id for d in full}][:2]
    a, b = victims
    seg_a = xml[starts[a]:starts[a + 1]].replace("</title>", "</titel>", 1)
    seg_b = xml[starts[b]:starts[b + 1]].replace("</page>", "", 1)
    broken = xml[:starts[a]] + seg_a + xml[starts[a + 1]:starts[b]] + seg_b + xml[starts[b + 1]:]
    bad = tmp_path / "bad.xml.bz2"
    bad.write_bytes(bz2.compress(broken.encode("utf-8")))
    docs, quarantined, _ = read(bad)
    assert Counter(q.reason for q in quarantined) == {"malformed_page": 2}
    assert "not well-formed" in quarantined[0].detail and "without </page>" in quarantined[1].detail
    lost = {f"enwiki:{ids[a]}", f"enwiki:{ids[b]}"}
    assert [d.id for d in docs] == [d.id for d in full if d.id not in lost]


def test_a_page_whose_open_tag_is_damaged_is_counted(sample, tmp_path):
    """A damaged <page> tag (the first page's too, which then sits after <siteinfo>) left its
    </page> between pages, skipped as the space there: the page was lost without a count."""
    path, full, _, _, pages = sample
    xml = bz2.decompress(path.read_bytes()).decode("utf-8")
    starts = [m.start() for m in re.finditer(r"<page>", xml)]
    for victim in (0, 3):
        broken = xml[:starts[victim]] + "<pag\u00e9>" + xml[starts[victim] + len("<page>"):]
        bad = tmp_path / f"bad{victim}.xml.bz2"
        bad.write_bytes(bz2.compress(broken.encode("utf-8")))
        docs, quarantined, _ = read(bad)
        assert [(q.reason, "without its <page>" in q.detail) for q in quarantined] == [("malformed_page", True)]
        lost = f"enwiki:{pages[victim]['id']}"
        assert [d.id for d in docs] == [d.id for d in full if d.id != lost]    # siteinfo still read: ids hold


def test_old_export_schema_without_ns_elements(sample, tmp_path):
    """Dumps of export schema 0.5 and older (2008-era dumps, Special:Export of old wikis) give no
    <ns>: the title's prefix names the namespace (siteinfo's names). Every page was quarantined as
    malformed_page; now the same documents and skips as the sample's own read."""
    path, full, _, _, pages = sample
    xml = bz2.decompress(path.read_bytes()).decode("utf-8")
    # the sample holds articles only: copies of one under a talk page's, a project page's and an
    # article's title with a colon that names no namespace
    kept = full[0].metadata["page_id"]
    first = next(m.group(0) for m in re.finditer(r"<page>.*?</page>", xml, re.S) if f"<id>{kept}</id>" in m.group(0))
    title = re.search(r"<title>(.*?)</title>", first).group(1)
    extra = "".join(re.sub(r"<id>\d+</id>", f"<id>{900000 + k}</id>", first, count=1)
                    .replace(f"<title>{title}</title>", f"<title>{prefix}{title}</title>")
                    .replace("<ns>0</ns>", f"<ns>{ns}</ns>")
                    for k, (prefix, ns) in enumerate([("Talk:", 1), ("Wikipedia:", 4), ("Star Wars: ", 0)]))
    modern = xml.replace("</mediawiki>", extra + "</mediawiki>")
    old = re.sub(r"\s*<ns>-?\d+</ns>", "", modern).replace("export-0.10", "export-0.3")
    assert "<ns>" not in old
    (tmp_path / "modern.xml").write_text(modern, encoding="utf-8")
    (tmp_path / "old.xml").write_text(old, encoding="utf-8")
    want, _, want_counters = read(tmp_path / "modern.xml")
    assert want_counters["skipped_namespace_1"] == want_counters["skipped_namespace_4"] == 1
    docs, quarantined, counters = read(tmp_path / "old.xml")
    assert not quarantined and counters == want_counters
    assert [(d.id, d.text_str) for d in docs] == [(d.id, d.text_str) for d in want] and len(want) == len(full) + 1


def test_deleted_and_missing_revision_text_are_counted_by_kind(sample, tmp_path):
    """A revision whose text was suppressed (<text deleted="deleted"/>) or a stub dump's page (no
    <text>) is counted as such, not as a page that cleaning left empty."""
    path, full, _, counters, _ = sample
    xml = bz2.decompress(path.read_bytes()).decode("utf-8")
    pages = list(re.finditer(r"<page>.*?</page>", xml, re.S))
    kept = {d.metadata["page_id"] for d in full}
    a, b = [m for m in pages if int(re.search(r"<id>(\d+)</id>", m.group(0)).group(1)) in kept][:2]
    deleted = re.sub(r"<text[^>]*>.*?</text>", '<text deleted="deleted" />', a.group(0), flags=re.S)
    stub = re.sub(r"<text[^>]*>.*?</text>", "", b.group(0), flags=re.S)
    edited = xml[:a.start()] + deleted + xml[a.end():b.start()] + stub + xml[b.end():]
    (tmp_path / "d.xml").write_text(edited, encoding="utf-8")
    docs, quarantined, got = read(tmp_path / "d.xml")
    assert not quarantined and len(docs) == len(full) - 2
    assert got["skipped_deleted_text"] == 1 and got["skipped_no_text"] == 1
    assert got.get("skipped_empty_after_cleaning", 0) == counters.get("skipped_empty_after_cleaning", 0)


def test_plain_xml_multistream_and_oversized_pages(shared_data, tmp_path):
    path = shared_data / "sources" / "wiki" / "enwiki-table-markup.xml.bz2"
    full, _, _ = read(path)
    xml = bz2.decompress(path.read_bytes())
    plain = tmp_path / "dump.xml"
    plain.write_bytes(xml)
    # multistream: the header and every page in its own bz2 stream, concatenated, as Wikimedia ships them
    cuts = [0] + [m.start() for m in re.finditer(rb"  <page>", xml)] + [len(xml)]
    multi = tmp_path / "dump-multistream.xml.bz2"
    multi.write_bytes(b"".join(bz2.compress(xml[a:b]) for a, b in zip(cuts, cuts[1:])))
    for p in (plain, multi):
        docs, quarantined, _ = read(p)
        assert [(d.id, d.text) for d in docs] == [(d.id, d.text) for d in full] and not quarantined
    sizes = sorted(len(m.group(0)) for m in re.finditer(rb"<page>.*?</page>", xml, re.S))
    cap = (sizes[0] + sizes[-1]) // 2
    docs, quarantined, _ = read(path, max_doc_bytes=cap)
    too_large = sum(s > cap for s in sizes)
    assert [q.reason for q in quarantined] == ["too_large"] * too_large and too_large >= 1
    assert len(docs) == len(full) - too_large


def test_run_through_runner(tmp_path, shared_data, ray_local):
    sample_dump = shared_data / "sources" / "wiki" / "enwiki-pages-articles-sample.xml.bz2"
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(sample_dump.read_bytes()[:sample_dump.stat().st_size // 2])   # bz2 blocks are ~900 kB
    recipe = tmp_path / "wiki.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: wiki-test
        seed: 1
        output: {tmp_path / 'run'}
        sources:
          - name: wikipedia
            format: mediawiki
            paths: [{shared_data / 'sources' / 'wiki' / 'enwiki-table-markup.xml.bz2'}, {cut}]
            keep_infobox: true
            shard_docs: 5
        stages:
          - stage: exact_dedup
        """))
    stats = Runner(load_recipe(recipe), quiet=True).run()
    ingest = stats["stages"][0]
    assert ingest["quarantined"] == {"ingest/corrupt_compression": 1}
    assert ingest["counters"]["skipped_redirect"] > 0
    out = read_documents(stats)
    assert out.num_rows == ingest["docs_out"] > 3
    assert not any(m in t for t in out.column("text").to_pylist() for m in ("[[", "<ref"))


def test_an_indented_table_is_a_table():
    """`:{|` is a table indented one step, as MediaWiki renders it (the United Kingdom article's
    rankings): it goes with the other tables instead of leaving its rows as text."""
    wt = ("The rankings:\n:{|class=\"wikitable\" style=\"text-align:center;\"\n|-\n! Index\n! Rank\n|-\n"
          "|align=\"left\"|[[Human Development Index]] 2015\n|14\n|}\nAfter the table.")
    text = wikitext_to_text(wt, WikitextOptions())
    assert text == "The rankings:\nAfter the table."


def test_redirects_in_any_wiki_language_without_redirect_elements(tmp_path):
    """Old and third-party dumps mark a redirect only by the wiki's own magic word (#転送,
    #ПЕРЕНАПРАВЛЕНИЕ, #REDIRECCIÓN, #넘겨주기, #เปลี่ยนทาง): skipped as redirects, not read as
    one-line articles; an article that begins with a numbered list (`# item`) is still read."""
    pages = {"トウキョウ": "#転送 [[東京都]]", "Москва (город)": "#ПЕРЕНАПРАВЛЕНИЕ [[Москва]]\n{{R from move}}",
             "Madrid (ciudad)": "#REDIRECCIÓN[[Madrid]]", "서울시": "#넘겨주기 [[서울특별시]]",
             "กรุงเทพ": "#เปลี่ยนทาง [[กรุงเทพมหานคร]]",
             "Steps": "# [[Preheat]] the oven to 200 degrees.\n# Mix the flour and the butter.\n"
                      "The steps above are the classic method for this pastry."}
    body = "".join(f"<page><title>{t}</title><ns>0</ns><id>{i}</id><revision><id>{100 + i}</id>"
                   f'<text xml:space="preserve">{w}</text></revision></page>' for i, (t, w) in enumerate(pages.items(), 1))
    path = tmp_path / "xxwiki-sample.xml"
    path.write_text(f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.4/" version="0.4">{body}</mediawiki>',
                    encoding="utf-8")
    docs, quarantined, counters = read(path)
    assert not quarantined and counters.get("skipped_redirect") == 5
    assert [d.metadata["title"] for d in docs] == ["Steps"] and "Preheat" in docs[0].text


# -- content models, nested lists, .7z dumps -------------------------------------------------------
def _dump(pages, siteinfo=True):
    """A dump of (title, wikitext, content model or None) pages, enwiki's <siteinfo> or none."""
    body = "".join(f"<page><title>{t}</title><ns>0</ns><id>{i}</id><revision><id>{100 + i}</id>"
                   + (f"<model>{html.escape(m)}</model>" if m else "")
                   + f'<text xml:space="preserve">{html.escape(w, quote=False)}</text></revision></page>\n'
                   for i, (t, w, m) in enumerate(pages, 1))
    site = ("<siteinfo><dbname>enwiki</dbname><base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo>\n"
            if siteinfo else "")
    return f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">{site}{body}</mediawiki>\n'


def test_pages_of_other_content_models_are_skipped_and_counted(tmp_path):
    """A page whose <model> is not wikitext (a JSON page, a stylesheet, a script, a Lua module, a
    Wikidata item) was read as wikitext and its code or JSON came out as an article. Each is
    counted by its model, from a bounded set: a damaged dump's model name is `other`, never a
    counter of its own. Wikisource's proofread-page is wikitext; no <model> (schema < 0.8) too."""
    pages = [("Config", '{"entity": "Q1", "labels": {}}', "json"),
             ("Style", "body { color: red; }", "css"),
             ("Script", "var x = [[1]]; // {{not a template}}", "javascript"),
             ("Lua", "local p = {} return p", "Scribunto"),
             ("Q1", '{"type":"item","id":"Q1"}', "wikibase-item"),
             ("Broken1", "text", "wikitex\u00e9t"), ("Broken2", "text", "garbage<model>"),
             ("Article", "'''Article''' text.", "wikitext"),
             ("Scan", "<noinclude>header</noinclude>A page of a scanned book.<noinclude>footer</noinclude>",
              "proofread-page"),
             ("Old", "An article from before content models.", None)]
    path = tmp_path / "enwiki-models.xml"
    path.write_text(_dump(pages), encoding="utf-8")
    docs, quarantined, counters = read(path)
    assert not quarantined
    assert [(d.metadata["title"], d.text) for d in docs] == [
        ("Article", "Article text."), ("Scan", "A page of a scanned book."),
        ("Old", "An article from before content models.")]
    assert counters == {"skipped_model_json": 1, "skipped_model_css": 1, "skipped_model_javascript": 1,
                        "skipped_model_scribunto": 1, "skipped_model_wikibase_item": 1, "skipped_model_other": 2}


@pytest.mark.parametrize("wikitext, expected", [
    # one level: as before
    ("* a\n* b\n# one\n# two", "- a\n- b\n- one\n- two"),
    # nested bullets and numbers: indented two spaces a level, not "- - b"
    ("* a\n** b\n*** c\n* d", "- a\n  - b\n    - c\n- d"),
    ("# one\n## one.one\n#* a bullet in a numbered item\n# two", "- one\n  - one.one\n  - a bullet in a numbered item\n- two"),
    # an indented list is one level; a continuation (#:) and a definition show no marker
    (":* indented\n; Term : Definition\n# item\n#: more of the item", "- indented\nTerm Definition\n- item\nmore of the item"),
    # a nested item left empty by removed content is no line
    ("* a\n** <ref>x</ref>\n* b", "- a\n\n- b"),
])
def test_nested_list_items_are_indented(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected


def test_a_nested_list_in_an_infobox_value_stays_on_its_line():
    text = wikitext_to_text("{{Infobox x|name=A|members=\n* p\n** q\n}}Body.", WikitextOptions(keep_infobox=True))
    assert text == "name: A\nmembers: - p - q\n\nBody."


def _seven_zip(path, members):
    import py7zr
    with py7zr.SevenZipFile(path, "w") as z:
        for name, data in members:
            z.writestr(data, name)


def test_7z_dump_is_streamed_as_its_xml(tmp_path):
    """Wikimedia ships pages-meta-history as .7z: it was read as plain bytes (0 documents,
    `truncated_dump: no </mediawiki> after 0 pages`). Its members are decoded as they are read,
    and give what the same XML gives; a .7z named otherwise is told by its content."""
    xml = _dump([("Alpha", "'''Alpha''' is first.\n* a\n** b", None), ("Beta", "'''Beta''' is second.", None),
                 ("Gamma", "#REDIRECT [[Beta]]", None)])
    (tmp_path / "enwiki.xml").write_text(xml, encoding="utf-8")
    want, _, want_counters = read(tmp_path / "enwiki.xml")
    assert len(want) == 2
    _seven_zip(tmp_path / "enwiki-pages-meta-history1.xml.7z", [("enwiki-pages-meta-history1.xml", xml.encode())])
    docs, quarantined, counters = read(tmp_path / "enwiki-pages-meta-history1.xml.7z")
    assert not quarantined and counters == want_counters
    assert [(d.id, d.text, d.metadata) for d in docs] == [(d.id, d.text, d.metadata) for d in want]
    (tmp_path / "misnamed.xml").write_bytes((tmp_path / "enwiki-pages-meta-history1.xml.7z").read_bytes())
    docs, quarantined, counters = read(tmp_path / "misnamed.xml")
    assert [d.text for d in docs] == [d.text for d in want] and not quarantined
    assert counters == {**want_counters, "compression_by_content": 1}
    # two members: each its own dump
    _seven_zip(tmp_path / "two.7z", [("a.xml", xml.encode()), ("b.xml", xml.replace("Alpha", "Delta").encode())])
    docs, quarantined, _ = read(tmp_path / "two.7z")
    assert [d.metadata["title"] for d in docs] == ["Alpha", "Beta", "Delta", "Beta"] and not quarantined


def test_7z_dump_in_pieces_damaged_and_left_early(tmp_path):
    """A member larger than the hand-over pieces arrives whole; a cut archive (7z keeps its index
    at the end) is one corrupt_archive item, no crash; a reader that stops early leaves no thread."""
    import threading

    from pipeline.readers import seven_zip
    long_text = "'''Long''' " + "word " * 300_000          # 1.5 MB: more than one SEVEN_ZIP_PIECE
    xml = _dump([("Long", long_text, None)] + [(f"P{i}", f"'''P{i}''' text.", None) for i in range(50)])
    assert len(xml) > 1.2 * seven_zip.SEVEN_ZIP_PIECE
    (tmp_path / "d.xml").write_text(xml, encoding="utf-8")
    want, _, _ = read(tmp_path / "d.xml")
    _seven_zip(tmp_path / "d.7z", [("d.xml", xml.encode())])
    docs, quarantined, _ = read(tmp_path / "d.7z")
    assert [d.text for d in docs] == [d.text for d in want] and len(docs) == 51 and not quarantined
    cut = tmp_path / "cut.7z"
    cut.write_bytes((tmp_path / "d.7z").read_bytes()[:-40])
    docs, quarantined, _ = read(cut)
    assert not docs and [q.reason for q in quarantined] == ["corrupt_archive"]
    assert "truncated or damaged" in quarantined[0].detail
    before = threading.active_count()
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(tmp_path / "d.7z")])
    items = src.reader.read(str(tmp_path / "d.7z"), src, ReadState())
    assert isinstance(next(items), Doc)
    items.close()
    assert threading.active_count() == before
