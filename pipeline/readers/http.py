"""HTTP responses as real crawls store them: headers read line by line, bodies decoded leniently.

Hand-written because the libraries disagree with real crawls in ways that lose pages: FastWARC's
HTTP parser looks for CRLF CRLF first, so a page whose headers end in LF only while its HTML holds
a CRLF CRLF further in (ClueWeb) gets kilobytes of HTML as "headers". Like warcio, we read the
header block one line at a time until the first empty line, whichever line ending it uses.

Bodies: `Transfer-Encoding: chunked` is undone when the body really is chunked; a
`Content-Encoding` (gzip, deflate, br, zstd) is undone when the body really is encoded. Crawlers
often store the body already decoded but keep the header (ClueWeb); then the raw body is used, as
warcio does, and the caller counts `content_encoding_mismatch` / `chunked_mismatch`.
"""
from __future__ import annotations

import io
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_HEADER_LINES = 500
MAX_LINE = 1 << 16
NOT_HTTP = -1                           # status of a block that is neither HTTP nor a bare page


@dataclass
class HttpResponse:
    status: int | None                  # None: no status line, or one without a code
    headers: Mapping[str, str] = field(default_factory=dict)   # a dict, or PlainHeaders
    body: bytes = b""


def _header_like(line: bytes) -> bool:
    name, sep, _ = line.partition(b":")
    return bool(sep) and 0 < len(name) < 80 and b" " not in name.strip() and name[:1].isalpha()


def parse_http(block: bytes) -> HttpResponse | None:
    """Status and headers of an HTTP response block; None when it is neither HTTP nor a bare page."""
    resp = parse_http_stream(io.BytesIO(block))[0]
    return None if resp.status == NOT_HTTP else resp


def parse_http_stream(f) -> tuple[HttpResponse | None, int]:
    """parse_http over a stream with readline(limit) and read() (a FastWARC record reader: the head
    is read line by line and the body in one read, never copied), and the bytes it consumed.
    A block that is not HTTP comes back whole as the body, with status NOT_HTTP.
    Hot path, run once per record. The lines that begin with a letter are read in a tight loop; a
    long run of them that are all plain `Name: value` CRLF lines (a real crawl's head has ~20) is
    parsed at once by one regex, with the same result as `_head_line` line by line (which costs
    ~2 us a line, about half of FastWARC's whole time for a 35 KB page)."""
    readline = f.readline
    first = readline(MAX_LINE)
    n = len(first)
    line = first.rstrip(b"\r\n")
    status = None
    headers: dict[str, str] = {}
    last = None
    if line[:5].upper() == b"HTTP/":
        parts = line.split(None, 2)
        if len(parts) > 1 and parts[1][:3].isdigit():
            status = int(parts[1][:3])
    elif _header_like(line):
        k, _, v = line.partition(b":")
        last = k.strip().lower().decode("latin-1")
        headers[last] = v.strip().decode("latin-1")
    else:
        # No HTTP head at all: a bare page is still a page, binary or empty junk is not.
        rest = f.read()
        block = first + rest
        return HttpResponse(None if block.lstrip()[:1] == b"<" else NOT_HTTP, {}, block), n + len(rest)
    lines = []
    for _ in range(MAX_HEADER_LINES):
        raw = readline(MAX_LINE)
        if not raw[:1].isalpha():
            break
        lines.append(raw)
    else:
        raw = b""                                 # the line limit: what follows is body
    plain = b"".join(lines) if len(lines) >= PLAIN_RUN else None
    if plain is not None and _PLAIN_HEAD.fullmatch(plain):
        n += len(plain)
        pairs = _PLAIN_PAIR.findall(plain.decode("latin-1"))
        if pairs:
            headers.update({k.lower(): v.strip(" \t") for k, v in pairs})
            last = pairs[-1][0].lower()
    else:
        for line in lines:                        # _head_line inlined: each begins with a letter,
            n += len(line)                        # so it is a header or ignored
            k, sep, v = line.rstrip(b"\r\n").partition(b":")
            if sep and len(k) < 80 and b" " not in (k := k.strip()):
                last = k.lower().decode("latin-1")
                headers[last] = v.strip().decode("latin-1")
    body_prefix = b""
    left = MAX_HEADER_LINES - len(lines)          # lines the head may still have, `raw` the first
    while raw:
        n += len(raw)
        line = raw.rstrip(b"\r\n")
        if not line:
            break
        last = _head_line(line, headers, last)
        if last is _BODY:
            body_prefix = raw           # the page began without an empty line before it
            break
        left -= 1
        if not left:
            break
        raw = readline(MAX_LINE)
    rest = f.read()
    n += len(rest)
    return HttpResponse(status, headers, body_prefix + rest if body_prefix else rest), n


def parse_plain_response(buf, start: int, end: int) -> tuple[int, Mapping[str, str], int] | None:
    """(status, headers, body start) of an HTTP block in buf[start:end] whose head is a plain
    HTTP/1.x status line, plain `Name: value` CRLF lines and CRLF; None for any other head (then
    parse_http_stream reads it). On such heads both give the same result, this one without
    reading lines one at a time: one regex checks the head, and its headers are looked up where
    they lie (PlainHeaders), not split into a dict."""
    m = _PLAIN_RESPONSE.match(buf, start, end)
    if m is None or m.end() - start > MAX_LINE:        # long heads: parse_http_stream's line limits
        return None
    lines = buf[m.start(2) - 2:m.end(2)]
    # The regex reads a value as any bytes up to LF (~3x faster than a class of allowed bytes):
    # the lines are plain when each CR and LF in them is part of a CRLF and none is VT or FF.
    if len(lines) - len(lines.translate(None, b"\r\n\x0b\x0c")) != 2 * lines.count(b"\r\n"):
        return None
    return int(m.group(1)), PlainHeaders(lines.decode("latin-1")), m.end()


class PlainHeaders(Mapping):
    """The headers of a head checked plain (`Name: value` CRLF lines), looked up where they lie:
    Common Crawl's heads hold ~30 headers (1.7 KB) of which a reader asks for three; splitting
    them all into a dict cost ~25 us a page. Equal to the dict parse_http_stream builds (names
    lower-cased, values stripped of spaces and tabs, the last line of a name wins); iterating
    builds that dict. `lines`: the CRLF before the first header line, then the lines, each with
    its CRLF, so every name follows a CRLF (values hold none)."""
    __slots__ = ("_lines", "_low", "_dict")

    def __init__(self, lines: str):
        self._lines, self._low, self._dict = lines, lines.lower(), None   # latin-1: same length

    def get(self, name: str, default=None):
        i = self._low.rfind(f"\r\n{name}:")
        if i < 0:
            return default
        i += len(name) + 3
        return self._lines[i:self._lines.index("\r\n", i)].strip(" \t")

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and self._low.rfind(f"\r\n{name}:") >= 0

    def _full(self) -> dict[str, str]:
        if self._dict is None:
            pairs = [line.partition(":") for line in self._lines[2:].split("\r\n")]
            pairs.pop()                                # after the last CRLF
            self._dict = {k.lower(): v.strip(" \t") for k, _, v in pairs}
        return self._dict

    def __iter__(self):
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())

    def __repr__(self) -> str:
        return repr(self._full())


# Below this many lines the loop is as fast as the regex.
PLAIN_RUN = 6
_PLAIN_HEAD = re.compile(rb"(?:[A-Za-z][!-9;-~]{0,78}:[^\r\n\x0b\x0c]*\r\n)*")
# Name and value; the value holds no whitespace that bytes.strip() removes but spaces and tabs.
_PLAIN_PAIR = re.compile(r"([A-Za-z][!-9;-~]{0,78}):([^\r\n\x0b\x0c]*)\r\n")
# Possessive: no class holds what follows it, so nothing to backtrack into (~20% faster).
# A header line's value is any bytes up to LF here; parse_plain_response checks the rest.
_PLAIN_RESPONSE = re.compile(rb"HTTP/1\.[01] (\d{3})(?:[ \t][^\r\n]*+)?\r\n("
                             rb"(?:[A-Za-z][!-9;-~]{0,78}+:.*+\n)*+)\r\n")
_BODY = object()


def _head_line(line: bytes, headers: dict[str, str], last):
    """One head line: a header, a folded continuation, or the page itself (returns _BODY: it began
    without an empty line before it); anything else is ignored. Returns the last header's name."""
    k, sep, v = line.partition(b":")
    if sep and k[:1].isalpha() and len(k) < 80 and b" " not in (k := k.strip()):   # _header_like
        last = k.lower().decode("latin-1")
        headers[last] = v.strip().decode("latin-1")
    elif line[:1] in (b" ", b"\t") and last:
        headers[last] += " " + line.strip().decode("latin-1")
    elif line.lstrip()[:1] == b"<":
        return _BODY
    return last


def dechunk(body: bytes) -> bytes | None:
    """The payload of a chunked body, or None when the body is not chunked."""
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\n", pos)
        if nl < 0 or nl - pos > 64:
            return None
        try:
            size = int(body[pos:nl].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out)
        start = nl + 1
        if start + size > len(body):
            return None if not out else bytes(out) + body[start:]   # cut off in the last chunk
        out += body[start:start + size]
        pos = start + size
        while pos < len(body) and body[pos] in b"\r\n" and pos < start + size + 2:
            pos += 1


def _decompress(enc: str, body: bytes, limit: int) -> bytes | None:
    try:
        if enc in ("gzip", "x-gzip"):
            if not body.startswith(b"\x1f\x8b"):
                return None
            d = zlib.decompressobj(47)
            return _inflated(d, d.decompress(body, limit))
        if enc == "deflate":
            for wbits in (15, -15):
                try:
                    d = zlib.decompressobj(wbits)
                    return _inflated(d, d.decompress(body, limit))
                except zlib.error:
                    continue
            return None
        if enc == "br":
            import brotli
            return brotli.decompress(body)[:limit]
        if enc == "zstd":
            import zstandard
            return zstandard.ZstdDecompressor().decompressobj().decompress(body)[:limit]
    except Exception:  # noqa: BLE001 - any codec failure means "not really encoded like that"
        return None
    return None


def _inflated(d, out: bytes) -> bytes | None:
    """What zlib gave, or None when it gave nothing before the stream's end (a cut stream): an
    empty page compressed (a complete stream of nothing) is an empty page, not a mismatch."""
    return out if out or d.eof else None


def undeclared_gzip(body: bytes, limit: int) -> bytes | None:
    """The payload of a body that is gzip although no Content-Encoding (left) says so: a server
    that compressed twice, or served a `.gz` file as text/html. trafilatura inflates such bytes
    too; the caller counts `undeclared_gzip`. None when the body is not a gzip stream."""
    if not body.startswith(b"\x1f\x8b\x08"):
        return None
    return _decompress("gzip", body, limit) or None


def decode_body(resp: HttpResponse, limit: int) -> tuple[bytes, list[str]]:
    """The response payload with transfer and content encodings undone where they apply, and the
    names of the mismatches met (each a counter for the caller)."""
    if "transfer-encoding" not in resp.headers and "content-encoding" not in resp.headers:
        return resp.body, []                        # most pages: nothing to undo
    body, problems = resp.body, []
    if "chunked" in resp.headers.get("transfer-encoding", "").lower():
        plain = dechunk(body)
        if plain is None:
            problems.append("chunked_mismatch")
        else:
            body = plain
    for enc in reversed([e.strip().lower() for e in resp.headers.get("content-encoding", "").split(",")]):
        if enc in ("", "identity", "none", "utf-8", "utf8"):
            continue
        out = _decompress(enc, body, limit + 1)
        if out is None:
            if body:
                problems.append("content_encoding_mismatch")
            break
        body = out
    return body, problems
