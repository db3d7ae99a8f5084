"""A MediaWiki dump stream cut into `<page>` elements, each cut down to its last `<revision>`.

`mediawiki.py` parses each page on its own; this module finds them. `<page>`, `</page>` and
`<revision>` can only be element tags in a dump (a literal "<" in a title, a comment or wikitext is
escaped as &lt;), so the framing is exact. A page of a pages-meta-history dump lists every revision
of the article, oldest first, and only the last is read (as mwxml and wikiextractor read them):
the page is streamed revision by revision and what lies before its newest `<revision>` so far is
dropped as soon as that one starts, so memory holds the page's head (title, ns, id, redirect:
what precedes its first `<revision>`) and one revision, however many there are. The most-edited
articles of a history dump run to hundreds of MB per page: capped as a whole page, they were
exactly the pages lost. The cap (max_doc_bytes) applies to what is parsed: the head and the last
revision; a revision over it that a later one replaces costs nothing, its bytes dropped as read.
A pages-articles dump (one revision a page) is read as before, page by page.
"""
from __future__ import annotations

import html
import re
from typing import Iterator

CHUNK = 1 << 20
PAGE_OPEN, PAGE_CLOSE, ROOT_CLOSE = b"<page>", b"</page>", b"</mediawiki>"
REVISION_OPEN = b"<revision>"
SITEINFO_CLOSE = b"</siteinfo>"
SAMPLE = 65536             # bytes of a damaged or oversized page kept in its quarantine item
_TAIL = len(REVISION_OPEN) - 1       # the longest marker but one byte: what a chunk's end may cut
# What a page's bytes are scanned for, in one pass: its revisions, its end, a next page's start.
# (The lengths tell them apart: 10, 7, 6.)
_MARKER = re.compile(b"<(?:revision>|/page>|page>)")
_TITLE = re.compile(rb"<title>([^<]*)</title>")
_PAGE_ID = re.compile(rb"<id>\s*(\d+)\s*</id>")


def frame_pages(stream, max_page_bytes: int) -> Iterator[tuple[str, bytes, int]]:
    """Split a dump stream into ("header", bytes, 0), ("page", bytes, offset) and the damaged
    pieces ("too_large" | "unterminated" | "unopened" | "truncated", first bytes, offset), and ("unclosed", b"",
    offset) when the stream ends outside a page without </mediawiki> after the last page (a dump cut
    between two pages loses the rest silently otherwise); offsets are in the decompressed stream,
    a page's at its `<page>`. A page's bytes are its head and its last revision (its bytes from the
    last `<revision>` to `</page>`), which is the whole page when it has one revision; the first
    bytes of a damaged or oversized page begin with its head, where its title and id are
    (`page_names`). "too_large": the head and last revision are over `max_page_bytes`, or no
    `<revision>` begins within them. Read errors of the decompressor propagate to the caller."""
    buf = b""
    base = 0          # stream offset of buf[0]
    start = 0         # first unconsumed byte in buf: in a page, its <page> or (once cut) its newest <revision>
    searched = 0      # buf[start:searched] holds no marker we are looking for (but the one at start)
    in_page = skipping = False
    header_done = closed = False
    head = None       # the page's bytes before its first <revision>, once the page is cut down
    big = None        # the first bytes of the page's current revision when that is over the cap
    page_at = 0       # stream offset of the current page
    while True:
        chunk = stream.read1(CHUNK)      # read1: what was decoded before damage is not dropped
        buf, base = buf[start:] + chunk, base + start
        searched -= start
        start = 0
        while True:
            if not in_page:
                i = buf.find(PAGE_OPEN, max(start, searched))
                # A </page> between pages closes a page whose <page> tag was damaged: counted, not
                # skipped with the whitespace between pages (before the first page, see the header).
                lost = buf.find(PAGE_CLOSE, start, i if i >= 0 else len(buf)) if header_done else -1
                if lost >= 0:
                    end = lost + len(PAGE_CLOSE)
                    yield "unopened", buf[start:end][:SAMPLE], base + start
                    start, searched = end, max(searched, end)
                    continue
                if i < 0:
                    closed = closed or buf.find(ROOT_CLOSE, start) >= 0
                    if not header_done and len(buf) < 64 * CHUNK:
                        searched = max(0, len(buf) - len(PAGE_OPEN))
                    else:
                        header_done = True     # keep enough to find a </mediawiki> cut by the chunk
                        start = max(start, len(buf) - len(ROOT_CLOSE))
                        searched = max(start, len(buf) - len(PAGE_OPEN))
                    break
                closed = False
                if not header_done:
                    header_done = True
                    lost = buf.rfind(PAGE_CLOSE, 0, i)
                    if lost < 0:
                        yield "header", buf[:i], 0
                    else:                   # the first page lost its <page>: it sits after <siteinfo>
                        s = buf.rfind(SITEINFO_CLOSE, 0, lost)
                        s = s + len(SITEINFO_CLOSE) if s >= 0 else 0
                        yield "header", buf[:s], 0
                        yield "unopened", buf[s:lost + len(PAGE_CLOSE)][:SAMPLE], s
                in_page, start, searched = True, i, i + len(PAGE_OPEN)
                head = big = None
                page_at = base + i
                continue
            # One pass over the page for its revisions, its end, or (damage) the next page's start.
            first = last = -1     # this pass's first and last <revision> (newer than the one at start)
            m = _MARKER.search(buf, searched)
            while m is not None and m.end() - m.start() == len(REVISION_OPEN):
                first = m.start() if first < 0 else first
                last = m.start()
                m = _MARKER.search(buf, m.end())
            if m is not None and m.end() - m.start() == len(PAGE_OPEN):   # a new page before this one ended
                k = m.start()
                if not skipping:
                    yield "unterminated", _kept(head, big, buf[start:k]), page_at
                skipping, start, searched = False, k, k + len(PAGE_OPEN)
                head = big = None
                page_at = base + k
                continue
            if m is None:
                if not skipping:
                    # Cut the page down to its newest revision so far: the older ones are dropped.
                    if last >= 0:
                        if head is None:
                            head = buf[start:first]
                        start, big = last, None
                    size = len(buf) - start + (len(head) if head is not None else 0)
                    if size > max_page_bytes and big is None:
                        if head is None:       # no <revision> begins within the cap: no page
                            yield "too_large", buf[start:start + SAMPLE], page_at
                            skipping = True
                        else:                  # this revision is over it: dropped, unless a later one comes
                            big = (head + buf[start:start + SAMPLE])[:SAMPLE]
                searched = max(searched, len(buf) - _TAIL)
                if skipping or big is not None:   # drop what we will not parse, keep the marker search window
                    start = max(start, searched)
                break
            end = m.end()
            if not skipping:
                if head is None:      # the whole page is in buf: as it is, unless it has older revisions
                    page = buf[start:end] if first == last else buf[start:first] + buf[last:end]
                else:
                    if last >= 0:
                        start, big = last, None
                    page = head + buf[start:end] if big is None else None
                if page is None:
                    yield "too_large", big, page_at
                elif len(page) > max_page_bytes:
                    yield "too_large", page[:SAMPLE], page_at
                else:
                    yield "page", page, page_at
            in_page = skipping = False
            head = big = None
            start = searched = end
        if not chunk:
            if in_page and not skipping:
                yield "truncated", _kept(head, big, buf[start:start + SAMPLE]), page_at
            elif not in_page:
                if not header_done:
                    yield "header", buf, 0
                if not closed:
                    yield "unclosed", b"", base + len(buf)
            return


def _kept(head: bytes | None, big: bytes | None, rest: bytes) -> bytes:
    """What is held of a page that ends damaged: its head and the bytes of its current revision."""
    if big is not None:
        return big
    return rest if head is None else head + rest


def page_names(data: bytes) -> tuple[str | None, str | None]:
    """(title, page id) from a page's first bytes (its head, before any `<revision>`: a revision
    has an <id> too), for the quarantine item of a page that could not be parsed; None for what
    is not there."""
    cut = data.find(REVISION_OPEN)
    head = data if cut < 0 else data[:cut]
    title, page_id = _TITLE.search(head), _PAGE_ID.search(head)
    return (html.unescape(title.group(1).decode("utf-8", "replace")).strip() or None if title else None,
            page_id.group(1).decode() if page_id else None)
