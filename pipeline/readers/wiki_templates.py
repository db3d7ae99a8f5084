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

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DATE_TEMPLATES = {"birth date", "death date", "start date", "end date", "birth date and age", "death date and age",
                  "dob", "start date and age", "end date and age", "film date", "release date"}
YEAR_TEMPLATES = {"birth year and age", "death year and age", "year"}
# Links to an article of another language's wiki, shown under the first argument (zhwiki: Link-en,
# Link-ja ... and their shortcut le; the interlanguage link templates of enwiki are in wikitext.py).
LINK_SHOWS_FIRST = {"le", "link", "ilh", "internal link helper"}
FIRST_SHOWN = {"flag", "flagcountry", "flag country", "flagu", "flagdeco+name", "ruby", "ruby-ja", "rubyh",
               "smallcaps", "small caps", "sc", "sc1", "sc2", "lang-ja-ruby", "sortname", "val"}


# Templates that stand for punctuation inside a word or a sentence ("Tom{{'s}} house").
CONSTANT = {"'": "'", "'s": "'s", "nbsp": " ", "ndash": "–", "mdash": "—", "snd": " – ", "spaced ndash": " – ",
            "spnd": " – ", "pipe": "|", "=": "="}
_NAMES = DATE_TEMPLATES | YEAR_TEMPLATES | LINK_SHOWS_FIRST | FIRST_SHOWN | set(CONSTANT) | {"nts", "ntsh"} | {
    "tsl", "chem", "frac", "fraction", "sfrac", "circa", "c.", "ordinal", "sclass"}


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


def renders(name: str) -> bool:
    """Whether `inline_text` renders a template of this (lower-cased) name."""
    return name in _NAMES or name.startswith(("link-", "internal link helper/", "formatnum:"))


def inline_text(name: str, args: list[str], named: dict[str, str], language: str | None) -> str | None:
    """The text a template in `name` renders in a sentence (args: its positional arguments as
    text; named: its named ones), or None where this module does not render it."""
    cjk = language in ("zh", "ja", "zh-yue", "wuu", "lzh")
    if name in DATE_TEMPLATES:
        nums = [_int(a) for a in args[:6]]
        nums += [None] * (6 - len(nums))
        day_first = named.get("df", "").strip().lower() in ("y", "yes", "1")
        text = format_date(*nums[:3], cjk=cjk, day_first=day_first)
        if name == "death date and age" and text and (age := _age(tuple(nums[3:6]), tuple(nums[:3]))) is not None:
            text += f"（{age}歳）" if language == "ja" else f"（{age}岁）" if cjk else f" (aged {age})"
        return text
    if name in CONSTANT:
        return CONSTANT[name]
    if name in ("nts", "ntsh"):                    # a number written for table sorting
        return args[0] if args else ""
    if name in YEAR_TEMPLATES:
        return args[0].strip() if args else ""
    if name in LINK_SHOWS_FIRST or name.startswith(("link-", "internal link helper/")):
        return args[0] if args else ""
    if name == "tsl":                            # {{tsl|lang|foreign title|local title|shown}}
        return args[3] if len(args) > 3 and args[3] else args[2] if len(args) > 2 else ""
    if name == "sortname" and args:
        return " ".join(a for a in args[:2] if a)
    if name == "val" and args:                 # {{val|1.23|e=5|u=kg}}: 1.23×10^5 kg
        exp = f"×10^{named['e']}" if named.get("e") else ""
        unit = named.get("u") or named.get("ul") or ""
        return args[0] + exp + (f" {unit}" if unit else "")
    if name in FIRST_SHOWN:
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

