"""`format: wikitext`: one article's raw wikitext a file, read with the dump reader's rules."""
import gzip

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig


def read(paths, fmt="wikitext", **opts):
    src = SourceConfig(name="w", format=fmt, paths=[str(p) for p in paths], **opts)
    state, docs, other = ReadState(), [], []
    for p in [f for pattern in src.paths for f in expand_paths(pattern)]:
        for item in read_source_file(src, p, state):
            (docs if isinstance(item, Doc) else other).append(item)
    return docs, other, state.counters



def dump_page(path, title: str, wikitext: str):
    """`wikitext` as the one page of an enwiki XML dump (escaped as a dump escapes it) at `path`."""
    esc = wikitext.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    path.write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><siteinfo><dbname>enwiki</dbname>'
        f'<base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo><page><title>{title}</title>'
        f'<ns>0</ns><id>7</id><revision><id>1</id><text xml:space="preserve">{esc}</text></revision></page>'
        '</mediawiki>')
    return path

def test_the_shared_wikitext_articles_read_as_the_dump_reader_reads_them(shared_data, tmp_path):
    folder = shared_data / "sources" / "wiki" / "wikitext"
    docs, other, counters = read([folder])
    assert len(docs) == len(list(folder.glob("*.txt.gz"))) and not other
    assert not any("{{" in d.text or "[[" in d.text for d in docs)       # templates and links rendered
    one = folder / "Alexander-Y-Type.txt.gz"
    doc = next(d for d in docs if d.id == f"w/{one}")
    assert doc.metadata["title"] == "Alexander-Y-Type"
    # the same wikitext inside a dump page: the same text
    wikitext = gzip.decompress(one.read_bytes()).decode()
    dumped, _, _ = read([dump_page(tmp_path / "d.xml", "Alexander Y-type", wikitext)], "mediawiki")
    assert [d.text for d in dumped] == [doc.text]


def test_redirects_and_disambiguation_files_are_skipped_and_counted(tmp_path):
    (tmp_path / "Old_name.wiki").write_text("#REDIRECT [[New name]]\n")
    (tmp_path / "Mercury_(disambiguation).wiki").write_text("'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n")
    (tmp_path / "Jaguar.wikitext").write_text("'''Jaguar''' may mean:\n* [[Jaguar (animal)]]\n{{disambiguation}}\n")
    (tmp_path / "Kirkcaldy.wiki").write_text("'''Kirkcaldy''' is a town in [[Fife]].{{citation needed}}\n\n"
                                             "== References ==\n{{reflist}}\n")
    (tmp_path / "notes.md").write_text("# not wikitext\n")
    docs, other, counters = read([tmp_path])
    assert [(d.metadata["title"], d.text) for d in docs] == [("Kirkcaldy", "Kirkcaldy is a town in Fife.")]
    assert counters == {"skipped_redirect": 1, "skipped_disambiguation": 2, "skipped_not_wikitext_file": 1}
    assert not other


def test_category_links_of_the_largest_wikis_do_not_leak(tmp_path):
    """Raw wikitext has no <siteinfo> to name its wiki's Category namespace: the localised names
    of the largest Wikipedias (and their aliases) are known, so trwiki's [[Kategori:…]], viwiki's
    [[Thể loại:…]], ... are categories, not lines of text. A prefix no wiki names is an article
    link's text ([[Star Wars: Andor]]), at the end of the page as well."""
    categories = ["Kategori:Türkiye'deki şehirler", "Thể loại:Thành phố", "تصنيف:مدن", "קטגוריה:ערים",
                  "Kategória:Városok", "Luokka:Kaupungit", "Категорія:Міста", "رده:شهرها", "Kategorie:Stadt",
                  "분류:도시", "หมวดหมู่:เมือง", "Κατηγορία:Πόλεις", "Catégorie:Ville", "Kategoria:Miasta",
                  "श्रेणी:नगर", "বিষয়শ্রেণী:শহর", "பகுப்பு:நகரங்கள்", "Thể_loại:Thủ đô", "Kateqoriya:Şəhərlər",
                  "Катэгорыя:Гарады", "Kategooria:Linnad", "Jamii:Miji", "Ẹ̀ka:Ìlú"]
    files = ["Dosya:Ankara", "Tập tin:Bản đồ", "Berkas:Peta|jmpl|Peta", "Súbor:Mapa", "Fail:x"]
    body = "'''Ankara''', [[Türkiye]]'nin başkentidir.\n\n" + "\n".join(f"[[{f}]]" for f in files) \
        + "\n\n[[Star Wars: Andor]]\n" + "\n".join(f"[[{c}]]" for c in categories) + "\n"
    (tmp_path / "Ankara.wiki").write_text(body, encoding="utf-8")
    # the Yoruba name in decomposed form (NFD), as some editors save it
    import unicodedata
    (tmp_path / "Ilu.wiki").write_text(unicodedata.normalize("NFD", "Ìlú.\n[[Ẹ̀ka:Ìlú]]\n"), encoding="utf-8")
    docs, other, counters = read([tmp_path])
    assert [d.text for d in docs] == ["Ankara, Türkiye'nin başkentidir.\n\nStar Wars: Andor",
                                      unicodedata.normalize("NFD", "Ìlú.")]
    assert not other and not counters


def test_a_dump_without_siteinfo_drops_the_same_category_links(tmp_path):
    xml = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><page><title>Hà Nội</title><ns>0</ns>'
           '<id>1</id><revision><id>2</id><text xml:space="preserve">\'\'\'Hà Nội\'\'\' là thủ đô.\n'
           '[[Thể loại:Thủ đô]]\n[[Kategori:Başkentler]]</text></revision></page></mediawiki>')
    (tmp_path / "d.xml").write_text(xml, encoding="utf-8")
    docs, other, counters = read([tmp_path / "d.xml"], "mediawiki")
    assert [d.text for d in docs] == ["Hà Nội là thủ đô."] and not other


def test_chinese_conversion_markup_is_resolved_by_default(tmp_path):
    """A zhwiki dump resolves -{…}- to MediaWiki's unconverted view by default (its dbname says
    zh); a raw wikitext file has no dbname and kept the markup. Now: resolved when the file holds
    such markup (or `language: zh`), the variant asked for winning; markup naming another
    language's variants (srwiki's sr-ec/sr-el) is left as it was, and so is a non-Chinese `language`."""
    (tmp_path / "zh_computer.wiki").write_text("-{zh-hans:计算机;zh-hant:電腦;}-是一种机器。-{Linux}-\n\n"
                                               "[[Category:计算机]]\n", encoding="utf-8")
    docs, other, _ = read([tmp_path / "zh_computer.wiki"])
    assert [(d.text, d.metadata["language_variant"]) for d in docs] == [("计算机是一种机器。Linux", "zh")]
    docs, _, _ = read([tmp_path / "zh_computer.wiki"], language_variant="zh-hant")
    assert [(d.text, d.metadata["language_variant"]) for d in docs] == [("電腦是一种机器。Linux", "zh-hant")]
    (tmp_path / "plain.wiki").write_text("'''Plain''' text.\n", encoding="utf-8")
    docs, _, _ = read([tmp_path / "plain.wiki"])
    assert [(d.text, "language_variant" in d.metadata) for d in docs] == [("Plain text.", False)]
    docs, _, _ = read([tmp_path / "plain.wiki"], language="zh")
    assert docs[0].metadata["language_variant"] == "zh"
    serbian = "-{sr-ec:Београд;sr-el:Beograd}- je glavni grad.\n"
    (tmp_path / "sr.wiki").write_text(serbian, encoding="utf-8")
    docs, _, _ = read([tmp_path / "sr.wiki"])
    assert docs[0].text == serbian.strip() and "language_variant" not in docs[0].metadata
    docs, _, _ = read([tmp_path / "zh_computer.wiki"], language="ja")
    assert docs[0].text.startswith("-{zh-hans:计算机")
    # a dump that lost its <siteinfo> (no dbname) reads the same page the same way
    (tmp_path / "d.xml").write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><page><title>电脑</title><ns>0</ns><id>1</id>'
        '<revision><id>2</id><text xml:space="preserve">-{zh-hans:计算机;zh-hant:電腦;}-是一种机器。</text></revision>'
        '</page></mediawiki>', encoding="utf-8")
    docs, _, _ = read([tmp_path / "d.xml"], "mediawiki")
    assert [(d.text, d.metadata["language_variant"]) for d in docs] == [("计算机是一种机器。", "zh")]


def test_wikitext_copied_out_of_a_dump_still_escaped_is_unescaped_once(tmp_path):
    """Wikitext taken from a dump's <text> keeps the XML escaping (wtf_wikipedia's anarchism.txt):
    read as it is, its citations, comments and &nbsp; were text. Unescaped once and counted, it
    reads as the same wikitext unescaped; the wikitext's own entities (&amp;nbsp; in the dump)
    stay entities of the wikitext."""
    raw = ("'''X''' is a thing.<ref>{{cite web|url=http://a|title=T}}</ref> More text&nbsp;here, "
           "and <!-- hidden --> a \"quote\" & more.<br />\n\n== References ==\n<references />\n")
    escaped = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    (tmp_path / "X.txt").write_text(escaped)
    (tmp_path / "Y.wiki").write_text(raw)
    docs, other, counters = read([tmp_path])
    texts = {d.metadata["title"]: d.text for d in docs}
    assert texts["X"] == texts["Y"] == "X is a thing. More text\u00a0here, and a \"quote\" & more."
    assert counters == {"wikitext_unescaped": 1} and not other


def test_escaped_markup_beside_raw_tags_is_text_in_files_and_dumps(tmp_path):
    """An article about HTML shows `&lt;div&gt;` as text beside its raw <ref> tags: not unescaped,
    and a dump's page of the same wikitext (its XML parser unescapes once) reads the same."""
    wikitext = "A &lt;div&gt; element groups content.<ref>W3C</ref> Its end tag is &lt;/div&gt;.\n"
    (tmp_path / "HTML element.wiki").write_text(wikitext)
    docs, _, counters = read([tmp_path / "HTML element.wiki"])
    dumped, _, _ = read([dump_page(tmp_path / "d.xml", "HTML element", wikitext)], "mediawiki")
    expected = "A <div> element groups content. Its end tag is </div>."
    assert [d.text for d in docs] == [d.text for d in dumped] == [expected]
    assert "wikitext_unescaped" not in counters
