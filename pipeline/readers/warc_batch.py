"""The WARC reader's batch path: Common Crawl's captures from inflated members straight to columns.

In Common Crawl's layout (one gzip member per record: request, response, metadata) the reader's
per-record layers - a WarcRecord with a dict of every header, the HTTP response object, the
reader's checks, a Doc, the runner's dict a row - cost about as much as FastWARC's whole
iteration over the file. Here a member that is exactly one plain record is read in one pass,
with the same primitives as the per-record path (warc_members' head regex and `_first`, http's
`parse_plain_response`, decode's checks):
- a record of a type the reader only counts is counted (`skipped_<type>`);
- a plain HTTP response with another status than 200, or of another content type, is counted;
- a 200 response whose page is already UTF-8, needs no transfer or content encoding undone and
  is neither empty nor too large becomes a row of a DocBatch.
Anything else is left to the per-record path (`member` returns None) before anything is cut out
of the member, so that path sees it exactly as it does without batches; a page that needs the
charset step (not UTF-8, a byte-order mark, control characters) goes through the reader's own
per-record `page` function with the same arguments it gets there. So the documents, counters,
quarantine items and their order are the per-record path's (tests/test_ingest_batch.py
compares both on every shared WARC and on damaged copies).

Pages are copied out of their inflated members into blocks of Arrow's memory pool (`_Blocks`)
instead of being kept where libdeflate put them: a kept member is fresh memory from malloc for
every page (the heap is given back to the system when a shard is freed), and faulting it in cost
more than the copy (~70 us a 75 KB page against ~25 us; Arrow's allocator keeps freed blocks for
the next ones, and each member's own memory is reused for the next member).
"""
from __future__ import annotations

import pyarrow as pa

from pipeline.readers.base import Doc, DocBatch
from pipeline.readers.decode import _BOM_STARTS, _utf8_garbage, charset_from_content_type, is_utf8
from pipeline.readers.http import parse_plain_response
from pipeline.readers.warc_members import _PLAIN_WARC_HEAD, _first

# A batch is handed on at this many documents or bytes of pages (the runner cuts shards where it
# would one document at a time, whatever the batches).
BATCH_DOCS = 64
BATCH_BYTES = 16 << 20
BLOCK = 4 << 20                 # bytes of pages a block of Arrow memory holds (a larger page: its own)


class _Blocks:
    """Pages copied one after another into Arrow buffers; each page a zero-copy slice of its block."""

    def __init__(self):
        self.block, self.view, self.pos = None, None, 0

    def put(self, data) -> pa.Buffer:
        n = len(data)
        if self.block is None or self.pos + n > self.block.size:
            self.block = pa.allocate_buffer(max(BLOCK, n))
            self.view, self.pos = memoryview(self.block).cast("B"), 0
        at = self.pos
        self.view[at:at + n] = data
        self.pos = at + n
        return self.block.slice(at, n)


class CaptureBatcher:
    """The batch path of one WARC file: `member(content, offset)` for warc_members.member_phase."""

    def __init__(self, src, state, path: str, want: tuple[str, ...], kinds: tuple[str, ...], page):
        self.src, self.state, self.path, self.want, self.kinds, self.page = src, state, path, want, kinds, page
        self.warc_file = path.rsplit("/", 1)[-1]
        self.blocks = _Blocks()
        self._new()

    def _new(self) -> None:
        self.ids: list[str] = []
        self.urls: list[str | None] = []
        self.html: list = []
        self.meta: list[dict] = []
        self.size = 0

    def flush(self) -> tuple:
        """The documents gathered so far, as one DocBatch (or nothing)."""
        if not self.ids:
            return ()
        batch = DocBatch(self.ids, self.urls, None, self.html, self.meta)
        self._new()
        return (batch,)

    def member(self, content: bytearray, offset: int) -> tuple | None:
        m = _PLAIN_WARC_HEAD.match(content)
        if m is None:
            return None
        lines = m.group(1)
        if not lines.isascii():
            return None
        low = lines.lower()
        wtype, length = _first(lines, low, b"warc-type:"), _first(lines, low, b"content-length:")
        if not wtype or length is None or not length.isdigit():
            return None
        start, length = m.end(), int(length)
        if len(content) != start + length + 4 or not content.endswith(b"\r\n\r\n"):
            return None
        wtype = wtype.decode("ascii").lower()
        if wtype not in self.kinds:
            self.state.count(f"skipped_{wtype}")
            return ()
        if wtype != "response" or length > self.src.max_doc_bytes or \
                b"application/http" not in (_first(lines, low, b"content-type:") or b"").lower():
            return None
        plain = parse_plain_response(content, start, start + length)
        if plain is None:
            return None
        status, http, body_at = plain
        if status != 200:
            self.state.count(f"skipped_http_{status // 100}xx")
            return ()
        ctype = http.get("content-type", "")
        if not ctype or body_at == start + length or "transfer-encoding" in http or "content-encoding" in http:
            return None
        mime = ctype.split(";")[0].strip().lower()
        if not mime.startswith(self.want):
            self.state.count("skipped_not_html")
            return ()
        rid = (_first(lines, low, b"warc-record-id:") or b"").decode("ascii").strip("<>").removeprefix("urn:uuid:") \
            or f"{self.path}@{offset}"
        url = (_first(lines, low, b"warc-target-uri:") or b"").decode("ascii").strip("<>") or None
        date = _first(lines, low, b"warc-date:")
        meta = {"warc_date": None if date is None else date.decode("ascii"), "warc_file": self.warc_file,
                "warc_offset": offset, "content_type": mime}
        # The page cut out of its member where it lies (as warc_members.BlockReader.take).
        del content[start + length:]
        del content[:body_at]
        body = content
        out = ()
        if body.isspace() or len(body) > self.src.max_doc_bytes or body.startswith(_BOM_STARTS) or \
                not is_utf8(body) or _utf8_garbage(body) is not None:
            for item in self.page(self.src, self.state, rid, url, body, charset_from_content_type(ctype), meta,
                                  offset, []):
                if isinstance(item, Doc):
                    self._add(item.id, item.url, item.html, item.metadata)
                else:
                    out = self.flush() + (item,)
        else:
            meta["charset"] = "utf-8"
            self._add(rid, url, self.blocks.put(body), meta)
        if len(self.ids) >= BATCH_DOCS or self.size >= BATCH_BYTES:
            out += self.flush()
        return out

    def _add(self, rid: str, url: str | None, html, meta: dict) -> None:
        self.ids.append(rid)
        self.urls.append(url)
        self.html.append(html)
        self.meta.append(meta)
        self.size += len(html)
