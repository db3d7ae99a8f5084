"""The contact rule's handles for `spam_filter` (stages/spam.py): how an ad tells the reader to get
in touch - a WeChat, LINE or QQ id, a phone number, or a person's account to add - and which of them
reach a person rather than an institution's desk."""
from __future__ import annotations

import re

# --- contact handles: how an ad tells the reader to get in touch --------------------------------
# A channel word and the handle after it: a WeChat (or, in Taiwan, LINE) ID (6-20 letters, digits,
# _ or -, or a number), a QQ number, a phone number, a Telegram @name; or a mobile / 400 number or a
# North American one written as such ((201) 555-0188, 1-888-555-0142) standing alone.
# Simplified and Traditional spellings (電話, 手機, 老師). Why it generalises: an ad
# exists to be answered, so whatever it sells (trading calls, remedies, courses, readings, loans)
# it ends with the same few channels, and spammers' spellings of them (薇信, 威/信, V信, vx, 加V,
# v：) are part of the pattern because they write them to dodge platform filters, not to be read.
# Ordinary text names WeChat or a phone without giving a handle; where it gives one (a newsroom's
# account, a job ad's number) nothing is sold, so a handle alone removes nothing (see SpamFilter).
_WX = (r"(?:微信[号號]?|薇信|威\W?信|徽信|[vV]信|(?<![A-Za-z])(?:[vVwW][xX]|weixin|wechat|加[vV]|(?-i:LINE)(?:\s?ID)?)"
       r"|加\s?line)")
_ID = r"[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])|\d{6,11}(?!\d)"
_ID_WITH_DIGIT = r"(?=[-_A-Za-z0-9]{6,20}(?![-_A-Za-z0-9]))[A-Za-z][-_A-Za-z]*\d[-_A-Za-z0-9]*|\d{6,11}(?!\d)"
_MOBILE = r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}"    # 13816889999, 138-1688-9999, 139 1234 5678
# A North American number as people write it: (201) 555-0188, +1 (505) 555-0177, 1-888-555-0142,
# 505-555-0177 (area code and exchange start 2-9); unlike a bare run of ten digits, no id or price.
_NANP = r"(?:\+?1[-. ]?)?\([2-9]\d{2}\)[ .-]?[2-9]\d{2}[-.]\d{4}|(?:\+?1[-.])?[2-9]\d{2}-[2-9]\d{2}-\d{4}"
_PHONE = (r"\+?86-?1[3-9]\d{9}|" + _MOBILE + r"|0\d{2,3}-?\d{7,8}|0\d{1,3}[- ]?\d{3,4}[- ]?\d{4}|09\d{2}-?\d{3}-?\d{3}"
          r"|400-?\d{3}-?\d{4}|" + _NANP)
CONTACT_RE = re.compile(
    # WeChat: letters-only IDs only after a colon ("微信：abcdef"), else the ID holds a digit, so
    # "微信Android版" is no handle
    rf"{_WX}(?:号码|號碼|号|號|ID)?\s?[:：]\s?(?P<wx>{_ID})"
    rf"|{_WX}(?:号码|號碼|号|號|ID)?[\s/（(]{{0,2}}(?P<wx2>{_ID_WITH_DIGIT})"
    rf"|(?:^|(?<=[^\x00-\x7f])|(?<=[^\x00-\x7f] ))[vV]\s?[:：]\s?(?P<v>{_ID_WITH_DIGIT})"
    rf"|(?<![A-Za-z])(?:QQ群?|qq群?|Q群|扣扣|企鹅号|企鵝號)(?:号码|號碼|群号|群號|号|號)?\s?[:：]?\s?(?P<qq>[1-9]\d{{4,10}})(?!\d)"
    rf"|(?:电话|電話|手机|手機|热线|熱線|联系方式|聯繫方式|聯絡方式|致电|致電|拨打|撥打"
    rf"|(?<![A-Za-z])(?:tel|phone|whatsapp|telegram))(?:号码|號碼|号|號)?"
    rf"\s?[:：]?\s?(?P<phone>{_PHONE}|\+\d[\d -]{{7,15}}\d)(?!\d)"
    # (a group of a longer hyphenated number, 978-7-138-1688-9999, is none)
    rf"|(?<![\d.])(?<!\d-)(?P<mobile>{_MOBILE}|400-?\d{{3}}-?\d{{4}})(?!-?\d)"
    # a North American number standing alone ("Call or text 24/7: (201) 555-0188"), as a mobile does
    rf"|(?<![\d.+])(?<!\d-)(?P<nanp>{_NANP})(?![-.]?\d)"
    # a Telegram username (5-32 letters, digits, _) after the channel word: Telegram @name, TG: @name
    rf"|(?<![A-Za-z])(?:telegram|tg)\s?[:：]?\s?@(?P<tg>[A-Za-z][A-Za-z0-9_]{{4,31}})(?![A-Za-z0-9_])"
    # a LINE official account is written @id (@jz888), after the channel word only: a bare @name is
    # a Weibo or Twitter mention
    rf"|(?:(?-i:LINE)(?:\s?ID)?|加\s?line)\s?[:：]?\s?@(?P<line>[A-Za-z0-9][-_.A-Za-z0-9]{{2,19}})(?![-_.A-Za-z0-9])"
    # no handle, but the reader is sent to a person's account: "加王老师微信", "添加助理好友"
    # (scam funnels hand readers to a "teacher" or "assistant"; an account to follow is not this)
    rf"|(?P<person>(?:加|添加)[^\s，。！？,.!?]{{0,6}}(?:老师|老師|助理|助教|客服|顾问|顧問)[^\s，。！？,.!?]{{0,3}}"
    rf"(?:微信|好友|[Qq]{{2}}|(?-i:LINE)))",
    re.I)
# Arrow pre-filter (RE2, no look-around): rows that may hold a handle
_CONTACT_PREFILTER = (r"(?i)(?:微信|薇信|威\W?信|徽信|v信|扣扣|企鹅号|企鵝號|电话|電話|手机|手機|热线|熱線|联系方式|"
                      r"聯繫方式|聯絡方式|致电|致電|拨打|撥打|q群|"
                      r"\b(?:vx|wx|weixin|wechat|qq)|(?-i:LINE))\D{0,8}[a-z0-9+]|v\s?[:：]|"
                      # English words only with the number CONTACT_RE needs after them ("phone" and
                      # "line" are in a third of English pages)
                      r"\b(?:tel|phone|whatsapp|telegram)(?:号码|號碼|号|號)?\s?[:：]?\s?[+\d(@]|\btg\s?[:：]?\s?@|加\s?line|"
                      r"\(\d{3}\)[ .-]?\d{3}[-.]\d{4}|\b\d{3}-\d{3}-\d{4}|"
                      r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}|400-?\d{3}-?\d{4}|加.{0,8}(?:老师|老師|助理|助教|客服|顾问|顧問)")


def contact_handles(text: str) -> list[str]:
    """Distinct contact handles in a text, as 'wechat:abc123', 'line:abc123', 'qq:12345',
    'phone:13800000000', 'telegram:abc_123', or 'ask:加王老师微信' (a person's account, no handle)."""
    out = []
    for m in CONTACT_RE.finditer(text):
        label = _label(m)
        if label not in out:
            out.append(label)
    return out


def _label(m: re.Match) -> str:
    """A CONTACT_RE match as 'channel:handle'."""
    kind = m.lastgroup
    handle = re.sub(r"[\s().-]" if kind in ("phone", "nanp") else r"[\s-]", "", m.group(kind)).casefold()
    channel = {"wx": "wechat", "wx2": "wechat", "v": "wechat", "qq": "qq", "phone": "phone",
               "mobile": "phone", "nanp": "phone", "person": "ask", "line": "line", "tg": "telegram"}[kind]
    if channel == "wechat" and "line" in m.group(0).casefold():
        channel = "line"
    return channel + ":" + handle


# --- whose number: a person's or an institution's ------------------------------------------------
# A hospital, clinic, pharmacy, law firm or legal-aid office names itself (Simplified, Traditional,
# English); its number beside its trade's words (患者, 贷款, viagra) is no ad (SpamFilter's field: lines).
_INSTITUTION = re.compile(r"医院|醫院|诊所|診所|门诊|門診|卫生院|衛生院|药房|藥房|药店|藥店|律师|律師|律所|法律援助"
                          r"|(?<![A-Za-z])(?:hospital|clinic|pharmacy|law firm|attorneys?|lawyers?|solicitors?)(?![A-Za-z])",
                          re.I)
# How near a mobile number an institution is named for the number to be its (a lawyer's or a
# doctor's mobile after the page's account of the practice).
INSTITUTION_CHARS = 120
_MOBILE_ONLY = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def personal_handles(text: str) -> list[str]:
    """The contact handles of a text that reach a person rather than an institution's desk, as
    contact_handles gives them: a messenger account (WeChat, QQ, LINE, Telegram, a number after
    WhatsApp or Telegram), a person to add (加王老师微信), or a mobile with no hospital, clinic,
    pharmacy or law firm named within INSTITUTION_CHARS characters of it. A landline, a 400 number
    and a North American number (which a reader cannot tell from a landline) are an office's."""
    out = []
    for m in CONTACT_RE.finditer(text):
        label = _label(m)
        channel, _, number = label.partition(":")
        said = m.group(0)[:m.start(m.lastgroup) - m.start()].casefold()     # the channel word before it
        if channel == "phone" and "whatsapp" not in said and "telegram" not in said:
            if _MOBILE_ONLY.fullmatch(number) is None:
                continue        # a landline, a 400 or North American number
            if _INSTITUTION.search(text, max(0, m.start() - INSTITUTION_CHARS), m.end() + INSTITUTION_CHARS):
                continue        # a lawyer's, a clinic's mobile
        if label not in out:
            out.append(label)
    return out
