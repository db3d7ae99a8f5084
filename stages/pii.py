"""Redact personal data: e-mail addresses, IP addresses and phone numbers, with typed placeholders.

Choices (documented because every peer differs a little):
- IP addresses: only globally routable ones are redacted by default (`ipaddress`'s `is_global`);
  private, loopback, link-local, reserved and documentation ranges (10.x, 192.168.x, 127.0.0.1,
  192.0.2.x, ...) identify nobody, as datatrove's PIIFormatter also leaves private ranges alone.
  A dotted quad right after "version", "ver", "v", "build", "release" or "版本" is a version
  number, not an address, and is kept; so is one after "section", "§" or "第", or right before a
  Chinese section unit (节, 小节, 条, 款, 项, 章, 段, 版), where Chinese puts it: "规格的22.1.3.15小节",
  "GB/T 7714 的 4.2.1.3 条" are section numbers ("节点", node, is no unit: "8.8.8.8节点" is redacted).
- Phones: international `+CC ...` numbers (8-15 digits), North-American numbers with
  separators and a valid NANP area/exchange code (`(415) 555-2671`, `415-555-2671`), Chinese
  mobiles (`13812345678`, `138 1234 5678`, optional +86), Chinese landlines with a trunk
  prefix (`010-12345678`), Japanese and Korean national numbers in three hyphenated groups after
  the trunk 0 (`03-1234-5678`, `010-1234-5678`: 10-11 digits, so `01-02-2024` is a date), and
  Russian ones with the trunk 8 and the area code in brackets (`8 (495) 123-45-67`). Bare digit runs without separators are not phones (IDs, prices,
  timestamps); neither are dates, times, ISBNs, year ranges or version numbers.
- Chinese resident identity numbers (GB 11643-1999): 18 characters, a 6-digit area code
  starting 1-8, a real birth date (1900-2099), a 3-digit sequence and the ISO 7064 MOD 11-2
  check character (0-9 or X): an 18-digit order number passes the date and the checksum by
  chance only rarely.
- Bank card numbers: 13-19 digits passing the Luhn check, with the issuer prefix of a real
  scheme (UnionPay 62, Visa 4, Mastercard 51-55/2221-2720, Amex 34/37, JCB 35, Discover
  6011/65). Written in groups of four (`6222 0212 3456 7890 123`) that is enough; a bare digit
  run also needs a card word just before it (卡号, 银行卡, 信用卡, card, account ...), because one
  in ten order numbers passes Luhn by chance.
- Chinese landlines: area code 010, 02X or 0[3-9]XX, then a 7-8 digit number, written
  `010-12345678`, `(0755)12345678`, `（0755）1234567`, `0755 12345678` or `+86 10 12345678`.
- The batch is first screened with RE2 patterns by Arrow; only rows that may contain PII run
  through the (more exact) Python patterns.

Hand-written: the peers' PII steps are English-centred regex sets (datatrove's PIIFormatter:
e-mail and IP) or need a model (Presidio with spaCy); none knows GB 11643 or Chinese formats.
"""
from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Result, Stage

_FILE_SUFFIXES = r"(?:png|jpe?g|gif|svg|webp|bmp|ico|css|js|pdf)\b"
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})\.)+(?!" + _FILE_SUFFIXES + r")[A-Za-z]{2,24}(?![A-Za-z0-9\-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# A leading lookahead of the first character (IPV4, PHONE, the card patterns) lets Python's re
# reject most positions at once instead of testing the look-behinds there: the same matches,
# 1.6x faster on web pages, 8x for PHONE's five branches (each starts with a digit, "+", "(", "（").
IPV4 = re.compile(rf"(?=\d)(?<![A-Za-z0-9_.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d)(?![A-Za-z0-9_])", re.ASCII)
IPV6 = re.compile(r"(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
                  + _OCTET + r"(?:\." + _OCTET + r"){3})?(?![A-Za-z0-9_:])", re.ASCII)
# Dotted numbers that are versions or section numbers, not addresses: `version 1.2.3.4`,
# `__version__ = "3.5.0.1"`, `pkg>=1.2.0.0`, `RFC 9110 section 8.4.1.3`, `§ 4.2.1.1`.
_VERSION_BEFORE = re.compile(
    r"(?:(?:(?<![A-Za-z])(?:version|ver\.?|v\.?|build|release|section|sect\.|clause|chapter|paragraph|rule)"
    r"|版本|版本号|第|§)[_\s]*[:=：]?\s*[\"']?\s*|[<>=~!]=\s*)$", re.I)
# ... and the same after the number, as Chinese writes the unit: `22.1.3.15小节`, `4.2.1.3 条`,
# `3.1.2.1款`, `1.2.3.4 版` (an optional space; "节点", a network node, is not a section).
_SECTION_AFTER = re.compile(r"[ \t\u3000]?(?:小节|节(?!点)|条|款|项|章|段|版)")
_DATE_LIKE = re.compile(r"\+?\d{4}-[01]\d-[0-3]\d(?!\d)")
_ISBN_BEFORE = re.compile(r"isbn(?:-1[03])?\s*[:：]?\s*$", re.I)
_AREA = r"0(?:10|2\d|[3-9]\d\d)"   # Chinese area codes: Beijing 010, 02X, 0[3-9]XX
PHONE = re.compile("(?=[0-9+(（])(?:" + "|".join([
    # international: +CC then groups, 8-15 digits in all (checked after matching)
    r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,5}\)?){2,6}(?!\w)",
    # North American with separators: (415) 555-2671, 415-555-2671, 1-415-555-2671, 001-415-...,
    # an extension after it (x123, ext. 123) taken along
    r"(?<![\w$€£¥.\-])(?:(?:00)?1[ .\-])?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\w]|[.\-]\d)",
    # Chinese mobile, optionally +86 / 86 / 0086 / (+86), optionally split 3-4-4; not an amount (亿元)
    r"(?<![\w.\-])(?:[(（]?(?:\+|00)?86[)）]?[ \-]?)?1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})"
    r"(?![\w]|[.\-]\d|[元万亿千百股倍%％])",
    # Chinese landline with area code: 010-12345678, 0571-8888888, (0755)12345678, 0755 12345678,
    # an extension after it (-6738) taken along
    r"(?<![\w.\-])(?:" + _AREA + r"[ \-]|[(（]" + _AREA + r"[)）] ?)[1-9]\d{6,7}(?:-\d{1,4})?(?![\w]|[.\-]\d)",
    # Chinese nationwide service numbers 400 / 800 + 7 digits, grouped any way: 400-6060-995, 4008880810
    r"(?<![\w.\-])[48]00(?:[ \-]?\d){7}(?![\w]|[.\-]\d)",
    # ... dialled from abroad: +86 10 12345678, +86-755-12345678
    r"(?<![\w+])\+86[ \-]?(?:10|2\d|[3-9]\d\d)[ \-][1-9]\d{6,7}(?![\w]|[.\-]\d)",
    # Japanese and Korean national numbers, trunk 0 and three hyphenated groups: 03-1234-5678,
    # 090-1234-5678, 0467-12-3456, 010-1234-5678 (10-11 digits in all, checked after matching)
    r"(?<![\w.\-])0\d{1,4}-\d{1,4}-\d{4}(?![\w]|[.\-]\d)",
    # Russian national numbers, trunk 8 and the area code in brackets: 8 (495) 123-45-67
    r"(?<![\w.\-])8 ?\(\d{3,5}\) ?\d{1,3}[ \-]?\d{2}[ \-]?\d{2}(?![\w]|[.\-]\d)",
]) + ")", re.ASCII)
_NATIONAL_3_GROUPS = re.compile(r"0\d{1,4}-\d{1,4}-\d{4}", re.ASCII)  # ASCII: Chinese characters right before a number are not "word" characters here
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-8]\d{5}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[0-9Xx](?![0-9A-Za-z])", re.ASCII)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
CARD_GROUPED = re.compile(r"(?=\d)(?<![\d\-])\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,3})?(?![\d]|[\-.]\d)", re.ASCII)
CARD_BARE = re.compile(r"(?=\d)(?<![\d.\-])\d{13,19}(?![\d]|[.\-]\d)", re.ASCII)
_CARD_PREFIX = re.compile(r"(?:62|4|5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720|3[47]|35|6011|65)")
_CARD_WORD_BEFORE = re.compile(
    r"(?:卡号|银行卡|信用卡|借记卡|储蓄卡|银联卡|账号|帐号|card|account|acct|visa|mastercard|amex)"
    r"\s*(?:no\.?|number|#)?\s*[:：为是]?\s*$", re.I)


def valid_id_number(s: str) -> bool:
    """GB 11643 check character (ISO 7064 MOD 11-2) and a real calendar date."""
    import datetime as _dt
    try:
        _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# RE2 screens: the rows the Python patterns run on. Each is a superset of its kind's Python
# patterns (every match contains a screen match): a row the screens miss is never looked at, so a
# narrower screen loses PII ("john_@example.com", "(415)555-2671" once slipped through that way).
_SCREEN = {
    "email": r"[A-Za-z0-9._%+\-]@[A-Za-z0-9]",
    "ip": r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]?:[0-9A-Fa-f]*:",
    "phone": r"\+\d|\d\d\d\)? ?[ .\-]?\d\d\d[ .\-]\d{4}|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}[)）]? ?-?\d{7}"
             r"|0\d{1,4}-\d{1,4}-\d{4}|8 ?\(\d{3,5}\)",
    "id_number": r"\d{17}[0-9Xx]",
    "bank_card": r"\d{13}|\d{4}[ \-]\d{4}[ \-]\d{4}",
}
KINDS = ("email", "ip", "phone", "id_number", "bank_card")
# Per kind, what a row must contain for the kind's Python patterns to run on it (see `redact`).
_PRESENT = {**_SCREEN, "email": "@"}


class _Found(dict):
    """Replacements per kind; optionally records what was replaced."""
    def __init__(self, matches: list[tuple[str, str]] | None):
        super().__init__(dict.fromkeys(KINDS, 0))
        self.matches = matches

    def add(self, kind: str, original: str, placeholder: str) -> str:
        self[kind] += 1
        if self.matches is not None:
            self.matches.append((kind, original))
        return placeholder


class PIIRedactor(Stage):
    """Replaces e-mails, IP addresses, phone numbers, Chinese ID numbers and bank card numbers; counts each kind.

    Counters: `redacted_email`, `redacted_ip`, `redacted_phone`, `redacted_id_number`,
    `redacted_bank_card`, `pii_documents`."""
    name: ClassVar[str] = "pii"
    version: ClassVar[str] = "4"   # 4: a dotted number before a Chinese section unit (22.1.3.15小节) is kept

    text_field: str = Field("text", description="Column holding the text.")
    email: bool = Field(True, description="Redact e-mail addresses.")
    ip: bool = Field(True, description=(
        "Redact IPv4 and IPv6 addresses (public ones unless redact_non_public_ips)."))
    phone: bool = Field(True, description=(
        "Redact phone numbers (international, North American, Chinese, Japanese, Korean, Russian national)."))
    id_number: bool = Field(True, description=(
        "Redact Chinese resident ID numbers (18 characters, GB 11643 checksum)."))
    bank_card: bool = Field(True, description=(
        "Redact bank card numbers (Luhn, issuer prefix; bare runs need a card word before)."))
    redact_non_public_ips: bool = Field(False, description=(
        "Also redact private, loopback, link-local, reserved and documentation IP addresses."))
    email_placeholder: str = Field("<EMAIL>", description="Replacement for an e-mail address.")
    ip_placeholder: str = Field("<IP_ADDRESS>", description="Replacement for an IP address.")
    phone_placeholder: str = Field("<PHONE>", description="Replacement for a phone number.")
    id_number_placeholder: str = Field("<ID_NUMBER>", description="Replacement for a resident ID number.")
    bank_card_placeholder: str = Field("<BANK_CARD>", description="Replacement for a bank card number.")
    min_international_digits: int = Field(8, ge=5, le=15, description=(
        "International numbers must have at least this many digits (country code included)."))

    def process(self, batch: pa.Table) -> Result:
        col = self.text_field
        texts = batch.column(col)
        kinds = [k for k in KINDS if getattr(self, k)]
        counts = {f"redacted_{k}": 0 for k in KINDS}
        # One RE2 pass over the batch for any kind; the kinds one by one only on those rows.
        candidate = pc.fill_null(pc.match_substring_regex(texts, "|".join(_SCREEN[k] for k in kinds)), False) \
            if kinds else pa.array(np.zeros(batch.num_rows, dtype=bool))
        rows = np.flatnonzero(candidate.to_numpy(zero_copy_only=False))
        if len(rows) == 0:
            return Result(batch, counters={**counts, "pii_documents": 0})
        picked = texts.take(pa.array(rows))
        present = {k: pc.fill_null(pc.match_substring_regex(picked, _PRESENT[k]), False).to_numpy(zero_copy_only=False)
                   for k in kinds}
        values = texts.to_pylist()
        touched = 0
        for j, i in enumerate(rows):
            new, found = self.redact(values[i], present={k: bool(v[j]) for k, v in present.items()})
            if any(found.values()):
                values[i] = new
                touched += 1
                for k, n in found.items():
                    counts[f"redacted_{k}"] += n
        out = batch.set_column(batch.column_names.index(col), col, pa.array(values, texts.type))
        return Result(out, counters={**counts, "pii_documents": touched})

    def redact(self, text: str, matches: list[tuple[str, str]] | None = None,
               present: dict[str, bool] | None = None) -> tuple[str, dict[str, int]]:
        """The text with PII replaced, and how many of each kind were replaced; `matches`, if given,
        receives (kind, original string) for every replacement (used to measure false positives).

        `present` (kind -> whether its `_PRESENT` pattern occurs in `text`) lets a kind be skipped
        while the text is unchanged: each full-text Python pass costs ~1 ms on a web page, and a
        kind cannot match where its `_PRESENT` does not. Once a placeholder went in (it could
        form a new match with its neighbours), every later kind runs."""
        found = _Found(matches)

        def run(kind: str) -> bool:
            return getattr(self, kind) and (present is None or present[kind] or any(found.values()))
        if run("email"):
            text = EMAIL.sub(lambda m: found.add("email", m.group(), self.email_placeholder), text)
        if run("ip"):
            text = IPV4.sub(lambda m: self._ip(m, found, text_is_v4=True), text)
            text = IPV6.sub(lambda m: self._ip(m, found, text_is_v4=False), text)
        if run("id_number"):
            text = ID_NUMBER.sub(lambda m: self._id_number(m, found), text)
        if run("bank_card"):
            text = CARD_GROUPED.sub(lambda m: self._card(m, found, grouped=True), text)
            text = CARD_BARE.sub(lambda m: self._card(m, found, grouped=False), text)
        if run("phone"):
            text = PHONE.sub(lambda m: self._phone(m, found), text)
        return text, dict(found)

    def _ip(self, m: re.Match, found: _Found, text_is_v4: bool) -> str:
        s = m.group()
        if text_is_v4 and (_VERSION_BEFORE.search(m.string, max(0, m.start() - 24), m.start())
                           or _SECTION_AFTER.match(m.string, m.end())):
            return s
        try:
            addr = ipaddress.ip_address(s)
        except ValueError:
            return s
        if not text_is_v4 and (s.count(":") < 2 or sum(1 for g in s.split(":") if g) < 3):
            return s        # `x[::2]`, `to be::`, `a::b`: slices and markup; a routable address has 3+ groups
        if not (self.redact_non_public_ips or addr.is_global):
            return s
        return found.add("ip", s, self.ip_placeholder)

    def _phone(self, m: re.Match, found: _Found) -> str:
        s = m.group()
        if _ISBN_BEFORE.search(m.string, max(0, m.start() - 10), m.start()):
            return s
        digits = sum(c.isdigit() for c in s)
        if s.startswith("+") and not (self.min_international_digits <= digits <= 15):
            return s
        if _DATE_LIKE.match(s):        # '+1980-02-29 01:02:03': a signed ISO date
            return s
        if _NATIONAL_3_GROUPS.fullmatch(s) and not 10 <= digits <= 11:    # 01-02-2024: a date
            return s
        return found.add("phone", s, self.phone_placeholder)

    def _id_number(self, m: re.Match, found: _Found) -> str:
        if not valid_id_number(m.group()):
            return m.group()
        return found.add("id_number", m.group(), self.id_number_placeholder)

    def _card(self, m: re.Match, found: _Found, grouped: bool) -> str:
        s = m.group()
        digits = s.replace(" ", "").replace("-", "")
        if not (13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_ok(digits)):
            return s
        if not grouped and not _CARD_WORD_BEFORE.search(m.string, max(0, m.start() - 16), m.start()):
            return s
        if _ISBN_BEFORE.search(m.string, max(0, m.start() - 10), m.start()):
            return s
        return found.add("bank_card", s, self.bank_card_placeholder)
