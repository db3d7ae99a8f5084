"""Inline templates that left a gap in an enwiki sentence: coordinates, track gauges, [sic], Bible
verses. Each sentence is an article's, as its wikitext has it."""
import html

import pytest

from pipeline.readers import Doc, ReadState
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.recipe import SourceConfig


def text(wikitext):
    return wikitext_to_text(wikitext, WikitextOptions(language="en"))


@pytest.mark.parametrize("wikitext, expected", [
    # Aruba: "is located at ." before
    ("[[Oranjestad]], the capital, is located at {{Coord|12|19|N|70|1|W|}}.",
     "Oranjestad, the capital, is located at 12°19′N 70°1′W."),
    ("The building stands at {{coord|40|42|39|N|74|00|20|W|region:US-NY_type:landmark|display=inline,title}}.",
     "The building stands at 40°42′39″N 74°00′20″W."),
    ("The city lies at {{coord|51.507|-0.128|type:city}} on the Thames.",
     "The city lies at 51.507°N 0.128°W on the Thames."),
    # shown beside the page's title, not in the text
    ("The station opened in 1890.{{coord|26.15|N|85.90|E|display=title}}", "The station opened in 1890."),
])
def test_coordinates_in_a_sentence(wikitext, expected):
    assert text(wikitext) == expected


@pytest.mark.parametrize("gauge, shown", [
    ("1676mm|lk=on", "1,676 mm"), ("sg", "1,435 mm"), ("ussg", "4 ft 8½ in"), ("3ft6in", "3 ft 6 in"),
    ("56.5", "4 ft 8½ in"), ("15", "15 in"), ("1000", "1,000 mm"),
])
def test_track_gauge_in_a_sentence(gauge, shown):
    # Darbhanga Junction railway station: "The station has  broad gauge" before
    wikitext = f"The station has {{{{RailGauge|{gauge}}}}} [[broad gauge]] along with 8 tracks and 6 platforms."
    assert text(wikitext) == f"The station has {shown} broad gauge along with 8 tracks and 6 platforms."


def test_an_unknown_gauge_name_is_still_dropped():
    assert text("It was built to {{RailGauge|nonesuch}} gauge.") == "It was built to gauge."


@pytest.mark.parametrize("wikitext, expected", [
    # Aikido: the quotation's "fundamentals [sic]" read "the fundamentals of the paradigm"
    ("the spiritual and universal reality were the fundamentals {{sic}} of the paradigm that he demonstrated.",
     "the spiritual and universal reality were the fundamentals [sic] of the paradigm that he demonstrated."),
    # the word split so that spelling bots leave it alone; {{sic|b}} showed only "icut"
    ("He moved to {{sic|Connet|icut}} in 1850.", "He moved to Conneticut [sic] in 1850."),
    ("He moved to {{sic|hide=y|Conneticut}} in 1850.", "He moved to Conneticut in 1850."),
])
def test_sic_in_a_quotation(wikitext, expected):
    assert text(wikitext) == expected


def test_bible_verse_in_a_sentence():
    # Abraham Lincoln: "drawing on , "A house divided..."" before
    wikitext = ('Lincoln delivered his House Divided Speech, drawing on {{bibleref|Mark|3:25|9}}, '
                '"A house divided against itself cannot stand."')
    assert text(wikitext) == ('Lincoln delivered his House Divided Speech, drawing on Mark 3:25, '
                              '"A house divided against itself cannot stand."')


@pytest.mark.parametrize("wikitext, expected", [
    # enwiki's legacy {{bibleverse|<book no.>|<book>|<ch:v>|<version>}}: "Jesus said KJV on the mount." before
    ("Jesus said {{bibleverse||Matthew|5:3-12|KJV}} on the mount.", "Jesus said Matthew 5:3-12 on the mount."),
    ("Paul wrote {{bibleverse|1|Corinthians|13:4|NIV}} about love.", "Paul wrote 1 Corinthians 13:4 about love."),
    ("as described in {{bibleverse||John|19:13|}}.", "as described in John 19:13."),
    ("See {{Bible verse|John|3:16|KJV}} here.", "See John 3:16 here."),
    ("See {{Bible verse|1 Corinthians|13:4|NIV}} here.", "See 1 Corinthians 13:4 here."),
    # {{bibleref2}}'s fourth argument is the text it shows
    ("See {{bibleref2|John|3:16}} and {{bibleref2|John|3:16|NIV|John three sixteen}}.",
     "See John 3:16 and John three sixteen."),
])
def test_bible_verse_templates_by_their_forms(wikitext, expected):
    assert text(wikitext) == expected


def test_the_dump_reader_renders_them(tmp_path):
    page = "[[Oranjestad]], the capital, is located at {{Coord|12|19|N|70|1|W|}}."
    body = (f"<page><title>Aruba</title><ns>0</ns><id>1</id><revision><id>2</id><timestamp>2024-01-01T00:00:00Z"
            f'</timestamp><model>wikitext</model><text xml:space="preserve">{html.escape(page, quote=False)}</text>'
            "</revision></page>\n")
    (tmp_path / "d.xml").write_text('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">'
                                    "<siteinfo><dbname>enwiki</dbname></siteinfo>\n" + body + "</mediawiki>\n",
                                    encoding="utf-8")
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(tmp_path / "d.xml")])
    docs = [d for d in src.reader.read(str(tmp_path / "d.xml"), src, ReadState()) if isinstance(d, Doc)]
    assert [d.text for d in docs] == ["Oranjestad, the capital, is located at 12°19′N 70°1′W."]
