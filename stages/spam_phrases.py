"""The phrase lists of `spam_filter` (stages/spam.py) and how a phrase is found: reading a list
file, matching a phrase as whole words, a category's compiled phrases (what only looks like one, whether
a text names the category, whether a repeated phrase was put in), and a page's title and URL as the
rules read them (a title that asks, a URL's host and words).

Lists are data files (stages/data/blocklists/<xx>_<category>.txt, plus any `extra_list_files`):
one phrase per line, literal, case-insensitive, whole words where it starts or ends with a Latin
letter or digit (`cialis` is not found in "specialist"), `#` comments; an optional tab and weight (default
1; 2 for brand names and sign-up offers that ordinary text does not use; 0.5 for what ordinary pages
say too, a bank's "minimum deposit", a sports desk's "betting odds", which counts half a phrase in the
text rule's different phrases); a line `url: token`
is matched only in the URL (pinyin or English tokens such as `xpj`, `casino` that are common
words in text but tell in a host name); a line `contact: phrase` counts only for the contact rule
(stages/spam.py; words of what an ad sells that ordinary text uses too: 止损, 减肥, 课程); a line `topic: word`
is no spam word but the plain name of the activity a report uses (赌博, 色情, gambling, カジノ), read
only to tell whether a report is about the category (stages/spam.py); a line `report: word` is a report word
of this category only, the authority over its legal form (the tax office's 税务机关, 纳税人 for
invoices: its FAQ on 代开增值税发票 is no seller's), counted with the report words and topic words
when the category is judged (stages/spam.py); a line `field: phrase` is a word of the lawful trade
the category preys on (a hospital's 患者, 症状, a pharmacy's viagra, a law firm's 网贷), which its
pages print next to a phone number: the contact rule counts it only beside a word of the ad's own
(a cure promised, a refund, an urging) or a personal handle (stages/spam.py), and no other rule reads it;
a line `sells: phrase` is an offer or an urging of the category's promotion (注册送, 立即注册, sign up
now, claim your): a text holding one sells, and the category's own `report:` words (which an
affiliate's page uses too: house edge, 起源于, 分析师) do not make it a report (stages/spam.py).
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit


# A list line's kind before its colon (`contact: 止损`); a plain line is a spam phrase.
_LINE_KINDS = frozenset({"url", "contact", "topic", "report", "not", "field", "sells"})


def read_phrase_file(path: Path, contact: bool = False, topic: bool = False,
                     report: bool = False, innocent: bool = False, field: bool = False,
                     sells: bool = False) -> list[tuple[str, float]]:
    """(phrase, weight) pairs of a list file; URL-only entries come back as ('url:token', weight).
    Contact-only entries (`contact: phrase`) are left out unless `contact`, then ('contact:phrase', weight):
    they are not spam words on their own (a page built from a list's phrases has none of them).
    Topic entries (`topic: word`, the plain name of the activity a report uses: 赌博, gambling) are
    left out unless `topic`, then ('topic:word', weight): they are no spam words at all. Report entries
    (`report: word`, the words of the authority over the activity's legal form: 税务机关) likewise,
    as ('report:word', weight). Innocent entries (`not: phrase`, a name or a word of ordinary text
    that holds a spam phrase: pussy willow) likewise, as ('not:phrase', weight). Field entries (`field:
    phrase`, the lawful trade's own words: 患者, viagra) likewise, as ('field:phrase', weight), and selling
    entries (`sells: phrase`, the promotion's offers and urgings: 注册送, sign up now) as ('sells:phrase', weight)."""
    wanted = {"url": True, "contact": contact, "topic": topic, "report": report, "not": innocent, "field": field,
              "sells": sells}
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        phrase, _, weight = line.partition("\t")
        try:
            w = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise ValueError(f"{path}:{n}: weight {weight!r} is not a number") from None
        phrase = phrase.strip().casefold()
        kind, colon, rest = phrase.partition(":")
        if colon and kind in _LINE_KINDS:
            if not wanted[kind]:
                continue
            phrase = f"{kind}:{rest.strip()}"
        out.append((phrase, w))
    return out


def category_of(path: Path) -> str:
    """`zh_gambling.txt` and `en_gambling.txt` are both the category `gambling`."""
    stem = path.stem
    return stem[3:] if re.match(r"^[a-z]{2}_", stem) else stem


# Where a Latin letter or digit ends a phrase, the next character must not be one (RE2's \b is
# ASCII-only, so 北京pk10 still has "pk10"; Python's Unicode \b would not see it, hence lookarounds).
_EDGE = {"re2": (r"\b", r"\b"), "python": (r"(?<![0-9A-Za-z_])", r"(?![0-9A-Za-z_])")}


def _bounded(phrase: str, engine: str = "python") -> str:
    """The phrase as a pattern matching whole words where it starts or ends with a Latin letter or
    digit: `cialis` is not in "specialist", `xxx` not in "xxxl"; Chinese matches anywhere."""
    word = lambda c: c.isascii() and c.isalnum()  # noqa: E731
    before, after = _EDGE[engine]
    return (before if word(phrase[0]) else "") + re.escape(phrase) + (after if word(phrase[-1]) else "")


def _alternation(phrases, engine: str | None = "python") -> str:
    """One alternation, longest first; engine None: unbounded (URLs: `buycialisonline` is one label)."""
    ordered = sorted(phrases, key=lambda p: (-len(p), p))
    return "|".join(_bounded(p, engine) if engine else re.escape(p) for p in ordered)


@lru_cache(maxsize=None)
def _word_pattern(phrase: str) -> re.Pattern:
    return re.compile(_bounded(phrase))


def _contains(text: str, phrase: str) -> bool:
    """`phrase in text` (both case-folded), as whole words where `_bounded` says so."""
    return phrase in text and (_word_pattern(phrase).search(text) is not None)


@dataclass
class _Category:
    name: str
    weights: dict[str, float]        # phrase -> weight (text and title)
    url_weights: dict[str, float]    # token -> weight (URL; the text phrases too)
    re2: str | None                   # case-insensitive RE2 alternation for Arrow (None: contact-only category)
    text_re: re.Pattern | None
    url_re: re.Pattern | None
    url_re2: str | None               # the URL rule as a plain RE2 search on ASCII URLs (None: not exact)
    contact_weights: dict[str, float]  # text phrases and contact-only phrases: what an ad with a handle sells
    contact_re2: str                   # their case-insensitive RE2 alternation
    topic_re: re.Pattern | None = None  # its topic words (`topic:` lines): what a report calls it
    report_re: re.Pattern | None = None  # its own report words (`report:` lines): the authority's
    innocent_re: re.Pattern | None = None  # names and plain words that hold a phrase (`not:` lines)
    field_words: frozenset[str] = frozenset()  # contact_weights' words of the lawful trade (`field:` lines)
    sells_re: re.Pattern | None = None  # the promotion's offers and urgings (`sells:` lines)

    def clean(self, s: str | None) -> str | None:
        """s with what only looks like a phrase blanked (same length): the category's innocent
        phrases (`not:` lines: pussy willow, Pussy Riot), a run of X's in a number mask ((XXX)
        XXX-XXXX), and an upper-case Roman numeral named like one (Super Bowl XXX, XXX Corps) in a
        field where it is the only phrase: a porn title or page has others next to it (XXX Sex
        Tube). Titles and texts only: a URL is lowercased. The same object when nothing is blanked."""
        if not s or self.text_re is None:
            return s
        spans = [m.span() for m in self.innocent_re.finditer(s)] if self.innocent_re is not None else []
        kept = []
        for m in self.text_re.finditer(s):
            if any(a <= m.start() < b for a, b in spans):
                continue
            if _x_mask(s, m.start(), m.end()):
                spans.append(m.span())
            else:
                kept.append(m)
        if kept and all(_roman_numeral(s, m.start(), m.end()) for m in kept):
            spans += [m.span() for m in kept]
        if not spans:
            return s
        chars = list(s)
        for a, b in spans:
            chars[a:b] = " " * (b - a)
        return "".join(chars)

    def without_innocent(self, s: str) -> str:
        """s with the category's innocent phrases (`not:` lines) blanked, same length: the contact rule's
        reading of a text (乳腺癌根治术 is a surgeon's word, no cure promised)."""
        if self.innocent_re is None:
            return s
        return self.innocent_re.sub(lambda m: " " * len(m.group()), s)

    def sells(self, text: str | None) -> bool:
        """Whether a text holds an offer or an urging of the category's promotion (`sells:` lines:
        注册送, 首存送, sign up now, claim your): then it is no report by the category's own `report:`
        words, which an affiliate's page uses too (起源于, 庄家优势, 分析师, house edge, also known as)."""
        return bool(text) and self.sells_re is not None and self.sells_re.search(text) is not None

    def named_in(self, text: str) -> bool:
        """Whether a text is about the category: its topic words (and its own report words) occur at
        least once per `TOPIC_CHARS` characters (a story about a crackdown names it throughout; a long
        article that mentions it once in passing, or a hijacked page's unrelated body, does not). Not
        its spam phrases, nor a topic word inside one (赌场 in 澳门赌场, 赌博 in 网上赌博): a hijacked
        page's stuffed keyword line would name it so."""
        words = [r for r in (self.topic_re, self.report_re) if r is not None]
        if not words:
            return False
        need = max(1, int(len(text) / TOPIC_CHARS))
        spans = [m.span() for m in self.text_re.finditer(text)] if self.text_re is not None else []
        k = 0
        for r in words:
            for m in r.finditer(text):
                # a word inside a phrase does not count; one around it does ("illegal online casino")
                j = bisect.bisect_left(spans, (m.end(),)) - 1       # spans: sorted and disjoint
                inside = False
                while j >= 0 and spans[j][1] > m.start():
                    inside = inside or not (m.start() <= spans[j][0] and spans[j][1] <= m.end())
                    j -= 1
                if inside:
                    continue
                k += 1
                if k >= need:
                    return True
        return False

    def put_in(self, phrase: str, title: str | None, text: str) -> bool:
        """Whether a phrase repeated through a text was put in rather than written: the title names it
        twice or more (深圳刻章-深圳刻章店-龙岗刻章, X_X官网_X最新网址; without a title, a short first line
        of the text stands for it), or, a Chinese or Japanese phrase, it stands apart by a space
        `PUT_IN_SPACED` times (`。办证 市场监管`, `福田刻章 福田刻章店`): CJK prose does not put spaces
        around its words, keyword lines and phrases glued onto scraped sentences do. A page about
        the thing (Hardcore punk, a list of 办证大厅, a monograph on Cialis, an RV park's full hookups)
        names it once in its title and writes it into its sentences, however often."""
        pattern = _word_pattern(phrase)
        if not title and text:
            first = text.lstrip().partition("\n")[0]
            title = first if len(first) <= FIRST_LINE_TITLE_CHARS else None
        if title and len(pattern.findall(title.casefold())) >= 2:
            return True
        head, tail = not phrase[0].isascii(), not phrase[-1].isascii()
        if not (head or tail):
            return False
        spaced, folded = 0, text.casefold()
        for m in pattern.finditer(folded):
            a, b = m.span()
            if (head and a > 0 and folded[a - 1] in _SPACES) or (tail and b < len(folded) and folded[b] in _SPACES):
                spaced += 1
                if spaced >= PUT_IN_SPACED:
                    return True
        return False

    def top_phrase(self, text: str) -> tuple[str, int]:
        """The phrase found most often in a text and how often (non-overlapping matches)."""
        counts = Counter(m.casefold() for m in self.text_re.findall(text))
        return counts.most_common(1)[0] if counts else ("", 0)

    def distinct(self, pattern: re.Pattern, s: str | None, weights: dict[str, float]) -> dict[str, float]:
        """Phrases found in s with their weights. Overlapping phrases all count (新葡京 and
        葡京娱乐 in 新葡京娱乐场), so a phrase is looked up on its own in short fields."""
        if not s:
            return {}
        if len(s) > 300:      # long text: non-overlapping matches of the alternation
            return {m: weights.get(m, 1.0) for m in (x.casefold() for x in pattern.findall(s))}
        folded = s.casefold()
        found = {m.casefold() for m in pattern.findall(s)}
        found |= {p for p in weights if _contains(folded, p) and (pattern is not self.url_re or f" {p} " in folded)}
        return {p: weights.get(p, 1.0) for p in found}


def _traditional(entries: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Traditional-character forms of Simplified phrases (OpenCC), same weights; URL tokens are left."""
    from stages.chinese import opencc_converter   # (stages.chinese re-exports this module's names)
    out = []
    for config in ("s2t", "s2tw"):
        conv = opencc_converter(config)
        out += [(conv.convert(p), w) for p, w in entries if not p.startswith("url:")]
    return [(p, w) for p, w in out if (p, w) not in entries]


def _plain_on_ascii(phrases) -> bool:
    """Whether a case-insensitive Python search for these phrases in lowercase ASCII text is a
    plain substring search: no uppercase ASCII, and no non-ASCII character with a case variant
    (Python's re.I matches "ı" and "i"; RE2's (?i) does not)."""
    return all((c.isascii() and not c.isupper()) or (not c.isascii() and c.lower() == c == c.upper())
               for p in phrases for c in p)


# Roman numerals (upper case, two letters or more) and their look: after a capitalised word or a
# number (Super Bowl XXX, Rocky II), or before a capitalised word (XXX Corps, XXX Olympiad).
_ROMAN = re.compile(r"(?=[IVXLCDM]{2})M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_NAME_BEFORE = re.compile(r"(?:\b[A-Z][\w'’]*|\d)[ \t]+$")
_NAME_AFTER = re.compile(r"[ \t]+(?:[A-Z][a-z]|\d)")
_MASK_CHARS = frozenset("xX0123456789().- ")


def _roman_numeral(s: str, a: int, b: int) -> bool:
    """Whether s[a:b] is an upper-case Roman numeral standing in a name (Super Bowl XXX, XXX Corps)."""
    return _ROMAN.fullmatch(s[a:b]) is not None and bool(
        _NAME_BEFORE.search(s[max(0, a - 40):a]) or _NAME_AFTER.match(s, b))


def _x_mask(s: str, a: int, b: int) -> bool:
    """Whether s[a:b], a run of X's, is a placeholder in a number mask: (XXX) XXX-XXXX, XXX.XXX.XXXX,
    555-XXX-1234 - punctuated groups of X's and digits, another X group among them or a digit
    right next to it ("XXX (2019)" is a title and a year, no mask)."""
    if s[a:b].strip("xX"):
        return False
    left, right = a, b
    while left > 0 and s[left - 1] in _MASK_CHARS:
        left -= 1
    while right < len(s) and s[right] in _MASK_CHARS:
        right += 1
    span = s[left:a] + " " + s[b:right]
    if not any(c in span for c in "-.()"):
        return False
    return re.search(r"[xX]{3,}", span) is not None or \
        re.match(r"[-.]\d", s[b:b + 2]) is not None or re.search(r"\d[-.]$", s[max(0, a - 2):a]) is not None


# A report about the activity names it (a topic word, outside its spam phrases) at least once per this many
# characters of its text, for the title and URL rules to spare it (see SpamFilter.judge).
TOPIC_CHARS = 1000


# The repetition rule's evidence that a phrase was put in (_Category.put_in): a CJK phrase set apart by
# a space this many times; a text's first line this short stands for a missing title.
PUT_IN_SPACED = 3
FIRST_LINE_TITLE_CHARS = 100
_SPACES = frozenset(" \t\u3000\xa0")


# A title that asks or defines (What is a payday loan?, How to spot a replica Rolex, How should I
# write my essay introduction?) names what the page explains, unless a word of selling is in it too
# (Where to buy Viagra online, Who can write my essay cheap?, What is the best online casino?).
# English asks with its first word.
# Chinese and Japanese ask anywhere in the title, not with a first word: a question mark (full-width ？
# anywhere, ? where the question ends), the particles 吗/嗎 (呢 ending a question), the question words
# 什么, 怎么, 如何, 为什么, 是否 (延时喷剂有用吗？会有副作用吗？, 代孕为什么违法), か？ and 〜とは (what is);
# their words of selling (哪里买, 价格, 正品, 官网, 哪家好, 靠谱: 哪个平台靠谱？ asks for a seller) likewise.
_ASKS = re.compile(r"^\W*(?:what|how|why|when|where|which|who|whose|is|are|can|could|should|do|does|did|will)\b", re.I)
_SELLS = re.compile(r"\b(?:buy|buying|order|ordering|cheap|cheaper|cheapest|price|prices|discount|sale|deals?|free|"
                    r"now|today|apply|get|fast|instant|guaranteed|best|top|no prescription|without prescription)\b"
                    r"|[$€£]\s?\d|\d\s?%", re.I)
_ASKS_CJK = re.compile(r"？|(?<=[^\x00-\x7f])\?(?:\s|$|[-|｜_–—])|[吗嗎]|呢(?:[？?\s]|$)|什[么麼]|怎[么麼样樣]|如何"
                       r"|[为為]什[么麼]|[为為]何|是否|か[？?]|とは(?:[\s|｜_\-－–—:：]|$)")
_SELLS_CJK = re.compile(r"[买買购購]|[价價][格钱錢]|多少[钱錢]|优惠|優惠|免[费費]|包[邮郵]|[货貨]到付款|正品|官[网網]|[网網]址"
                        r"|下[载載]|[注註]册|批[发發]|加盟|代理|哪家|靠[谱譜]|最好|推[荐薦]|排[行名]|正[规規]|[联聯][系繫]"
                        r"|微信|[电電][话話]|購入|通販|最安|激安|価格|値段|無料|おすすめ|ランキング|買")


# An encyclopedia's or dictionary's entry (百家乐 - 维基百科, Online casino - Wikipedia) names what it
# defines, as 〜とは does: its title weighs as text unless it sells.
_ENCYCLOPEDIA = re.compile(r"wikipedia|wiktionary|encyclop(?:a)?edia|britannica|[维維]基百科|百度百科|互[动動]百科"
                           r"|百科全[书書]|ウィキペディア|大百科", re.I)


def _asks(title: str | None) -> bool:
    if not title:
        return False
    if _ENCYCLOPEDIA.search(title) is not None:
        return _SELLS.search(title) is None and _SELLS_CJK.search(title) is None
    if _ASKS.match(title) is not None:
        return _SELLS.search(title) is None
    return _ASKS_CJK.search(title) is not None and _SELLS_CJK.search(title) is None and _SELLS.search(title) is None


_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def _host(url: str | None) -> str | None:
    """The host name of a URL ('www.xpj-casino888.example'), None without one."""
    if not url:
        return None
    try:
        # a URL without a scheme may hold "//" further on (a redirect's ?to=https://...)
        return urlsplit(url if _HAS_SCHEME.match(url) or url.startswith("//") else "//" + url).hostname
    except ValueError:
        return None


def _url_text(url: str | None) -> str | None:
    """URL lowercased with separators as spaces, so `online-casino` matches `online casino`."""
    if not url:
        return None
    return " " + re.sub(r"[-_./:?=&+%]+", " ", url.casefold()) + " "
