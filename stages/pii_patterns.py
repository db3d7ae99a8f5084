"""The patterns and checks of the `pii` stage (stages/pii.py, whose docstring says what each kind
matches and why): e-mail, IP, phone (international, North American, Chinese, Japanese, Korean,
Taiwanese, Russian, labelled national), resident ID, SSN, bank card and IBAN patterns, their
checksums, the labels before a number that make it a reference rather than PII, full-width
folding, and the RE2 screens Arrow runs over a batch first. Kept apart so that the stage module
holds the stage.
"""
from __future__ import annotations

import re

_FILE_SUFFIXES = r"(?:png|jpe?g|gif|svg|webp|bmp|ico|css|js|pdf)\b"
# The letters of an address (RFC 6531 local parts, IDN domains: jörg.müller@firma.de, anna@bäckerei.de):
# Latin with its diacritics (combining ones too), Greek, Cyrillic. Not the unspaced scripts (CJK, kana,
# Hangul): Chinese and Japanese pages glue the address to the words around it (邮箱abc123@qq.com联系).
_ADDR_LETTERS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u0370-\u03ff\u0400-\u04ff"
_AL = "A-Za-z0-9" + _ADDR_LETTERS
EMAIL = re.compile(
    rf"(?<![{_AL}._%+\-])[{_AL}](?:[{_AL}._%+\-']{{0,63}})@"
    rf"(?:[{_AL}](?:[{_AL}\-]{{0,62}})\.)+(?!" + _FILE_SUFFIXES + rf")[A-Za-z{_ADDR_LETTERS}]{{2,24}}(?![{_AL}\-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# A leading lookahead of the first character (IPV4, PHONE, the card patterns) lets Python's re
# reject most positions at once instead of testing the look-behinds there: the same matches,
# 1.6x faster on web pages, 8x for PHONE's branches (each starts with a digit, "+", "(", "（").
IPV4 = re.compile(rf"(?=\d)(?<![A-Za-z0-9_.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d)(?![A-Za-z0-9_])", re.ASCII)
IPV6 = re.compile(r"(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
                  + _OCTET + r"(?:\." + _OCTET + r"){3})?(?![A-Za-z0-9_:])", re.ASCII)
# Dotted numbers that are versions or section numbers, not addresses: `version 1.2.3.4`,
# `__version__ = "3.5.0.1"`, `pkg>=1.2.0.0`, `RFC 9110 section 8.4.1.3`, `§ 4.2.1.1`; a software word
# (`Firmware 4.1.2.10`, `Update to 5.4.3.2`, `the changelog for 2.0.0.1`); a document part in English,
# German or French (`Figure 3.2.1.4`, `Tab. 2.1.3.1`, `Kapitel`, `Abschnitt`, `Art.`, `Schema 1.2.3.4`);
# a product token (`nginx/1.2.3.4`, `Apache/2.4.41.1`: a word and a slash, not a URL's path).
_VERSION_BEFORE = re.compile(
    r"(?:(?:(?<![^\W\d_])(?:version|ver\.?|v\.?|build|release|section|sect\.|sec\.|clause|chapter|chap\.|paragraph"
    r"|para\.|rule|firmware|fw|update|upgrade|patch|hotfix|changelog|change\s+log|revision|rev\.?|kernel|driver"
    r"|figure|fig\.|table|tab\.|appendix|annex|article|art\.|item|step|schema|part|abbildung|abb\.|tabelle|kapitel"
    r"|kap\.|abschnitt|abs\.|absatz|artikel|anhang|anlage|ziffer|tableau|chapitre|annexe|paragraphe|partie)"
    r"(?:\s+(?:to|for|of|zu|auf|für|vers|de|du|à))?"
    r"|版本|版本号|第|§)[_\s]*[:=：]?\s*[\"']?\s*|[<>=~!]=\s*|(?<![\w./:\-])[A-Za-z][A-Za-z0-9_\-]*/)$", re.I)
# ... and a changelog's list item: a dotted quad right after a bullet or heading mark at the start of a
# line, then a colon or a word (`- 1.2.3.4: fixed crash`, `* 4.0.0.12 hotfix`, `## 2.0.0.1 - notes`);
# a bare `- 8.8.8.8` (a YAML list of resolvers) or `- 8.8.8.8  # google` stays an address.
_CHANGELOG_ITEM = re.compile(r"(?:^|\n)[ \t]*(?:[-*•+]|#{1,6})[ \t]+$")
_CHANGELOG_AFTER = re.compile(r":\s|[ \t]+[-–][ \t]|[ \t]+[A-Za-z]")
# ... and the same after the number, as Chinese writes the unit: `22.1.3.15小节`, `4.2.1.3 条`,
# `3.1.2.1款`, `1.2.3.4 版` (an optional space; "节点", a network node, is not a section).
_SECTION_AFTER = re.compile(r"[ \t\u3000]?(?:小节|节(?!点)|条|款|项|章|段|版)")
_DATE_LIKE = re.compile(r"\+?\d{4}-[01]\d-[0-3]\d(?!\d)")
_ISBN_BEFORE = re.compile(r"isbn(?:-1[03])?\s*[:：]?\s*$", re.I)
_AREA = r"0(?:10|2\d|[3-9]\d\d)"   # Chinese area codes: Beijing 010, 02X, 0[3-9]XX
# After the national numbers' last group: no word character, no further digit, no ISBN check X
_NAT_END = r"(?![\w]|[.\-](?:\d|[Xx]\b))"
# An extension after a number, taken along with it (x123, ext. 123, `, Ext. 123`, `Durchwahl -12`, `poste 201`)
_EXT_WORDS = r"(?:x|ext\.?|extension|durchwahl|poste)"
_EXT = r"(?:,?[ ]?(?i:" + _EXT_WORDS + r")[ ]?[:.]?[ ]?-?\d{1,5})?"
_EXT_TAIL = re.compile(r",?[ ]?" + _EXT_WORDS + r"[ ]?[:.]?[ ]?-?\d{1,5}$", re.I)
# Each branch is named: `_phone_ok` checks what the branch needs (digit counts, dates, ranges).
PHONE = re.compile("(?=[0-9+(（])(?:" + "|".join([
    # international: +CC (or 00CC, the CC then a separator: 0049 30 12345678, 00800 400 200 00), an
    # area code or trunk in brackets right after it (+55 (11), +44 (0)20, +49 (0) 89), then groups,
    # the one after the area code may follow a slash (+49 221 / 98765-0): 8-15 digits in all
    # (checked after matching)
    # (each group's digits possessive: a long digit run after "+" is split one way, not tried in
    # every way: 60 KB of "+1" and 30 digits took 5 s; a bracket only before the plain groups, so
    # a year range after a number, `+2 345 678 (2010-2020)`, is not read as its last groups)
    r"(?P<intl>(?:(?<![\w+(])\(?\+[1-9]\d{0,2}\)?|(?<![\w+.,/\-])00[1-9]\d{0,2}(?!\d))(?:[ .\-]?\(\d{1,5}\)){0,2}"
    r"(?:[ .\-]?\d{1,5}+)?(?:[ ]?/[ ]?\d{1,5}+)?(?:[ .\-]?\d{1,5}+){0,5}" + _EXT + r"(?!\w))",
    # North American with separators: (415) 555-2671, 415-555-2671, 1-415-555-2671, 001-415-...
    r"(?P<nanp>(?<![\w$€£¥.\-])(?:(?:00)?1[ .\-])?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}"
    + _EXT + r"(?![\w]|[.\-]\d))",
    # Chinese mobile, optionally +86 / 86 / 0086 / (+86), optionally split 3-4-4; not an amount (亿元)
    # (Latin letters may touch it on either side, TEL13812345678, 13812345678QQ: `_phone_ok` lets
    # them only with a phone label; an amount, 13500000000元, `_AMOUNT_AFTER`, is no phone either)
    r"(?P<cn_mobile>(?<![\d_.\-])(?:[(（]?(?:\+|00)?86[)）]?[ \-]?)?1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})"
    + _EXT + r"(?![\d_]|[.\-]\d))",
    # Chinese landline with area code: 010-12345678, 0571-8888888, (0755)12345678, 0755 12345678,
    # an extension after it (-6738) taken along; letters touching it as for cn_mobile (TEL0755-...)
    r"(?P<cn_landline>(?<![\d_.\-])(?:" + _AREA + r"[ \-]|[(（]" + _AREA + r"[)）] ?)[1-9]\d{6,7}(?:-\d{1,4})?"
    + _EXT + r"(?![\d_]|[.\-]\d))",
    # Chinese nationwide service numbers 400 / 800 + 7 digits, grouped any way: 400-6060-995, 4008880810
    r"(?P<cn_service>(?<![\w.\-])[48]00(?:[ \-]?\d){7}(?![\w]|[.\-]\d))",
    # ... dialled from abroad: +86 10 12345678, +86-755-12345678
    r"(?P<cn_abroad>(?<![\w+])\+86[ \-]?(?:10|2\d|[3-9]\d\d)[ \-][1-9]\d{6,7}(?![\w]|[.\-]\d))",
    # Japanese, Korean and Taiwanese national numbers after the trunk 0 (digit counts checked after
    # matching; one branch with the alternatives after the 0, 10% faster than one branch each):
    # three hyphenated groups, 03-1234-5678, 090-1234-5678, 0467-12-3456, 02-123-4567; Korean dots,
    # 010.1234.5678, 02.123.4567; the Japanese local exchange in brackets, 03(1234)5678; and 4-3-3
    # under a prefix that makes it a phone: Japanese free-dial 0120 and navi-dial 0570, Taiwanese
    # mobiles 09XX (0912-345-678, 0912 345 678, 0912-345678); Japanese mobiles 070 / 080 / 090 and
    # 4 + 4 digits spaced or not (090 1234 5678, 09012345678): a prefix no other number has there
    r"(?P<national>(?<![\w.\-])0(?:\d{1,4}-\d{1,4}-\d{4}|\d{1,2}\.\d{3,4}\.\d{4}|\d{1,4}[(（]\d{1,4}[)）]\d{4}"
    r"|(?:120|570|9\d\d)(?:-\d{3}-?| \d{3} )\d{3}|[789]0(?: \d{4} |\d{4})\d{4})" + _EXT + _NAT_END + ")",
    # ... the area code in brackets, TEL(03)1234-5678, (090) 1234-5678, Taiwan's (02)2345-6789 (a
    # letter may come right before the bracket: TEL, Tel)
    r"(?P<national_area>(?<![\d.\-])[(（]0\d{1,4}[)）] ?\d{1,4}-\d{4}" + _EXT + _NAT_END + ")",
    # Russian national numbers, trunk 8 and the area code in brackets: 8 (495) 123-45-67
    r"(?P<ru>(?<![\w.\-])8 ?\(\d{3,5}\) ?\d{1,3}[ \-]?\d{2}[ \-]?\d{2}" + _EXT + r"(?![\w]|[.\-]\d))",
    # a local number without its area code, 58036000, 2345 6789 (Hong Kong): a phone only right after
    # a phone label (`_LOCAL_LABEL_BEFORE`). Last, so a rejected one hides no other branch's match.
    r"(?P<local>(?<![\w.\-])[2-9]\d{3}(?:\d{3,4}| \d{4})(?:-\d{1,4})?(?![\w]|[.\-]\d))",
]) + ")", re.ASCII)
_NATIONAL_BRANCHES = frozenset({"national", "national_area"})
# 9 digits only as a 2-digit area code 02-08, a 3-digit exchange and 4 digits: Seoul 02-123-4567,
# Taiwan (03)332-1234 (Japanese numbers have 10, Korean ones outside Seoul 10-11)
_NINE_DIGITS = re.compile(r"[(（]?0[2-8][)）]?[\-. ]?\d{3}[\-.]\d{4}", re.ASCII)
_YEAR_RANGE_END = re.compile(r"(?:19|20)\d\d[\-.](?:19|20)\d\d$", re.ASCII)   # (02) 2019-2020
# A number right after one of these labels is a part, model, serial, order, invoice, case or tracking
# number, a customer number or a key, whatever its shape: the one label rule of every kind (phones,
# SSNs, cards). Chinese, Japanese, Korean part and order labels (Japanese order, member, booking,
# slip and inquiry numbers too: 注文番号, 会員番号, 問い合わせ番号); a video meeting's number (腾讯会议号：
# 138 1234 5678, Meeting ID: ..., 11 digits in a mobile's shape) and a parcel's; English, German and French
# reference words, alone (`Invoice 345-678-9012`, `Tracking: ...`, `Case No.`, `Rechnungsnummer`,
# `Kundennummer`, `N° de commande`, `Réf.`) or, for words that are no label alone (order, item,
# customer), with a number word (`Order number`, `Order #:`, `Item No.`); and a bare number word
# (`No.`, `Nr.`, `#`, `N°`, group "numero") unless a phone word is right before it (`Tel. Nr.`).
_NUMERO = r"(?:no\.?|nr\.?|n°|nº|num(?:ber|éro|ero|\.)?|nummer|#|id)"
_REF_BEFORE = re.compile(
    r"(?:(?:型号|型號|型番|品番|品号|品號|料号|料號|货号|貨號|件号|零件号|部品番号|序列号|序列號|编号|編號|批号|批號"
    r"|订单号|訂單號|单号|單號|품번|모델명|제품번호|许可证|授权码|激活码|注册码|密钥"
    r"|(?:会议|會議)(?:号码|號碼|号|號|ID|室号|室號)|腾讯会议|騰訊會議|追踪号|跟踪号|追蹤號|跟蹤號|快递号|快遞號|取件码|取件碼"
    r"|注文番号|会員番号|受付番号|予約番号|顧客番号|お客様番号|管理番号|伝票番号|商品番号|製品番号|整理番号|登録番号"
    r"|問い合わせ番号|問合せ番号)"
    r"|(?<![^\W\d_])(?:"
    r"(?:p/n|sku|model|serial|part|invoice|receipt|case|docket|ticket|tracking|reference|ref|licen[cs]e(?:\s*key)?|key"
    r"|activation(?:\s*code)?|aktenzeichen|az|référence|réf|facture|commande)\.?(?:[ \-]?" + _NUMERO + r")?"
    r"|(?:order|item|customer|booking|confirmation|transaction|shipment|article|contract|policy|account|meeting"
    r"|webinar)"
    r"[ \-]?" + _NUMERO +
    r"|(?:bestell|rechnungs|kunden|auftrags|artikel|vorgangs|sendungs|referenz|beleg|vertrags|mitglieds|buchungs"
    r"|teile|serien|lieferschein|kassen|versicherungs|steuer)[ \-]?(?:nummer|nr\.?)"
    r"|" + _NUMERO + r"\s*(?:de\s+|d['’]\s*)?(?:commande|facture|client|suivi|dossier|contrat|série|colis|article"
    r"|pièce|transaction|référence)"
    r"|(?P<numero>no\.?|nr\.?|n°|nº|num\.?|#)))\s*[:：#]?\s*$", re.I)
# Phone words of the languages with Latin letters (a label before a number); also read by the
# labelled pass's screen (`PHONE_LABEL_SCREEN`)
_PHONE_WORDS = ("tel", "tél", "telefon", "telephone", "téléphone", "telefono", "teléfono", "telefoon", "phone", "fon",
                "fax", "telefax", "mobile?", "mob", "mobiel", "handy", "cell", "cellulare", "portable", "gsm",
                "m[óo]vil", "whatsapp", "signal", "telegram", "rufnummer", "telefonnummer", "handynummer", "faxnummer")
_PHONE_WORD = (r"(?<![^\W\d_])(?:" + "|".join(_PHONE_WORDS) + r")"
               r"(?:\.?[ \-]?(?:nr|no|num(?:ber|éro|ero)?|nummer|#)\b)?\.?")
_PHONE_WORD_END = re.compile(_PHONE_WORD + r"[\s.\-]*$", re.I)
# ... and the Japanese ones (TEL, FAX are the Latin ones above). No letter check before them: Japanese
# writes no space, a word may run into the label (お客様電話番号, 緊急連絡先).
_JA_PHONE_WORD = r"(?:電話|携帯(?:電話)?|ファッ?クス|お?問い?合わ?せ先|連絡先)(?:番号)?"
# ... and the Chinese ones, simplified and traditional (联系电话, 手机号码, 手機, 服务热线, 传真)
_ZH_PHONE_WORD = r"(?:电话|手机|手機|热线|熱線|传真|傳真|座机|座機)(?:号码|號碼|号|號)?"
_PHONE_LABEL_END = re.compile(r"(?:" + _PHONE_WORD + "|" + _JA_PHONE_WORD + "|(?P<zh>" + _ZH_PHONE_WORD
                              + r"))\s*(?P<colon>[:：])?[ \t\u3000]*$", re.I)


def _reference_before(text: str, start: int) -> bool:
    """Whether a reference label (`_REF_BEFORE`) ends right before `start`."""
    before = text[max(0, start - 32):start]
    m = _REF_BEFORE.search(before)
    if m is None:
        return False
    return m.group("numero") is None or not _PHONE_WORD_END.search(before, 0, m.start())


# A national number without a country code (0221 / 123 45 67, 089 12345678, 01 23 45 67 89, 06-12345678:
# European, Australian, Indian formats, grouped any way) is a phone only right after a phone word:
# with a colon after it any 7-13 digits (`Phone: 536-22-1234`, `Tel: 555-1234`), without one only
# 8-13 digits after the trunk 0 (`Tel. 089 12345678`, `Mobil 0171 1234567`); ungrouped, only the 10-11
# digits of a trunk-0 number, which may touch its label (`TEL 0312345678`, `電話：09012345678`,
# `携帯番号09012345678`, `TEL.0120123456`: Japanese writes no space). A pass of its own after
# PHONE's, over grouped numbers (`_labelled_ok` reads the label before one: starting the pattern at
# the label words made the stage 1.8x slower), so a rejected candidate hides no other pattern's match.
LABELLED_PHONE = re.compile(r"(?=[0-9(])(?:(?<![\w.\-+/])(?:\(0\d{1,4}\)|\d{1,8}+)(?:(?:[ .\-]|[ ]?/[ ]?)\d{1,8}+){1,5}"
                            r"|(?<![0-9_\-+/])(?<![0-9]\.)0\d{9,10}+)" + _EXT + r"(?![\w]|[.\-/]\d)", re.ASCII)
_DATE_SHAPE = re.compile(r"\d{1,2}([./\-])\d{1,2}\1(?:\d\d){1,2}|\d{4}([./\-])\d{1,2}\2\d{1,2}")  # 12.03.2024, 2024-03-12
# After a signed number, a currency or a unit: +12 345 678 €, +12.345.678 EUR, +123 456 789 bytes
_UNIT_AFTER = re.compile(r"[ \u00a0\u202f]?(?:[€$£¥%‰°]|(?:EUR|USD|GBP|CHF|JPY|CNY|RMB|Euro|euros?|dollars?|francs?"
                         r"|bytes?|[kMGT]i?B|km²?|m²|kg|ha|inhabitants|residents|people|Einwohner|Menschen|Personen"
                         r"|habitants|points?|Punkte|votes|Stimmen|voix)(?![^\W\d_]))")
# +12 345 678, +12.345.678: a signed number in thousands groups (the 1-3 digits, then 3-digit groups
# with one separator). A phone is written that way too after a country code (+34 912 345 678,
# +48 123 456 789, +61 412 345 678: 9 national digits in three groups), never with dots, and rarely
# with only two groups (+376 123 456, Andorra's 6 digits)
_THOUSANDS = re.compile(r"\+\d{1,3}(?P<sep>[ .])\d{3}(?:(?P=sep)\d{3})*")
# Country codes (ITU-T E.164 assignments) a 00 prefix must be followed by: 0049, 0033, 00800
_COUNTRY_CODE = re.compile(r"(?:1|7|2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58]|2[1-69]\d|3[578]\d|42\d"
                           r"|5[09]\d|6[789]\d|80[08]|8[5-8]\d|9[679]\d)")
# IBAN (ISO 13616): the country code, 2 check digits and the BBAN of the country's length, written
# in groups of 4 or not at all; precise through the mod-97 check (`valid_iban`). Lengths from the
# SWIFT IBAN registry. Hand-written: python-stdnum / schwifty validate IBANs but find none in text,
# and neither is a dependency of the project.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def _iban_pattern() -> re.Pattern:
    by_bban: dict[int, list[str]] = {}
    for cc, n in _IBAN_LENGTHS.items():
        by_bban.setdefault(n - 4, []).append(cc)
    alts = []
    for n, ccs in sorted(by_bban.items()):
        q, r = divmod(n, 4)
        grouped = f"(?: [A-Z0-9]{{4}}){{{q}}}" + (f" [A-Z0-9]{{{r}}}" if r else "")
        alts.append(f"(?:{'|'.join(sorted(ccs))})\\d\\d(?:[A-Z0-9]{{{n}}}|{grouped})")
    return re.compile(r"(?=[A-Z])(?<![A-Za-z0-9])(?:" + "|".join(alts) + r")(?![A-Za-z0-9])", re.ASCII)


IBAN = _iban_pattern()


def valid_iban(s: str) -> bool:
    """The ISO 7064 MOD 97-10 check of ISO 13616: the first four characters moved to the end, letters
    as 10-35, the number modulo 97 is 1."""
    s = s.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


# A number in a URL or a file name is an ID (flickr.com/photos/x/16511337801/, item.htm?id=15623456789,
# (16511337801).jpg): right after = ? & # %, or in a token that begins as a URL, or before a file suffix
_URL_BEFORE = re.compile(r"(?:[=?&#%]|(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.|[A-Za-z0-9\-]+\.[A-Za-z]{2,}/)"
                         r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]*)$")
_FILE_AFTER = re.compile(r"\)?\." + _FILE_SUFFIXES)
# After a bare mobile or service number, an amount or a count: 13500000000元, GDP 13912345678 万元,
# 用户数 13912345678 人, 8000000000人民币. What follows the unit's character decides: the words it begins
# that are no unit (元旦, 元宵, 人工, 人在, 次日, 份额, 倍感, 个人, 台湾, 万先生, 股东) make the number a phone
# again (a page writes 手机13812345678元旦照常营业 without a space); 百 and 千 only as a unit's first
# character (千瓦, 千克, 百万元; not 百度, 千万不要). Under a phone label no unit counts (`_phone_ok`).
_UNIT = (r"[亿%％件]|人民币|元(?![旦宵素月代朝帅首老件器气音])|股(?![东票市价权民评])|倍(?![感受加觉儿])|份(?![额子])"
         r"|次(?![日年月晨要序之子女])|万(?![先女小一事物岁家达科象能不别要记])|人(?![民工在们物类才力事士生性家气寿保])"
         r"|个(?![人性体别股案税贷展])|台(?![湾灣州北中南东西])")
_AMOUNT_AFTER = re.compile(r"[ \u3000]?(?:" + _UNIT + r")|[千百](?:[瓦克米卡伏吨分]|" + _UNIT + r"|(?![^\W\d_]))")
# A local number without an area code is a phone only right after one of these and a colon; a messenger
# app's name is a phone label too, with "me" after it as ads write it (WhatsApp我：6123 4567)
_MESSENGERS = r"(?:whatsapp|signal|telegram)"
_LOCAL_LABEL_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:tel|phone|" + _MESSENGERS + r"(?:\s*(?:我|me))?)\.?\s*[:：]"
                                 r"|(?:电话|電話|热线|熱線)(?:号码|號碼)?\s*[:：为為是])\s*$", re.I)
# Latin letters touching a Chinese number (TEL0755-12345678, 手机13812345678QQ12345): before it only a
# phone word, after it only under a phone label or after an area-code dash
_WORD_LABEL_BEFORE = re.compile(r"(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|fax)\.?$", re.I)
_PHONE_LABEL_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:tel|phone|mobile|mob|cell|fax)\.?|(?:电话|電話|手机|手機|热线|熱線"
                                 r"|傳真|传真|座机|座機)(?:号码|號碼|号|號)?|联系方式|聯繫方式|客服)\s*[:：为為是]?\s*$", re.I)
# GB 11643: 18 characters (1999, check character), or 15 digits (1989: YYMMDD, no check character)
# under a province code that was issued before 2004
_PROVINCE_1989 = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])"
# ... and, checked by `valid_id_number` too, a Taiwanese national ID (國民身分證統一編號: a capital letter,
# 1 or 2, 8 digits, the last a check digit) and a Hong Kong identity card number (香港身份證: one or two
# capital letters, 6 digits, the check digit 0-9 or A in brackets, as the card prints it; unbracketed,
# 7 digits after a letter are any code)
_TW_ID = r"[A-Z][12]\d{8}"
_HKID = r"[A-Z]{1,2}\d{6}[(（][0-9A][)）]"
ID_NUMBER = re.compile(r"(?=[1-8A-Z])(?<![0-9A-Za-z])(?:[1-8]\d{5}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[0-9Xx]|" + _PROVINCE_1989 + r"\d{6}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
                       r"|" + _TW_ID + "|" + _HKID + r")(?![0-9A-Za-z])", re.ASCII)
# ... and the 18 characters grouped 6-8-4 for reading (area code, birth date, sequence and check:
# 110105 19491231 002X, 110105-19491231-002X), one separator throughout: only right after an ID
# label (`_ID_LABEL_BEFORE`), as a table row may hold a postcode, a date and a number in that shape
ID_NUMBER_GROUPED = re.compile(r"(?=[1-8])(?<![\d\-])[1-8]\d{5}(?P<sep>[ \-])(?:19|20)\d\d(?:0[1-9]|1[0-2])"
                               r"(?:0[1-9]|[12]\d|3[01])(?P=sep)\d{3}[0-9Xx](?![0-9A-Za-z]|[\-.]\d)", re.ASCII)
_ID_LABEL_BEFORE = re.compile(r"(?:身份证|身份證|身分證|证件|證件)(?:号码|號碼|号|號|字号|字號)?\s*[:：为為是]?\s*$")
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
# Japanese My Number (個人番号, マイナンバー): 12 digits, the last a check digit (`valid_my_number`),
# written whole or in groups of four; twelve digits are anything, so only right after its label
# (and the pass runs only on a text with a label word: it cost 8% of the stage's time on web pages).
MY_NUMBER_WORDS = ("マイナンバー", "個人番号")
MY_NUMBER = re.compile(r"(?=\d)(?<![\d\-])\d{4}([ \-]?)\d{4}\1\d{4}(?![\d]|[\-.]\d)", re.ASCII)
_MY_NUMBER_LABEL = re.compile(r"(?:" + "|".join(MY_NUMBER_WORDS) + r")(?:カード)?(?:番号)?\s*[:：はの]?\s*$")
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
    MOD 11-2); the 15-digit form (YYMMDD in 19YY) has no check character. A Taiwanese or Hong Kong
    number (a letter first): its check digit (`valid_tw_id`, `valid_hkid`)."""
    if s[0].isalpha():
        return valid_hkid(s) if s[-1] in ")）" else valid_tw_id(s)
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


# The two-digit number each letter of a Taiwanese ID stands for (the letters in the order of their
# numbers 10-35: I, O, W, Z were added after the others)
_TW_LETTER = {c: 10 + i for i, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO")}


def valid_tw_id(s: str) -> bool:
    """The check digit of a Taiwanese national ID (A123456789): the letter's number's two digits weighted
    1 and 9, the next eight digits 8 to 1, the check digit 1; the sum is a multiple of 10. (python-stdnum
    has no Taiwanese ID, and is no dependency.)"""
    n = _TW_LETTER[s[0]]
    total = n // 10 + 9 * (n % 10) + sum(int(c) * w for c, w in zip(s[1:9], range(8, 0, -1))) + int(s[9])
    return total % 10 == 0


def valid_hkid(s: str) -> bool:
    """The check digit of a Hong Kong identity card number (A123456(3), AB987654(A)): the letters as
    10-35 (a single letter after a space worth 36), weighted 9 and 8, the six digits 7 to 2; the check
    digit (A for 10) makes the sum a multiple of 11."""
    letters, digits, check = s[:-9], s[-9:-3], s[-2]
    values = [36 if len(letters) == 1 else None] + [ord(c) - 55 for c in letters]
    values = [v for v in values if v is not None] + [int(c) for c in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1)))
    return (total + (10 if check == "A" else int(check))) % 11 == 0


def valid_my_number(digits: str) -> bool:
    """The check digit of a Japanese My Number, as the Ministry of Internal Affairs defines it: the
    first 11 digits weighted n+1 (n = 1-6) and n-5 (n = 7-11) from the right, the check digit
    11 - (sum mod 11), 0 if that remainder is 0 or 1. (python-stdnum's jp.in_ checks it too, but
    is no dependency.)"""
    total = sum(int(c) * (n + 1 if n <= 6 else n - 5) for n, c in enumerate(reversed(digits[:11]), start=1))
    r = total % 11
    return int(digits[11]) == (0 if r <= 1 else 11 - r)


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
# The dashes Japanese keyboards and pages put between a number's digits (090ー1234ー5678, 03‐1234‐5678):
# hyphen, non-breaking hyphen, figure dash, en dash, minus sign, the katakana prolonged sound mark
# in full and half width; and the em dash and horizontal bar Chinese input methods give for "-"
# (电话：010—65881234, 138—1234—5678). Read as "-" only between two digits: ー is a letter in katakana
# words (データ), – and — range dashes in prose; between digits (1990–2000) every pattern already
# reads "-" (a doubled dash, 2000——2010, has no digit on one side of each and stays as written).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"
# (the dash first, the digits looked at around it: Python's re then skips to the dashes at C speed,
# 4x faster than the digit first on web pages)
_DASH_BETWEEN_DIGITS = re.compile(f"[{_DASHES}](?<=[0-9].)(?=[0-9])")


def fold_width(text: str) -> str:
    """`text` with full-width ASCII forms as ASCII and a dash look-alike between two digits as "-"
    (same length, one character for one); `text` itself if it has none."""
    if _FULLWIDTH.search(text):
        text = text.translate(_WIDTH_FOLD)
    return _DASH_BETWEEN_DIGITS.sub("-", text)


def _fw(c: str) -> str:
    """The full-width form `fold_width` reads as `c`, or "" if none."""
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and ord(c) + 0xFEE0 in _WIDTH_FOLD else ""


def _alike(c: str) -> str:
    """Every other character `fold_width` may read as `c`: its full-width form, and for "-" the dashes."""
    return _fw(c) + (_DASHES if c == "-" else "")


def _widen(pattern: str) -> str:
    r"""An RE2 screen written for ASCII text, widened to the full-width spellings `fold_width` reads
    as ASCII: every literal (outside groups' and quantifiers' syntax) and every class member or
    range also accepts its full-width form, `\d` accepts ０-９, "-" the dashes `fold_width` reads
    as "-" between digits (anywhere: a screen may let more through). So the widened screen matches
    a text wherever the ASCII screen matches the folded text. (Handles what the screens use:
    literals, escapes, `\b` (kept: Python's Unicode `\b` reads a full-width digit as its ASCII one),
    non-negated classes, `(?:`, `|`, `?`, `*`, `+` and `{m,n}`.)"""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            e, i = pattern[i:i + 2], i + 2
            out.append("[0-9０-９]" if e == r"\d" else e if e == r"\b" else f"[{e}{_alike(e[1])}]" if _alike(e[1]) else e)
        elif c == "[":
            j = pattern.index("]", i + 1)
            body, i, k, extra = pattern[i + 1:j], j + 1, 0, []
            assert not body.startswith("^"), "negated classes cannot be widened"
            while k < len(body):
                if body[k] == "\\":
                    e, k = body[k:k + 2], k + 2
                    extra.append("０-９" if e == r"\d" else _alike(e[1]))
                elif k + 2 < len(body) and body[k + 1] == "-":
                    extra.append(f"{_fw(body[k])}-{_fw(body[k + 2])}" if _fw(body[k]) and _fw(body[k + 2]) else "")
                    k += 3
                else:
                    extra.append(_alike(body[k]))
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
            out.append(f"[{c}{_alike(c)}]" if c not in "()|?*+.^$" and _alike(c) else c)
            i += 1
    return "".join(out)


# RE2 screens: the rows the Python patterns run on. Each is a superset of its kind's Python
# patterns (every match contains a screen match): a row the screens miss is never looked at, so a
# narrower screen loses PII ("john_@example.com", "(415)555-2671" once slipped through that way).
# Written for ASCII, they are widened to the full-width spellings the Python patterns read (see
# `fold_width`): `abc＠example.com` or `03－1234－5678` must get through as well.
# (Latin phone words for `LABELLED_PHONE`, spelt case by case: `_widen` reads no inline flags)
_LABEL_SCREEN = "|".join("".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in w)
                         for w in ("tel", "tél", "phone", "fon", "fax", "mob", "handy", "cell", "portable", "gsm",
                                   "móvil", "movil", "rufnummer"))
_MESSENGER_SCREEN = "|".join("".join(f"[{c.upper()}{c}]" for c in w) for w in ("whatsapp", "signal", "telegram"))
_SCREEN_ASCII = {
    "email": "[A-Za-z0-9._%+\\-'" + _ADDR_LETTERS + "]@[A-Za-z0-9" + _ADDR_LETTERS + "]",
    "ip": r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]?:[0-9A-Fa-f]*:",
    "phone": r"\+\d|\d\d\d\)? ?[ .\-]?\d\d\d[ .\-]\d{4}|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}[)）]? ?-?\d{7}"
             r"|0\d{1,4}[\-.]\d{1,4}[\-.]\d{4}|[(（]0\d{1,4}[)）] ?\d{1,4}-\d{4}|0\d{1,4}[(（]\d{1,4}[)）]\d{4}"
             r"|0(?:120|570|9\d\d)[ \-]\d{3}[ \-]?\d{3}|8 ?\(\d{3,5}\)|[48]00(?:[ \-]?\d){7}"
             r"|(?:电话|電話|热线|熱線|[Tt][Ee][Ll]|[Pp][Hh][Oo][Nn][Ee])\.?(?:号码|號碼)?\s*[:：为為是]\s*\d\d\d\d"
             r"|\b00[1-9]\d{0,2}[ .\-/(]|\b(?:" + _LABEL_SCREEN + r")[A-Za-zéÉ.\- ]{0,14}[:：]?\s*\(?\d[\d)]*[ .\-/]{1,3}\d"
             r"|0[789]0 \d{4} \d{4}|(?:電話|携帯|ファッ?クス|合わ?せ先|連絡先|电话|手机|手機|热线|熱線|传真|傳真|座机|座機)"
             r"[番号電話码號碼]{0,4}[:：]?\s*\(?\d[\d)]*[ .\-/]{1,3}\d"
             r"|(?:" + _MESSENGER_SCREEN + r").{0,6}\d\d\d\d",
    "id_number": r"\d{15}|\d{6}[ \-]\d{8}[ \-]\d{3}"
                 r"|\d{3}-\d\d-\d{4}|[sS][sS][nN#]|[sS][oO][cC][iI][aA][lL]\s+[sS][eE][cC][uU][rR]|マイナンバー|個人番号"
                 r"|[A-Z][12]\d{8}|[A-Z]\d{6}[(（][0-9A]",
    "bank_card": r"\d{13}|\d{4}[ \-]\d{4}[ \-]\d{4}",
    "iban": r"[A-Z][A-Z]\d\d ?[A-Z0-9][A-Z0-9][A-Z0-9][A-Z0-9]",
}
_SCREEN = {k: _widen(v) for k, v in _SCREEN_ASCII.items()}
# The labelled pass (`LABELLED_PHONE`) tries every grouped number of a text, but takes one only right
# after a phone word (`_labelled_ok` reads `_PHONE_LABEL_END`): on pages of figures (price lists, results
# tables) it took 60% of the stage's time. So it runs only on a text holding a phone word: the words
# of `_PHONE_LABEL_END` without their look-behind and endings (every label contains one), read without
# case as the pass reads them. PHONE_LABEL_SCREEN is the RE2 screen over the original text: widened to
# the full-width letters, and "i" spelt out with İ and ı, which Python's re.I reads as i and RE2's (?i)
# does not. PHONE_LABEL_WORDS is the same for Python on the folded text (once a placeholder went in).
_LABEL_WORDS = "|".join(_PHONE_WORDS) + "|" + _JA_PHONE_WORD + "|" + _ZH_PHONE_WORD
PHONE_LABEL_SCREEN = "(?i)(?:" + _widen(_LABEL_WORDS.replace("i", "[iİı]")) + ")"
PHONE_LABEL_WORDS = re.compile(_LABEL_WORDS, re.I)
KINDS = ("email", "ip", "phone", "id_number", "bank_card", "iban")
# Per kind, what a row must contain for the kind's Python patterns to run on it (see `redact`).
_PRESENT = {**_SCREEN, "email": _widen("@")}
