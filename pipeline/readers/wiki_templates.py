"""Inline templates whose rendering is words of the sentence: what a reader of the page sees.

Wikitext-to-text tools drop templates (mwparserfromhell's `strip_code`), which leaves sentences
with holes where the most common inline templates stood: "born on {{birth date|1950|1|2}} in
Ohio" became "born on in Ohio", "Water is {{chem|H|2|O}}." became "Water is.", and zhwiki's
links to other languages' articles ({{link-en|中文名|English}}) lost the Chinese name itself.
Here each family renders as its template does on the page, in plain text: dates as the wiki's
language writes them (English "January 2, 1950", `df=y` "2 January 1950"; zh/ja "1950年1月2日"),
links by the label they show, furigana (ruby) by the base text, flags by the country's name,
chemical formulas and fractions by their characters. Templates not named here are dropped as
before (citations, navboxes, maintenance tags). Hand-written: no library renders templates
without the wiki's template pages, and these are the few that carry sentence text (counted on
the enwiki sample: convert, lang, flag, transl, nihongo, chem, as of are the commonest).
"""
from __future__ import annotations

import functools
import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DATE_TEMPLATES = {"birth date", "death date", "start date", "end date", "birth date and age", "death date and age",
                  "dob", "start date and age", "end date and age", "film date", "release date",
                  "生年月日と年齢"}     # jawiki; its age, counted to the day the page is viewed, is left out
# A year shown as written, linked to its article: enwiki {{by|1998}} (a baseball season) "1998", jawiki
# {{by|1950年}} (1950年の野球) "1950年".
YEAR_TEMPLATES = {"birth year and age", "death year and age", "year", "by"}
# Dates given in both calendars, as the page shows them: {{OldStyleDate|February 2|1905|January 20}}
# "February 2 [O.S. January 20] 1905" (the New Style date first); {{Old Style to New Style|January
# 20|1905|February 2}} (shortcut OS2NS) "January 20 [February 2 N.S.] 1905" (the Old Style first).
OLD_STYLE_DATES = {"oldstyledate": "[O.S. {2}]", "old style to new style": "[{2} N.S.]", "os2ns": "[{2} N.S.]"}
# {{floruit|1200}}, {{fl.|1200}}: "fl. 1200", when a person is known to have been active.
FLOURISHED = {"floruit", "fl."}
# {{music|flat}}: the sign; a symbol not named here is dropped as before.
MUSIC_SIGNS = {"flat": "♭", "b": "♭", "sharp": "♯", "#": "♯", "natural": "♮", "doubleflat": "𝄫", "bb": "𝄫",
               "doublesharp": "𝄪", "x": "𝄪"}
# Links to an article of another language's wiki, shown under the first argument or the display
# name given third (zhwiki: {{Link-en|中文名|English|显示}} and its shortcut le; the interlanguage
# link templates of enwiki are in wikitext.py).
LINK_SHOWS_FIRST = {"le", "link", "ilh", "internal link helper"}
# The same with the shown name as label= (jawiki: {{仮リンク|日本語名|en|English|label=表示}}).
LINK_LABELLED = {"仮リンク", "ill", "interlanguage link"}
# Wrappers around words of the sentence, shown as their first argument: a claim marked as needing
# a source ({{要出典範囲|text|date=…}}, enwiki {{citation needed span}}), an inline quotation
# ({{ilq|…}}), a phonetic transcription ({{IPA|ɯ}}), an anchor that shows its text.
SPAN_TEMPLATES = {"要出典範囲", "いつ範囲", "独自研究範囲", "疑問点範囲", "信頼性要検証範囲", "要検証範囲",
                  "citation needed span", "cn span", "fact span", "dubious span", "clarify span",
                  "better source needed span", "ilq", "inline quote", "visible anchor", "inline-block",
                  "ipa", "ipa2", "ipa link", "ipalink"}
# Language wrappers named by the bare language code, {{en|Republic of Indonesia}}: the text is the
# last argument. Per wiki, since elsewhere the same names are markers without text (elwiki,
# viwiki {{en}}: "(in English)" after a link) or other templates (enwiki {{tl}}, {{sc}}).
LANGUAGE_CODE_WRAPPERS = {
    "ja": {"en", "ja", "zh", "ko", "fr", "de", "it", "es", "pt", "ru", "la", "el", "grc", "ar", "he", "nl",
           "sv", "pl", "vi", "th", "id", "ms", "hi", "fa", "tr", "uk", "zh-tw", "zh-cn", "zh-hk", "yue", "ain"},
}
# A word and its reading, as jawiki's lead sentences give them: 地理学（ちりがく、geography）.
READING_TEMPLATES = {"読み仮名", "読み仮名 ruby不使用"}
# List wrappers laid out in columns: their list (the last argument) is text of the page.
LIST_TEMPLATES = {"col-list", "columns-list", "plainlist", "plain list", "flatlist", "flat list"}
# Text in a colour ({{color|red|文字}}): the second argument.
COLOR_TEMPLATES = {"color", "colour", "font color"}
# enwiki's {{zh}} ({{lang-zh}} redirects there) with named arguments: the Chinese name and its pinyin,
# labelled as the page shows them ("Chinese: 北京; pinyin: Běijīng"), s before t unless first=t. The other
# romanisations (w, j, poj ...) and the literal meaning are left out: the characters are what a
# sentence needs, and the label keeps "Beijing (Chinese: 北京; ...)" a readable sentence.
CHINESE_TEMPLATES = {"zh", "lang-zh"}
CHINESE_LABELS = {"c": "Chinese", "s": "simplified Chinese", "t": "traditional Chinese", "p": "pinyin"}
FIRST_SHOWN = {"flag", "flagcountry", "flag country", "flagu", "flagdeco+name", "ruby", "ruby-ja", "rubyh", "sup",
               "smallcaps", "small caps", "sc", "sc1", "sc2", "lang-ja-ruby", "sortname", "val",
               "sub", "em", "strong", "mono", "samp", "黑幕"}
# Flags named by a country's code ({{flag|JPN}}, {{flagcountry|CHN}}) show the country's name, as {{JPN}} does.
FLAG_TEMPLATES = {"flag", "flagcountry", "flag country", "flagu"}
# Text around the first argument: {{angbr|a}} "⟨a⟩", {{US$|2 billion}} "US$2 billion", {{sqrt|2}} "√2",
# {{IPA-de|ˈbɛʁlɪn}} "[ˈbɛʁlɪn]" (every IPA-xx: see renders).
AFFIXED = {"angbr": ("⟨", "⟩"), "angle bracket": ("⟨", "⟩"), "sqrt": ("√", ""), "radic": ("√", ""),
           "us$": ("US$", ""), "a$": ("A$", ""), "ca$": ("CA$", ""), "nz$": ("NZ$", ""), "hk$": ("HK$", ""),
           "s$": ("S$", ""), "r$": ("R$", ""), "gbp": ("£", ""), "£": ("£", ""), "€": ("€", ""), "euro": ("€", ""),
           "jpy": ("¥", ""), "yen": ("¥", ""), "inr": ("₹", ""), "₹": ("₹", ""), "decade": ("", "s")}
# Items given as arguments, shown joined: {{hlist|a|b}} "a · b", {{ubl|a|b}} one a line, {{gaps|1|234}} "1 234",
# {{linktext|ἄνθρωπος}} (words linked to Wiktionary a part each) as written.
JOINED = {"hlist": " · ", "ubl": "\n", "unbulleted list": "\n", "gaps": " ", "linktext": ""}
# Ships: {{ship|HMS|Dreadnought|1906}} and the prefix's own template {{HMS|Dreadnought|1906}}, both
# "HMS Dreadnought (1906)" (enwiki; elsewhere these names are other templates).
SHIP_PREFIXES = {"hms", "uss", "ss", "rms", "hmas", "hmcs", "hmnzs", "usns", "uscgc", "sms", "ins", "mv", "hmy",
                 "hnlms", "hdms", "hswms", "hnoms", "usat", "jds", "frs", "rfa"}
# A date or an age: {{dts|2010|5|6}} (a date written for table sorting), {{as of|2015|6|30}},
# {{age|1950|1|2}} (counted to the revision's date, as the page read when it was saved; without one,
# dropped), {{height|ft=6|in=2}}.
MEASURE_TEMPLATES = {"dts", "date table sorting", "as of", "age", "age in years", "height"}
# Geographic coordinates shown in the sentence ({{coord|12|19|N|70|1|W}} "12°19′N 70°1′W"); one shown
# only beside the page's title (display=title) is no text of the sentence.
COORD_TEMPLATES = {"coord"}
# A railway's track gauge ({{RailGauge|1676mm}}, {{Track gauge|sg}}), by the unit it is given in: the
# page adds the other unit's conversion, left out as {{convert}}'s is.
GAUGE_TEMPLATES = {"railgauge", "track gauge", "rail gauge"}
# A quotation's error marked as the original's: {{sic}} "[sic]", {{sic|Conneticut}} "Conneticut [sic]",
# the word split so that bots leave it alone ({{sic|Connet|icut}}), hide=y the word alone.
SIC_TEMPLATES = {"sic"}
# A Bible verse, {{bibleref|Mark|3:25|9}} "Mark 3:25" (the version, third, is the link's), or the text
# {{bibleref2|Book|ch:v|version|text}} gives fourth. {{bible verse}} (its redirect {{bibleverse}}) shows no
# text argument: "Book ch:v" ({{Bible verse|John|3:16|KJV}}), or in its legacy form the book's number
# first ({{bibleverse|1|Corinthians|13:4|NIV}} "1 Corinthians 13:4", {{bibleverse||Matthew|5:3-12|KJV}}).
BIBLE_TEMPLATES = {"bibleref", "bibleref2", "bibleverse", "bible verse"}
_BIBLE_REF_TEXT = {"bibleref", "bibleref2"}


# frwiki and dewiki. Dates ({{date de naissance|26|février|1802}} "26 février 1802", {{date de décès|…}}
# with the age the page adds, "(à 83 ans)"), centuries ({{s|XIX}} "XIXe siècle", {{-s|III}} "IIIe siècle
# av. J.-C.", {{sp|XV|e|et|XVI|e}} "XVe et XVIe siècles"), numbers with a unit ({{unité|10|km|2}}
# "10 km²", {{nombre|19|ans}}; formatted as frwiki's formatnum writes them: "1 234,5", a no-break space
# between groups), {{Lien|fr=…}} by its French title (or texte=), {{citation|…}} « … » and
# {{API|…}} (IPA) as written. Ordinals are templates named by themselves ({{1er}}, {{IIe|Empire}},
# {{XIXe siècle}}: see _FR_ORDINAL). dewiki: {{FormatZahl|90000}} "90.000", {{Höhe|2962|DE-NHN}}
# "2962 m ü. NHN", {{Alter|28|8|1749|22|3|1832}} (day, month, year) the age in years,
# {{"|Mehr Licht!}} „Mehr Licht!“. Names other wikis use otherwise ({{citation}}: enwiki's
# citation, {{e}}: its ×10^n; {{API}}, {{date}}, {{s}}) render so on frwiki only (or with no
# language known); the others are frwiki's or dewiki's alone.
FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
FR_DATES = {"date de naissance", "date de décès", "date", "date-"}
FR_CENTURIES = {"s": "", "siècle": "", "-s": " av. J.-C.", "s-": None, "-s-": None, "sp": "", "-sp": " av. J.-C."}
FR_ONLY = FR_DATES | set(FR_CENTURIES) | {"citation", "api", "e"}
FR_DE_TEMPLATES = {"unité", "nombre", "lien", "formatzahl", "höhe", "alter", '"'}
# The reference system {{Höhe}} names second, as the page writes it after the metres.
HEIGHT_DATUMS = {"de-nn": "m ü. NN", "de-nhn": "m ü. NHN", "dehn": "m ü. NHN", "de": "m ü. NHN",
                 "at": "m ü. A.", "ch": "m ü. M.", "it": "m s.l.m.", "fr": "m", "nl": "m NAP"}
# {{1er}}, {{1re}}, {{2e}}; {{Ier}}, {{IIe|Empire}}, {{XIXe siècle}}, {{IIIe siècle av. J.-C.}}: the
# name is the text ({{Ie}} is no French ordinal: enwiki's {{ie}} is "i.e.").
_FR_ORDINAL = re.compile(r"(?:\d+|(?=[ivx])(?!i(?:e|es)\b)x{0,3}(?:ix|iv|v?i{0,3}))(?:er|re|ers|res|e|es)"
                         r"(?P<rest> siècles?| millénaires?)?(?P<bc> av\. j\.-c\.)?")
_ROMAN = re.compile(r"[IVXLC]+", re.I)


# Templates that stand for punctuation inside a word or a sentence ("Tom{{'s}} house").
CONSTANT = {"'": "'", "'s": "'s", "!": "|", "nbsp": " ", "ndash": "–", "mdash": "—", "snd": " – ", "spaced ndash": " – ",
            "spnd": " – ", "pipe": "|", "=": "=", "spaces": " ", "space": " ", "thinsp": " ", "pi": "π",
            "emdash": "—", "mdashb": " — ", "eqm": "⇌"}
_NAMES = DATE_TEMPLATES | YEAR_TEMPLATES | LINK_SHOWS_FIRST | LINK_LABELLED | FIRST_SHOWN | SPAN_TEMPLATES \
    | LIST_TEMPLATES | READING_TEMPLATES | set(CONSTANT) | {"nts", "ntsh"} | COLOR_TEMPLATES | CHINESE_TEMPLATES | {
    "和暦", "bd", "tsl", "chem", "frac", "fraction", "sfrac", "circa", "c.", "ordinal", "sclass", "e", "us patent",
    "ship", "music"} | set(AFFIXED) | set(JOINED) | MEASURE_TEMPLATES | set(OLD_STYLE_DATES) | FLOURISHED \
    | COORD_TEMPLATES | GAUGE_TEMPLATES | SIC_TEMPLATES | BIBLE_TEMPLATES


def _int(s: str) -> int | None:
    s = s.strip()
    return int(s) if s.isdigit() else None


def format_date(year: int | None, month: int | None, day: int | None, cjk: bool, day_first: bool) -> str:
    if year is None:
        return ""
    if month is None or not 1 <= month <= 12:
        return f"{year}年" if cjk else str(year)
    if cjk:
        return f"{year}年{month}月" + (f"{day}日" if day else "")
    if not day:
        return f"{MONTHS[month - 1]} {year}"
    return f"{day} {MONTHS[month - 1]} {year}" if day_first else f"{MONTHS[month - 1]} {day}, {year}"


def _age(born: tuple[int | None, ...], at: tuple[int | None, ...]) -> int | None:
    if born[0] is None or at[0] is None:
        return None
    before = (at[1] or 0, at[2] or 0) < (born[1] or 0, born[2] or 0)
    return at[0] - born[0] - before


def renders(name: str, language: str | None = None) -> bool:
    """Whether `inline_text` renders a template of this (lower-cased) name on this wiki."""
    if name in FR_ONLY and language in (None, "fr"):
        return True
    return name in _NAMES or name in FR_DE_TEMPLATES or _FR_ORDINAL.fullmatch(name) is not None \
        or name.startswith(("link-", "internal link helper/", "formatnum:", "ipa-")) \
        or name.endswith("フォント") \
        or name in LANGUAGE_CODE_WRAPPERS.get(language or "", ()) \
        or (name in SHIP_PREFIXES and language in (None, "en"))


def inline_text(name: str, args: list[str], named: dict[str, str], language: str | None,
                as_of: str | None = None) -> str | None:
    """The text a template in `name` renders in a sentence (args: its positional arguments as
    text; named: its named ones; as_of: the revision's date, YYYY-MM-DD), or None where this
    module does not render it."""
    cjk = language in ("zh", "ja", "zh-yue", "wuu", "lzh")
    if (name in FR_ONLY and language in (None, "fr") and not (name == "e" and args)) or name in FR_DE_TEMPLATES \
            or (name not in _NAMES and _FR_ORDINAL.fullmatch(name)):
        return _french_or_german(name, args, named, as_of)
    if name in MEASURE_TEMPLATES:
        return _measure(name, args, named, cjk, as_of)
    if name in COORD_TEMPLATES:
        return coord_text(args, named)
    if name in GAUGE_TEMPLATES:
        return gauge_text(args[0]) if args else ""
    if name in SIC_TEMPLATES:
        marker, words = ("[sic?]", args[1:]) if args[:1] == ["?"] else ("[sic]", args)
        word = "".join(words)
        if named.get("hide", "").strip().lower() in ("y", "yes", "1", "true") and word:
            return word
        return f"{word} {marker}" if word else marker
    if name in BIBLE_TEMPLATES:
        if name in _BIBLE_REF_TEXT:
            return args[3] if len(args) > 3 and args[3] else " ".join(a for a in args[:2] if a)
        legacy = len(args) > 2 and (args[0].isdigit() or not args[0])      # a book's number, or none
        return " ".join(a for a in (args[:3] if legacy else args[:2]) if a)
    if name in AFFIXED:
        before, after = AFFIXED[name]
        if name == "decade":                     # {{decade|1994}}: "1990s"
            return f"{_int(args[0]) // 10 * 10}s" if args and _int(args[0]) is not None else ""
        return f"{before}{args[0]}{after}" if args else ""
    if name in JOINED:
        items = [a for a in args if a]
        return ("\n" + "\n".join(items) + "\n") if JOINED[name] == "\n" and items else JOINED[name].join(items)
    if name.startswith("ipa-"):                 # {{IPA-de|ˈbɛʁlɪn}}: shown in brackets
        return f"[{args[0]}]" if args else ""
    if name == "us patent":                     # {{US patent|1781541}}: "U.S. patent 1,781,541"
        return ("U.S. patent " + (f"{int(args[0]):,}" if args[0].isdigit() else args[0])) if args else ""
    if name == "ship" or name in SHIP_PREFIXES:
        prefix, rest = (args[0], args[1:]) if name == "ship" and args else (name.upper(), args)
        if not rest:
            return prefix if name == "ship" else ""
        return f"{prefix} {rest[0]}" + (f" ({rest[1]})" if len(rest) > 1 and rest[1] else "")
    if name in CHINESE_TEMPLATES and any(named.get(k) for k in "cst"):
        order = "ctsp" if named.get("first", "").strip() == "t" else "cstp"
        if named.get("s") and named.get("s") == named.get("t"):     # one spelling: shown once, as "Chinese"
            named = {**named, "c": named["s"], "s": "", "t": ""}
        if language in (None, "en") and named.get("labels", "").strip().lower() not in ("no", "n", "0"):
            return "; ".join(f"{CHINESE_LABELS[k]}: {named[k]}" for k in order if named.get(k))
        return ("；" if cjk else "; ").join(named[k] for k in order if named.get(k))
    if name.endswith("フォント"):          # jawiki {{CP932フォント|髙}}: the character, in a font that has it
        return args[0] if args else ""
    if name in LIST_TEMPLATES:                   # {{col-list|2|\n* a\n* b}}: the list, on its own lines
        return f"\n{args[-1]}\n" if args else ""
    if name in READING_TEMPLATES:
        reading = "、".join(a for a in args[1:] if a)
        return (args[0] + (f"（{reading}）" if reading else "")) if args else ""
    if name in LANGUAGE_CODE_WRAPPERS.get(language or "", ()):
        return args[-1] if args else ""
    if name in SPAN_TEMPLATES:
        if name.startswith("ipa") and len(args) > 1 and args[0].isascii() and args[0].isalpha():
            return args[1]                       # {{IPA|fr|wazo}}: the language first
        return args[0] if args else ""
    if name in LINK_LABELLED:
        return named.get("label") or named.get("lt") or (args[0] if args else "")
    if name in DATE_TEMPLATES:
        nums = [_int(a) for a in args[:6]]
        nums += [None] * (6 - len(nums))
        day_first = named.get("df", "").strip().lower() in ("y", "yes", "1")
        text = format_date(*nums[:3], cjk=cjk, day_first=day_first)
        if name == "death date and age" and text and (age := _age(tuple(nums[3:6]), tuple(nums[:3]))) is not None:
            text += f"（{age}歳）" if language == "ja" else f"（{age}岁）" if cjk else f" (aged {age})"
        return text
    if name in OLD_STYLE_DATES:
        date, year, other = (args + ["", "", ""])[:3]
        shown = f"{date} {OLD_STYLE_DATES[name].format(*args[:3])}" if other else date
        return " ".join(p for p in (shown, year) if p)
    if name in FLOURISHED:
        return f"fl. {args[0]}" if args else "fl."
    if name == "music":
        return MUSIC_SIGNS.get(args[0].strip().lower(), "") if args else ""
    if name == "和暦":                      # {{和暦|1603}}: the year (the page adds the era, 慶長8年)
        return f"{args[0]}年" if args and args[0].isdigit() else (args[0] if args else "")
    if name == "bd":                      # zhwiki {{bd|1881年|9月25日|1936年|10月19日}}: born—died
        born, died = "".join(args[:2]), "".join(args[2:4])
        return f"{born}—{died}" if born or died else ""
    if name in COLOR_TEMPLATES:
        return args[1] if len(args) > 1 else ""
    if name in CONSTANT:
        return CONSTANT[name]
    if name in ("nts", "ntsh"):                    # a number written for table sorting
        return args[0] if args else ""
    if name in YEAR_TEMPLATES:
        return args[0].strip() if args else ""
    if name in ("le", "link") or name.startswith("link-"):     # {{le|中文|English|显示}}
        return args[2] if len(args) > 2 and args[2] else args[0] if args else ""
    if name in LINK_SHOWS_FIRST or name.startswith("internal link helper/"):
        return args[0] if args else ""
    if name == "tsl":    # {{tsl|lang|foreign title|local title|shown}}; without a local title, the foreign one
        return next((a for a in args[3:0:-1] if a), "")
    if name == "e":                              # 6,022{{e|23}}: "6,022×10^23"
        return f"×10^{args[0]}" if args else ""
    if name == "sortname" and args:
        return " ".join(a for a in args[:2] if a)
    if name == "val" and args:                 # {{val|1.23|e=5|u=kg}}: 1.23×10^5 kg
        exp = f"×10^{named['e']}" if named.get("e") else ""
        unit = named.get("u") or named.get("ul") or ""
        return args[0] + exp + (f" {unit}" if unit else "")
    if name in FIRST_SHOWN:
        if name in FLAG_TEMPLATES and args and (country := flag_country(args[0], language)):
            return country
        return args[0] if args else ""
    if name == "chem":
        return "".join(args)
    if name in ("frac", "fraction", "sfrac"):   # with the fraction slash the rendered page shows
        if len(args) == 3:
            return f"{args[0]} {args[1]}\u2044{args[2]}"
        return "\u2044".join(args[:2]) if len(args) == 2 else (f"1\u2044{args[0]}" if args else "")
    if name in ("circa", "c."):
        return "c. " + args[0] if args else "c."
    if name == "ordinal" and args and (n := _int(args[0])) is not None:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if name == "sclass" and len(args) >= 2:
        return f"{args[0]}-class {args[1]}"
    if name.startswith("formatnum:"):          # a number as written; a nested template stays dropped
        number = name.split(":", 1)[1].strip()
        return number if number and all(c.isdigit() or c in ",.-" for c in number) else ""
    return None


def format_number(value: str, group: str, decimal: str) -> str:
    """A number as formatnum writes it in a language ("1234.5" -> "1 234,5" in French, "1.234,5" in
    German); anything else (a number already formatted, words) as written."""
    value = value.strip()
    sign, digits = (value[0], value[1:]) if value[:1] in "-−+" else ("", value)
    whole, dot, frac = digits.partition(".")
    if not whole.isdigit() or (dot and not frac.isdigit()):
        return value
    grouped = f"{int(whole):,}".replace(",", group) if len(whole) > 3 else whole
    return sign.replace("-", "−") + grouped + (decimal + frac if dot else "")


def _fr_number(value: str) -> str:
    return format_number(value, "\u00a0", ",")


def _fr_date(args: list[str]) -> tuple[str, tuple[int | None, int | None, int | None]]:
    """{{date|14|juillet|1870}} as the page writes it ("1er" for the first day) and as numbers
    (year, month, day) for an age."""
    if len(args) == 1 and " " in args[0].strip():          # {{date-|1 janvier 2021}}
        args = args[0].split()
    day, month, year = (args + ["", "", ""])[:3]
    m = _int(month) if month.strip().isdigit() else next(
        (i for i, n in enumerate(FR_MONTHS, 1) if n == month.strip().lower()), None)
    if month.strip().isdigit() and m and 1 <= m <= 12:
        month = FR_MONTHS[m - 1]
    d = _int(day.removesuffix("er"))
    shown = " ".join(p for p in ("1er" if d == 1 else day, month, year) if p)
    return shown, (_int(year), m, d)


def _century(numeral: str, suffix: str | None) -> str:
    numeral = numeral.strip()
    if _ROMAN.fullmatch(numeral):
        numeral = numeral.upper() + (suffix or ("er" if numeral.upper() == "I" else "e"))
    return numeral


def _french_or_german(name: str, args: list[str], named: dict[str, str], as_of: str | None) -> str:
    if m := _FR_ORDINAL.fullmatch(name):           # the name is the text: {{IIe|Empire}} "IIe Empire"
        head = name[:len(name) - len(m.group("rest") or "") - len(m.group("bc") or "")]
        stem = head.rstrip("ers")
        text = (stem.upper() if _ROMAN.fullmatch(stem) else stem) + head[len(stem):] + (m.group("rest") or "") \
            + (" av. J.-C." if m.group("bc") else "")
        return f"{text} {args[0]}" if args else text
    if name == "e":
        return "e"
    if name in FR_DATES:
        shown, born = _fr_date(args)
        if name == "date de décès" and len(args) >= 6:       # the age at death the page adds
            age = _age(_fr_date(args[3:6])[1], born)
            if age is not None:
                shown += f" (à {age} an{'s' if age > 1 else ''})"
        return shown
    if name in FR_CENTURIES:
        if not args:
            return ""
        if name in ("sp", "-sp"):                          # {{sp|XV|e|et|XVI|e}}: "XVe et XVIe siècles"
            words, rest = [], list(args)
            while rest:
                word = rest.pop(0)
                suffix = rest.pop(0) if rest and rest[0] in ("e", "er", "re") and _ROMAN.fullmatch(word) else None
                words.append(_century(word, suffix) if _ROMAN.fullmatch(word) else word)
            return " ".join(words) + " siècles" + FR_CENTURIES[name]
        suffix = args[1] if len(args) > 1 and args[1] in ("e", "er", "re") else None
        after = FR_CENTURIES[name]
        return _century(args[0], suffix) + ("" if after is None else " siècle" + after)
    if name in ("unité", "nombre"):              # {{unité|10|km|2|h|-1}}: "10 km² h⁻¹"; {{nombre|19|ans}}
        if not args:
            return ""
        text = _fr_number(args[0]) + ("×10" + named["e"].translate(SUPERSCRIPT) if named.get("e") else "")
        previous_unit = False
        for unit in filter(None, args[1:]):
            if name == "unité" and previous_unit and unit.lstrip("-−").isdigit():
                text, previous_unit = text + unit.translate(SUPERSCRIPT), False
            else:
                text, previous_unit = text + " " + unit, True
        return text
    if name == "lien":
        return named.get("texte") or named.get("fr") or (args[0] if args else "") or named.get("trad", "")
    if name == "citation":
        return f"« {args[0]} »" if args else ""
    if name == "api":
        return args[0] if args else ""
    if name == "formatzahl":
        return format_number(args[0], ".", ",") if args else ""
    if name == "höhe":                                     # {{Höhe|2962|DE-NHN}}: "2962 m ü. NHN"
        if not args:
            return ""
        return f"{args[0]} {HEIGHT_DATUMS.get(args[1].strip().lower(), 'm') if len(args) > 1 else 'm'}"
    if name == "alter":                                    # {{Alter|T|M|J|T|M|J}}: the age in years
        nums = [_int(a) for a in args[:6]] + [None] * 6
        born = (nums[2], nums[1], nums[0])
        at = (nums[5], nums[4], nums[3]) if nums[5] is not None else \
            tuple(_int(p) for p in as_of.split("-")[:3]) if as_of else (None, None, None)
        age = _age(born, at)
        return "" if age is None else str(age)
    if name == '"':                                        # {{"|Mehr Licht!}}: „Mehr Licht!“
        return f"„{args[0]}“" if args else '"'
    return ""


SUPERSCRIPT = str.maketrans("0123456789−-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺")


# jawiki's names where CLDR's are not the ones its lang-xx templates show ({{lang-ko}} "朝鮮語", {{lang-el}}
# "ギリシア語"), and the one-character names its lang-xx-short show ({{lang-en-short|peer to peer}} "英: peer
# to peer"); a lang-xx-short not named here shows its text alone, as before.
LANGUAGE_NAMES = {"ja": {"ko": "朝鮮語", "el": "ギリシア語"}, "zh": {}}
JA_SHORT_NAMES = {"en": "英", "de": "独", "fr": "仏", "it": "伊", "es": "西", "ru": "露", "la": "羅", "nl": "蘭",
                  "pt": "葡"}


def language_label(code: str, language: str | None) -> str:
    """What zhwiki's and jawiki's {{lang-en|x}} show before the text: the language's name and a colon
    (zhwiki "英语：", jawiki "英語: ", its {{lang-en-short}} "英: "), from CLDR's language names (babel);
    other wikis' lang-xx show the text alone."""
    if language not in LANGUAGE_NAMES:
        return ""
    code = code.strip().lower()
    if language == "ja" and code.endswith("-short"):
        name = JA_SHORT_NAMES.get(code.removesuffix("-short"))
    else:
        name = LANGUAGE_NAMES[language].get(code) or _language_names(language).get(code.replace("-", "_"))
    return (f"{name}：" if language == "zh" else f"{name}: ") if name else ""


@functools.lru_cache(maxsize=2)
def _language_names(language: str) -> dict[str, str]:
    from babel import Locale
    return dict(Locale.parse(language).languages)


def _month(s: str) -> int | None:
    """A month as a number or an English name ("5", "May", "Sept")."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    return next((i for i, m in enumerate(MONTHS, 1) if len(s) >= 3 and m.lower().startswith(s.lower())), None)


def _measure(name: str, args: list[str], named: dict[str, str], cjk: bool, as_of: str | None) -> str:
    day_first = named.get("df", "").strip().lower() in ("y", "yes", "1")
    if name in ("dts", "date table sorting"):
        if len(args) == 1 and len(parts := args[0].split("-")) == 3 and all(p.isdigit() for p in parts):
            args = parts                       # {{dts|2010-05-06}}
        year = _int(args[0]) if args else None
        if year is None:                       # {{dts|1 May 2010}}: as written
            return " ".join(a for a in args if a)
        month, day = (_month(args[1]) if len(args) > 1 else None), (_int(args[2]) if len(args) > 2 else None)
        return format_date(year, month, day, cjk=cjk, day_first=day_first)
    if name == "as of":
        if named.get("alt"):
            return named["alt"]
        date = format_date(_int(args[0]) if args else None, _month(args[1]) if len(args) > 1 else None,
                           _int(args[2]) if len(args) > 2 else None, cjk=cjk, day_first=day_first)
        lower = named.get("lc", "").strip().lower() in ("y", "yes", "1")
        return f"{'as of' if lower else 'As of'} {date}".strip()
    if name in ("age", "age in years"):       # {{age|1950|1|2}}, {{age|1950|1|2|2010|5|6}}
        nums = [_int(a) for a in args[:6]] + [None] * 6
        end = tuple(nums[3:6]) if nums[3] is not None else \
            tuple(_int(p) for p in as_of.split("-")[:3]) if as_of else (None, None, None)
        age = _age(tuple(nums[:3]), end)
        return "" if age is None else str(age)
    parts = [f"{named[u]} {u}" for u in ("ft", "in", "m", "cm") if named.get(u)]      # height
    return " ".join(parts)


# The units of {{convert}} by their codes, as the page shows them (enwiki's Module:Convert/data);
# a code not named here is shown as written ("km", "mph"). Multiples: e3/e6/e9/e12 before a code
# ("e6acre") read "thousand"/"million"/"billion"/"trillion" and the unit's name in the plural.
CONVERT_UNITS = {"sqmi": "sq mi", "sqft": "sq ft", "sqyd": "sq yd", "sqin": "sq in", "sqkm": "km²",
                 "km2": "km²", "m2": "m²", "cm2": "cm²", "mm2": "mm²", "mi2": "sq mi", "ft2": "sq ft",
                 "km3": "km³", "m3": "m³", "cm3": "cm³", "cuft": "cu ft", "cuyd": "cu yd", "cuin": "cu in",
                 "cumi": "cu mi", "ft3": "cu ft", "acre": "acres", "acre.ft": "acre-feet", "acre-ft": "acre-feet",
                 "Tcuft": "trillion cubic feet", "Gcuft": "billion cubic feet", "C": "°C", "F": "°F", "K": "K",
                 "impgal": "imperial gallons", "USgal": "US gallons", "usgal": "US gallons", "LT": "long tons",
                 "ST": "short tons", "kph": "km/h", "kmh": "km/h", "ftin": "ft in", "nmi": "nmi"}
_PLURAL_NAMES = {"acre": "acres", "cuft": "cubic feet", "ft3": "cubic feet", "m3": "cubic metres", "km2": "km²",
                 "sqmi": "square miles", "sqkm": "km²", "ha": "hectares", "t": "tonnes", "bbl": "barrels",
                 "acre.ft": "acre-feet", "acre-ft": "acre-feet", "km": "km", "mi": "miles", "USgal": "US gallons",
                 "impgal": "imperial gallons", "L": "litres", "l": "litres"}
_SINGULAR = {"acre": "acre", "acre.ft": "acre-foot", "acre-ft": "acre-foot"}
_MULTIPLES = {"e3": "thousand", "e6": "million", "e9": "billion", "e12": "trillion"}
# Words between the values of a range ({{convert|3|-|5|m}}, {{convert|10|by|20|m}}).
CONVERT_RANGES = {"-": "–", "–": "–", "to": " to ", "to(-)": " to ", "and": " and ", "and(-)": " and ", "or": " or ",
                  "by": " by ", "x": " × ", "×": " × ", "+": " + ", "+/-": " ± ", "±": " ± ", "-to-": " to "}


def convert_unit(code: str) -> str:
    """A {{convert}} unit code as the page shows it: "sqmi" "sq mi", "e6acre" "million acres"."""
    code = code.strip()
    for prefix, word in _MULTIPLES.items():
        if code.startswith(prefix) and len(code) > len(prefix) and not code[len(prefix)].isdigit():
            base = code[len(prefix):]
            return f"{word} {_PLURAL_NAMES.get(base, CONVERT_UNITS.get(base, base))}"
    return CONVERT_UNITS.get(code, code)


def convert_text(args: list[str]) -> str:
    """{{convert}}'s input as the page shows it, without the conversion: {{convert|14|km|mi}}
    "14 km", {{convert|3|-|5|m}} "3–5 m", {{convert|6|ft|2|in|m}} (a value in two units) "6 ft 2 in"."""
    value, rest = args[0], args[1:]
    while len(rest) >= 2 and rest[0] in CONVERT_RANGES:
        value, rest = value + CONVERT_RANGES[rest[0]] + rest[1], rest[2:]
    if not rest or not rest[0]:
        return value
    unit = rest[0].strip()
    text = f"{value} {_SINGULAR[unit] if value == '1' and unit in _SINGULAR else convert_unit(unit)}"
    if len(rest) >= 3 and rest[2] and rest[1].replace(".", "", 1).isdigit():     # ft|in, st|lb: a second part
        text += f" {rest[1]} {convert_unit(rest[2])}"
    return text


# Flag templates of zhwiki and jawiki ({{CHN}}, {{JPN}}): a flag and the country's name. The name in
# the wiki's language comes from CLDR's territory names (babel), by the
# ISO alpha-3 code; where CLDR's name is not the one these wikis show, the wiki's. Codes that are no
# ISO code (IOC's GER, NED ...) are dropped as before: their names are in the wiki's template data.
FLAG_NAMES = {"zh": {"HK": "香港", "MO": "澳门"}, "ja": {"HK": "香港", "MO": "マカオ"}}


def flag_country(name: str, language: str | None) -> str | None:
    """The country a flag template ({{CHN}}: name as written) shows on this wiki, or None."""
    if language not in FLAG_NAMES or len(name) != 3 or not (name.isascii() and name.isupper()):
        return None
    return _territory_names(language).get(name)


@functools.lru_cache(maxsize=4)
def _territory_names(language: str) -> dict[str, str]:
    from babel import Locale
    from babel.core import get_global
    territories = Locale.parse(language).territories
    out = {}
    for alpha3, codes in get_global("territory_aliases").items():
        if len(alpha3) == 3 and alpha3.isalpha() and len(codes) == 1 and codes[0] in territories:
            out[alpha3] = FLAG_NAMES[language].get(codes[0], territories[codes[0]])
    return out


_HEMISPHERES = {"N", "S", "E", "W"}
_COORD_NUMBER = re.compile(r"[-−+]?\d+(?:\.\d+)?")


def coord_text(args: list[str], named: dict[str, str]) -> str:
    """{{coord}} as the sentence shows it: degrees, minutes and seconds with their hemisphere as given
    ({{coord|12|19|N|70|1|W}} "12°19′N 70°1′W"), a signed decimal pair with its hemisphere
    ({{coord|51.507|-0.128}} "51.507°N 0.128°W"). Shown beside the title only (display=title), or
    not read as coordinates: nothing, as before. The geo parameters after them (type:city) are not shown."""
    display = named.get("display", "inline").replace(" ", "").lower()
    if not any(d in ("inline", "i", "it", "ti") for d in display.split(",")):
        return ""
    values = [a.strip() for a in args if a.strip()]
    groups, numbers = [], []
    for value in values:
        if value.upper() in _HEMISPHERES and numbers:
            groups.append((numbers, value.upper()))
            numbers = []
        elif _COORD_NUMBER.fullmatch(value):
            numbers.append(value.replace("−", "-"))
        else:                          # the geo parameters (type:city, region:US) end the coordinates
            break
    if not groups and len(numbers) == 2:       # signed decimal degrees
        groups = [([numbers[0].lstrip("-+")], "S" if numbers[0].startswith("-") else "N"),
                  ([numbers[1].lstrip("-+")], "W" if numbers[1].startswith("-") else "E")]
    elif len(groups) != 2 or numbers or not all(1 <= len(n) <= 3 for n, _ in groups):
        return ""
    return " ".join("".join(n + unit for n, unit in zip(nums, "°′″")) + hemisphere for nums, hemisphere in groups)


# Gauges {{Track gauge}} knows by a name, as the page shows them (Module:Track gauge/data): the unit
# the gauge is defined in first.
GAUGE_NAMES = {"sg": "1,435 mm", "standard": "1,435 mm", "ussg": "4 ft 8½ in", "metre": "1,000 mm",
               "meter": "1,000 mm", "mg": "1,000 mm", "cape": "3 ft 6 in", "irish": "5 ft 3 in",
               "russian": "1,520 mm", "indian": "5 ft 6 in", "iberian": "1,668 mm", "brunel": "7 ft ¼ in"}
_GAUGE_MM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:mm)?")
_GAUGE_IMPERIAL = re.compile(r"(?:(\d+)\s*ft)?\s*(?:(\d+)?\s*(?:(\.\d+)|\+?\s*(\d+)/(\d+)|(½|¼|¾))?\s*in)?")
_FRACTIONS = {".5": "½", ".25": "¼", ".75": "¾", "1/2": "½", "1/4": "¼", "3/4": "¾"}


def gauge_text(gauge: str) -> str:
    """{{RailGauge|1676mm}} "1,676 mm", {{RailGauge|3ft6in}} "3 ft 6 in", {{RailGauge|sg}} "1,435 mm":
    the gauge in the unit it is given in. A name not known here: nothing, as before."""
    key = gauge.strip().lower().replace(" ", "")
    if key in GAUGE_NAMES:
        return GAUGE_NAMES[key]
    if m := _GAUGE_MM.fullmatch(key):
        if not key.endswith("mm") and float(m.group(1)) < 100:     # {{RailGauge|56.5}}: inches, no gauge is
            return _inches(m.group(1))                                # under 100 mm
        whole, _, frac = m.group(1).partition(".")
        return f"{int(whole):,}" + (f".{frac}" if frac else "") + " mm"
    m = _GAUGE_IMPERIAL.fullmatch(key)
    if not m or not (m.group(1) or m.group(2) or m.group(6)):
        return ""
    feet, inches, decimal, num, den, sign = m.groups()
    inches = None if inches == "0" else inches          # 7ft0.25in: "7 ft ¼ in"
    fraction = _FRACTIONS.get(decimal or (f"{num}/{den}" if num else ""), sign or "")
    if (decimal or num) and not fraction:           # a fraction written otherwise: as written
        fraction = (decimal or f" {num}⁄{den}")
    parts = [f"{feet} ft"] if feet else []
    if inches or fraction:
        parts.append(f"{inches or ''}{fraction} in")
    return " ".join(parts)


def _inches(value: str) -> str:
    """A gauge given in inches as the page shows it: from 2 ft in feet and inches ("56.5" "4 ft 8½ in"),
    below in inches ("15" "15 in")."""
    whole, _, frac = value.partition(".")
    fraction = _FRACTIONS.get(f".{frac}", f".{frac}") if frac else ""
    feet, inches = divmod(int(whole), 12) if int(whole) >= 24 else (0, int(whole))
    shown = f"{inches or ''}{fraction}" if feet else f"{inches}{fraction}"
    return " ".join(p for p in (f"{feet} ft" if feet else "", f"{shown} in" if shown else "") if p)
