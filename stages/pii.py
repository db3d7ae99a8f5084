"""Redact personal data: e-mail addresses, IP addresses, phone, ID and card numbers, IBANs, with typed placeholders.

Choices (documented because every peer differs a little):
- IP addresses: only globally routable ones are redacted by default (`ipaddress`'s `is_global`);
  private, loopback, link-local, reserved and documentation ranges (10.x, 192.168.x, 127.0.0.1,
  192.0.2.x, ...) identify nobody, as datatrove's PIIFormatter also leaves private ranges alone.
  A dotted quad right after "version", "ver", "v", "build", "release" or "版本" is a version
  number, not an address, and is kept; so is one after "section", "§" or "第", or right before a
  Chinese section unit (节, 小节, 条, 款, 项, 章, 段, 版), where Chinese puts it: "规格的22.1.3.15小节",
  "GB/T 7714 的 4.2.1.3 条" are section numbers ("节点", node, is no unit: "8.8.8.8节点" is redacted).
- E-mail addresses may hold accented Latin, Greek and Cyrillic letters and `'` (RFC 6531, IDN domains:
  `jörg.müller@firma.de`, `anna@bäckerei.de`, `jane.o'connor@...`); CJK text may touch an address.
- Version, figure, table, chapter and section numbers in English, German and French (`Firmware
  4.1.2.10`, `Update to 5.4.3.2`, `Tab. 2.1.3.1`, `Kapitel 3.2.1.4`, `nginx/1.2.3.4`, a changelog's
  `- 1.2.3.4: fixed crash`) are kept as the version numbers above.
- IBANs (ISO 13616, the country's length, mod-97 checked) are `<IBAN>`, found before cards; no card
  is read into an IBAN's digits.
- Phones: international `+CC ...` or `00CC ...` numbers (8-15 digits; not a signed amount: before a
  currency or unit, in thousands groups `+12.345.678`, or round numbers `+20 30 40 50`), national
  numbers of any country right after a phone word (`Tel. 089 12345678`, `Phone: 536-22-1234`, `Mob: 0412
  345 678`; the Japanese ones too, 電話, 電話番号, 携帯(電話|番号), お問い合わせ先, 連絡先, ファックス,
  `電話 03 1234 5678`; the Chinese ones, 电话, 手机, 手機, 热线, 传真, 座机 (+号码): `电话：0571 8723 6100`,
  `手機：0912345678`;
  ungrouped only the 10-11 digits of a trunk-0 number, which may touch the label: `TEL 0312345678`,
  `携帯番号09012345678`, `TEL.0120123456`),
  extensions (`x 22`, `, Ext. 123`, `Durchwahl -12`) taken along, North-American numbers with
  separators and a valid NANP area/exchange code (`(415) 555-2671`, `415-555-2671`), Chinese
  mobiles (`13812345678`, `138 1234 5678`, optional +86), Chinese landlines with a trunk
  prefix (`010-12345678`), Russian ones with the trunk 8 and the area code in brackets
  (`8 (495) 123-45-67`), and Japanese, Korean and Taiwanese national numbers after the trunk 0:
  three hyphenated groups (`03-1234-5678`, `090-1234-5678`, `010-1234-5678`, `02-2345-6789`),
  Korean dots (`010.1234.5678`, `02.123.4567`), the area code in brackets (`TEL(03)1234-5678`, `(090)1234-5678`,
  Taiwan's `(02)2345-6789`), the Japanese local exchange in brackets (`03(1234)5678`). These have
  10-11 digits (so `01-02-2024` is a date); 9 only in the Seoul / Taiwanese shape of a 2-digit
  area code 02-08, a 3-digit exchange and 4 digits (`02-123-4567`, `(03)332-1234`); two 4-digit
  years are a range, not a number (`(02) 2019-2020`); a check digit or X after the last group is
  an ISBN's. Groups of 4-3-3 (or 4-6) are phones only under a prefix that is one: Japanese free-dial
  `0120-123-456` and navi-dial `0570-123-456`, Taiwanese mobiles `0912-345-678` (also `0912 345 678`,
  `0912-345678`), so a part number or ISBN group in the same shape with any other prefix is kept.
  Japanese mobiles 070 / 080 / 090 with 4 + 4 digits are phones spaced or not (`090 1234 5678`,
  `09012345678`). Other bare digit runs without separators are not phones (IDs, prices, timestamps),
  unless labelled (above); neither are dates,
  times, ISBNs, year ranges or version numbers, nor any number right after a part, model, serial
  or order number label (型号, 品番, 序列号, 订单号, 注文番号, 会員番号, part no., SKU, model ...), nor a video
  meeting's number (`腾讯会议号：138 1234 5678`, `Meeting ID: ...`). Nor a number
  in a URL or a file name (after = ? & # %, in a token that begins as a URL, before `.jpg`: photo and item IDs),
  a mobile or 400 number before an amount or a count (13500000000元, `13912345678 万元`, `13912345678 人`,
  `8000000000人民币`) unless a phone label is right before it (`联系电话：13812345678元旦期间照常营业`); a
  unit's character that begins another word is no unit (元旦, 元宵, 人工, 人在, 次日, 份额, 倍感, 股东; 百 and
  千 only as a unit's first character, 千瓦, 百万元, not 百度, 千万不要),
  a 3-3-4 or 400 number in a longer run of numbers with its separator (`ISO 100 200 400 800 1600 3200`,
  a table row) or of round groups only (`250 500 1000`), or a signed decimal (`+40.7127837`). A local
  number without its area code (`58036000`, Hong Kong's `2345 6789`) is a phone only right after a
  phone label and a colon (电话：, 熱線：, Tel:). Latin letters may touch a Chinese number only as a
  phone word before it (`TEL0755-12345678`) or, after it, under a phone label or an area-code dash
  (`电话:0731-88151902E-mail`, `手机13812345678QQ`): elsewhere the digits are part of a code.
- Full-width forms (U+FF01-FF5E: `＠ ． － ＋ ０-９ Ａ-Ｚ` ...) are matched as their ASCII letters,
  one character for one, so `abc＠example.com`, `info＠sample．co．jp` and `03－1234－5678` are
  found (the default chain's `chinese_clean` folds full-width letters and digits but leaves this
  punctuation); the replacement is made in the original text, which stays exactly as written
  outside the replaced spans. The sentence punctuation every CJK page has (，：；！？（）) is not
  folded: no pattern needs it as ASCII, and folding it would mean translating nearly every page;
  the patterns read the brackets around an area code (`（090）1234-5678`, `TEL（03）1234-5678`) and
  the colon after a label in either width. The dashes Japanese keyboards and pages write between a
  number's digits (ー U+30FC and ｰ U+FF70, − U+2212, ‐ ‑ ‒ – U+2010-2013: `090ー1234ー5678`,
  `03‐1234‐5678`), and the em dash and bar Chinese input methods give (— ― U+2014-2015: `010—65881234`)
  read as `-` too, only between two digits (ー is a letter in katakana words). The
  RE2 screens accept the same spellings (`_widen`), so such a row is not screened out before the
  patterns see it.
- US Social Security numbers: 123-45-6789 with the SSA's rules (area 001-899 but 666, group not
  00, serial not 0000), not after ISBN, part-number or reference labels (Case No., Docket, Nr.,
  Invoice: a case or document number); undashed (123456789, 123 45 6789), or
  with an area beginning with 0, only after an SSN label (SSN, Social Security number, SS#).
  Redacted as `<ID_NUMBER>`, counted with the Chinese ones (`redacted_id_number`); so is a Japanese
  My Number (12 digits, whole or in fours, with its check digit) right after マイナンバー or 個人番号,
  a Taiwan identity card number (a letter, 1 or 2, 8 digits; its check digit) and a Hong Kong one
  (one or two letters, 6 digits, the check digit in brackets: unbracketed is too like a code).
- Chinese resident identity numbers (GB 11643-1999): 18 characters, a 6-digit area code
  starting 1-8, a real birth date (1900-2099), a 3-digit sequence and the ISO 7064 MOD 11-2
  check character (0-9 or X): an 18-digit order number passes the date and the checksum by
  chance only rarely. Grouped 6-8-4 (`110105 19491231 002X`, `110105-19491231-002X`) only right after
  an ID label (身份证, 身份證, 身分證, 证件 (号码)): a table row may hold a postcode, a date and a number so.
  The old 15-digit numbers (GB 11643-1989, issued until 2004: area code, YYMMDD birth date in 19YY,
  3-digit sequence, no check character) have nothing to check but the area code and the date, so
  they need a real area code prefix, a province code that was issued (11-15, 21-23, 31-37, 41-46,
  50-54, 61-65; stricter than the 1-8 of the 18-character form), and a real date; and they are kept
  right after an order, waybill, transaction, registration, IMEI or card word (an order number, a
  business registration number, a handset serial, an Amex card) and inside URLs: `110105491231002`
  is replaced, `773012345678901`, `201905201234567` or `订单号：110105491231002` are not.
- Bank card numbers: 13-19 digits passing the Luhn check, with the issuer prefix of a real
  scheme (UnionPay 62, Visa 4, Mastercard 51-55/2221-2720, Amex 34/37, JCB 35, Discover
  6011/65). Written in groups of four (`6222 0212 3456 7890 123`) that is enough, but not after an
  order, licence or part-number label (订单号, License key: those are keys in a card's shape); a bare digit
  run also needs a card word just before it (卡号, 银行卡, 信用卡, card, account ...), because one
  in ten order numbers passes Luhn by chance.
- Chinese landlines: area code 010, 02X or 0[3-9]XX, then a 7-8 digit number, written
  `010-12345678`, `(0755)12345678`, `（0755）1234567`, `0755 12345678` or `+86 10 12345678`.
- The batch is first screened with RE2 patterns by Arrow; only rows that may contain PII run
  through the (more exact) Python patterns, and the labelled phone pass only rows with a phone word.

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
from stages.pii_patterns import (
    CARD_BARE, CARD_GROUPED, EMAIL, fold_width, IBAN, ID_NUMBER, ID_NUMBER_GROUPED, IPV4, IPV6, KINDS, LABELLED_PHONE,
    luhn_ok, MY_NUMBER, MY_NUMBER_WORDS, PHONE, PHONE_LABEL_SCREEN, PHONE_LABEL_WORDS, SSN, SSN_UNDASHED, valid_iban,
    valid_id_number, valid_my_number,
    _AMOUNT_AFTER, _CARD_PREFIX, _CARD_WORD_BEFORE, _CHANGELOG_AFTER, _CHANGELOG_ITEM, _COUNTRY_CODE, _DATE_LIKE,
    _DATE_SHAPE, _EXT_TAIL, _FILE_AFTER, _ID_LABEL_BEFORE, _ISBN_BEFORE, _LOCAL_LABEL_BEFORE, _MY_NUMBER_LABEL,
    _NATIONAL_BRANCHES, _NINE_DIGITS, _NOT_ID_BEFORE, _PHONE_LABEL_BEFORE, _PHONE_LABEL_END, _PRESENT,
    _reference_before, _SCREEN, _SECTION_AFTER, _SSN_WORD_BEFORE, _THOUSANDS, _UNIT_AFTER, _URL_BEFORE,
    _VERSION_BEFORE, _WORD_LABEL_BEFORE, _YEAR_RANGE_END)

# After an address: a colon and a path (scp/SSH syntax); a no-reply sender's local part.
_SCP_PATH_AFTER = re.compile(r":[~\w./-]")
_NO_REPLY = re.compile(r"no-?reply|do-?not-?reply|donotreply", re.I)


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
    """Replaces e-mails, IP addresses, phone numbers, ID numbers, bank card numbers and IBANs; counts each kind.

    Counters: `redacted_email`, `redacted_ip`, `redacted_phone`, `redacted_id_number`,
    `redacted_bank_card`, `redacted_iban`, `pii_documents`."""
    name: ClassVar[str] = "pii"
    adds: ClassVar[frozenset[str]] = frozenset()
    # 4: a dotted number before a Chinese section unit (22.1.3.15小节) is kept; 5: full-width forms
    # (abc＠example.com), Japanese / Korean / Taiwanese formats ((03)1234-5678, 0120-123-456,
    # 02-123-4567, 010.1234.5678, 0912-345-678), 15-digit ID numbers, no phone after a part-number label;
    # 7: no phone in URLs, amounts or runs of numbers, labelled local numbers (电话：58036000), no SSN or
    # card after a reference or licence label; 8: IBANs, Unicode e-mail addresses, no phone in signed
    # amounts or after an order / invoice / case label, extensions taken along, 00 prefixes, labelled
    # national numbers (Tel. 089 12345678), no address in figure / table / changelog numbers;
    # 9: Taiwan and Hong Kong identity card numbers, WhatsApp / Signal / Telegram as phone words;
    # 10: a phone label wins over an amount unit (联系电话：13812345678元旦), unit words (元旦, 人工, 百度) no
    # unit, em dashes, Chinese phone labels for labelled national numbers, Mob, grouped 6-8-4 resident
    # IDs after an ID label, no phone after a meeting-number label (腾讯会议号); 11: a Chinese phone
    # word without its colon labels only a number grouped as a phone is
    version: ClassVar[str] = "11"

    text_field: str = Field("text", description="Column holding the text.")
    email: bool = Field(True, description="Redact e-mail addresses.")
    ip: bool = Field(True, description=(
        "Redact IPv4 and IPv6 addresses (public ones unless redact_non_public_ips)."))
    phone: bool = Field(True, description=(
        "Redact phone numbers (international with + or 00, North American, Chinese, Japanese, Korean, "
        "Taiwanese, Russian national; other national numbers right after a phone word)."))
    id_number: bool = Field(True, description=(
        "Redact national ID numbers: Chinese resident ID numbers (18 characters with the GB 11643 checksum, or "
        "the old 15 digits; grouped 6-8-4 only after an ID label), US Social Security numbers (123-45-6789; "
        "undashed only after an SSN label) and "
        "Japanese My Numbers (12 digits with their check digit, right after マイナンバー or 個人番号), Taiwan "
        "identity card numbers (A123456789, with their check digit) and Hong Kong ones (A123456(3), bracketed "
        "check digit)."))
    bank_card: bool = Field(True, description=(
        "Redact bank card numbers (Luhn, issuer prefix; bare runs need a card word before)."))
    iban: bool = Field(True, description=(
        "Redact IBANs (ISO 13616: country code, check digits, the country's BBAN length, grouped in fours or "
        "not; mod-97 checked)."))
    redact_non_public_ips: bool = Field(False, description=(
        "Also redact private, loopback, link-local, reserved and documentation IP addresses."))
    email_placeholder: str = Field("<EMAIL>", description="Replacement for an e-mail address.")
    ip_placeholder: str = Field("<IP_ADDRESS>", description="Replacement for an IP address.")
    phone_placeholder: str = Field("<PHONE>", description="Replacement for a phone number.")
    id_number_placeholder: str = Field("<ID_NUMBER>", description="Replacement for a national ID number.")
    bank_card_placeholder: str = Field("<BANK_CARD>", description="Replacement for a bank card number.")
    iban_placeholder: str = Field("<IBAN>", description="Replacement for an IBAN.")
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
        if self.phone:
            present["phone_label"] = pc.fill_null(pc.match_substring_regex(picked, PHONE_LABEL_SCREEN), False) \
                .to_numpy(zero_copy_only=False)
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

        `present` (kind -> whether its `_PRESENT` pattern occurs in `text`; "phone_label" -> whether
        `PHONE_LABEL_SCREEN` does) lets a kind be skipped while the text is unchanged: each full-text
        Python pass costs ~1 ms on a web page, and a kind cannot match where its `_PRESENT` does not.
        Once a placeholder went in (it could form a new match with its neighbours), every later kind
        runs, and the labelled phone pass where the text now holds a phone word (`PHONE_LABEL_WORDS`).

        The patterns run on the width-folded text (`fold_width`: ＠ reads as @, － as -, ー between
        digits as -, one character for one); an accepted match's span is replaced in the original
        text, so the text outside the replaced spans stays exactly as written."""
        found = _Found(matches)
        folded = fold_width(text)

        def run(kind: str) -> bool:
            return getattr(self, kind) and (present is None or present[kind] or any(found.values()))

        def phone_word() -> bool:
            if present is not None and not any(found.values()):
                return present["phone_label"]
            return PHONE_LABEL_WORDS.search(folded) is not None

        def sub(kind: str, pattern: re.Pattern, accept, placeholder: str) -> None:
            nonlocal text, folded
            same = folded is text
            out, out_folded, last = [], [], 0
            for m in pattern.finditer(folded):
                if accept(m):
                    start, end = m.span()
                    found.add(kind, text[start:end], placeholder)
                    out += (text[last:start], placeholder)
                    if not same:
                        out_folded += (folded[last:start], placeholder)
                    last = end
            if out:
                text = "".join(out) + text[last:]
                # (the placeholders have nothing to fold: the folded new text is the new folded text)
                folded = text if same else "".join(out_folded) + folded[last:]

        if run("email"):
            sub("email", EMAIL, self._email_ok, self.email_placeholder)
        if run("ip"):
            sub("ip", IPV4, lambda m: self._ip_ok(m, text_is_v4=True), self.ip_placeholder)
            sub("ip", IPV6, lambda m: self._ip_ok(m, text_is_v4=False), self.ip_placeholder)
        if run("iban"):
            sub("iban", IBAN, lambda m: valid_iban(m.group()), self.iban_placeholder)
        if run("id_number"):
            sub("id_number", ID_NUMBER, self._id_number_ok, self.id_number_placeholder)
            sub("id_number", ID_NUMBER_GROUPED, lambda m: valid_id_number(re.sub(r"[ \-]", "", m.group())) and bool(
                _ID_LABEL_BEFORE.search(m.string, max(0, m.start() - 12), m.start())), self.id_number_placeholder)
            sub("id_number", SSN, self._ssn_ok, self.id_number_placeholder)
            sub("id_number", SSN_UNDASHED, lambda m: self._ssn_ok(m, labelled=True), self.id_number_placeholder)
            if any(w in folded for w in MY_NUMBER_WORDS):
                sub("id_number", MY_NUMBER, lambda m: valid_my_number(re.sub(r"\D", "", m.group())) and bool(
                    _MY_NUMBER_LABEL.search(m.string, max(0, m.start() - 16), m.start())), self.id_number_placeholder)
        if run("bank_card"):
            sub("bank_card", CARD_GROUPED, lambda m: self._card_ok(m, grouped=True), self.bank_card_placeholder)
            sub("bank_card", CARD_BARE, lambda m: self._card_ok(m, grouped=False), self.bank_card_placeholder)
        if run("phone"):
            sub("phone", PHONE, self._phone_ok, self.phone_placeholder)
            if phone_word():        # (a labelled number needs a phone word before it: `_labelled_ok`)
                sub("phone", LABELLED_PHONE, self._labelled_ok, self.phone_placeholder)
        return text, dict(found)

    # The checks below see the match in the folded text (m.string), context included.
    @staticmethod
    def _email_ok(m: re.Match) -> bool:
        """An address is a person's unless it is an scp/SSH target (`git@github.com:acme/repo.git`:
        a path right after a colon) or a service's no-reply sender (`noreply@github.com`), both all
        over Q&A and code; redacted they broke the commands around them."""
        if _SCP_PATH_AFTER.match(m.string, m.end()):
            return False
        return not _NO_REPLY.fullmatch(m.group().split("@", 1)[0])

    def _ip_ok(self, m: re.Match, text_is_v4: bool) -> bool:
        s = m.group()
        if text_is_v4 and (_VERSION_BEFORE.search(m.string, max(0, m.start() - 32), m.start())
                           or _SECTION_AFTER.match(m.string, m.end())
                           or (_CHANGELOG_ITEM.search(m.string, max(0, m.start() - 12), m.start())
                               and _CHANGELOG_AFTER.match(m.string, m.end()))):
            return False
        try:
            addr = ipaddress.ip_address(s)
        except ValueError:
            return False
        if not text_is_v4 and (s.count(":") < 2 or sum(1 for g in s.split(":") if g) < 3):
            return False    # `x[::2]`, `to be::`, `a::b`: slices and markup; a routable address has 3+ groups
        return self.redact_non_public_ips or addr.is_global

    def _phone_ok(self, m: re.Match) -> bool:
        s, branch, text = m.group(), m.lastgroup, m.string
        s = _EXT_TAIL.sub("", s)        # (the extension's digits are no part of the number's count)
        before = text[max(0, m.start() - 16):m.start()]
        if _ISBN_BEFORE.search(before) or _reference_before(text, m.start()):
            return False
        if _URL_BEFORE.search(text, max(0, m.start() - 200), m.start()) or _FILE_AFTER.match(text, m.end()):
            return False
        if branch == "local":
            return _LOCAL_LABEL_BEFORE.search(before) is not None
        if branch in ("cn_mobile", "cn_landline"):
            # (the pattern lets Latin letters touch the number, for these cases only)
            if before[-1:].isascii() and before[-1:].isalpha() and not _WORD_LABEL_BEFORE.search(before):
                return False
            after = text[m.end():m.end() + 1]
            if after.isascii() and after.isalpha() and not (
                    _PHONE_LABEL_BEFORE.search(before) or (branch == "cn_landline" and "-" in s[:6])):
                return False
        # (a phone label before it says what the number is: 联系电话：13812345678元旦期间照常营业)
        if branch in ("cn_mobile", "cn_service") and _AMOUNT_AFTER.match(text, m.end()) \
                and not _PHONE_LABEL_BEFORE.search(before):
            return False
        if branch in ("nanp", "cn_service") and self._in_number_run(m):
            return False
        digits = sum(c.isdigit() for c in s)
        if branch == "intl" and not self._international_ok(m, s, digits):
            return False
        # +40.7127837: a signed decimal; +5.789 2 20 3 2: one, then a table row's numbers (a gap in a
        # race's results, cells joined by spaces): a phone keeps one separator after its country code
        if branch == "intl" and re.match(r"\+\d+\.\d+(?:$| )", s):
            return False
        if _DATE_LIKE.match(s):        # '+1980-02-29 01:02:03': a signed ISO date
            return False
        if branch in _NATIONAL_BRANCHES:
            if _YEAR_RANGE_END.search(s):       # (02) 2019-2020: a year range
                return False
            if "." in s and _VERSION_BEFORE.search(before):     # version 010.1234.5678
                return False
            # 10-11 digits (01-02-2024 is a date); 9 only as Seoul / Taiwan 02-123-4567
            return 10 <= digits <= 11 or (digits == 9 and _NINE_DIGITS.fullmatch(s) is not None)
        return True

    def _international_ok(self, m: re.Match, s: str, digits: int) -> bool:
        """+CC or 00CC and 8-15 digits, and no signed number: not before a currency or a unit (+12 345 678 €),
        not in thousands groups (+12 345 678, +12.345.678), not a run of round numbers (+20 30 40 50)."""
        if s.startswith("00"):
            digits -= 2
            if not _COUNTRY_CODE.fullmatch(re.match(r"00(\d+)", s).group(1)):
                return False
        if not (self.min_international_digits <= digits <= 15) or s.count("/") > 1:
            return False
        if s.startswith("+") and _UNIT_AFTER.match(m.string, m.end()):
            return False
        t = _THOUSANDS.fullmatch(s)
        if t and (t.group("sep") == "." or s.count(t.group("sep")) <= 2):
            return False
        groups = re.findall(r"\d+", s)
        return not (len(groups) >= 3 and all(re.fullmatch(r"[1-9]\d*0", g) for g in groups))

    def _labelled_ok(self, m: re.Match) -> bool:
        """A number right after a phone word (`LABELLED_PHONE`): 7-13 digits after a colon, 8-13 after the
        trunk 0 without one; not a date, a year range or a reference."""
        label = _PHONE_LABEL_END.search(m.string, max(0, m.start() - 40), m.start())
        if label is None:
            return False
        s = _EXT_TAIL.sub("", m.group())
        if label.group("zh") and not label.group("colon") and min(map(len, re.findall(r"\d+", s))) < 3:
            # without its colon a Chinese word may be a noun of a flattened table or a count (共有手机
            # 0 1234 5678 部, 热线 0 8 15 30 60): the number must be grouped as a phone is (传真 0571 8723 6101)
            return False
        digits = sum(c.isdigit() for c in s)
        trunk = s.startswith(("0", "(0"))
        if not ((label.group("colon") and 7 <= digits <= 13) or (trunk and 8 <= digits <= 13)):
            return False
        if _DATE_SHAPE.fullmatch(s) or re.fullmatch(r"(?:19|20)\d\d[ ./\-]+(?:19|20)\d\d", s) or _DATE_LIKE.match(s):
            return False
        return not (_URL_BEFORE.search(m.string, max(0, m.start() - 200), m.start()) or _FILE_AFTER.match(m.string, m.end()))

    @staticmethod
    def _in_number_run(m: re.Match) -> bool:
        """A 3-3-4 or 400 number that is a piece of a longer run of numbers written with its own
        separator (ISO 100 200 400 800 1600 3200, v0.16.1 40094 32075 8019; a comma counts as a
        space), or whose groups are all round (250 500 1000, 300-500-1000: a list of sizes). A
        neighbour with another separator is kept out of it: the ZIP code in `NY 10001 212-555-1234`."""
        s, text = m.group(), m.string
        groups = re.findall(r"\d+", _EXT_TAIL.sub("", s))     # (not the extension's)
        if m.lastgroup == "nanp" and all(g.endswith("0") for g in groups[-3:]) and groups[-1].endswith("00"):
            return True
        if "(" in s:
            return False
        seps = [r"\s?,\s?|\s" if c == " " else re.escape(c) for c in sorted(set(s) & set(" -."))]
        if not seps:            # 4008880810 15、上海... : an ungrouped number has no run to be part of
            return False
        sep = "(?:" + "|".join(seps) + ")"
        # (a neighbour that is a phone itself is no run: 415 555 2671 415 555 2672)
        after = re.match(sep + r"(?=\d)", text[m.end():m.end() + 3])
        if after and not PHONE.match(text, m.end() + after.end()):
            return True
        before = re.search(r"\d" + sep + "$", text[max(0, m.start() - 3):m.start()])
        window = text[max(0, m.start() - 24):m.start() - len(before.group()) + 1] if before else ""
        return bool(before) and not any(p.end() == len(window) for p in PHONE.finditer(window))

    def _id_number_ok(self, m: re.Match) -> bool:
        s = m.group()
        if not valid_id_number(s):
            return False
        if s[0].isalpha():                      # Taiwan / Hong Kong: not a reference's code either
            return not _NOT_ID_BEFORE.search(m.string[max(0, m.start() - 16):m.start()])
        if len(s) == 15:
            before = m.string[max(0, m.start() - 16):m.start()]
            if _NOT_ID_BEFORE.search(before):     # an order or waybill number, an IMEI
                return False
            if _CARD_WORD_BEFORE.search(before) and _CARD_PREFIX.match(s) and luhn_ok(s):
                return False                     # a 15-digit card (Amex 34/37): the card pass takes it
        return True

    def _ssn_ok(self, m: re.Match, labelled: bool = False) -> bool:
        before = m.string[max(0, m.start() - 24):m.start()]
        # 0XX-XX-XXXX is also how a Chinese area code begins a (mistyped) landline: labelled only
        if labelled or m.group().startswith("0"):
            return _SSN_WORD_BEFORE.search(before) is not None
        if _SSN_WORD_BEFORE.search(before):             # SSN No. 123-45-6789: "No." is the SSN's
            return True
        if _PHONE_LABEL_END.search(before):           # Phone: 536-22-1234 (the phone pass takes it)
            return False
        return not (_ISBN_BEFORE.search(before) or _reference_before(m.string, m.start()))

    def _card_ok(self, m: re.Match, grouped: bool) -> bool:
        s = m.group()
        digits = s.replace(" ", "").replace("-", "")
        if not (13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_ok(digits)):
            return False
        # the digits of an IBAN (DE59 2345 0076 2791 2560 97, FR11 4759 9812 9025 4R1O ...: the iban kind off,
        # or a check digit mistyped): a card number never follows a country code and two digits
        if any(i.start() < m.end() and m.start() < i.end()
               for i in IBAN.finditer(m.string, max(0, m.start() - 40), m.end() + 40)):
            return False
        before = m.string[max(0, m.start() - 16):m.start()]
        if _CARD_WORD_BEFORE.search(before):
            return True
        # grouped in fours that is enough, but not after an order, licence or part-number label
        # (订单号：6222 0212 3456 7890 128, License key 5123 4567 8901 2346)
        return grouped and not (_ISBN_BEFORE.search(before[-10:]) or _reference_before(m.string, m.start()))
