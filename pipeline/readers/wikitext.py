"""Wikitext to plain text, on mwparserfromhell's parse tree.

mwparserfromhell parses the markup (templates, links, tags, tables, headings, list markers); what
it does not decide is what a pretraining corpus keeps. `strip_code()` keeps table cells, image
captions and category names and drops headings' line structure, so we walk the tree ourselves:
templates, `<ref>`, tables, files/images, categories, interlanguage links, comments and navboxes
go; headings become their own line, list items (wikitext's and HTML's <li>) a line starting with
"- "; HTML tags the parser leaves as text (unclosed ones) go; the infobox is kept as
"key: value" lines or dropped (option); a handful of inline templates whose argument is running
text ({{lang|de|Wort}}, {{nowrap|...}}) keep that text so sentences stay whole. Sections that are
only references and link lists ("References", "External links", ...) are dropped by name (a
name that is content on some pages, "Literatur", "来源", only when its section reads as back matter:
AMBIGUOUS_SECTIONS).

Before parsing, comments, `<ref>` citations and `{| … |}` tables are cut and bold/italic quote
runs balanced line by line, and after rendering the text is tidied: those passes on the text, and
the namespace, language and section names the walk looks up, are in wikitext_rules.py. One more
thing is settled before the parse because mwparserfromhell decides it differently from MediaWiki
and then gives up on the template around it: a parser function's name ends at its colon
(`{{ #expr: … }}` over several lines is otherwise not a template to the parser).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable

import mwparserfromhell
from mwparserfromhell.nodes import (Argument, Comment, ExternalLink, Heading, HTMLEntity, Tag, Template,
                                    Text, Wikilink)

from pipeline.readers import wiki_templates
from pipeline.readers.wikitext_rules import (AMBIGUOUS_SECTIONS, CATEGORY_NAMESPACES, FILE_NAMESPACES, INDENT,
                                             LITERAL_CLOSE, LITERAL_OPEN, REMOVAL_MARKED_AFTER, REMOVED,
                                             SISTER_PROJECTS,
                                             SPACED_PUNCTUATION_LANGUAGES, WIKIPEDIA_LANGUAGES, _heading_key,
                                             balance_quotes, dropped_heading, namespace_key, strip_dropped_blocks,
                                             tidy)

# Tags whose content is not running text. A <ruby>'s reading (<rt>, and the <rp> brackets around it
# for browsers without ruby) goes, as {{ruby}} shows its base text only: "漢字", not "漢字かんじ".
DROP_TAGS = {"ref", "references", "gallery", "imagemap", "timeline", "score", "templatestyles",
             "graph", "mapframe", "maplink", "indicator", "categorytree", "noinclude", "section",
             "table", "style", "script", "inputbox", "charinsert", "hiero", "rt", "rp"}
# Inline templates whose last positional argument is the text itself ({{lang|fr|mot}}).
TEXT_TEMPLATES = {"lang", "nowrap", "nobr", "nobreak", "small", "smaller", "big", "larger", "transl",
                  "transliteration", "lang-rtl", "rtl-lang", "wikt-lang", "script", "serif", "sans-serif",
                  "noitalic", "not a typo", "as written", "keypress", "mvar", "math", "var",
                  "polytonisch", "large", "midsize", "huge", "nastaliq", "nq"}
# Block quotations: their text (the first positional argument or text=/quote=) is running text.
QUOTE_TEMPLATES = {"quote", "blockquote", "quotation", "cquote", "quote box", "quotebox", "poem quote", "bquote",
                   "pull quote", "squote", "цитата", "zitat", "citation bloc"}
# Inline templates whose arguments are a value in the sentence ({{convert|14|km|mi}} -> "14 km").
VALUE_TEMPLATES = {"convert", "cvt", "nihongo"}
# Inline templates whose first argument is code or TeX, kept as written like <code> and <math>.
LITERAL_TEMPLATES = {"code", "tmath"}
# Inline templates that show their first argument (abbreviations; links to other wikis, which show
# a label= when given, are in wiki_templates).
FIRST_ARG_TEMPLATES = {"abbr", "abbrlink", "tooltip"}
# Infobox fields that name files or layout, not facts (jawiki and zhwiki name theirs in their language).
INFOBOX_MEDIA_KEYS = ("image", "logo", "map", "signature", "alt", "caption", "coordinates", "pushpin", "footnotes",
                      "画像", "署名", "地図", "图像", "圖像", "图片", "圖片", "签名", "簽名", "地图", "地圖")
# Infoboxes by name: enwiki's "Infobox …" (any case, as other wikis copy it), jawiki's "基礎情報 …",
# zhwiki's "…信息框" / "…資訊框". Infoboxes named otherwise (jawiki {{政治家}}, {{日本の市}}) are
# dropped with the other templates: no naming tells them from the rest.
INFOBOX_PREFIXES = ("infobox", "基礎情報")
INFOBOX_WORDS = ("信息框", "資訊框", "资讯框")
_MEDIA_FILE = re.compile(r"\.(?:jpe?g|png|gif|svg|tiff?|webp|xcf|ogg|ogv|oga|webm|mp3|wav|flac|mid|pdf|djvu)\s*$", re.I)
_LIST_MARKS = ("*", "#", ":", ";")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")
# A superscript that is an exponent: a number, or an expression with an operator (2<sup>7</sup>,
# 10<sup>−6</sup>, a<sup>p − 1</sup>); flattened they read as other numbers ("27 = 128"). A number
# is written in superscript digits, as the page shows it (2⁷, km², 10⁻⁶), an expression after a
# caret (a^(p − 1)). Letters alone are ordinals and marks (1<sup>st</sup>, 2<sup>e</sup>, and
# x<sup>n</sup> too), a bracket a note: flattened as before.
_EXPONENT = re.compile(r"[−\-+]?\d+|[^\[\]()]*\w\s*[−\-+=×/*]\s*\w[^\[\]]*")
_PARSER_FUNCTION = re.compile(r"(\{\{\s*#[a-z]+):", re.I)
# HTML tags the parser left as text (unclosed, or their partner cut with a table): never text.
# Names listed so that "a <b" or "x<y>z" in prose is left alone; an <li>, <dt> or <dd> is an item.
HTML_TAG_NAMES = {"div", "span", "p", "br", "hr", "center", "font", "small", "big", "b", "i", "u", "s", "strike",
                  "sub", "sup", "tt", "code", "kbd", "samp", "var", "em", "strong", "abbr", "cite", "q", "mark",
                  "ins", "del", "bdi", "bdo", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
                  "td", "th", "caption", "tbody", "thead", "poem", "ruby", "rb", "wbr", "time", "data", "section",
                  "includeonly", "onlyinclude", "noinclude", "nowiki", "gallery", "references", "ref", "pre",
                  "syntaxhighlight", "source", "math", "chem", "ce", "templatestyles", "score", "timeline"}
_STRAY_TAG = re.compile(r"<(/?)([a-zA-Z]+)\b[^<>\n]*?/?>")
_BLOCK_TAGS = {"p", "div", "blockquote", "poem", "center", "pre", "ul", "ol", "dl", "li", "dt", "dd",
               "syntaxhighlight", "source", "table", "tr", "caption", "br", "hr"}


@dataclass(frozen=True)
class WikitextOptions:
    keep_infobox: bool = False
    drop_sections: frozenset[str] = frozenset()
    file_namespaces: frozenset[str] = frozenset(FILE_NAMESPACES)
    category_namespaces: frozenset[str] = frozenset(CATEGORY_NAMESPACES)
    language: str | None = None       # the wiki's language (zh, ja: dates as 1950年1月2日; see wiki_templates)
    as_of: str | None = None          # the revision's date (YYYY-MM-DD): {{age|1950|1|2}} is counted to it


@dataclass
class _Out:
    parts: list[str] = field(default_factory=list)
    list_depth: int = 0          # <ul>/<ol> levels open: an <li>'s indentation

    def add(self, s: str) -> None:
        if s:
            self.parts.append(s)

    def line_break(self) -> None:
        """A new line, unless the text so far ends with one."""
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")


def template_name(t: Template) -> str:
    return str(t.name).strip().replace("_", " ").lower()


def wikitext_to_text(wikitext: str, opts: WikitextOptions, count: Callable[[str], None] | None = None) -> str:
    """Clean text of one page's wikitext; `count` (a reader's ReadState.count) is told of the
    markup damage that cost text (`wikitext_unclosed_tables`)."""
    wikitext = balance_quotes(strip_dropped_blocks(wikitext, count))
    if "#" in wikitext:
        # {{ #expr: a\n+ b}}: the parser reads a template's name up to "|", and a name may not
        # span lines; a parser function's name ends at its colon (they are dropped either way)
        wikitext = _PARSER_FUNCTION.sub(r"\1|", wikitext)
    code = mwparserfromhell.parse(wikitext)
    out = _Out()
    _render(code.nodes, out, opts, top=True)
    return tidy("".join(out.parts), spaced_punctuation=opts.language in SPACED_PUNCTUATION_LANGUAGES)


def _render(nodes, out: _Out, opts: WikitextOptions, top: bool = False) -> None:
    skip_level = 0   # inside a dropped section: heading level that opened it
    headings: list[tuple[int, int] | None] = []     # (part index, level) of a heading shown; None: one dropped
    top_dropped = False      # the last level-2 section was dropped: what follows may be back matter
    rendered_to = 0          # nodes before this index are in `out` already (a kept section's body)
    for i, node in enumerate(nodes):
        if i < rendered_to:
            continue
        if isinstance(node, Heading):
            title = _plain(node.title, opts).strip()
            if skip_level and node.level > skip_level:
                continue
            skip_level = 0
            kept = None
            if top and dropped_heading(title, opts.drop_sections):
                kept = _content_section(nodes, i, title, opts, after_dropped=top_dropped)
                if kept is None:
                    skip_level = node.level
                    headings.append(None)
                    top_dropped = top_dropped or node.level <= 2
                    continue
            top_dropped = top_dropped and node.level > 2
            headings.append((len(out.parts), node.level))
            out.add(f"\n\n{title}")
            if kept:
                rendered_to, body = kept
                out.parts += body
            continue
        if skip_level:
            continue
        if isinstance(node, Text):
            value = str(node.value)
            out.add(_stray_tags(value, out) if "<" in value else value)
        elif isinstance(node, Wikilink):
            _link(node, out, opts)
        elif isinstance(node, Tag):
            if node.wiki_markup in _LIST_MARKS:
                _list_item(nodes, i, out)
            else:
                _tag(node, out, opts)
        elif isinstance(node, Template):
            before = len(out.parts)
            _template(node, out, opts)
            if len(out.parts) == before:
                _mark_removed(out)
        elif isinstance(node, HTMLEntity):
            out.add(node.normalize())
        elif isinstance(node, ExternalLink):
            if node.title is not None:
                _render(node.title.nodes, out, opts)
        elif isinstance(node, (Comment, Argument)):
            continue
        else:  # parser nodes added in later versions: keep their text, never their markup
            out.add(_plain_str(str(node)))
    if top and None in headings:
        _drop_emptied_headings(out, headings)


def _content_section(nodes, i: int, title: str, opts: WikitextOptions,
                     after_dropped: bool) -> tuple[int, list[str]] | None:
    """Whether the section at nodes[i], named by an ambiguous back-matter name, is content to keep:
    not inside the back matter (`after_dropped`: the level-2 section before it was dropped), and more
    prose than list items, its subsections' included (its templates and citations render to nothing,
    so a section of them is no prose either). None when it is not; when it is, (the index of the
    node after its body, its body's rendered parts) to go after its heading, so that it is rendered
    once: a body without subsections, rendered after the heading as the page's walk renders it,
    else (0, []) and the walk renders it again, its subsections each shown or dropped by name."""
    if _heading_key(title) not in AMBIGUOUS_SECTIONS:
        return None
    level = nodes[i].level
    if level <= 2 and after_dropped and all(dropped_heading(_plain(h.title, opts), opts.drop_sections)
                                            for h in nodes[i + 1:] if isinstance(h, Heading) and h.level <= 2):
        return None
    end = next((j for j in range(i + 1, len(nodes)) if isinstance(nodes[j], Heading) and nodes[j].level <= level),
               len(nodes))
    section = nodes[i + 1:end]
    flat = not any(isinstance(n, Heading) for n in section)
    # After the heading's own part, as in the page's walk: what a node renders may depend on the
    # part before it (a line break, a gap mark); the measure below reads the same lines either way.
    body = _Out([f"\n\n{title}"] if flat else [])
    _render(section if flat else [n for n in section if not isinstance(n, Heading)], body, opts)
    parts = body.parts[1:] if flat else body.parts
    prose = items = 0
    for line in tidy("".join(parts)).split("\n"):
        if line.startswith(("- ", " ")):
            items += len(line)
        else:
            prose += len(line)
    if prose <= items:
        return None
    return (end, parts) if flat else (0, [])


def _drop_emptied_headings(out: _Out, headings: list[tuple[int, int] | None]) -> None:
    """A heading whose sections were all dropped (frwiki's "Annexes" above "Notes et références",
    "Bibliographie", "Liens externes") goes too: nothing but whitespace up to the next heading at
    its level or above (or the page's end), and a dropped one among its subsections. A heading
    its author left empty stays. Last first, so a heading emptied by another's removal goes too."""
    next_shown: tuple[int, int] | None = None       # the nearest heading below still shown
    dropped_since = False
    for k in range(len(headings) - 1, -1, -1):
        h = headings[k]
        if h is None:
            dropped_since = True
            continue
        part, level = h
        end = next_shown[0] if next_shown else len(out.parts)
        empty = not "".join(out.parts[part + 1:end]).replace(REMOVED, "").strip()
        if empty and dropped_since and (next_shown is None or next_shown[1] <= level):
            out.parts[part] = ""
            continue
        next_shown, dropped_since = h, False


def _mark_removed(out: _Out) -> None:
    """REMOVED after a space, an opening bracket or a separator: a gap the removal may have left
    before ; : ! ?, or a bracket it left empty or starting with a separator (see tidy)."""
    if out.parts and out.parts[-1][-1:] in REMOVAL_MARKED_AFTER:
        out.add(REMOVED)


def _plain(code, opts: WikitextOptions) -> str:
    out = _Out()
    _render(code.nodes, out, opts)
    return "".join(out.parts)


def _arg(code, opts: WikitextOptions) -> str:
    """A template argument's text, as a value: without REMOVED ({{birth date|1950 <ref>…</ref>|1|2}})."""
    return _plain(code, opts).replace(REMOVED, "").strip()


def _plain_str(s: str) -> str:
    return html.unescape(mwparserfromhell.parse(s).strip_code())


def _link(node: Wikilink, out: _Out, opts: WikitextOptions) -> None:
    title = str(node.title).strip()
    visible = title.startswith(":")            # [[:Category:X]] is a link shown in the text
    prefix, sep, _ = title.lstrip(":").partition(":")
    ns = namespace_key(prefix) if sep else ""
    if ns in SISTER_PROJECTS and not visible:          # [[wikt:word|label]]: the label, else the word
        if node.text is not None and str(node.text).strip():
            _render(node.text.nodes, out, opts)
        else:
            out.add(html.unescape(title.rsplit(":", 1)[-1].strip()))
        return
    if ns and not visible:
        if ns in opts.file_namespaces or ns in opts.category_namespaces or ns in WIKIPEDIA_LANGUAGES \
                or _MEDIA_FILE.search(title.split("|")[0]):     # [[Lêer:x.jpg|…]]: a file in any language
            _mark_removed(out)
            return
    if node.text is not None and str(node.text).strip():
        _render(node.text.nodes, out, opts)
    elif node.text is not None:     # pipe trick: [[Paris, Texas|]] shows "Paris", [[Help:X (y)|]] "X"
        out.add(html.unescape(_PARENTHESIS.sub("", title.lstrip(":").split(":", 1)[-1]).split(",")[0].strip()))
    else:                                      # shown as written: [[OS&nbsp;X]] reads "OS X"
        out.add(html.unescape(title.lstrip(":")))


def _is_list_mark(node) -> bool:
    return isinstance(node, Tag) and node.wiki_markup in _LIST_MARKS


def _list_item(nodes, i: int, out: _Out) -> None:
    """A line's list markers: the parser gives one Tag a marker (`** b` is two "*" tags), and the item
    is shown once, at the run's last: "- " for a bullet or a number, indented two spaces a level
    past the first (`** b` reads "  - b", `#* c` too; `* a` and `:* d`, one level, "- a", "- d"). A
    run ending in ":" or ";" shows no marker: a definition list, or a continuation of the item above
    (`#: more` is not an item of its own)."""
    if i + 1 < len(nodes) and _is_list_mark(nodes[i + 1]):
        return
    if nodes[i].wiki_markup not in ("*", "#"):
        return
    depth, j = 0, i
    while j >= 0 and _is_list_mark(nodes[j]):
        depth += nodes[j].wiki_markup in ("*", "#")
        j -= 1
    out.add(INDENT * (depth - 1) + "- ")


def _stray_tags(text: str, out: _Out) -> str:
    """HTML tags left as text: an item's start as a list item's (see _list_item), a block's a line
    break, the others nothing."""
    def tag(m: re.Match) -> str:
        name = m.group(2).lower()
        if name not in HTML_TAG_NAMES:
            return m.group(0)
        if name == "li" and not m.group(1):
            return "\n" + _item_mark(out)      # an unclosed <li> inside a list: the parser's text
        return "\n" if name in _BLOCK_TAGS else ""
    return _STRAY_TAG.sub(tag, text)


def _item_mark(out: _Out) -> str:
    return INDENT * max(out.list_depth - 1, 0) + "- "


def _tag(node: Tag, out: _Out, opts: WikitextOptions) -> None:
    name = str(node.tag).strip().lower()
    if name in DROP_TAGS:
        _mark_removed(out)
        return
    if name == "br":
        out.add("\n")
        return
    if name in ("li", "dd", "dt"):
        # an HTML list's item, shown as a wikitext list's: "- " (a number too), a definition list's
        # term and definition on their own lines without one; `<li>` unclosed is an item all the same
        out.line_break()
        out.add(_item_mark(out) if name == "li" else "")
        if not node.self_closing and node.contents is not None:
            _render(node.contents.nodes, out, opts)
        return
    if name in ("ul", "ol", "dl") and node.contents is not None:
        # items a line each, as a wikitext list's: the whitespace between them is no text
        nested = name != "dl"
        out.list_depth += nested
        _render([n for n in node.contents.nodes if not (isinstance(n, Text) and not n.value.strip())], out, opts)
        out.list_depth -= nested
        out.line_break()
        return
    if name == "hr":
        out.add("\n")
        return
    if node.self_closing or node.contents is None:
        return
    block = name in ("p", "div", "blockquote", "poem", "center", "pre", "ul", "ol", "dl", "li", "syntaxhighlight",
                     "source")
    if block:
        out.add("\n")
    if name == "sup" and _EXPONENT.fullmatch(exponent := _plain(node.contents, opts).replace(REMOVED, "").strip()):
        out.add(exponent.translate(wiki_templates.SUPERSCRIPT) if exponent.lstrip("−-+").isdigit() else f"^({exponent})")
        return
    if name in ("pre", "nowiki", "syntaxhighlight", "source", "code", "math", "chem", "ce"):
        # literal content, not wikitext: kept as written (see tidy); <code> holds wikitext
        # (<code>''x''</code> shows an italic x), its rendering is kept as it comes out
        literal = _plain(node.contents, opts) if name == "code" else html.unescape(str(node.contents))
        out.add(f"{LITERAL_OPEN}{literal.strip(chr(10)) if block else literal}{LITERAL_CLOSE}")
    else:
        _render(node.contents.nodes, out, opts)
    if block:
        out.add("\n")


def _positional(node: Template) -> list:
    """A template's positional arguments in order, those given by number too: {{nowrap|1=E = mc}}
    (written so when the text holds "=") is {{nowrap|E = mc}}; a number given twice, the last."""
    by_number: dict[int, object] = {}
    unnamed = 0
    for p in node.params:
        if not p.showkey:
            unnamed += 1
            by_number[unnamed] = p
        elif (key := str(p.name).strip()).isdigit():
            by_number[int(key)] = p
    return [by_number[k] for k in sorted(by_number)]


def _template(node: Template, out: _Out, opts: WikitextOptions) -> None:
    name = template_name(node)
    if opts.keep_infobox and (name.startswith(INFOBOX_PREFIXES) or any(w in name for w in INFOBOX_WORDS)):
        lines = []
        for p in node.params:
            if not p.showkey:
                continue
            value = tidy(_plain(p.value, opts), final=False,
                         spaced_punctuation=opts.language in SPACED_PUNCTUATION_LANGUAGES).replace("\n", " ")
            key = str(p.name).strip().replace("_", " ")
            if value and not any(w in key.lower() for w in INFOBOX_MEDIA_KEYS):
                lines.append(f"{key}: {value}")
        out.add("\n" + "\n".join(lines) + "\n\n")
        return
    positional = _positional(node)
    if name in QUOTE_TEMPLATES:
        body = next((p.value for p in node.params if str(p.name).strip() in ("text", "quote")), None)
        if body is None and positional:
            body = positional[0].value
        if body is not None:
            out.add("\n" + _plain(body, opts) + "\n")
        return
    args = [_arg(p.value, opts) for p in positional[:8]] if name in VALUE_TEMPLATES else []
    if name in ("convert", "cvt") and args:       # {{convert|14|km|mi}}: the value as written
        out.add(wiki_templates.convert_text(args))
    elif name in LITERAL_TEMPLATES and (first := next((p for p in node.params if str(p.name).strip() == "1"), None)):
        value = first.value
        literal = _plain(value, opts) if name == "code" else html.unescape(str(value))
        out.add(f"{LITERAL_OPEN}{literal.strip()}{LITERAL_CLOSE}")
    elif name == "nihongo" and args:                        # {{nihongo|English|日本語|romaji}}
        out.add(args[0] + (f" ({args[1]})" if len(args) > 1 and args[1] else ""))
    elif name in FIRST_ARG_TEMPLATES and positional:
        out.add(_plain(positional[0].value, opts))
    elif (name in TEXT_TEMPLATES or name.startswith(("lang-", "script/"))) and positional:
        # zhwiki's {{lang-en|x}} names the language first, "英语：x"
        label = wiki_templates.language_label(name[5:], opts.language) if name.startswith("lang-") else ""
        out.add(label + _plain(positional[-1].value, opts))
    elif wiki_templates.renders(name, opts.language):
        named = {str(p.name).strip().lower(): _arg(p.value, opts) for p in node.params if p.showkey}
        out.add(wiki_templates.inline_text(name, [_arg(p.value, opts) for p in positional[:12]], named,
                                           opts.language, opts.as_of) or "")
    elif not positional and (country := wiki_templates.flag_country(str(node.name).strip(), opts.language)):
        out.add(country)
