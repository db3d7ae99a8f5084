"""The WARC reader's batch path: Common Crawl's captures from inflated members straight to columns.

In Common Crawl's layout (one gzip member per record: request, response, metadata) the reader's
per-record layers - a WarcRecord with a dict of every header, the HTTP response object, the
reader's checks, a Doc, the runner's dict a row - cost about as much as FastWARC's whole
iteration over the file. Here a member that is exactly one plain record is read in one pass,
with the same primitives as the per-record path (warc_members' head regex and `field`, http's
`parse_plain_response`, decode's checks):
- a record of a type the reader only counts is counted (`skipped_<type>`);
- a plain HTTP response with another status than 200, or of another content type, is counted;
- a 200 response whose page is already UTF-8, needs no transfer or content encoding undone, is
  neither empty nor too large and was not cut by the crawler (WARC-Truncated) becomes a row of a
  DocBatch.
Left to the per-record path as well: a 203; a response of a plain-text type (a `text` document
there, or a page sent as text), of a generic HTTP type (application/octet-stream, ...: sniffed
there), or whose WARC-Identified-Payload-Type differs from its HTTP type (the per-record path
decides which is read, `web._read_as`); a body whose first bytes name a binary format (counted
there); and one carrying Common Crawl's WARC-Identified-Content-Language (kept in the metadata
there; Common Crawl puts it in WET conversions and metadata records, not in responses).
Anything else is left to the per-record path (`member` returns None) before anything is cut out
of the member, so that path sees it exactly as it does without batches; a page that needs the
charset step (not UTF-8, a byte-order mark, control characters) goes through the reader's own
per-record `page` function with the same arguments it gets there (and so does a 7-bit page in
ISO-2022-JP, which passes as UTF-8). So the documents, counters,
quarantine items and their order are the per-record path's (tests/test_ingest_batch.py
compares both on every shared WARC and on damaged copies).

Pages are copied out of their inflated members into blocks of Arrow's memory pool instead of
being kept where libdeflate put them: a kept member is fresh memory from malloc for every page
(glibc gives the heap back to the system as soon as a shard's pages are freed), and faulting it
in cost ~3x the copy (~65 us a 75 KB page against ~20 us; Arrow's allocator keeps freed blocks
for the next ones, and each member's own memory is reused for the next member). The pages of a
block are then validated as UTF-8 together, as one string array (`_seal`), each page a one-value
slice of it: the column chunk the document table takes as it is.
"""
from __future__ import annotations

import re
from array import array
from json.encoder import encode_basestring

import pyarrow as pa

from pipeline.readers.base import Doc, DocBatch
from pipeline.readers.charsets import _utf8_garbage, charset_from_content_type
from pipeline.readers.decode import _BOM_STARTS, iso2022_escapes
from pipeline.readers.http import parse_plain_response
from pipeline.readers.magic import binary_format
from pipeline.readers.warc_members import PLAIN_WARC_HEAD_CRLF, field
from pipeline.readers.warc_scan import skip_counter

# A batch is handed on at this many documents or bytes of pages (the runner cuts shards where it
# would one document at a time, whatever the batches).
BATCH_DOCS = 64
BATCH_BYTES = 16 << 20
_INVALID_AT = re.compile(r"at string index (\d+)")   # pyarrow's message for an invalid value
BLOCK = 4 << 20                 # bytes of pages a block of Arrow memory holds (a larger page: its own)


# Wanted types whose pages are text, not markup: the per-record path makes them documents with
# `text` set (extract passes those through), so the batch path, which fills `html`, leaves them.
TEXT_TYPES = frozenset(("text/plain", "text/markdown", "text/x-markdown"))
# Statuses whose body is the page its URL names: 200, and 203, the 200's copy as a transforming
# proxy passed it on (RFC 9110 15.3.4). Not 206 (a piece of one), nor 3xx, 4xx and 5xx: a
# redirect's stub, a "404 Not Found" or "500" error page (datatrove keeps them; their words are
# the server's boilerplate, said again for every missing URL of a site).
KEPT_STATUSES = frozenset((200, 203))
# HTTP types that say nothing about the payload (a server's default, a forced download): where
# one is given, or none, WARC-Identified-Payload-Type (Common Crawl's sniffed type) decides.
GENERIC_TYPES = frozenset(("", "application/octet-stream", "binary/octet-stream", "application/unknown",
                           "unknown/unknown", "application/x-unknown", "application/x-unknown-content-type",
                           "application/binary", "application/download", "application/x-download",
                           "application/force-download"))


class _Redo:
    """A page that failed UTF-8 validation with its group: the per-record `page` decides it."""
    __slots__ = ("args", "body")

    def __init__(self, args: tuple, body: bytearray):
        self.args, self.body = args, body


class CaptureBatcher:
    """The batch path of one WARC file: `member(content, offset)` for warc_members.member_phase."""

    def __init__(self, src, state, path: str, want: tuple[str, ...], kinds: tuple[str, ...], page):
        self.src, self.state, self.path, self.want, self.kinds, self.page = src, state, path, want, kinds, page
        self.warc_file = path.rsplit("/", 1)[-1]
        self.counters = state.counters
        self.max_bytes = src.max_doc_bytes
        self.skips: dict[bytes, str] = {}       # a WARC-Type as written -> its counter ("": wanted)
        # The metadata's JSON as pipeline.documents writes a page's dict (keys sorted, ", " and ": "),
        # put together here: no dict a page, nor an encoder call a row.
        self.meta_json = ('{"charset": "utf-8", "content_type": %s, "warc_date": %s, "warc_file": '
                          + encode_basestring(self.warc_file).replace("%", "%%") + ', "warc_offset": %d}')
        self.block, self.view, self.pos, self.room = None, None, 0, -1     # room: the block's size
        self.mime_json: dict[str, str] = {}     # a page type -> its JSON string
        self._new()

    def _new(self) -> None:
        self.ids: list[str] = []
        self.urls: list[str | None] = []
        self.html: list = []
        self.meta: list[dict | str] = []
        self.sizes: list[int] = []
        self.size = 0
        self.group: list[tuple[int, int, tuple]] = []   # pages in the block not yet validated: (row, size, args)
        self.group_ascii = True
        self.redo = False                                 # a row is a _Redo

    def _add(self, rid: str, url: str | None, html, meta, size: int) -> None:
        self.ids.append(rid)
        self.urls.append(url)
        self.html.append(html)
        self.meta.append(meta)
        self.sizes.append(size)
        self.size += size

    def _meta(self, args: tuple) -> dict:
        """The metadata dict of a page (args: rid, url, ctype, mime, date, offset), as _read_warc makes it."""
        return {"warc_date": args[4], "warc_file": self.warc_file, "warc_offset": args[5], "content_type": args[3]}

    def _put(self, body: bytearray, args: tuple) -> None:
        """A page that is UTF-8 if valid: copied into the block, validated with its group (`_seal`)."""
        n = len(body)
        pos = self.pos
        if pos + n > self.room:
            self._seal()
            self.block = pa.allocate_buffer(max(BLOCK, n))
            self.view, self.room, pos = memoryview(self.block).cast("B"), self.block.size, 0
        self.view[pos:pos + n] = body
        self.pos = pos + n
        self.group.append((len(self.ids), n, args))
        if self.group_ascii:
            self.group_ascii = body.isascii()
        rid, url, _, mime, date, offset = args
        if (mime_json := self.mime_json.get(mime)) is None:
            mime_json = self.mime_json[mime] = encode_basestring(mime)
        self._add(rid, url, None, self.meta_json % (
            mime_json, "null" if date is None else encode_basestring(date), offset), n)

    def _seal(self) -> None:
        """The group's pages as one string array over the block, validated in one call (~5 us a
        page less than an array and a call each), each row a one-value slice of it."""
        group = self.group
        if not group:
            return
        offsets, at = array("i", [0]), 0
        for _, n, _ in group:
            at += n
            offsets.append(at)
        base = self.pos - at
        pages = pa.StringArray.from_buffers(len(group), pa.py_buffer(offsets), self.block.slice(base, at))
        html = self.html
        for i, (row, _, _) in enumerate(group):
            html[row] = pages.slice(i, 1)
        if not self.group_ascii:
            for i in _invalid_rows(pages):
                row, n, args = group[i]
                html[row] = _Redo(args, bytearray(self.block.slice(base + offsets[i], n).to_pybytes()))
                self.redo = True
        self.group, self.group_ascii = [], True

    def flush(self) -> tuple:
        """The documents gathered so far as one DocBatch (or nothing); where a page failed
        validation, `page` decides it, and a quarantine item comes between the batches around it."""
        self._seal()
        if not self.ids:
            return ()
        rows = (self.ids, self.urls, self.html, self.meta, self.sizes)
        redo = self.redo
        self._new()
        if not redo:
            return (DocBatch(*rows[:2], None, *rows[2:]),)
        out = []
        for rid, url, html, meta, size in zip(*rows):
            if type(html) is not _Redo:
                self._add(rid, url, html, meta, size)
                continue
            a = html.args
            for item in self.page(self.src, self.state, a[0], a[1], html.body, charset_from_content_type(a[2]),
                                  self._meta(a), a[5], []):
                if isinstance(item, Doc):
                    self._add(item.id, item.url, item.html, item.metadata, len(item.html or ""))
                else:
                    if self.ids:
                        out.append(DocBatch(self.ids, self.urls, None, self.html, self.meta, self.sizes))
                        self._new()
                    out.append(item)
        if self.ids:
            out.append(DocBatch(self.ids, self.urls, None, self.html, self.meta, self.sizes))
            self._new()
        return tuple(out)

    def member(self, content: bytearray, offset: int) -> tuple | None:
        m = PLAIN_WARC_HEAD_CRLF.match(content)
        if m is None:
            return None
        head = m.group(1)
        if not head.isascii():
            return None
        low = head.lower()
        wtype, length = field(head, low, b"\r\nwarc-type:"), field(head, low, b"\r\ncontent-length:")
        if not wtype or length is None or not length.isdigit():
            return None
        start, length = m.end(), int(length)
        if len(content) != start + length + 4 or not content.endswith(b"\r\n\r\n"):
            return None
        skip = self.skips.get(wtype)
        if skip is None:
            kind = wtype.decode("ascii").lower()
            skip = self.skips[wtype] = "" if kind in self.kinds else skip_counter(kind)
        if skip:
            self.counters[skip] = self.counters.get(skip, 0) + 1
            return ()
        if (wtype != b"response" and wtype.lower() != b"response") or length > self.max_bytes or \
                b"warc-truncated:" in low or b"warc-segment-number:" in low or \
                b"application/http" not in (field(head, low, b"\r\ncontent-type:") or b"").lower() or \
                b"warc-identified-content-language:" in low:
            return None
        plain = parse_plain_response(content, start, start + length)
        if plain is None:
            return None
        status, http, body_at = plain
        if status != 200:
            if status in KEPT_STATUSES:
                return None                 # a 203: a page, read as the per-record path reads it
            self.state.count(f"skipped_http_{status // 100}xx")
            return ()
        ctype = http.get("content-type", "")
        if not ctype or body_at == start + length or "transfer-encoding" in http or "content-encoding" in http:
            return None
        declared = http.get("content-length", "")
        if declared.isdigit() and int(declared) > start + length - body_at:
            return None                     # cut short (web._cut_short): the per-record path flags it
        mime = ctype.split(";")[0].strip().lower()
        # What the payload is read as is the per-record path's to decide (web._read_as) where the
        # HTTP type alone does not say: a generic type (sniffed), a text type (a text document, or a
        # page sent as text), Common Crawl's identified type other than the HTTP one - unless both
        # are page types (text/html identified application/xhtml+xml, common: read as the HTTP type).
        if mime in GENERIC_TYPES or mime in TEXT_TYPES:
            return None
        identified = field(head, low, b"\r\nwarc-identified-payload-type:")
        if identified:
            found = identified.split(b";")[0].strip().lower().decode("latin-1")
            if found != mime and not (mime.startswith(self.want) and found.startswith(self.want)
                                      and found not in TEXT_TYPES):
                return None
        if not mime.startswith(self.want):
            self.state.count("skipped_not_html")
            return ()
        if content[body_at:body_at + 1] not in b"<\t\n\r " and binary_format(bytes(content[body_at:body_at + 512])):
            return None                     # a JPEG or a PDF labelled text/html: counted there
        rid = (field(head, low, b"\r\nwarc-record-id:") or b"").decode("ascii").strip("<>") \
            .removeprefix("urn:uuid:") or f"{self.path}@{offset}"
        url = (field(head, low, b"\r\nwarc-target-uri:") or b"").decode("ascii").strip("<>") or None
        date = field(head, low, b"\r\nwarc-date:")
        args = (rid, url, ctype, mime, None if date is None else date.decode("ascii"), offset)
        # The page cut out of its member where it lies (as warc_members.BlockReader.take).
        del content[start + length:]
        del content[:body_at]
        out = ()
        if content.isspace() or len(content) > self.max_bytes or len(content) >= 1 << 31 or \
                content.startswith(_BOM_STARTS) or _utf8_garbage(content) is not None or iso2022_escapes(content):
            # `page` as the per-record path calls it: it decides what the check here cannot.
            for item in self.page(self.src, self.state, rid, url, content, charset_from_content_type(ctype),
                                  self._meta(args), offset, []):
                if isinstance(item, Doc):
                    self._add(item.id, item.url, item.html, item.metadata, len(item.html or ""))
                else:
                    out = self.flush() + (item,)
        else:
            self._put(content, args)
        if len(self.ids) >= BATCH_DOCS or self.size >= BATCH_BYTES:
            out += self.flush()
        return out


def _invalid_rows(pages: pa.StringArray) -> list[int]:
    """Indexes of the values that are not UTF-8, in one validation of the whole array when all
    are: Arrow's error names the first bad value, and validation resumes after it (one bad page
    among many costs a part of a second pass, not a call per page)."""
    out, start = [], 0
    while start < len(pages):
        try:
            pages.slice(start).validate(full=True)
            return out
        except pa.ArrowInvalid as e:
            m = _INVALID_AT.search(str(e))
            if m is None:                       # wording unknown (another Arrow): page by page
                return out + [i for i in range(start, len(pages)) if not _valid(pages.slice(i, 1))]
            out.append(start + int(m.group(1)))
            start = out[-1] + 1
    return out


def _valid(page: pa.Array) -> bool:
    try:
        page.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
