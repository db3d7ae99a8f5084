"""MediaWiki XML dumps (Wikipedia pages-articles: .xml, .xml.bz2, multistream .bz2, .7z), one document per page.

The dump is streamed: decompressed in 1 MiB chunks (Python's bz2 reads multistream files as one
stream; a .7z, as Wikimedia ships pages-meta-history, through py7zr: see seven_zip.py for its
memory bound), cut into `<page>…</page>` elements, and each page parsed on its own with lxml's C parser,
so memory holds one page and never the dump. We frame pages ourselves instead of running one
`iterparse` over the whole file because an XML parser cannot resume after a well-formedness error:
one malformed page would end the file. `<page>` and `</page>` can only be element tags in a dump
(a literal "<" in a title or in wikitext is escaped as &lt;), so the framing is exact, and a
broken page is quarantined with its reason while the pages after it are read. A truncated or
corrupt .bz2 keeps every page before the damage and quarantines the rest with the reason.

A page of a history dump (pages-meta-history: every revision, oldest first) is read by its last
revision, as mwxml and wikiextractor read it: the framing (mediawiki_frames.py) streams the page
revision by revision and keeps its head (title, ns, id) and its newest revision only, so memory
holds one revision however long the page's history is, and max_doc_bytes caps that revision (with
the head), not the page: the most-edited articles, hundreds of MB per page, were lost whole as
`too_large`. Every quarantine item of a page names its title and id in its detail, and its id is
the one the page's document would have had (`enwiki:12`).

A stub dump (stub-articles, stub-meta-*: pages and revisions without their text) gives no
document; its pages are counted `skipped_stub_dump_page` (the pages-articles dump is the one to
read). A folder in `paths` (a dump download) means its dumps: the multistream index, checksums,
dumpstatus.json, SQL tables and other files beside them are counted `skipped_not_mediawiki_file`
(data_suffixes, skip_suffixes, _NOT_A_DUMP), never quarantined.

Kept: pages in the chosen namespaces (articles, ns=0; in dumps of export schema 0.5 and older,
which have no <ns>, the title's prefix names it) whose content model is wikitext (a JSON, CSS,
JavaScript, Lua or Wikidata page is skipped, counted by its model: `skipped_model_json`, ...);
redirects and disambiguation pages are skipped and counted. Wikitext becomes text in
`pipeline.readers.wikitext`; Chinese variant markup (-{…}-) and OpenCC in
`pipeline.readers.zh_variants` (a zhwiki dump's markup is resolved by default to each block's own
text, MediaWiki's unconverted "zh" view, rather than left in: see default_variant).
"""
from __future__ import annotations

import html
import lzma
import re
import zlib
from dataclasses import replace
from typing import Callable, Iterator, Literal
from urllib.parse import quote

from lxml import etree
from pydantic import Field, field_validator, model_validator

from pipeline.readers import _from_directory
from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8, with_compression
from pipeline.readers.wikitext import (CATEGORY_NAMESPACES, FILE_NAMESPACES, WikitextOptions, namespace_key,
                                       wikitext_to_text)
from pipeline.readers import zh_variants
from pipeline.readers.seven_zip import SEVEN_ZIP_MAGIC, seven_zip_members
from pipeline.readers.mediawiki_frames import CHUNK, SAMPLE, frame_pages, page_names

# Disambiguation pages, by the template that marks them and the suffix of their title, in the
# languages of the largest wikis (names checked against each wiki's dab pages: jawiki {{Aimai}},
# elwiki {{Αποσαφήνιση}}, viwiki {{Trang định hướng}}, ...). Data, per wiki: add a wiki's names here.
# A name starting with "*" is a family by its ending, as enwiki names the message boxes of
# Category:Disambiguation pages ({{Human name disambiguation}}, {{Letter-NumberCombDisambig}},
# {{Mil-unit-dis}}); the short forms that end otherwise are listed. One ending with "*" is a family
# by its beginning: frwiki's {{Homonymie de personnes}}, {{Homonymie de lieux}} ... ("homonymie*").
# jawiki's family is named by its ending ({{山の曖昧さ回避}}, {{地名の曖昧さ回避}}): "*の曖昧さ回避",
# which leaves out {{要曖昧さ回避}}, the tag of an article with a link to fix.
DISAMBIGUATION_TEMPLATES = ["*disambiguation", "*disambig", "*-dis", "dab", "disamb", "hndis", "geodis", "numberdis",
                            "roaddis", "shipindex", "disambiguation cleanup",
                            "消歧义", "消歧義",                                   # zh
                            "aimai", "曖昧さ回避", "*の曖昧さ回避",                # ja
                            "αποσαφήνιση",                                       # el
                            "trang định hướng",                                  # vi
                            "begriffsklärung",                                   # de
                            "homonymie*", "patronymie",                          # fr
                            "desambiguación",                                    # es
                            "неоднозначность", "многозначность",                 # ru
                            "неоднозначність",                                   # uk
                            "disambigua",                                        # it
                            "desambiguação",                                     # pt
                            "ujednoznacznienie",                                 # pl
                            "dp",                                                # nl
                            "동음이의",                                           # ko
                            "توضيح"]                                             # ar
DISAMBIGUATION_TITLES = ("(disambiguation)", "(消歧义)", "(消歧義)", "(曖昧さ回避)", "(αποσαφήνιση)", "(định hướng)",
                         "(Begriffsklärung)", "(homonymie)", "(desambiguación)", "(значения)", "(значення)",
                         "(disambigua)", "(desambiguação)", "(ujednoznacznienie)", "(doorverwijspagina)",
                         "(동음이의)", "(توضيح)")
# Sections that are only references and link lists, by heading (compared lower-cased). A heading made
# of these names joined by 与/與/和/及/と/及び/および/並びに/・/、 ("参考资料与注释", "出典・参考文献", "脚注と出典") is one too (wikitext.py,
# dropped_heading), so the zh/ja names are listed one by one, not in each pairing.
DROP_SECTIONS = ["references", "external links", "see also", "further reading", "notes", "footnotes",
                 "citations", "sources", "bibliography", "notes and references", "references and notes",
                 # zh (Simplified and Traditional)
                 "参考文献", "參考文獻", "参考资料", "參考資料", "参考来源", "參考來源", "参考书目", "參考書目",
                 "外部链接", "外部連結", "外部連接", "外部鏈接", "参见", "參見", "参看", "另见", "另見",
                 "相关条目", "相關條目", "相关词条", "相關詞條", "注释", "註釋", "注解", "註解", "脚注", "腳註",
                 "延伸阅读", "延伸閱讀", "扩展阅读", "擴展閱讀", "参考", "參考", "来源", "來源", "资料来源", "資料來源",
                 "相关链接", "相關連結", "相關鏈接", "参考链接", "參考連結", "註腳", "注脚", "注釋", "引用",
                 # ja
                 "外部リンク", "関連項目", "出典", "注釈", "脚注・出典", "出典・脚注", "脚注・参考文献", "参考資料",
                 "注", "関連文献", "関連書籍", "引用文献",
                 # de
                 "einzelnachweise", "weblinks", "siehe auch", "literatur", "anmerkungen", "quellen", "fußnoten",
                 # fr
                 "notes et références", "références", "liens externes", "voir aussi", "articles connexes",
                 "bibliographie",
                 # es
                 "referencias", "enlaces externos", "véase también", "notas", "bibliografía", "fuentes",
                 # ru
                 "примечания", "ссылки", "см. также", "литература", "источники",
                 # uk
                 "примітки", "посилання", "див. також", "література", "джерела", "джерела та література",
                 # vi
                 "tham khảo", "liên kết ngoài", "xem thêm", "chú thích", "ghi chú", "đọc thêm",
                 # el
                 "παραπομπές", "εξωτερικοί σύνδεσμοι", "δείτε επίσης", "σημειώσεις", "βιβλιογραφία", "πηγές",
                 # it
                 "note", "collegamenti esterni", "voci correlate", "bibliografia", "altri progetti",
                 # pt
                 "referências", "ligações externas", "ver também", "notas e referências",
                 # pl
                 "przypisy", "linki zewnętrzne", "zobacz też", "uwagi",
                 # nl
                 "referenties", "externe links", "zie ook", "bronnen", "noten",
                 # ko
                 "각주", "외부 링크", "같이 보기", "참고 문헌", "참고 자료"]
# Files of a dump folder that a name ending does not tell from a dump (see MediaWikiReader.data_suffixes).
_NOT_A_DUMP = re.compile(r"-index\d*\.txt-p\d+p\d+\.bz2$"                  # a split part's multistream index
                         r"|-(?:abstract|pages-logging)\d*\.xml(\.\w+)?$")   # XML of another kind
# The redirect magic word of the largest wikis (MediaWiki's languages/messages/Messages*.php,
# 'redirect'; #REDIRECT works on every wiki). A dump without <redirect> elements (export 0.4 and
# older, third-party exports) and a wikitext file mark redirects only by it. A word, not the shape
# `#word [[link]]`: a numbered list written without a space (`#Tokyo [[Japan]]`) has that shape too.
# Data: add a wiki's word here.
REDIRECT_WORDS = ("redirect", "weiterleitung", "redirection", "redirección", "redireccion", "rinvia", "rinvio",
                  "redirecionamento", "redireciona", "redireccionamento", "redirecciona", "redirecció",
                  "перенаправление", "перенапр", "перенаправлення", "patrz", "przekieruj",
                  "doorverwijzing", "omdirigering", "videresend", "ohjaus", "uudelleenohjaus", "átirányítás",
                  "přesměruj", "presmeruj", "preusmeri", "преусмери", "пренасочване", "ανακατευθυνση",
                  "ανακατεύθυνση", "yönlendirme", "yönlendir", "alih", "đổi", "เปลี่ยนทาง",
                  "重定向", "転送", "リダイレクト", "넘겨주기", "تحويل", "تغییرمسیر", "تغییر_مسیر", "הפניה",
                  "पुनर्निर्देशन", "redirecteaza", "redirectează", "suuna", "preusmjeri", "preusmeritev")
# As MediaWiki reads one (WikitextContentHandler): the word, an optional colon, then the target link.
_REDIRECT_TEXT = re.compile(r"^\s*#\s*(?:" + "|".join(map(re.escape, REDIRECT_WORDS)) + r")\s*:?\s*\[\[", re.I)
_DB_LANGUAGE = re.compile(r"([a-z_]+?)(?:wiki|wiktionary|wikisource|wikibooks|wikinews|wikiquote|wikivoyage"
                          r"|wikiversity)$")
_DBNAME = re.compile(r"[a-z0-9_-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SITE_NS = re.compile(rb'<namespace key="(-?\d+)"[^>]*>([^<]*)</namespace>')
_SITE_TAG = re.compile(rb"<(base|dbname)>([^<]*)</\1>")
_XML_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
# Content models read as wikitext (<model>; dumps before export schema 0.8 have none: wikitext).
# proofread-page (Wikisource's Page: namespace) is wikitext between a header and a footer.
WIKITEXT_MODELS = {"wikitext", "proofread-page"}
# The other models of Wikimedia's wikis, each counted as skipped_model_<name> (lower case, "-" and
# "." as "_"); any other name, a damaged dump's or a third-party extension's, as skipped_model_other,
# so that the counters stay a bounded set.
OTHER_MODELS = {"json", "css", "sanitized-css", "javascript", "scribunto", "text", "wikibase-item",
                "wikibase-property", "wikibase-lexeme", "entityschema", "flow-board", "massmessagelistcontent",
                "proofread-index", "tabular.jsonconfig", "map.jsonconfig", "chart.jsonconfig", "gadgetdefinition",
                "newslettercontent", "translate-messagebundle", "unknown"}
# Wikisource's transclusion of scanned pages (ProofreadPage): an ns-0 text made of {{header}} and
# <pages index="Book.djvu" from=1 to=9 /> has its text in the Page: namespace (104), which the dump
# holds as pages of their own; such a page is counted `skipped_transclusion_only`, not as empty.
_TRANSCLUSION = re.compile(r"<pages\b[^>]*\bindex\s*=", re.I)
# -{…}- language-converter markup, and a rule naming a variant other than Chinese (sr-ec:, kk-cyrl:)
_CONVERTER_BLOCK = re.compile(r"-\{(?!\{)(.*?)\}-", re.S)
_OTHER_VARIANT = re.compile(r"(?:^|[;|])\s*(?!zh-)[a-z]{2,3}-[a-z]{2,4}\s*:")


class WikiOptions(Reader):
    """What MediaWiki's readers share: how an article's wikitext becomes text, and which are not articles."""
    keep_infobox: bool = Field(default=False, description="keep the infobox as 'key: value' lines")
    drop_sections: list[str] = Field(default=DROP_SECTIONS,
                                     description="sections removed by heading (case-insensitive)")
    disambiguation_templates: list[str] = Field(
        default=DISAMBIGUATION_TEMPLATES, description="a page using one of these templates is skipped as disambiguation")
    language_variant: Literal[zh_variants.VARIANTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="resolve -{…}- language-converter markup to this variant (zh-hans, zh-hant, "
                                  "zh-tw, ...; zh: each block's own text, the page unconverted: zhwiki's default; "
                                  "with opencc, the variant its target writes: s2t zh-hant, s2tw zh-tw, t2s zh-hans)")
    opencc: str | None = Field(default=None,
                               description="OpenCC config applied to the text, e.g. t2s (to Simplified), tw2sp")

    @model_validator(mode="before")
    @classmethod
    def _variant_of_opencc(cls, data):
        # OpenCC's target decides the view the -{…}- blocks are read in: under the default "zh" view
        # a block's Simplified text, protected from OpenCC, stayed Simplified in s2t's Traditional text
        if isinstance(data, dict) and data.get("opencc") and not data.get("language_variant") \
                and isinstance(data["opencc"], str) and (variant := zh_variants.opencc_variant(data["opencc"])):
            data = {**data, "language_variant": variant}
        return data

    @field_validator("opencc")
    @classmethod
    def _opencc_exists(cls, v):
        if v is not None:
            try:
                zh_variants.opencc_converter(v)
            except Exception as e:  # opencc raises a bare Exception for an unknown config
                raise ValueError(f"unknown OpenCC config {v!r}: {e}") from None
        return v


class MediaWikiReader(WikiOptions):
    """MediaWiki XML dumps (.xml, .xml.bz2, multistream .bz2, .7z): one clean-text document per article."""
    name = "mediawiki"
    # 2: a history dump's page is read by its last revision (no longer too_large as a whole);
    #    a stub dump's pages are counted as such; a folder's non-dump files are skipped
    # 3: fr/de/zh inline templates render; ambiguous section names (Literatur, 来源) kept as content;
    #    nested -{…}-; opencc picks the variant; Wikisource transclusion pages counted as such
    # 4: date and text templates (OldStyleDate, floruit, nowrap|1=, lang inside a text template) render;
    #    a bracket that dropped templates emptied is removed, one they left starting with ; or , mended
    # 5: {{coord}}, {{RailGauge}}, {{sic}} and {{bibleref}} in a sentence render; zh/ja {{by}}, {{flag|JPN}},
    #    jawiki lang-xx labels; -{…}- across a blank line; NoteTA with nested templates; no rule inside <code>/<pre>;
    #    ja headings joined by と
    # 6: the legacy {{bibleverse|<book no.>|<book>|<ch:v>|<version>}} renders "[number ]book ch:v", not the version
    version = "6"
    # A folder (a download of dumps.wikimedia.org/<wiki>/<date>/) means its dumps: .xml, compressed
    # or not, split parts (`-pages-articles1.xml-p1p41242.bz2`) and .7z archives. Beside them, the
    # multistream index (`-index.txt.bz2`), md5sums.txt, dumpstatus.json, SQL tables, title lists
    # and RSS feeds are no dumps: counted `skipped_not_mediawiki_file` (read_source_file), never
    # quarantined. What a name ending cannot say (a split part's index, `-index1.txt-p1p41242.bz2`;
    # abstracts and logging dumps, XML of another kind) is `_NOT_A_DUMP`, counted alike in `read`.
    data_suffixes = with_compression(".xml") + (".bz2", ".7z")
    skip_suffixes = with_compression(".txt", ".json", ".sql", ".html", ".csv", ".tsv") + ("-rss.xml",)
    namespaces: list[int] = Field(default=[0], description="page namespaces kept (0 = articles)")
    base_url: str | None = Field(default=None,
                                 description="page URL prefix; default from the dump's <siteinfo><base>")

    def read(self, path, src, state):
        if _NOT_A_DUMP.search(path.rsplit("/", 1)[-1].lower()) and _from_directory(tuple(src.paths), path):
            state.count(f"skipped_not_{self.name}_file")
            return iter(())
        return _read_dump(self, src, path, state)


def disambiguation_pattern(templates: list[str]) -> re.Pattern | None:
    """A template call naming one of `templates` ({{Disambiguation}}, {{dab|...}}); a name
    starting with "*" stands for every name ending so ("*disambiguation": {{Human name disambiguation}}),
    one ending with "*" for every name starting so ("homonymie*": {{Homonymie de lieux}})."""
    # a template's name may be written with "_" for " " ({{Trang_định_hướng}})
    def name(t: str) -> str:
        rule = re.escape(t.strip("*")).replace(r"\ ", "[ _]")
        return (r"[^{}|\n]*?" if t.startswith("*") else "") + rule + (r"[^{}|\n]*?" if t.endswith("*") else "")
    return re.compile(r"\{\{\s*(?:" + "|".join(name(t) for t in templates) + r")\s*[|}]", re.I) if templates else None


def not_an_article(wikitext: str, title: str, disambig: re.Pattern | None, redirect_element: bool = False) -> str | None:
    """The counter of a page that is no article (`skipped_redirect`, `skipped_disambiguation`), or None."""
    if redirect_element or _REDIRECT_TEXT.match(wikitext):
        return "skipped_redirect"
    if (disambig is not None and disambig.search(wikitext)) or "__DISAMBIG__" in wikitext \
            or title.endswith(DISAMBIGUATION_TITLES):
        return "skipped_disambiguation"
    return None


def default_variant(asked: str | None, dbname: str | None, language: str | None, wikitext: str) -> str | None:
    """The variant -{…}- markup is resolved to: the one asked for; else a dump's wiki's default
    (zhwiki and its sister wikis: "zh", each block's own text; any other wiki: none, its markup is
    another converter's); else, with no wiki named (raw wikitext, a dump without <siteinfo>), "zh"
    for a `language` of zh, and with no language either, "zh" when the page holds -{…}- markup
    none of which names another language's variant (srwiki's -{sr-ec:…;sr-el:…}- is left alone)."""
    if asked:
        return asked
    if dbname:
        return zh_variants.default_variant(dbname)
    if language is not None:
        return zh_variants.UNCONVERTED if language == "zh" else None
    if "-{" not in wikitext:
        return None
    bodies = [m.group(1) for m in _CONVERTER_BLOCK.finditer(wikitext)]
    return zh_variants.UNCONVERTED if bodies and not any(_OTHER_VARIANT.search(b) for b in bodies) else None


def skipped_model(model: str | None) -> str | None:
    """The counter of a page whose content model is not wikitext (`skipped_model_json`, ... from a
    bounded set: `skipped_model_other`), or None for wikitext (or no <model>, as before schema 0.8)."""
    model = (model or "").strip()
    if not model or model in WIKITEXT_MODELS:
        return None
    low = model.lower()
    return "skipped_model_" + (re.sub(r"[^a-z0-9]", "_", low) if low in OTHER_MODELS else "other")


def article_text(opts: WikiOptions, wt: WikitextOptions, wikitext: str, variant: str | None,
                 count: Callable[[str, int], None] | None = None) -> str:
    """An article's clean text: -{…}- variant markup resolved, wikitext to text, OpenCC applied;
    `count` (ReadState.count) is told of markup damage that cost text."""
    if variant:
        wikitext = zh_variants.resolve(wikitext, variant)
    return zh_variants.finish(wikitext_to_text(wikitext, wt, count), opts.opencc)


class _Site:
    """What the dump's <siteinfo> says: database name, URL base, namespace names."""

    def __init__(self, header: bytes, base_url: str | None):
        tags = {k.decode(): html.unescape(v.decode("utf-8", "replace")) for k, v in _SITE_TAG.findall(header)}
        # A database name is lower-case ASCII (enwiki, zh_yuewiki, my_wiki); anything else is a
        # damaged <siteinfo>, and ids fall back as when it is lost (pages_without_siteinfo).
        self.dbname = tags.get("dbname") if _DBNAME.fullmatch(tags.get("dbname") or "") else None
        # zhwiki -> zh, zh_yuewiki -> zh-yue, jawikisource -> ja: how the wiki writes dates
        m = _DB_LANGUAGE.match(self.dbname or "")
        self.language = m.group(1).replace("_", "-") if m else None
        base = base_url or tags.get("base")
        self.url_prefix = base.rsplit("/", 1)[0] + "/" if base and not base_url else base
        names = {int(k): namespace_key(html.unescape(v.decode("utf-8", "replace")))
                 for k, v in _SITE_NS.findall(header)}
        self.ns_by_name = {name: key for key, name in names.items() if name}
        self.file_ns = frozenset(FILE_NAMESPACES | {names[k] for k in (6, -2) if names.get(k)})
        self.category_ns = frozenset(CATEGORY_NAMESPACES | {names[14]} if names.get(14) else CATEGORY_NAMESPACES)

    def namespace_of(self, title: str) -> int:
        """A page's namespace from its title's prefix ("Talk:Foo" -> 1), for dumps of export
        schema 0.5 and older, whose pages have no <ns>; a prefix the siteinfo does not name is
        part of an article's title ("Star Wars: Andor")."""
        prefix, colon, _ = title.partition(":")
        return self.ns_by_name.get(namespace_key(prefix), 0) if colon else 0

    def url(self, title: str) -> str | None:
        return self.url_prefix + quote(title.replace(" ", "_"), safe="/:(),'!*-._~") if self.url_prefix else None


_READ_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)


def _read_dump(opts: MediaWikiReader, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    if not path.lower().endswith(".7z"):
        stream = None
        try:
            stream = open_utf8(path, state, sniff=True)     # compression by content, counted
            head = stream.peek(len(SEVEN_ZIP_MAGIC))[:len(SEVEN_ZIP_MAGIC)]
        except _READ_ERRORS as e:
            if stream is not None:
                stream.close()
            yield _damaged(path, 0, 0, e)
            return
        with stream:
            if head != SEVEN_ZIP_MAGIC:
                yield from _read_pages(opts, src, path, stream, state)
                return
        state.count("compression_by_content")                # a .7z under another name
    yield from _read_seven_zip(opts, src, path, state)


def _damaged(path: str, pages: int, offset: int, e: BaseException) -> Quarantined:
    # bz2 reports a cut-off file as EOFError: every page before the damage has been yielded
    return Quarantined("corrupt_compression", f"{path}: after {pages} pages (offset ~{offset}): "
                       f"{type(e).__name__}: {e}", offset)


def _read_pages(opts: MediaWikiReader, src, path: str, stream, state: ReadState) -> Iterator[Doc | Quarantined]:
    """The pages of one dump stream (decompressed), framed and read; damage of the stream ends it
    in one `corrupt_compression` item after the pages read before it."""
    wt = WikitextOptions(keep_infobox=opts.keep_infobox, drop_sections=frozenset(s.lower() for s in opts.drop_sections))
    disambig = disambiguation_pattern(opts.disambiguation_templates)
    site = _Site(b"", opts.base_url)
    pages = 0
    last_offset = 0
    try:
        for kind, data, offset in frame_pages(stream, src.max_doc_bytes):
            last_offset = offset
            if kind == "header":
                site = _Site(data, opts.base_url)
                wt = WikitextOptions(keep_infobox=wt.keep_infobox, drop_sections=wt.drop_sections,
                                     file_namespaces=site.file_ns, category_namespaces=site.category_ns,
                                     language=site.language)
                continue
            if kind == "unclosed":
                yield Quarantined("truncated_dump", f"{path}: no </mediawiki> after {pages} pages "
                                  "(truncated between pages, or not a MediaWiki dump)", offset)
                continue
            pages += 1
            if kind == "page":
                yield from _page(opts, site, wt, disambig, src, data, offset, state, path)
                continue
            title, page_id = page_names(data)
            if kind == "too_large":
                what = ("its last revision (the one read, with the page's title and id) is" if b"<revision>" in data
                        else "<page> holds no <revision> within")
                yield _page_item("too_large", f"{what} over max_doc_bytes {src.max_doc_bytes}",
                                 site, src, path, title, page_id, data, offset, size=src.max_doc_bytes)
            elif kind == "unopened":
                yield _page_item("malformed_page", "</page> without its <page> (a damaged tag)",
                                 site, src, path, title, page_id, data, offset)
            elif kind == "unterminated":
                yield _page_item("malformed_page", "<page> without </page> before the next <page>",
                                 site, src, path, title, page_id, data, offset)
            else:
                yield _page_item("truncated_dump", f"dump ends inside this <page> after {pages - 1} pages",
                                 site, src, path, title, page_id, data, offset)
    except _READ_ERRORS as e:
        yield _damaged(path, pages, last_offset, e)


def _page_item(reason: str, what: str, site: _Site, src, path: str, title: str | None, page_id: str | None,
               data: bytes, offset: int, size: int | None = None) -> Quarantined:
    """The quarantine item of one page: its detail names the page's title and id (where its bytes
    still hold them), its id is the one the page's document would have had (`enwiki:12`)."""
    name = f"page {page_id or '(no id)'}" + (f' "{" ".join(title.split())[:200]}"' if title else "")
    return Quarantined(reason, f"{path}: {name}: {what}", offset,
                       f"{site.dbname or src.name}:{page_id}" if page_id else None,
                       len(data) if size is None else size, data[:SAMPLE])


def _read_seven_zip(opts: MediaWikiReader, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """A dump in a .7z (Wikimedia ships pages-meta-history so): each member read as a dump stream,
    as it is decoded (seven_zip.seven_zip_members). An archive that cannot be listed (7z keeps its index at
    the end: a .7z cut short loses every member) or decoded is one `corrupt_archive` item; damage
    inside a member's data ends that member as damage ends any dump (`corrupt_compression`)."""
    import py7zr
    members, member = seven_zip_members(path, CHUNK), None
    try:
        while True:
            try:
                member, stream = next(members)
            except StopIteration:
                return
            except Exception as e:  # noqa: BLE001 - py7zr raises its own, lzma's, zlib's, bcj's errors
                damage = not isinstance(e, (py7zr.exceptions.UnsupportedCompressionMethodError,
                                            py7zr.exceptions.PasswordRequired)) \
                    and not (isinstance(e, OSError) and e.errno is not None)
                where = f" (after member {member})" if member is not None else ""
                yield Quarantined("corrupt_archive", f"{path}{where}: "
                                  f"{'the 7z archive is truncated or damaged: ' * damage}"
                                  f"{type(e).__name__}: {' '.join(str(e).split())}", 0, path)
                return
            yield from _read_pages(opts, src, f"{path}:{member}", stream, state)
    finally:
        members.close()             # a reader that stops early: the decoding thread ends


def _page(opts, site: _Site, wt: WikitextOptions, disambig, src, data: bytes, offset: int,
          state: ReadState, path: str) -> Iterator[Doc | Quarantined]:
    try:
        page = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as e:
        yield _page_item("malformed_page", f"<page> is not well-formed XML: {' '.join(str(e).split())}",
                         site, src, path, *page_names(data), data, offset)
        return
    title, ns, page_id = page.findtext("title"), page.findtext("ns"), page.findtext("id")
    if ns is None and title:                                  # export schema <= 0.5: no <ns> element
        ns = str(site.namespace_of(title))
    revisions = page.findall("revision")
    if not title or ns is None or not (page_id or "").strip().isdigit() or not revisions \
            or not ns.strip().lstrip("-").isdigit():
        missing = [n for n, v in (("title", title), ("ns", ns), ("id", page_id), ("revision", revisions)) if not v]
        yield _page_item("malformed_page", f"<page> lacks or has an invalid {', '.join(missing) or 'ns/id'}",
                         site, src, path, title, _digits(page_id), data, offset)
        return
    if int(ns) not in opts.namespaces:
        state.count(f"skipped_namespace_{int(ns)}")
        return
    rev = revisions[-1]          # history dumps list every revision; the last is the newest
    if skip := skipped_model(rev.findtext("model")):        # JSON, CSS, Lua, Wikidata items: not wikitext
        state.count(skip)
        return
    text_el = rev.find("text")
    if text_el is None or text_el.get("deleted"):
        # <text deleted="deleted"/>: the revision's text was suppressed; no <text> at all: an
        # export that left it out
        state.count("skipped_no_text" if text_el is None else "skipped_deleted_text")
        return
    if not text_el.text and _stub_text(text_el):
        # A stub dump (stub-articles, stub-meta-*) lists pages and revisions without their text:
        # <text bytes="5230" id="1234" location="tt:1234"/> points at where it is stored. Its
        # pages-articles dump is the one to read; said by its own counter, not as empty pages.
        state.count("skipped_stub_dump_page")
        return
    wikitext = text_el.text or ""
    if skip := not_an_article(wikitext, title, disambig, page.find("redirect") is not None):
        state.count(skip)
        return
    try:
        variant = default_variant(opts.language_variant, site.dbname, site.language, wikitext)
        timestamp = (rev.findtext("timestamp") or "").strip()
        page_wt = replace(wt, as_of=timestamp[:10]) if _DATE.match(timestamp) else wt
        text = article_text(opts, page_wt, wikitext, variant, state.count)
    except Exception as e:  # mwparserfromhell raises its own ParserError and, on odd input, others
        yield _page_item("wikitext_parse_error", f"{type(e).__name__}: {' '.join(str(e).split())}",
                         site, src, path, title, page_id.strip(), data, offset)
        return
    if not text.strip():
        state.count("skipped_transclusion_only" if _TRANSCLUSION.search(wikitext) else "skipped_empty_after_cleaning")
        return
    page_id = page_id.strip()
    meta = {"title": title, "page_id": int(page_id), "revision_id": _int(rev.findtext("id")),
            "timestamp": rev.findtext("timestamp"), "wiki": site.dbname, "namespace": int(ns)}
    if variant:
        meta["language_variant"] = variant
    url = site.url(title)
    if site.dbname is None:
        # No <dbname> (a damaged first block, or an export without siteinfo): the id falls back to
        # the source's name, which the stats say, since the same page then has another id.
        state.count("pages_without_siteinfo")
    yield Doc(f"{site.dbname or src.name}:{page_id}", url, text=text, metadata={**meta, "url": url})


def _int(s: str | None) -> int | None:
    return int(s) if s and s.strip().isdigit() else None


def _digits(s: str | None) -> str | None:
    return s.strip() if s and s.strip().isdigit() else None


def _stub_text(text_el) -> bool:
    """Whether an empty <text> element is a stub dump's pointer to text stored elsewhere (its
    `location`, or a size: `<text bytes="5230" id="1234" />`), not an empty revision
    (`<text bytes="0" xml:space="preserve" />`)."""
    size = (text_el.get("bytes") or "").strip()
    return bool(text_el.get("location")) or (size.isdigit() and int(size) > 0)
