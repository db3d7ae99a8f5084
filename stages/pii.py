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
  Bare digit runs without separators are not phones (IDs, prices, timestamps); neither are dates,
  times, ISBNs, year ranges or version numbers, nor any number right after a part, model, serial
  or order number label (型号, 品番, 序列号, 订单号, part no., SKU, model ...). Nor a number in a URL or a
  file name (after = ? & # %, in a token that begins as a URL, before `.jpg`: photo and item IDs),
  a mobile or 400 number before an amount or a count (13500000000元, `13912345678 万元`, `13912345678 人`),
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
  the colon after a label in either width. The RE2 screens accept the same full-width spellings
  (`_widen`), so such a row is not screened out before the patterns see it.
- US Social Security numbers: 123-45-6789 with the SSA's rules (area 001-899 but 666, group not
  00, serial not 0000), not after ISBN, part-number or reference labels (Case No., Docket, Nr.,
  Invoice: a case or document number); undashed (123456789, 123 45 6789), or
  with an area beginning with 0, only after an SSN label (SSN, Social Security number, SS#).
  Redacted as `<ID_NUMBER>`, counted with the Chinese ones (`redacted_id_number`).
- Chinese resident identity numbers (GB 11643-1999): 18 characters, a 6-digit area code
  starting 1-8, a real birth date (1900-2099), a 3-digit sequence and the ISO 7064 MOD 11-2
  check character (0-9 or X): an 18-digit order number passes the date and the checksum by
  chance only rarely. The old 15-digit numbers (GB 11643-1989, issued until 2004: area code,
  YYMMDD birth date in 19YY, 3-digit sequence, no check character) have nothing to check but the
  area code and the date, so they need a real area code prefix, a province code that was issued
  (11-15, 21-23, 31-37, 41-46, 50-54, 61-65; stricter than the 1-8 of the 18-character form), and
  a real date; and they are kept right after an order, waybill, transaction, registration, IMEI
  or card word (an order number, a business registration number, a handset serial, an Amex card)
  and inside URLs: `110105491231002` is replaced, `773012345678901`, `201905201234567` or
  `订单号：110105491231002` are not.
- Bank card numbers: 13-19 digits passing the Luhn check, with the issuer prefix of a real
  scheme (UnionPay 62, Visa 4, Mastercard 51-55/2221-2720, Amex 34/37, JCB 35, Discover
  6011/65). Written in groups of four (`6222 0212 3456 7890 123`) that is enough, but not after an
  order, licence or part-number label (订单号, License key: those are keys in a card's shape); a bare digit
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
# 1.6x faster on web pages, 8x for PHONE's branches (each starts with a digit, "+", "(", "（").
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
# After the national numbers' last group: no word character, no further digit, no ISBN check X
_NAT_END = r"(?![\w]|[.\-](?:\d|[Xx]\b))"
# Each branch is named: `_phone_ok` checks what the branch needs (digit counts, dates, ranges).
PHONE = re.compile("(?=[0-9+(（])(?:" + "|".join([
    # international: +CC then groups, 8-15 digits in all (checked after matching)
    # (each group's digits possessive: a long digit run after "+" is split one way, not tried in
    # every way: 60 KB of "+1" and 30 digits took 5 s)
    r"(?P<intl>(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,5}+\)?){2,6}(?!\w))",
    # North American with separators: (415) 555-2671, 415-555-2671, 1-415-555-2671, 001-415-...,
    # an extension after it (x123, ext. 123) taken along
    r"(?P<nanp>(?<![\w$€£¥.\-])(?:(?:00)?1[ .\-])?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\w]|[.\-]\d))",
    # Chinese mobile, optionally +86 / 86 / 0086 / (+86), optionally split 3-4-4; not an amount (亿元)
    # (Latin letters may touch it on either side, TEL13812345678, 13812345678QQ: `_phone_ok` lets
    # them only with a phone label; an amount, 13500000000元, `_AMOUNT_AFTER`, is no phone either)
    r"(?P<cn_mobile>(?<![\d_.\-])(?:[(（]?(?:\+|00)?86[)）]?[ \-]?)?1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})"
    r"(?![\d_]|[.\-]\d))",
    # Chinese landline with area code: 010-12345678, 0571-8888888, (0755)12345678, 0755 12345678,
    # an extension after it (-6738) taken along; letters touching it as for cn_mobile (TEL0755-...)
    r"(?P<cn_landline>(?<![\d_.\-])(?:" + _AREA + r"[ \-]|[(（]" + _AREA + r"[)）] ?)[1-9]\d{6,7}(?:-\d{1,4})?"
    r"(?![\d_]|[.\-]\d))",
    # Chinese nationwide service numbers 400 / 800 + 7 digits, grouped any way: 400-6060-995, 4008880810
    r"(?P<cn_service>(?<![\w.\-])[48]00(?:[ \-]?\d){7}(?![\w]|[.\-]\d))",
    # ... dialled from abroad: +86 10 12345678, +86-755-12345678
    r"(?P<cn_abroad>(?<![\w+])\+86[ \-]?(?:10|2\d|[3-9]\d\d)[ \-][1-9]\d{6,7}(?![\w]|[.\-]\d))",
    # Japanese, Korean and Taiwanese national numbers after the trunk 0 (digit counts checked after
    # matching; one branch with the alternatives after the 0, 10% faster than one branch each):
    # three hyphenated groups, 03-1234-5678, 090-1234-5678, 0467-12-3456, 02-123-4567; Korean dots,
    # 010.1234.5678, 02.123.4567; the Japanese local exchange in brackets, 03(1234)5678; and 4-3-3
    # under a prefix that makes it a phone: Japanese free-dial 0120 and navi-dial 0570, Taiwanese
    # mobiles 09XX (0912-345-678, 0912 345 678, 0912-345678)
    r"(?P<national>(?<![\w.\-])0(?:\d{1,4}-\d{1,4}-\d{4}|\d{1,2}\.\d{3,4}\.\d{4}|\d{1,4}[(（]\d{1,4}[)）]\d{4}"
    r"|(?:120|570|9\d\d)(?:-\d{3}-?| \d{3} )\d{3})" + _NAT_END + ")",
    # ... the area code in brackets, TEL(03)1234-5678, (090) 1234-5678, Taiwan's (02)2345-6789 (a
    # letter may come right before the bracket: TEL, Tel)
    r"(?P<national_area>(?<![\d.\-])[(（]0\d{1,4}[)）] ?\d{1,4}-\d{4}" + _NAT_END + ")",
    # Russian national numbers, trunk 8 and the area code in brackets: 8 (495) 123-45-67
    r"(?P<ru>(?<![\w.\-])8 ?\(\d{3,5}\) ?\d{1,3}[ \-]?\d{2}[ \-]?\d{2}(?![\w]|[.\-]\d))",
    # a local number without its area code, 58036000, 2345 6789 (Hong Kong): a phone only right after
    # a phone label (`_LOCAL_LABEL_BEFORE`). Last, so a rejected one hides no other branch's match.
    r"(?P<local>(?<![\w.\-])[2-9]\d{3}(?:\d{3,4}| \d{4})(?:-\d{1,4})?(?![\w]|[.\-]\d))",
]) + ")", re.ASCII)
_NATIONAL_BRANCHES = frozenset({"national", "national_area"})
# 9 digits only as a 2-digit area code 02-08, a 3-digit exchange and 4 digits: Seoul 02-123-4567,
# Taiwan (03)332-1234 (Japanese numbers have 10, Korean ones outside Seoul 10-11)
_NINE_DIGITS = re.compile(r"[(（]?0[2-8][)）]?[\-. ]?\d{3}[\-.]\d{4}", re.ASCII)
_YEAR_RANGE_END = re.compile(r"(?:19|20)\d\d[\-.](?:19|20)\d\d$", re.ASCII)   # (02) 2019-2020
# A number right after one of these labels is a part, model, serial or order number, not a phone
_PART_BEFORE = re.compile(
    r"(?:型号|型號|型番|品番|品号|品號|料号|料號|货号|貨號|件号|零件号|部品番号|序列号|序列號|编号|編號|批号|批號"
    r"|订单号|訂單號|单号|單號|품번|모델명|제품번호|part\s*(?:no\.?|number|#)|p/n|sku|model(?:\s*(?:no\.?|number|#))?"
    r"|serial(?:\s*(?:no\.?|number|#))?|item\s*(?:no\.?|number|#))\s*[:：#]?\s*$", re.I)
# ... and a reference label: a case, docket, ticket or invoice number in an SSN's shape
# (`Case No. 123-45-6789`, `STC: Nr. 219-05-2006`) or a key in a card's groups (`License key 5123 ...`)
_REF_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:nr|no|num|case|docket|ref|reference|ticket|order|invoice|receipt|licen[cs]e|key"
    r"|activation)\.?|#|许可证|授权码|激活码|注册码|密钥)\s*[:：#]?\s*$", re.I)
# A number in a URL or a file name is an ID (flickr.com/photos/x/16511337801/, item.htm?id=15623456789,
# (16511337801).jpg): right after = ? & # %, or in a token that begins as a URL, or before a file suffix
_URL_BEFORE = re.compile(r"(?:[=?&#%]|(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.|[A-Za-z0-9\-]+\.[A-Za-z]{2,}/)"
                         r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]*)$")
_FILE_AFTER = re.compile(r"\)?\." + _FILE_SUFFIXES)
# After a bare mobile or service number, an amount or a count: 13500000000元, GDP 13912345678 万元,
# 用户数 13912345678 人 (the words a unit begins - 人民路, 个人, 台湾, 万先生 - are no unit)
_AMOUNT_AFTER = re.compile(r"[ \u3000]?(?:[元亿股倍%％份次件]|万(?![先女小])|人(?!民)|个(?!人)|台(?![湾灣州北中南东西]))"
                           r"|[千百]")
# A local number without an area code is a phone only right after one of these and a colon
_LOCAL_LABEL_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:tel|phone)\.?\s*[:：]|(?:电话|電話|热线|熱線)(?:号码|號碼)?\s*[:：为為是])\s*$",
                                 re.I)
# Latin letters touching a Chinese number (TEL0755-12345678, 手机13812345678QQ12345): before it only a
# phone word, after it only under a phone label or after an area-code dash
_WORD_LABEL_BEFORE = re.compile(r"(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|fax)\.?$", re.I)
_PHONE_LABEL_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|fax)\.?|电话|電話|手机|手機|热线|熱線"
                                 r"|联系方式|傳真|传真)\s*[:：]?\s*$", re.I)
# GB 11643: 18 characters (1999, check character), or 15 digits (1989: YYMMDD, no check character)
# under a province code that was issued before 2004
_PROVINCE_1989 = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])"
ID_NUMBER = re.compile(r"(?=[1-8])(?<![0-9A-Za-z])(?:[1-8]\d{5}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[0-9Xx]|" + _PROVINCE_1989 + r"\d{6}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
                       r"(?![0-9A-Za-z])", re.ASCII)
# ... a 15-digit run right after these is an order, waybill or transaction number, a handset's IMEI,
# a business or tax registration number (注册号, 15 digits under an area code too), or part of a URL
# or file name (/, =, _, ., #, &, ?, - right before it)
_NOT_ID_BEFORE = re.compile(
    r"(?:(?:订单|訂單|单号|單號|运单|運單|快递|快遞|物流|流水|交易|发票|發票|票号|票號|IMEI|MEID|序列号|序列號"
    r"|注册|註冊|登记|登記|执照|執照|税号|稅號|纳税|納稅|机构|機構|代码|代碼"
    r"|order|tracking|invoice|serial|transaction|registration)[^\d\n]{0,8}|[/=_.#&?\-])$", re.I)
# US Social Security numbers: area 001-899 but 666, group 01-99, serial 0001-9999 (the SSA's rules,
# as Presidio's recognizer checks them). Written 123-45-6789 on its own; written without dashes
# (123456789, 123 45 6789) only right after an SSN label, as nine digits are otherwise anything;
# so is one whose area begins with 0 (021-12-3456 reads as a Shanghai number on a Chinese page).
SSN = re.compile(r"(?<![\d\-])(?<!\d\.)(?!000|666|9)\d{3}-(?!00)\d\d-(?!0000)\d{4}(?![\d]|[\-.]\d)", re.ASCII)
SSN_UNDASHED = re.compile(r"(?<![\d\-])(?!000|666|9)\d{3} ?(?!00)\d\d ?(?!0000)\d{4}(?![\d\-])", re.ASCII)
_SSN_WORD_BEFORE = re.compile(r"(?:(?:\bssn|social\s+security)(?:\s*(?:no\.?|nr\.?|number|#))?|\bss#)\s*[:#]?\s*$",
                              re.I)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
CARD_GROUPED = re.compile(r"(?=\d)(?<![\d\-])\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,3})?(?![\d]|[\-.]\d)", re.ASCII)
CARD_BARE = re.compile(r"(?=\d)(?<![\d.\-])\d{13,19}(?![\d]|[.\-]\d)", re.ASCII)
_CARD_PREFIX = re.compile(r"(?:62|4|5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720|3[47]|35|6011|65)")
_CARD_WORD_BEFORE = re.compile(
    r"(?:卡号|银行卡|信用卡|借记卡|储蓄卡|银联卡|账号|帐号|card|account|acct|visa|mastercard|amex)"
    r"\s*(?:no\.?|number|#)?\s*[:：为是]?\s*$", re.I)


def valid_id_number(s: str) -> bool:
    """A real calendar date, and for the 18-character form the GB 11643 check character (ISO 7064
    MOD 11-2); the 15-digit form (YYMMDD in 19YY) has no check character."""
    import datetime as _dt
    year, date = (1900 + int(s[6:8]), s[8:12]) if len(s) == 15 else (int(s[6:10]), s[10:14])
    try:
        _dt.date(year, int(date[:2]), int(date[2:]))
    except ValueError:
        return False
    if len(s) == 15:
        return True
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


# Full-width forms U+FF01-FF5E (＠．－＋０-９Ａ-Ｚ...) read as their ASCII letters, one character for
# one: a match's span in the folded text is its span in the original. Not the sentence punctuation
# every CJK page has (，：；！？（）): folding it would mean translating nearly every page (~30 ns a
# character), and no pattern needs it as ASCII: the brackets around an area code and the colon
# after a label are matched in either width.
_NOT_FOLDED = "！（），：；？"
_WIDTH_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _NOT_FOLDED}
_FULLWIDTH = re.compile("[" + "".join(map(chr, _WIDTH_FOLD)) + "]")


def fold_width(text: str) -> str:
    """`text` with full-width ASCII forms as ASCII (same length); `text` itself if it has none."""
    return text.translate(_WIDTH_FOLD) if _FULLWIDTH.search(text) else text


def _fw(c: str) -> str:
    """The full-width form `fold_width` reads as `c`, or "" if none."""
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and ord(c) + 0xFEE0 in _WIDTH_FOLD else ""


def _widen(pattern: str) -> str:
    r"""An RE2 screen written for ASCII text, widened to the full-width spellings `fold_width` reads
    as ASCII: every literal (outside groups' and quantifiers' syntax) and every class member or
    range also accepts its full-width form, `\d` accepts ０-９. So the widened screen matches a
    text wherever the ASCII screen matches the folded text. (Handles what the screens use:
    literals, escapes, non-negated classes, `(?:`, `|`, `?`, `*`, `+` and `{m,n}`.)"""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            e, i = pattern[i:i + 2], i + 2
            out.append("[0-9０-９]" if e == r"\d" else f"[{e}{_fw(e[1])}]" if _fw(e[1]) else e)
        elif c == "[":
            j = pattern.index("]", i + 1)
            body, i, k, extra = pattern[i + 1:j], j + 1, 0, []
            assert not body.startswith("^"), "negated classes cannot be widened"
            while k < len(body):
                if body[k] == "\\":
                    e, k = body[k:k + 2], k + 2
                    extra.append("０-９" if e == r"\d" else _fw(e[1]))
                elif k + 2 < len(body) and body[k + 1] == "-":
                    extra.append(f"{_fw(body[k])}-{_fw(body[k + 2])}" if _fw(body[k]) and _fw(body[k + 2]) else "")
                    k += 3
                else:
                    extra.append(_fw(body[k]))
                    k += 1
            out.append(f"[{body}{''.join(extra)}]")
        elif c == "{":
            j = pattern.index("}", i)
            out.append(pattern[i:j + 1])
            i = j + 1
        elif pattern.startswith("(?:", i):
            out.append("(?:")
            i += 3
        else:
            out.append(f"[{c}{_fw(c)}]" if c not in "()|?*+.^$" and _fw(c) else c)
            i += 1
    return "".join(out)


# RE2 screens: the rows the Python patterns run on. Each is a superset of its kind's Python
# patterns (every match contains a screen match): a row the screens miss is never looked at, so a
# narrower screen loses PII ("john_@example.com", "(415)555-2671" once slipped through that way).
# Written for ASCII, they are widened to the full-width spellings the Python patterns read (see
# `fold_width`): `abc＠example.com` or `03－1234－5678` must get through as well.
_SCREEN_ASCII = {
    "email": r"[A-Za-z0-9._%+\-]@[A-Za-z0-9]",
    "ip": r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]?:[0-9A-Fa-f]*:",
    "phone": r"\+\d|\d\d\d\)? ?[ .\-]?\d\d\d[ .\-]\d{4}|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}[)）]? ?-?\d{7}"
             r"|0\d{1,4}[\-.]\d{1,4}[\-.]\d{4}|[(（]0\d{1,4}[)）] ?\d{1,4}-\d{4}|0\d{1,4}[(（]\d{1,4}[)）]\d{4}"
             r"|0(?:120|570|9\d\d)[ \-]\d{3}[ \-]?\d{3}|8 ?\(\d{3,5}\)|[48]00(?:[ \-]?\d){7}"
             r"|(?:电话|電話|热线|熱線|[Tt][Ee][Ll]|[Pp][Hh][Oo][Nn][Ee])\.?(?:号码|號碼)?\s*[:：为為是]\s*\d\d\d\d",
    "id_number": r"\d{15}|\d{3}-\d\d-\d{4}|[sS][sS][nN#]|[sS][oO][cC][iI][aA][lL]\s+[sS][eE][cC][uU][rR]",
    "bank_card": r"\d{13}|\d{4}[ \-]\d{4}[ \-]\d{4}",
}
_SCREEN = {k: _widen(v) for k, v in _SCREEN_ASCII.items()}
KINDS = ("email", "ip", "phone", "id_number", "bank_card")
# Per kind, what a row must contain for the kind's Python patterns to run on it (see `redact`).
_PRESENT = {**_SCREEN, "email": _widen("@")}


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
    # 4: a dotted number before a Chinese section unit (22.1.3.15小节) is kept; 5: full-width forms
    # (abc＠example.com), Japanese / Korean / Taiwanese formats ((03)1234-5678, 0120-123-456,
    # 02-123-4567, 010.1234.5678, 0912-345-678), 15-digit ID numbers, no phone after a part-number label;
    # 7: no phone in URLs, amounts or runs of numbers, labelled local numbers (电话：58036000), no SSN or
    # card after a reference or licence label
    version: ClassVar[str] = "7"

    text_field: str = Field("text", description="Column holding the text.")
    email: bool = Field(True, description="Redact e-mail addresses.")
    ip: bool = Field(True, description=(
        "Redact IPv4 and IPv6 addresses (public ones unless redact_non_public_ips)."))
    phone: bool = Field(True, description=(
        "Redact phone numbers (international, North American, Chinese, Japanese, Korean, Taiwanese, "
        "Russian national)."))
    id_number: bool = Field(True, description=(
        "Redact national ID numbers: Chinese resident ID numbers (18 characters with the GB 11643 checksum, or "
        "the old 15 digits) and US Social Security numbers (123-45-6789; undashed only after an SSN label)."))
    bank_card: bool = Field(True, description=(
        "Redact bank card numbers (Luhn, issuer prefix; bare runs need a card word before)."))
    redact_non_public_ips: bool = Field(False, description=(
        "Also redact private, loopback, link-local, reserved and documentation IP addresses."))
    email_placeholder: str = Field("<EMAIL>", description="Replacement for an e-mail address.")
    ip_placeholder: str = Field("<IP_ADDRESS>", description="Replacement for an IP address.")
    phone_placeholder: str = Field("<PHONE>", description="Replacement for a phone number.")
    id_number_placeholder: str = Field("<ID_NUMBER>", description="Replacement for a national ID number.")
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
        form a new match with its neighbours), every later kind runs.

        The patterns run on the width-folded text (`fold_width`: ＠ reads as @, － as -, one
        character for one); an accepted match's span is replaced in the original text, so the
        text outside the replaced spans stays exactly as written."""
        found = _Found(matches)
        folded = fold_width(text)

        def run(kind: str) -> bool:
            return getattr(self, kind) and (present is None or present[kind] or any(found.values()))

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
            sub("email", EMAIL, lambda m: True, self.email_placeholder)
        if run("ip"):
            sub("ip", IPV4, lambda m: self._ip_ok(m, text_is_v4=True), self.ip_placeholder)
            sub("ip", IPV6, lambda m: self._ip_ok(m, text_is_v4=False), self.ip_placeholder)
        if run("id_number"):
            sub("id_number", ID_NUMBER, self._id_number_ok, self.id_number_placeholder)
            sub("id_number", SSN, self._ssn_ok, self.id_number_placeholder)
            sub("id_number", SSN_UNDASHED, lambda m: self._ssn_ok(m, labelled=True), self.id_number_placeholder)
        if run("bank_card"):
            sub("bank_card", CARD_GROUPED, lambda m: self._card_ok(m, grouped=True), self.bank_card_placeholder)
            sub("bank_card", CARD_BARE, lambda m: self._card_ok(m, grouped=False), self.bank_card_placeholder)
        if run("phone"):
            sub("phone", PHONE, self._phone_ok, self.phone_placeholder)
        return text, dict(found)

    # The checks below see the match in the folded text (m.string), context included.
    def _ip_ok(self, m: re.Match, text_is_v4: bool) -> bool:
        s = m.group()
        if text_is_v4 and (_VERSION_BEFORE.search(m.string, max(0, m.start() - 24), m.start())
                           or _SECTION_AFTER.match(m.string, m.end())):
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
        before = text[max(0, m.start() - 16):m.start()]
        if _ISBN_BEFORE.search(before) or _PART_BEFORE.search(before):
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
        if branch in ("cn_mobile", "cn_service") and _AMOUNT_AFTER.match(text, m.end()):
            return False
        if branch in ("nanp", "cn_service") and self._in_number_run(m):
            return False
        digits = sum(c.isdigit() for c in s)
        if s.startswith("+") and not (self.min_international_digits <= digits <= 15):
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

    @staticmethod
    def _in_number_run(m: re.Match) -> bool:
        """A 3-3-4 or 400 number that is a piece of a longer run of numbers written with its own
        separator (ISO 100 200 400 800 1600 3200, v0.16.1 40094 32075 8019; a comma counts as a
        space), or whose groups are all round (250 500 1000, 300-500-1000: a list of sizes). A
        neighbour with another separator is kept out of it: the ZIP code in `NY 10001 212-555-1234`."""
        s, text = m.group(), m.string
        groups = re.findall(r"\d+", re.split(r"[xe]", s)[0])     # (not the extension's)
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
        return not (_ISBN_BEFORE.search(before) or _PART_BEFORE.search(before) or _REF_BEFORE.search(before))

    def _card_ok(self, m: re.Match, grouped: bool) -> bool:
        s = m.group()
        digits = s.replace(" ", "").replace("-", "")
        if not (13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_ok(digits)):
            return False
        before = m.string[max(0, m.start() - 16):m.start()]
        if _CARD_WORD_BEFORE.search(before):
            return True
        # grouped in fours that is enough, but not after an order, licence or part-number label
        # (订单号：6222 0212 3456 7890 128, License key 5123 4567 8901 2346)
        return grouped and not (_ISBN_BEFORE.search(before[-10:]) or _PART_BEFORE.search(before)
                                or _REF_BEFORE.search(before))
