"""enwiki wikitext that lost text: HTML lists, tables left unclosed, inline templates that left holes,
disambiguation pages named by a family of templates, raw tag text, numbered lists read as redirects."""
import html

import pytest

from pipeline.readers import Doc, ReadState
from pipeline.readers.mediawiki import DISAMBIGUATION_TEMPLATES, disambiguation_pattern, not_an_article
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.recipe import SourceConfig


def text(wikitext, **kw):
    return wikitext_to_text(wikitext, WikitextOptions(**kw))


def read(path):
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(path)])
    state = ReadState()
    items = list(src.reader.read(str(path), src, state))
    return [i for i in items if isinstance(i, Doc)], state.counters


def dump(pages):
    """An export-0.11 enwiki dump of (title, wikitext, timestamp) pages, none of them a <redirect>."""
    body = "".join(f"<page><title>{t}</title><ns>0</ns><id>{i}</id><revision><id>{100 + i}</id>"
                   f"<timestamp>{ts}</timestamp><model>wikitext</model>"
                   f'<text xml:space="preserve">{html.escape(w, quote=False)}</text></revision></page>\n'
                   for i, (t, w, ts) in enumerate(pages, 1))
    return ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11"><siteinfo>'
            "<dbname>enwiki</dbname><base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo>\n"
            f"{body}</mediawiki>\n")


@pytest.mark.parametrize("wikitext, expected", [
    # Animal Farm: the commandments were an <ol> and came out as nothing
    ("The changed commandments are:\n<ol start=\"4\">\n<li>No animal shall sleep in a bed '''with sheets.'''</li>\n"
     "<li>No animal shall drink alcohol '''to excess.'''</li>\n</ol>\nEnd of section.",
     "The changed commandments are:\n- No animal shall sleep in a bed with sheets.\n"
     "- No animal shall drink alcohol to excess.\n\nEnd of section."),
    ("<ul><li>Alpha</li><li>Beta<ul><li>Gamma</li></ul></li></ul>", "- Alpha\n- Beta\n  - Gamma"),
    ("<dl><dt>Term</dt><dd>Its definition.</dd></dl>", "Term\nIts definition."),
    # items left unclosed, which the parser gives inside a list as text
    ("<ol><li>one<li>two</ol>", "- one\n- two"),
])
def test_html_lists_are_list_items(wikitext, expected):
    assert text(wikitext) == expected


def test_a_table_left_unclosed_ends_at_the_next_heading_and_is_counted():
    """A table closed by {{end}} or not at all took every line after it, whole sections, uncounted."""
    closed_by_template = ("Intro sentence.\n{| class=\"wikitable\"\n| cell\n{{end}}\n\n== History ==\n"
                          "The town was founded in 1790.")
    assert text(closed_by_template) == "Intro sentence.\n\nHistory\nThe town was founded in 1790."
    unclosed = ("Intro sentence.\n{| class=\"wikitable\"\n| cell\n| {{flag|France}}\n\n== History ==\n"
                "The town was founded in 1790.\n\n== Economy ==\nFarming dominates.")
    counts = {}
    got = wikitext_to_text(unclosed, WikitextOptions(), lambda k, n=1: counts.__setitem__(k, counts.get(k, 0) + n))
    assert got == "Intro sentence.\n\nHistory\nThe town was founded in 1790.\n\nEconomy\nFarming dominates."
    assert counts == {"wikitext_unclosed_tables": 1}


def test_the_dump_reader_counts_unclosed_tables(tmp_path):
    page = "Intro sentence.\n{| class=\"wikitable\"\n| cell\n\n== History ==\nThe town was founded in 1790."
    (tmp_path / "d.xml").write_text(dump([("Town", page, "2024-01-01T00:00:00Z")]), encoding="utf-8")
    (doc,), counters = read(tmp_path / "d.xml")
    assert "founded in 1790" in doc.text and counters == {"wikitext_unclosed_tables": 1}


@pytest.mark.parametrize("wikitext, expected", [
    ("The letter {{angbr|a}} has seven sounds.", "The letter ⟨a⟩ has seven sounds."),
    ("It needs more than {{US$|2 billion}} to rebuild.", "It needs more than US$2 billion to rebuild."),
    ("In 1930, {{US patent|1781541}} was awarded.", "In 1930, U.S. patent 1,781,541 was awarded."),
    ("About 6{{Spaces}}million refugees fled.", "About 6 million refugees fled."),
    ("Water is H{{sub|2}}O and {{rtl-lang|ar|عربي}} is Arabic.", "Water is H2O and عربي is Arabic."),
    ("It measures {{convert|6|ft|2|in|m}} by {{convert|10|by|20|m}}.", "It measures 6 ft 2 in by 10 by 20 m."),
    ("{{as of|2015|6|30}}, the area was {{convert|52419|sqmi|km2}}, {{convert|22|e6acre}} farmed, "
     "with {{convert|160|Tcuft}} of gas.",
     "As of June 30, 2015, the area was 52419 sq mi, 22 million acres farmed, with 160 trillion cubic feet of gas."),
    ("An {{em|emphasis}}, a {{strong|warning}}, {{code|1=x = {y} }}, {{mono|mono}}, {{tmath|\\frac{a}{b} }}.",
     "An emphasis, a warning, x = {y}, mono, \\frac{a}{b}."),
    ("{{sqrt|2}} and {{pi}}; {{gaps|1|234|567}} on {{dts|2010|5|6}}, {{height|ft=6|in=2}} tall, in the {{decade|1994}}.",
     "√2 and π; 1 234 567 on May 6, 2010, 6 ft 2 in tall, in the 1990s."),
    ("{{ship|HMS|Dreadnought|1906}} and {{HMS|Victory}} sailed.", "HMS Dreadnought (1906) and HMS Victory sailed."),
    ("Genres: {{hlist|rock|pop}}. The word {{wikt-lang|la|verbum}}, said {{IPA-de|ˈbɛʁlɪn}}.",
     "Genres: rock · pop. The word verbum, said [ˈbɛʁlɪn]."),
    ("Members:\n{{plainlist|\n* Ann\n* Bob\n}}\n{{ubl|Cy|Di}}", "Members:\n\n- Ann\n- Bob\n\nCy\nDi"),
])
def test_inline_templates_fill_their_place_in_the_sentence(wikitext, expected):
    assert text(wikitext) == expected


def test_age_is_counted_to_the_revision_date(tmp_path):
    """{{age}} counts to the day the page is read; a revision's date is the day it was saved. Without
    one (a wikitext file) the template is dropped, as before."""
    assert text("He is {{age|1950|1|2}} years old.", as_of="2024-01-01") == "He is 73 years old."
    assert text("He was {{age|1950|1|2|2010|5|6}} then.") == "He was 60 then."
    page = "'''John''' is {{age|1950|1|2}} years old and lives in Ohio."
    (tmp_path / "d.xml").write_text(dump([("John", page, "2024-06-01T10:00:00Z")]), encoding="utf-8")
    (doc,), _ = read(tmp_path / "d.xml")
    assert doc.text == "John is 74 years old and lives in Ohio."


@pytest.mark.parametrize("template", [
    "Human name disambiguation|Smith, John", "Species Latin name disambiguation", "Molecular formula disambiguation",
    "Call sign disambiguation", "Letter-NumberCombDisambig", "Mil-unit-dis", "Genus disambiguation",
    "Chinese_title_disambiguation", "disambiguation", "hndis|Smith, John"])
def test_disambiguation_templates_are_a_family(template):
    page = f"'''John Smith''' may refer to:\n* [[John Smith (explorer)]]\n{{{{{template}}}}}"
    pattern = disambiguation_pattern(DISAMBIGUATION_TEMPLATES)
    assert not_an_article(page, "John Smith", pattern) == "skipped_disambiguation"


@pytest.mark.parametrize("page", ["He needed a {{disambiguation needed|date=May 2020}} link.",
                                  "{{Distinguish|Dis}} An article.", "{{Other uses}} An article."])
def test_articles_with_other_templates_are_not_disambiguation(page):
    assert not_an_article(page, "X", disambiguation_pattern(DISAMBIGUATION_TEMPLATES)) is None


@pytest.mark.parametrize("wikitext", [
    'Intro text.\n<div style="float: right; margin: 5px;">\n{| class="wikitable"\n| a || b\n|}</div>\nAfter the table.',
    'Intro text.\n<div style="float: right; margin: 5px;">\nAfter the table.',        # its </div> lost
])
def test_no_raw_tag_text(wikitext):
    assert text(wikitext) == "Intro text.\n\nAfter the table."


def test_a_numbered_list_without_a_space_is_no_redirect(tmp_path):
    """`#Tokyo [[Japan]]` is a numbered list item (MediaWiki needs no space after `#`), not a redirect:
    a redirect names the magic word (#REDIRECT, or the wiki's own, #転送 ...)."""
    pages = [("Numbered", "#Tokyo [[Japan]]\n#Osaka [[Japan]]\n#Nagoya [[Japan]]", "2024-01-01T00:00:00Z"),
             ("Old redirect", "#REDIRECT [[Tokyo]]", "2024-01-01T00:00:00Z"),
             ("Redirect with a colon", "#redirect: [[Tokyo]]", "2024-01-01T00:00:00Z")]
    (tmp_path / "d.xml").write_text(dump(pages), encoding="utf-8")
    docs, counters = read(tmp_path / "d.xml")
    assert [d.text for d in docs] == ["- Tokyo Japan\n- Osaka Japan\n- Nagoya Japan"] and counters == {"skipped_redirect": 2}
    assert not_an_article("#転送 [[東京都]]", "トウキョウ", None) == "skipped_redirect"


@pytest.mark.parametrize("wikitext, expected", [
    ("2<sup>7</sup> = 128", "2⁷ = 128"),                      # was "27 = 128"
    ("an area of 52 km<sup>2</sup>", "an area of 52 km²"),
    ("{{math|''a''<sup>''p'' − 1</sup> − 1}}", "a^(p − 1) − 1"),  # was "ap − 1 − 1"
    ("10<sup>−6</sup> m", "10⁻⁶ m"),
    ("1<sup>st</sup> place", "1st place"),                   # ordinals and marks stay flat
    ("claim<sup>[1]</sup> here", "claim[1] here"),
    ("H<sub>2</sub>O", "H2O"),
])
def test_an_exponent_in_a_superscript_keeps_its_meaning(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions()) == expected
