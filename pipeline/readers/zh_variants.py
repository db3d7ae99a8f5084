"""Chinese Wikipedia's language-converter markup, resolved to one variant; OpenCC on request.

zhwiki stores one text for all Chinese variants; MediaWiki's LanguageConverter turns it into
Simplified or Traditional at view time, steered by `-{…}-` markup in the wikitext:

  -{text}-                         shown as is, never converted
  -{zh-hans:计算机;zh-hant:電腦;}-  the chosen variant's text (falling back along MediaWiki's chain)
  -{H|zh-hans:A;zh-hant:B}-        a conversion rule for the whole page, shows nothing
  -{A|zh-hans:A;zh-hant:B}-        a rule for the whole page, shown here in the chosen variant
  -{R|text}-                       raw: shown as is          -{T|…}- title rule: shows nothing
  -{-|…}-                          removes a rule: shows nothing   -{D|…}- shown in the chosen variant
  rule "A=>zh-hans:B;"             one-way: A becomes B in zh-hans

No library resolves this markup outside MediaWiki (OpenCC converts characters and phrases, it does
not read wikitext), so it is hand-written here, after MediaWiki's LanguageConverter.php. Text a
page protects (raw spans, explicit variant text, rule outputs) is wrapped in private-use marks so
that OpenCC, applied to the finished plain text, leaves it alone; `finish` removes the marks.
"""
from __future__ import annotations

import bisect
import functools
import re

PROTECT_START, PROTECT_END = "\ue000", "\ue001"
# MediaWiki's ZhConverter fallbacks: which variants stand in for a missing one.
FALLBACKS = {
    "zh-hans": ["zh-hans", "zh-cn", "zh-sg", "zh-my", "zh"],
    "zh-hant": ["zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh"],
    "zh-cn": ["zh-cn", "zh-hans", "zh-sg", "zh-my", "zh"],
    "zh-sg": ["zh-sg", "zh-hans", "zh-cn", "zh-my", "zh"],
    "zh-my": ["zh-my", "zh-hans", "zh-sg", "zh-cn", "zh"],
    "zh-tw": ["zh-tw", "zh-hant", "zh-hk", "zh-mo", "zh"],
    "zh-hk": ["zh-hk", "zh-hant", "zh-mo", "zh-tw", "zh"],
    "zh-mo": ["zh-mo", "zh-hant", "zh-hk", "zh-tw", "zh"],
}
# "zh", MediaWiki's unconverted view: a block shows its own text (Simplified first), and the page
# itself is not converted (no page rules). What a zhwiki dump reads as by default.
UNCONVERTED = "zh"
FALLBACKS[UNCONVERTED] = ["zh", "zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "zh-sg", "zh-mo", "zh-my"]
VARIANTS = tuple(FALLBACKS)
_CONVERTING_WIKI = re.compile(r"zh(?:wiki|wiktionary|wikibooks|wikinews|wikiquote|wikisource|wikiversity|wikivoyage)")


def default_variant(dbname: str | None) -> str | None:
    """The variant a dump is read in when none is asked for: the unconverted view on the Chinese
    wikis that run the language converter (zhwiki, zhwikisource ...), else none."""
    return UNCONVERTED if dbname and _CONVERTING_WIKI.fullmatch(dbname) else None
# The variant an OpenCC config's target script is (s2t: Traditional, s2tw: Taiwan's, t2s: Simplified).
_OPENCC_TARGETS = {"t": "zh-hant", "tw": "zh-tw", "twp": "zh-tw", "hk": "zh-hk", "s": "zh-hans", "sp": "zh-hans"}


def opencc_variant(config: str) -> str | None:
    """The variant whose text an OpenCC config writes ("s2tw" -> zh-tw), None for one that writes
    no Chinese variant (t2jp: Japanese shinjitai)."""
    name = config.strip().lower().removesuffix(".json").rsplit("/", 1)[-1]
    return _OPENCC_TARGETS.get(name.partition("2")[2]) if "2" in name else None


# "-{" not followed by "{": in 北京-{{le|上海|Shanghai}}-南京 the braces are a template's, which
# MediaWiki expands before it looks for conversion markup. Blocks nest (-{zh-hans:-{R|乙}-的公司;…}-):
# "}-" closes the innermost one open; a "-{" still open at a paragraph's end (a blank line) is text,
# unless its block starts as a rule list does (-{zh-hans:…\n\n…;zh-hant:…}-): MediaWiki's converter
# reads a block up to its "}-" across paragraphs, and a stray "-{" in prose starts no rule list.
_BLOCK_TOKEN = re.compile(r"-\{(?!\{)|\}-|\n[ \t]*\n")
_RULE_LIST_START = re.compile(r"\s*(?:[AHRTD;\- ]+\|\s*)?(?:[^;|{}\n]*?=>\s*)?zh(?:-[a-z]{2,4})?\s*:")
# A rule list is split at a ";" followed by a variant code and ":" (or "source=>code:"), as in
# LanguageConverter's getVarSeparatorPattern: the ";" of "&nbsp;" is the text's own.
_RULE_SEPARATOR = re.compile(r";\s*(?=(?:[^;]*?=>\s*)?zh(?:-[a-z]{2,4})?\s*:|\s*$)")
# Tags whose content is not wikitext (MediaWiki takes it out before conversion): <math>x^{-{1}}-y</math>
_LITERAL_TAG = re.compile(r"<(nowiki|pre|math|syntaxhighlight|source|chem|ce|score|timeline|graph|hiero)\b"
                          r"[^>]*?(?<!/)>.*?</\1\s*>", re.S | re.I)
# Tags whose text the page's rules leave alone: MediaWiki's converter skips <code> and <pre> (what
# <syntaxhighlight> and <source> render to) and math; <nowiki> text is converted as any.
_UNCONVERTED_TAG = re.compile(r"<(code|pre|syntaxhighlight|source|math|chem|ce)\b[^>]*?(?<!/)>.*?</\1\s*>",
                              re.S | re.I)
_VARIANT_CODE = re.compile(r"^\s*(zh(?:-[a-z]{2,4})?)\s*$")
_FLAGS = set("AHRTD-")
# zhwiki's {{NoteTA}}: its numbered arguments (1=zh-cn:贝拉克·奥巴马; zh-tw:巴拉克·歐巴馬;) are page
# rules, as -{H|…}- is; it shows nothing on the page. Its G1=… arguments name shared rule groups
# (Module:CGroup/…), whose rules live on the wiki, not in the page: they are not applied.
_NOTE_TA = re.compile(r"\{\{\s*[Nn]oteTA\s*(?=[|}])")
_NOTE_TA_RULE = re.compile(r"^\s*\d+\s*=(.*)$", re.S)
_TEMPLATE_BRACES = re.compile(r"\{\{|\}\}")
_ARGUMENT_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")


def _parse_rules(body: str) -> tuple[dict[str, str], list[tuple[str, str, str]]] | None:
    """'zh-hans:A;zh-hant:B' -> ({variant: text}, [one-way (source, variant, target)]), or None
    when the body is not a rule list (then it is plain text, shown as is)."""
    bidir: dict[str, str] = {}
    oneway: list[tuple[str, str, str]] = []
    for part in _RULE_SEPARATOR.split(body):
        if not part.strip():
            continue
        source = None
        if "=>" in part:
            source, _, part = part.partition("=>")
        code, colon, text = part.partition(":")
        m = _VARIANT_CODE.match(code) if colon else None
        if m is None:
            return None
        if source is not None:
            oneway.append((source.strip(), m.group(1), text.strip()))
        else:
            bidir[m.group(1)] = text.strip()
    return (bidir, oneway) if (bidir or oneway) else None


def _pick(bidir: dict[str, str], variant: str) -> str | None:
    for v in FALLBACKS[variant]:
        if v in bidir:
            return bidir[v]
    return next(iter(bidir.values()), None)


def _protect(s: str) -> str:
    return f"{PROTECT_START}{s}{PROTECT_END}" if s else ""


def resolve(wikitext: str, variant: str) -> str:
    """Wikitext with every -{…}- block replaced by what `variant` shows, page rules applied."""
    note_ta = [] if variant == UNCONVERTED or "oteTA" not in wikitext else _note_ta_calls(wikitext)
    if "-{" not in wikitext and not note_ta:
        return wikitext
    rules: dict[str, str] = {}          # text in another variant -> text in ours

    def add_rules(bidir, oneway):
        chosen = _pick(bidir, variant) if bidir else None
        if variant == UNCONVERTED:
            return chosen
        if chosen is not None:
            for text in bidir.values():
                if text and text != chosen:
                    rules[text] = chosen
        by_source: dict[str, dict[str, str]] = {}
        for source, v, target in oneway:
            by_source.setdefault(source, {})[v] = target
        for source, targets in by_source.items():
            target = next((targets[v] for v in FALLBACKS[variant] if v in targets), None)
            if target is not None:
                rules[source] = target
        return chosen

    for _start, _end, args in note_ta:
        for arg in args:
            if (rule := _NOTE_TA_RULE.match(arg)) and (parsed := _parse_rules(rule.group(1).strip())):
                add_rules(*parsed)
    if note_ta:      # the template shows nothing; its rule text is not the page's to convert
        wikitext = "".join(wikitext[a:b] for a, b in zip([0] + [e for _, e, _ in note_ta],
                                                          [s for s, _, _ in note_ta] + [len(wikitext)]))
    pieces: list[tuple[str, str]] = []   # ("text" | "keep" | "literal", content)
    pos = 0
    literal = [(m.start(), m.end()) for m in _LITERAL_TAG.finditer(wikitext)] if "<" in wikitext else []
    kept = [(a, b) for a, b in literal if "-{" in wikitext[a:b]]    # a "-{" in <math>: kept as written
    blocks, unclosed = _blocks(wikitext, literal)
    if unclosed:                         # an unclosed "-{" is markup all the same: it goes
        wikitext, blocks, kept = _cut_openers(wikitext, unclosed, blocks, kept)
    for start, end, inner in blocks:
        for a, b in [(a, b) for a, b in kept if pos <= a and b <= start]:
            pieces.append(("text", wikitext[pos:a]))
            pieces.append(("literal", wikitext[a:b]))
            pos = b
        pieces.append(("text", wikitext[pos:start]))
        pos = end
        shown = _block(_nested(wikitext, start + 2, end - 2, inner, variant, add_rules), variant, add_rules)
        if shown is not None:
            pieces.append(("keep", shown))
    for a, b in kept:
        if a >= pos:
            pieces.append(("text", wikitext[pos:a]))
            pieces.append(("literal", wikitext[a:b]))
            pos = b
    pieces.append(("text", wikitext[pos:]))
    apply = _rule_applier(tuple(sorted(rules.items())))
    if rules and "<" in wikitext:
        apply = functools.partial(_outside_unconverted_tags, apply=apply)
    return "".join(apply(s) if kind == "text" else s if kind == "literal" else _protect(s) for kind, s in pieces)


def _outside_unconverted_tags(text: str, apply) -> str:
    """`apply` (the page's rules) on `text` except inside <code>, <pre>, <syntaxhighlight> and math."""
    out, pos = [], 0
    for m in _UNCONVERTED_TAG.finditer(text):
        out += [apply(text[pos:m.start()]), m.group()]
        pos = m.end()
    out.append(apply(text[pos:]))
    return "".join(out)


def _note_ta_calls(wikitext: str) -> list[tuple[int, int, list[str]]]:
    """Each {{NoteTA}} as (start, end, its arguments): its braces matched and its arguments split at its
    own "|", since a rule may hold a template ({{lang|en|x}}) or a link whose braces and "|" a regex
    would take for the call's. Hand-written: the call is read before the page is parsed. An unclosed
    one is no call."""
    calls, pos = [], 0
    while m := _NOTE_TA.search(wikitext, pos):
        depth, end = 0, None
        for brace in _TEMPLATE_BRACES.finditer(wikitext, m.start()):
            depth += 1 if brace.group() == "{{" else -1
            if depth == 0:
                end = brace.end()
                break
        if end is None:
            break
        calls.append((m.start(), end, _arguments(wikitext[m.end():end - 2])))
        pos = end
    return calls


def _arguments(body: str) -> list[str]:
    """A template call's text after its name, split at the "|" outside nested templates and links."""
    args, depth, start = [], 0, 0
    for token in _ARGUMENT_TOKEN.finditer(body):
        t = token.group()
        if t in ("{{", "[["):
            depth += 1
        elif t in ("}}", "]]"):
            depth = max(depth - 1, 0)
        elif depth == 0:
            args.append(body[start:token.start()])
            start = token.end()
    args.append(body[start:])
    return args


def _blocks(text: str, literal: list[tuple[int, int]]) -> tuple[list[tuple[int, int, list]], list[int]]:
    """The outermost -{…}- blocks of `text` as (start, end, the blocks nested in it), and where the
    unclosed "-{" stand: a "}-" closes the innermost block open; "-{" in a literal tag (<math>,
    <nowiki>) is none; one left open at a blank line (but a rule list's, see _RULE_LIST_START), or at
    the end, is unclosed. Hand-written: a regex pairs a stray "-{" with the next "}-", lines or
    blocks later."""
    top: list[tuple[int, int, list]] = []
    stack: list[tuple[int, list]] = []
    unclosed: list[int] = []
    for m in _BLOCK_TOKEN.finditer(text):
        if any(a <= m.start() < b for a, b in literal):
            continue
        token = m.group()
        if token == "-{":
            stack.append((m.start(), []))
        elif token == "}-":
            if stack:
                start, inner = stack.pop()
                (stack[-1][1] if stack else top).append((start, m.end(), inner))
        else:                            # a blank line: what is still open there is text, and
            still_open = []              # the blocks closed inside it are blocks of the one around
            for start, inner in stack:   # it (or of their own); a rule list's block stays open
                if _RULE_LIST_START.match(text, start + 2):
                    still_open.append((start, inner))
                else:
                    (still_open[-1][1] if still_open else top).extend(inner)
                    unclosed.append(start)
            stack = still_open
    for start, inner in stack:
        top.extend(inner)
        unclosed.append(start)
    return sorted(top), sorted(unclosed)


def _cut_openers(text: str, unclosed: list[int], blocks: list, kept: list[tuple[int, int]]):
    """`text` without its unclosed "-{" (two characters each), the blocks' and literal tags' places moved to match."""
    def moved(i: int) -> int:
        return i - 2 * bisect.bisect_right(unclosed, i - 1)

    def block(b):
        return (moved(b[0]), moved(b[1]), [block(x) for x in b[2]])
    parts, pos = [], 0
    for i in unclosed:
        parts.append(text[pos:i])
        pos = i + 2
    parts.append(text[pos:])
    return "".join(parts), [block(b) for b in blocks], [(moved(a), moved(b)) for a, b in kept]


def _nested(text: str, start: int, end: int, inner: list, variant: str, add_rules) -> str:
    """A block's body with the blocks nested in it resolved to what they show (protected), innermost first."""
    out, pos = [], start
    for a, b, deeper in sorted(inner):
        out.append(text[pos:a])
        shown = _block(_nested(text, a + 2, b - 2, deeper, variant, add_rules), variant, add_rules)
        out.append(_protect(shown) if shown else "")
        pos = b
    out.append(text[pos:end])
    return "".join(out)


def _block(body: str, variant: str, add_rules) -> str | None:
    """What one -{…}- block shows in `variant` (None: nothing, a rule), its rules added to the page's."""
    flags, bar, rest = body.partition("|")
    flag_set = set(flags.replace(";", "").replace(" ", "")) if bar else set()
    if bar and flag_set and flag_set <= _FLAGS:
        parsed = _parse_rules(rest)
        if flag_set & {"H", "-", "T"}:
            if parsed and "H" in flag_set:
                add_rules(*parsed)
            return None
        if "R" in flag_set or parsed is None:
            return rest
        chosen = add_rules(*parsed) if "A" in flag_set else _pick(parsed[0], variant)
        return chosen or ""
    parsed = _parse_rules(body)
    if parsed is None:
        return body                      # -{text}-: no conversion
    return _pick(parsed[0], variant) or ""


@functools.lru_cache(maxsize=256)
def _rule_applier(rules: tuple[tuple[str, str], ...]):
    if not rules:
        return lambda s: s
    table = dict(rules)
    # longest first, as MediaWiki's converter matches the longest rule at each position
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return lambda s: pattern.sub(lambda m: _protect(table[m.group(0)]), s)


@functools.lru_cache(maxsize=8)
def opencc_converter(config: str):
    import opencc
    return opencc.OpenCC(config)


def finish(text: str, opencc_config: str | None) -> str:
    """Plain text with protected spans: OpenCC outside them (if asked), marks removed."""
    if opencc_config is None:
        return text.replace(PROTECT_START, "").replace(PROTECT_END, "") if PROTECT_START in text else text
    conv = opencc_converter(opencc_config)
    if PROTECT_START not in text:
        return conv.convert(text)
    out = []
    depth = 0
    for chunk in re.split(f"([{PROTECT_START}{PROTECT_END}])", text):
        if chunk == PROTECT_START:
            depth += 1
        elif chunk == PROTECT_END:
            depth = max(0, depth - 1)
        elif chunk:
            out.append(chunk if depth else conv.convert(chunk))
    return "".join(out)
