"""Redact personal data: e-mail addresses, IP addresses and phone numbers, with typed placeholders.

Choices (documented because every peer differs a little):
- IP addresses: only globally routable ones are redacted by default (`ipaddress`'s `is_global`);
  private, loopback, link-local, reserved and documentation ranges (10.x, 192.168.x, 127.0.0.1,
  192.0.2.x, ...) identify nobody, as datatrove's PIIFormatter also leaves private ranges alone.
  A dotted quad right after "version", "ver", "v", "build", "release" or "版本" is a version
  number, not an address, and is kept.
- Phones: international `+CC ...` numbers (8-15 digits), North-American numbers with
  separators and a valid NANP area/exchange code (`(415) 555-2671`, `415-555-2671`), Chinese
  mobiles (`13812345678`, `138 1234 5678`, optional +86) and Chinese landlines with a trunk
  prefix (`010-12345678`). Bare digit runs without separators are not phones (IDs, prices,
  timestamps); neither are dates, times, ISBNs, year ranges or version numbers.
- The batch is first screened with RE2 patterns by Arrow; only rows that may contain PII run
  through the (more exact) Python patterns.
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
IPV4 = re.compile(rf"(?<![A-Za-z0-9_.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d)(?![A-Za-z0-9_])", re.ASCII)
IPV6 = re.compile(r"(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
                  + _OCTET + r"(?:\." + _OCTET + r"){3})?(?![A-Za-z0-9_:])", re.ASCII)
_VERSION_BEFORE = re.compile(r"(?:version|ver\.?|v\.?|build|release|版本|版本号)\s*[:=：]?\s*$", re.I)
_ISBN_BEFORE = re.compile(r"isbn(?:-1[03])?\s*[:：]?\s*$", re.I)
PHONE = re.compile("|".join([
    # international: +CC then groups, 8-15 digits in all (checked after matching)
    r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,5}\)?){2,6}(?!\w)",
    # North American with separators: (415) 555-2671, 415-555-2671, 1-415-555-2671
    r"(?<![\w$€£¥.\-])(?:1[ .\-])?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}(?![\w]|[.\-]\d)",
    # Chinese mobile, optionally +86 / 86, optionally split 3-4-4
    r"(?<![\w.\-])(?:(?:\+?86)[ \-]?)?1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})(?![\w]|[.\-]\d)",
    # Chinese landline with trunk prefix: 010-12345678, 0571-8888888
    r"(?<![\w.\-])0\d{2,3}-[2-9]\d{6,7}(?![\w]|[.\-]\d)",
]), re.ASCII)  # ASCII: Chinese characters right before a number are not "word" characters here
# RE2 screens: a superset of what the Python patterns can match.
_SCREEN = {
    "email": r"[A-Za-z0-9]@[A-Za-z0-9]",
    "ip": r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]?:[0-9A-Fa-f]*:",
    "phone": r"\+\d|\d\d\d\)?[ .\-]\d\d\d[ .\-]\d{4}|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}-\d{7}",
}


class PIIRedactor(Stage):
    """Replaces e-mails, IP addresses and phone numbers in the text; counts each kind.

    Counters: `redacted_email`, `redacted_ip`, `redacted_phone`, `pii_documents`."""
    name: ClassVar[str] = "pii"
    version: ClassVar[str] = "1"

    # column holding the text.
    text_field: str = "text"
    # redact e-mail addresses.
    email: bool = True
    # redact IPv4 and IPv6 addresses.
    ip: bool = True
    # redact phone numbers.
    phone: bool = True
    # also redact private, loopback, link-local, reserved and documentation IP addresses.
    redact_non_public_ips: bool = False
    # replacement for an e-mail address.
    email_placeholder: str = "<EMAIL>"
    # replacement for an IP address.
    ip_placeholder: str = "<IP_ADDRESS>"
    # replacement for a phone number.
    phone_placeholder: str = "<PHONE>"
    # international numbers must have this many digits at least (country code included).
    min_international_digits: int = Field(8, ge=5, le=15)

    def process(self, batch: pa.Table) -> Result:
        col = self.text_field
        texts = batch.column(col)
        kinds = [k for k in ("email", "ip", "phone") if getattr(self, k)]
        candidate = np.zeros(batch.num_rows, dtype=bool)
        for kind in kinds:
            hit = pc.fill_null(pc.match_substring_regex(texts, _SCREEN[kind]), False)
            candidate |= hit.to_numpy(zero_copy_only=False)
        counts = {f"redacted_{k}": 0 for k in ("email", "ip", "phone")}
        rows = np.flatnonzero(candidate)
        if len(rows) == 0:
            return Result(batch, counters={**counts, "pii_documents": 0})
        values = texts.to_pylist()
        touched = 0
        for i in rows:
            new, found = self.redact(values[i])
            if any(found.values()):
                values[i] = new
                touched += 1
                for k, n in found.items():
                    counts[f"redacted_{k}"] += n
        out = batch.set_column(batch.column_names.index(col), col, pa.array(values, texts.type))
        return Result(out, counters={**counts, "pii_documents": touched})

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """The text with PII replaced, and how many of each kind were replaced."""
        found = {"email": 0, "ip": 0, "phone": 0}
        if self.email:
            text, found["email"] = EMAIL.subn(self.email_placeholder, text)
        if self.ip:
            text = IPV4.sub(lambda m: self._ip(m, found, text_is_v4=True), text)
            text = IPV6.sub(lambda m: self._ip(m, found, text_is_v4=False), text)
        if self.phone:
            text = PHONE.sub(lambda m: self._phone(m, found), text)
        return text, found

    def _ip(self, m: re.Match, found: dict[str, int], text_is_v4: bool) -> str:
        s = m.group()
        if text_is_v4 and _VERSION_BEFORE.search(m.string, max(0, m.start() - 12), m.start()):
            return s
        try:
            addr = ipaddress.ip_address(s)
        except ValueError:
            return s
        if not text_is_v4 and s.count(":") < 2:
            return s
        if not (self.redact_non_public_ips or addr.is_global):
            return s
        found["ip"] += 1
        return self.ip_placeholder

    def _phone(self, m: re.Match, found: dict[str, int]) -> str:
        s = m.group()
        if _ISBN_BEFORE.search(m.string, max(0, m.start() - 10), m.start()):
            return s
        digits = sum(c.isdigit() for c in s)
        if s.startswith("+") and not (self.min_international_digits <= digits <= 15):
            return s
        found["phone"] += 1
        return self.phone_placeholder
