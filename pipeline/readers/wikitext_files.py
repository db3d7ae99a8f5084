"""Wikitext files: one article's raw wikitext a file (`.wiki`, `.wikitext`, `.txt`, compressed or not),
as exports, API dumps (`action=raw`) and wiki test corpora keep them; one document each.

The article rules are the dump reader's (`mediawiki.not_an_article`, `article_text`): redirects
and disambiguation pages are skipped and counted, the infobox and the dropped sections go as
there, -{…}- variant markup is resolved to `language_variant`, and when it is not set, as a zhwiki
dump's is, to each block's own text (MediaWiki's unconverted "zh" view) if `language` is zh, or,
with no `language`, if the file holds -{…}- markup that names no other language's variants
(`mediawiki.default_variant`). The title is the file's name without its extensions, underscores
read as spaces; the id is the file's path.

A file carries no wiki's name, so without `language` the article's own script says which wiki's
rendering it gets (dates as 1950年1月2日, zhwiki's "英语：" before {{lang-en}}, flags by their
Chinese or Japanese names): a template named in kana exists on jawiki alone ({{生年月日と年齢}},
{{仮リンク}}) and {{NoteTA}} on zhwiki alone; else prose mostly in Han and kana is Japanese when
kana are a good part of it (Chinese text quotes a Japanese name at most), Chinese otherwise, and
a file whose -{…}- markup is resolved as zhwiki's is Chinese. Other scripts leave it unset.
Hand-written: a language identifier reads the text after rendering, and the rendering needs it.

Wikitext copied out of an XML dump's <text> element keeps the dump's escaping (`&lt;ref&gt;`,
`&lt;!-- … --&gt;`, `&amp;nbsp;`; wtf_wikipedia's test articles are written so): parsed as it is, its
citations and comments would be text. A file whose markup is all escaped (tags written `&lt;ref`,
`&lt;/`, `&lt;!--` and none written `<ref`) is unescaped once, as the dump reader's XML parser
does, and counted `wikitext_unescaped`; a file with a raw tag keeps its `&lt;div&gt;` as text (an
article about HTML showing markup).
"""
from __future__ import annotations

import posixpath
import re
from typing import Iterator
from xml.sax.saxutils import unescape

from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, read_document, with_compression
from pipeline.readers.decode_files import decode_text_bytes
from pipeline.readers.mediawiki import (WikiOptions, article_text, default_variant, disambiguation_pattern,
                                        not_an_article)
from pipeline.readers.wikitext import HTML_TAG_NAMES, WikitextOptions
from pipeline.readers.wikitext_rules import strip_dropped_blocks

# A tag as wikitext writes it (a comment's start, or an HTML or extension tag by name), raw or
# escaped as an XML dump escapes it. By name, so that "a <b" or "x &lt; y" in prose is no tag.
_TAG_NAMES = "|".join(sorted(HTML_TAG_NAMES, key=len, reverse=True))
_RAW_TAG = re.compile(rf"<(?:!--|/?(?:{_TAG_NAMES})(?=[\s/>]))", re.I)
_ESCAPED_TAG = re.compile(rf"&lt;(?:!--|/?(?:{_TAG_NAMES})(?=[\s/]|&gt;))", re.I)
# The five entities XML escapes (a dump escapes & < > and "): unescaped once, so that the
# wikitext's own `&nbsp;` (`&amp;nbsp;` in the dump) stays an entity of the wikitext.
_XML_ENTITIES = {"&quot;": '"', "&apos;": "'"}
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")
_TEMPLATE_NAME = re.compile(r"\{\{\s*([^{}|\n]+?)\s*(?=[|}])")
# A Han or kana character stands for a word as much as four or five Latin letters do: an article whose
# prose is a fifth Han and kana by count is a Chinese or Japanese one (zh/ja articles measure past one
# half with their English markup and citation titles, English ones with a Chinese name under 0.02).
CJK_SHARE = 0.2
# Japanese prose writes a third to a half of its characters in kana; a Chinese page quoting Japanese
# titles, or with a Japanese banner line (7 to 12 %: test_hant_probe24), stays below this.
KANA_SHARE = 0.15


class WikitextReader(WikiOptions):
    """Files of raw wikitext, one article each: one clean-text document per article."""
    name = "wikitext"
    # 2: the mediawiki reader's 3 (fr/de/zh inline templates, ambiguous section names, nested -{…}-)
    # 3: files of dump-escaped wikitext unescaped; old-style dates and text templates rendered
    # 4: the mediawiki reader's 5 (coord, RailGauge, sic, bibleref; zh/ja templates, -{…}- across a
    #    blank line, NoteTA); without `language`, zh or ja from the article's script
    # 5: the mediawiki reader's 6 (the legacy {{bibleverse}} form)
    version = "5"
    data_suffixes = with_compression(".wiki", ".wikitext", ".mediawiki", ".txt")
    language: str | None = Field(default=None, description="the wiki's language (zh, ja: dates as "
                                                           "1950年1月2日 in date templates); default: zh or ja "
                                                           "from the article's script, else none")

    def read(self, path, src, state):
        return _read_article(self, src, path, state)


def _title(path: str) -> str:
    name = posixpath.basename(path)
    ext = max((e for e in WikitextReader.data_suffixes if name.lower().endswith(e)), key=len, default="")
    return name[:len(name) - len(ext)].replace("_", " ")


def _read_article(opts: WikitextReader, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_document(src, path, state)
    if isinstance(body, Quarantined):
        yield body
        return
    wikitext, charset, _kind = decode_text_bytes(body)
    if wikitext is None:
        yield Quarantined("bad_encoding", f"{path}: {charset}", 0, path, len(body), body[:65536])
        return
    if _escaped_markup(wikitext):
        wikitext = unescape(wikitext, _XML_ENTITIES)
        state.count("wikitext_unescaped")
    title = _title(path)
    if skip := not_an_article(wikitext, title, disambiguation_pattern(opts.disambiguation_templates)):
        state.count(skip)
        return
    language = opts.language or script_language(wikitext)
    # a file read as Japanese has its -{…}- read as before, when no language was known: as zhwiki's
    # when it names no other converter's variants
    variant = default_variant(opts.language_variant, None, opts.language or (language if language == "zh" else None),
                              wikitext)
    if language is None and variant:
        language = "zh"
    wt = WikitextOptions(keep_infobox=opts.keep_infobox, drop_sections=frozenset(s.lower() for s in opts.drop_sections),
                         language=language)
    try:
        text = article_text(opts, wt, wikitext, variant)
    except Exception as e:  # noqa: BLE001 - mwparserfromhell raises its own ParserError and, on odd input, others
        yield Quarantined("wikitext_parse_error", f"{path}: {type(e).__name__}: {e}", 0, path, len(body),
                          body[:65536])
        return
    if not text.strip():
        state.count("skipped_empty_after_cleaning")
        return
    meta = {"title": title, "file": path}
    if variant:
        meta["language_variant"] = variant
    yield Doc(path, None, text=text, metadata=meta)


def script_language(wikitext: str) -> str | None:
    """zh or ja, the wiki an article's wikitext is from as its templates and script say, or None."""
    names = _TEMPLATE_NAME.findall(wikitext) if "{{" in wikitext else []
    if any(_KANA.search(n) for n in names):
        return "ja"
    if any(n.lower() == "noteta" for n in names):
        return "zh"
    prose = strip_dropped_blocks(wikitext)
    kana, han = len(_KANA.findall(prose)), len(_HAN.findall(prose))
    cjk = kana + han
    if not cjk or cjk < CJK_SHARE * (cjk + len(_LATIN.findall(prose))) or len(_HANGUL.findall(prose)) > cjk:
        return None
    return "ja" if kana >= KANA_SHARE * cjk else "zh"


def _escaped_markup(wikitext: str) -> bool:
    """Whether the file's markup is XML-escaped throughout: escaped tags and no raw one."""
    return "&lt;" in wikitext and _ESCAPED_TAG.search(wikitext) is not None and _RAW_TAG.search(wikitext) is None
