"""HTTP responses as real crawls store them: headers read line by line, bodies decoded leniently.

Hand-written because the libraries disagree with real crawls in ways that lose pages: FastWARC's
HTTP parser looks for CRLF CRLF first, so a page whose headers end in LF only while its HTML holds
a CRLF CRLF further in (ClueWeb) gets kilobytes of HTML as "headers". Like warcio, we read the
header block one line at a time until the first empty line, whichever line ending it uses.
A name's last line wins, but the lines of a list header (Content-Encoding, Transfer-Encoding)
combine in order (RFC 9110 5.3: `br` then `gzip` is `br, gzip`). A line longer than MAX_LINE is
read to its end and dropped, counted `http_header_too_long` (its rest, read as lines of its own,
ended the head early or was taken for the page).

A record may hold interim (1xx) heads before the response (`100 Continue`, `103 Early Hints`,
RFC 9110 15.2): they are skipped and the final response read, as a client reads them; a 1xx head
followed by no response is that 1xx. Blank lines before a status line are skipped (RFC 9112 2.2),
and spaces or tabs before its `HTTP/`: not counted, as they cost the page nothing (warcio, which
does not check the line, reads such a head too, with `HTTP/1.1` as its status code).

Bodies: `Transfer-Encoding: chunked` is undone when the body really is chunked; a
`Content-Encoding` (gzip, deflate, br, zstd), or a transfer coding besides chunked (`gzip,
chunked`), is undone when the body really is encoded. Crawlers
often store the body already decoded but keep the header (ClueWeb); then the raw body is used, as
warcio does, and the caller counts `content_encoding_mismatch` / `chunked_mismatch`.
Every codec decodes incrementally and stops just past the caller's limit (max_doc_bytes + 1, so
"too large" is still seen): a few KB of brotli or zstd can stand for gigabytes, and expanding
them whole before the cap killed workers. All gzip members and zstd frames are decoded, as
gzip.decompress and curl do (servers and proxies concatenate them); bytes after the last that
begin no other member are ignored. A body that ends before its compressed stream does (cut by
the crawler, or a later member damaged) is the same in every codec: what decoded is the payload,
and the caller flags `content_encoding_truncated` (a zstd page in one block cut gives nothing:
an empty document, still counted). A cut brotli or deflate stream that gave nothing is a
mismatch instead: they have no magic number to tell a cut stream from a body never encoded.
"""
from __future__ import annotations

import io
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.readers.decompress import sniff_codec

# Lines a head may have. 64 KiB of 16-byte lines: so that a head read line by line (parse_http_stream:
# FastWARC's records, uncompressed WARCs) ends where one read at once (parse_plain_response, whose limit
# is MAX_LINE bytes: gzip members) does. At 500, a 600-header head lost its Content-Encoding in a
# plain WARC only, and the same page was bad_encoding there and whole in the .warc.gz.
MAX_HEADER_LINES = 4096
MAX_LINE = 1 << 16
NOT_HTTP = -1                           # status of a block that is neither HTTP nor a bare page
# Headers whose repeated lines are one list, combined in order (RFC 9110 5.3): `Content-Encoding:
# br` then `Content-Encoding: gzip` is `br, gzip`, both undone. Other names: the last line wins.
LIST_HEADERS = frozenset(("content-encoding", "transfer-encoding"))
# Longest chunk-size line read (RFC 9112 7.1.1: the size, then extensions such as a signature or
# name=value pairs, which have no limit of their own). More is no chunked body.
MAX_CHUNK_LINE = 4096
# Transfer codings undone besides `chunked` (RFC 9112 7: gzip, deflate, compress; br and zstd as some
# servers send them). Other values (`binary`, `identity`) were never codings of the body: ignored.
TRANSFER_CODECS = frozenset(("gzip", "x-gzip", "deflate", "br", "zstd"))


@dataclass
class HttpResponse:
    status: int | None                  # None: no status line, or one without a code
    headers: Mapping[str, str] = field(default_factory=dict)   # a dict, or PlainHeaders
    body: bytes = b""
    long_lines: int = 0                 # head lines over MAX_LINE bytes, read to their end and dropped


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
    n = 0
    long_lines = 0                      # lines over MAX_LINE bytes, read to their end and dropped
    interim = None                      # (status, headers) of the 1xx head just read
    while True:
        first = readline(MAX_LINE)
        skipped = b""
        while first[:1] in _CR_LF and not first.strip(b"\r\n") and len(skipped) < MAX_LINE:
            skipped += first            # blank lines before the status line
            first = readline(MAX_LINE)
        n += len(skipped) + len(first)
        line = first.rstrip(b"\r\n")
        status = None
        headers: dict[str, str] = {}
        last = None
        status_line = line.lstrip(b" \t")   # " HTTP/1.1 200 OK" (not for headers: " Name: v" is no header)
        if status_line[:5].upper() == b"HTTP/":
            parts = status_line.split(None, 2)
            if len(parts) > 1 and parts[1][:3].isdigit():
                status = int(parts[1][:3])
            if _cut(first):
                n += _to_line_end(readline)         # a status line's reason phrase of 64 KiB and more
                long_lines += 1
        elif interim is None and _header_like(line):
            if _cut(first):
                n += _to_line_end(readline)
                long_lines += 1
            else:
                k, _, v = line.partition(b":")
                last = k.strip().lower().decode("latin-1")
                _put(headers, last, v.strip().decode("latin-1"))
        else:
            rest = f.read()
            n += len(rest)
            block = skipped + first + rest if skipped else first + rest
            if interim is not None:     # a 1xx head not followed by a response: that 1xx is all there is
                return HttpResponse(interim[0], interim[1], block, long_lines), n
            # No HTTP head at all: a bare page is still a page, binary or empty junk is not.
            return HttpResponse(None if looks_like_page(block) else NOT_HTTP, {}, block, long_lines), n
        lines = []
        dropped = 0
        for _ in range(MAX_HEADER_LINES):
            raw = readline(MAX_LINE)
            if not raw[:1].isalpha():
                break
            if len(raw) == MAX_LINE and _cut(raw):    # (len first: one compare a line on the hot path)
                n += len(raw) + _to_line_end(readline)
                dropped += 1
                continue
            lines.append(raw)
        else:
            raw = b""                                 # the line limit: what follows is body
        long_lines += dropped
        plain = b"".join(lines) if len(lines) >= PLAIN_RUN else None
        if plain is not None and _PLAIN_HEAD.fullmatch(plain):
            n += len(plain)
            pairs = _PLAIN_PAIR.findall(plain.decode("latin-1"))
            if pairs:
                found = {k.lower(): v.strip(" \t") for k, v in pairs}
                for name in LIST_HEADERS.intersection(found):     # rare: only then a loop over the lines
                    found[name] = _list_value([headers.get(name, "")] + [
                        v.strip(" \t") for k, v in pairs if k.lower() == name])
                headers.update(found)
                last = pairs[-1][0].lower()
        else:
            for line in lines:                        # _head_line inlined: each begins with a letter,
                n += len(line)                        # so it is a header or ignored
                k, sep, v = line.rstrip(b"\r\n").partition(b":")
                if sep and len(k) < 80 and b" " not in (k := k.strip()):
                    last = k.lower().decode("latin-1")
                    _put(headers, last, v.strip().decode("latin-1"))
        body_prefix = b""
        left = MAX_HEADER_LINES - len(lines) - dropped    # lines the head may still have, `raw` the first
        while raw:
            n += len(raw)
            line = raw.rstrip(b"\r\n")
            if not line:
                break
            if _cut(raw) and line.lstrip()[:1] != b"<":
                n += _to_line_end(readline)  # a header (or a folded line) of 64 KiB and more: dropped
                long_lines += 1
            else:
                last = _head_line(line, headers, last)
                if last is _BODY:
                    body_prefix = raw       # the page began without an empty line before it
                    break
            left -= 1
            if not left:
                break
            raw = readline(MAX_LINE)
        if status is not None and 100 <= status < 200 and not body_prefix:
            interim = (status, headers)     # 100 Continue, 103 Early Hints: the response follows
            continue
        rest = f.read()
        n += len(rest)
        return HttpResponse(status, headers, body_prefix + rest if body_prefix else rest, long_lines), n


def _cut(raw: bytes) -> bool:
    """Whether a line read with readline(MAX_LINE) is only the first MAX_LINE bytes of a longer one.
    Its rest must be read too (`_to_line_end`): read as lines of its own, a rest that was the line's
    CRLF alone ended the head there (the headers after it became the body, and a page of no type was
    skipped), and a rest beginning with `<` was taken for the page."""
    return len(raw) == MAX_LINE and raw[-1:] != b"\n"


def _to_line_end(readline) -> int:
    """Reads the rest of a line cut by `_cut`, however long; the bytes read."""
    n = 0
    while True:
        piece = readline(MAX_LINE)
        n += len(piece)
        if not piece or piece[-1:] == b"\n":
            return n


def parse_plain_response(buf, start: int, end: int) -> tuple[int, Mapping[str, str], int] | None:
    """(status, headers, body start) of an HTTP block in buf[start:end] whose head is a plain
    HTTP/1.x status line, plain `Name: value` CRLF lines and CRLF; None for any other head (then
    parse_http_stream reads it). On such heads both give the same result, this one without
    reading lines one at a time: one regex checks the head, and its headers are looked up where
    they lie (PlainHeaders), not split into a dict."""
    m = _PLAIN_RESPONSE.match(buf, start, end)
    if m is None or m.end() - start > MAX_LINE:        # long heads: parse_http_stream's line limits
        return None
    status = int(m.group(1))
    if status < 200:                                    # an interim head: the response follows it
        return None
    lines = buf[m.start(2) - 2:m.end(2)]
    # The regex reads a value as any bytes up to an LF after a CR (~3x faster than a class of
    # allowed bytes): the lines are plain when no other CR is in them and no VT or FF (two counts
    # and two memchr: half the time of a translate).
    if lines.count(b"\r") != lines.count(b"\n") or b"\x0b" in lines or b"\x0c" in lines:
        return None
    return status, PlainHeaders(lines.decode("latin-1")), m.end()


class PlainHeaders(Mapping):
    """The headers of a head checked plain (`Name: value` CRLF lines), looked up where they lie:
    Common Crawl's heads hold ~30 headers (1.7 KB) of which a reader asks for three; splitting
    them all into a dict cost ~25 us a page. Equal to the dict parse_http_stream builds (names
    lower-cased, values stripped of spaces and tabs, the last line of a name wins but a list
    header's lines combine); iterating
    builds that dict. `lines`: the CRLF before the first header line, then the lines, each with
    its CRLF, so every name follows a CRLF (values hold none)."""
    __slots__ = ("_lines", "_low", "_dict")

    def __init__(self, lines: str):
        self._lines, self._low, self._dict = lines, lines.lower(), None   # latin-1: same length

    def get(self, name: str, default=None):
        i = self._low.rfind(f"\r\n{name}:")
        if i < 0:
            return default
        if name in LIST_HEADERS:
            return self._list(name)
        return self._value(i + len(name) + 3)

    def _value(self, i: int) -> str:
        return self._lines[i:self._lines.index("\r\n", i)].strip(" \t")

    def _list(self, name: str) -> str:
        """Every line of a list header, combined in order (LIST_HEADERS)."""
        key, values, i = f"\r\n{name}:", [], self._low.find(f"\r\n{name}:")
        while i >= 0:
            values.append(self._value(i + len(key)))
            i = self._low.find(key, i + len(key))
        return _list_value(values)

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
            for name in LIST_HEADERS.intersection(self._dict):
                self._dict[name] = self._list(name)
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
# A header line's value is any bytes up to an LF after a CR here; parse_plain_response checks the rest.
_PLAIN_RESPONSE = re.compile(rb"HTTP/1\.[01] (\d{3})(?:[ \t][^\r\n]*+)?\r\n("
                             rb"(?:[A-Za-z][!-9;-~]{0,78}+:.*+(?<=\r)\n)*+)\r\n")
_BODY = object()


def _head_line(line: bytes, headers: dict[str, str], last):
    """One head line: a header, a folded continuation, or the page itself (returns _BODY: it began
    without an empty line before it); anything else is ignored. Returns the last header's name."""
    k, sep, v = line.partition(b":")
    if sep and k[:1].isalpha() and len(k) < 80 and b" " not in (k := k.strip()):   # _header_like
        last = k.lower().decode("latin-1")
        _put(headers, last, v.strip().decode("latin-1"))
    elif line[:1] in (b" ", b"\t") and last:
        headers[last] += " " + line.strip().decode("latin-1")
    elif line.lstrip()[:1] == b"<":
        return _BODY
    return last


def _put(headers: dict[str, str], name: str, value: str) -> None:
    """A header line's value: the last of a name wins, but a list header's lines combine (LIST_HEADERS)."""
    if name in LIST_HEADERS and name in headers:
        value = _list_value([headers[name], value])
    headers[name] = value


def _list_value(values: list[str]) -> str:
    """A list header's lines as one value, in order; empty ones are no elements (RFC 9110 5.6.1)."""
    return ", ".join(v for v in values if v)


def dechunk(body: bytes) -> tuple[bytes, bool] | None:
    """The payload of a chunked body and whether it ended with its last (zero-size) chunk, or None
    when the body is not chunked (or a size line, extensions and all, is over MAX_CHUNK_LINE). A
    body cut mid-chunk, or after a chunk without the last one (the connection closed mid-page),
    gives what its chunks hold and False."""
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\n", pos, pos + MAX_CHUNK_LINE + 1)
        if nl < 0:
            # No size line ends within reach: a body cut inside one after its chunks, or no chunks.
            return (bytes(out), False) if out and len(body) - pos <= MAX_CHUNK_LINE else None
        try:
            size = int(body[pos:nl].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out), True
        start = nl + 1
        if start + size > len(body):
            return bytes(out) + body[start:], False     # cut off in this chunk
        out += body[start:start + size]
        pos = start + size
        while pos < len(body) and body[pos] in b"\r\n" and pos < start + size + 2:
            pos += 1
        if pos >= len(body):
            return bytes(out), False                   # no last chunk: cut after this one


def _decompress(enc: str, body: bytes, limit: int) -> tuple[bytes, bool] | None:
    """(payload, cut) of a body in one content coding, or None when the body is not really encoded
    so. At most about `limit` bytes are ever decoded: more than `limit` back means too large (the
    payload is then cut at `limit`). `cut`: the body ended before its compressed stream did; what
    came out before is the payload."""
    try:
        if enc in ("gzip", "x-gzip"):
            if not body.startswith(b"\x1f\x8b"):
                return None
            return _inflate(body, 47, limit, members=True)
        if enc == "deflate":
            for wbits in (15, -15):
                try:
                    return _inflate(body, wbits, limit)
                except zlib.error:
                    continue
            return None
        if enc == "br":
            return _unbrotli(body, limit)
        if enc == "zstd":
            return _unzstd(body, limit)
    except Exception:  # noqa: BLE001 - any codec failure means "not really encoded like that"
        return None
    return None


def _inflate(body: bytes, wbits: int, limit: int, members: bool = False) -> tuple[bytes, bool] | None:
    """zlib/gzip/raw deflate, `members`: every gzip member (as gzip.decompress and curl read them;
    bytes after the last that do not begin another member are ignored). A stream that gives nothing
    before the body ends is None (not this encoding) unless it is gzip, whose magic says it is;
    a later member that is damaged ends the payload as a cut one does."""
    out, size, data, cut = [], 0, body, False
    while True:
        d = zlib.decompressobj(wbits)
        try:
            piece = d.decompress(data, limit - size)
        except zlib.error:
            if not out:
                raise
            cut = True
            break
        out.append(piece)
        size += len(piece)
        if size >= limit:
            break
        if not d.eof:               # the body ran out first (the output limit was not reached)
            if not size and not members:
                return None
            cut = True
            break
        if not members or not d.unused_data.startswith(b"\x1f\x8b"):
            break
        data = d.unused_data
    return _joined(out, limit), cut


def _unbrotli(body: bytes, limit: int) -> tuple[bytes, bool] | None:
    """Brotli, never more than about `limit` bytes out (`output_buffer_limit`, brotli >= 1.2: the
    output stops growing there; asking again gives the rest). Nothing out of an unfinished stream
    is None (brotli has no magic: a plain page under a stale header)."""
    import brotli
    d = brotli.Decompressor()
    out = [d.process(body, output_buffer_limit=limit)]
    size = len(out[0])
    while size < limit and not d.can_accept_more_data():
        piece = d.process(b"", output_buffer_limit=limit - size)
        if not piece:
            break
        out.append(piece)
        size += len(piece)
    if d.is_finished() or size >= limit:
        return _joined(out, limit), False
    return (_joined(out, limit), True) if size else None


# A zstd block of 4 bytes (an RLE block) can stand for 128 KiB: input is fed in pieces that cannot
# give much more than what the limit still allows, and at least 256 bytes (8 MiB at most).
_ZSTD_RATIO_LOG = 15


def _unzstd(body: bytes, limit: int) -> tuple[bytes, bool] | None:
    """Zstandard, every frame (skippable ones give nothing), never more than about `limit` bytes
    out: zstandard's decompressobj has no output limit, so input goes in small pieces. A frame
    cut off is the end of the payload, flagged cut even when nothing came out (the magic says
    it is zstd); bytes after the last frame that begin no other frame are ignored."""
    import zstandard
    if not _zstd_frame_at(body, 0):
        return None
    dctx = zstandard.ZstdDecompressor()
    view = memoryview(body)
    out, size, pos = [], 0, 0
    while True:
        d = dctx.decompressobj()
        try:
            while not d.eof and pos < len(view) and size < limit:
                step = max(256, (limit - size) >> _ZSTD_RATIO_LOG)
                piece = d.decompress(view[pos:pos + step])
                pos += step
                out.append(piece)
                size += len(piece)
        except zstandard.ZstdError:
            if not out:
                raise
            return _joined(out, limit), True        # a later frame damaged: the payload ends there
        if size >= limit:
            return _joined(out, limit), False
        if not d.eof:
            return _joined(out, limit), True        # the body ran out inside a frame
        pos = min(pos, len(view)) - len(d.unused_data)
        if not _zstd_frame_at(body, pos):
            return _joined(out, limit), False


def _zstd_frame_at(body: bytes, pos: int) -> bool:
    """Whether a zstd frame, or a skippable frame, begins at body[pos] (decompress.sniff_codec)."""
    return sniff_codec(body[pos:pos + 4]) == "zstd"


def _joined(out: list[bytes], limit: int) -> bytes:
    data = out[0] if len(out) == 1 else b"".join(out)
    return data[:limit] if len(data) > limit else data


def undeclared_gzip(body: bytes, limit: int) -> tuple[bytes, bool] | None:
    """(payload, cut) of a body that is gzip although no Content-Encoding (left) says so: a
    server that compressed twice, or served a `.gz` file as text/html. trafilatura inflates such
    bytes too; the caller counts `undeclared_gzip` (and `content_encoding_truncated` when cut).
    None when the body is not a gzip stream, or one that gives nothing."""
    if not body.startswith(b"\x1f\x8b\x08"):
        return None
    got = _decompress("gzip", body, limit)
    return got if got and got[0] else None


def looks_like_page(body: bytes) -> bool:
    """Whether a body given no type is a page: its first non-blank character, after a UTF-8 or
    UTF-16 byte-order mark, is `<`."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return (_UTF16LE_PAGE if body[:1] == b"\xff" else _UTF16BE_PAGE).match(body, 2) is not None
    return _PAGE.match(body, 3 if body[:3] == b"\xef\xbb\xbf" else 0) is not None


_PAGE = re.compile(rb"[ \t\n\r\x0b\x0c]*+<")         # what bytes.lstrip() strips, then <
_UTF16LE_PAGE = re.compile(rb"(?:[ \t\n\r\x0b\x0c]\x00)*+<\x00")
_UTF16BE_PAGE = re.compile(rb"(?:\x00[ \t\n\r\x0b\x0c])*+\x00<")
_CR_LF = (b"\r", b"\n")


def decode_body(resp: HttpResponse, limit: int) -> tuple[bytes, list[str]]:
    """The response payload with transfer and content encodings undone where they apply, and the
    names of the mismatches met (each a counter for the caller; `http_header_too_long`: head lines
    over MAX_LINE bytes were dropped). A Transfer-Encoding's compressions (`gzip, chunked`: RFC 9112
    6.1; TRANSFER_CODECS) are undone as content codings are, after the chunks and before the
    Content-Encoding's (a mismatch is counted as theirs): such bodies were counted `undeclared_gzip`."""
    head = ["http_header_too_long"] if resp.long_lines else []
    if "transfer-encoding" not in resp.headers and "content-encoding" not in resp.headers:
        return resp.body, head                      # most pages: nothing to undo
    body, problems, cut = resp.body, head, False
    transfer = [e.strip().lower() for e in resp.headers.get("transfer-encoding", "").split(",")]
    if "chunked" in transfer:
        plain = dechunk(body)
        if plain is None:
            problems.append("chunked_mismatch")
        else:
            body, ended = plain
            if not ended:
                problems.append("http_truncated")
    codings = [e.strip().lower() for e in resp.headers.get("content-encoding", "").split(",")] + \
        [e for e in transfer if e in TRANSFER_CODECS]
    for enc in reversed(codings):               # applied in order: the last one is undone first
        if enc in ("", "identity", "none", "utf-8", "utf8"):
            continue
        got = _decompress(enc, body, limit + 1)
        if got is None:
            if body:
                problems.append("content_encoding_mismatch")
            break
        body, cut_here = got
        cut = cut or cut_here
        if len(body) > limit:
            break                                   # too large already: the caller quarantines it
    if cut:
        problems.append("content_encoding_truncated")
    return body, problems
