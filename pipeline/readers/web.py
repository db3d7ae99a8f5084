"""Web formats: WARC and WET crawl files, and single HTML pages.

Record framing is `pipeline.readers.warc` (libdeflate members and FastWARC, with our scanner around damage), HTTP heads
and encodings `pipeline.readers.http`, charsets `pipeline.readers.decode`. Every record ends as
exactly one of: a document, a `skipped_<kind>` counter (warcinfo, request, revisit, metadata,
conversion, dns, non_http, not_html, http_3xx ...), or a quarantine item with its reason. Pages kept
despite a defect carry it in `metadata["flags"]` and a counter of the same name:
`length_mismatch` (see warc.py), `decoded_lossy` (see decode.py), `content_encoding_mismatch`,
`content_encoding_truncated`, `chunked_mismatch`, `undeclared_gzip`, `http_header_too_long` (see
http.py) and `http_missing_status`. `content_encoding_truncated` is counted also when the page is then
quarantined (cut to nothing, say): the counter says how many bodies were cut, kept or not.

Pages are 200 and 203 responses (KEPT_STATUSES). What a payload is read as (`_read_as`): its
HTTP (or resource) type, but Common Crawl's `WARC-Identified-Payload-Type` (its sniffer's reading
of the bytes) wins where it differs and the HTTP type is missing, generic (application/octet-
stream, ...), textual (text/plain, text/xml, application/xml) or a page's: a page so identified is
read (counted `content_type_identified`), a PDF, image or JSON under text/html is skipped
(`skipped_identified_not_html`). With no type, a generic one or parameters only (`;charset=utf-8`)
and nothing identified, a body that begins with `<` is a page. Whatever the labels, a body whose
first bytes name a binary format (magic.binary_format) is `skipped_binary_payload`. A wanted
plain-text type (`text/plain`, `text/markdown`) gives a document with its `text` set, as a WET
record does, which `extract` passes through, unless the text is a whole HTML page (a doctype or
`<html>`: `text_looks_like_html`, read as HTML); markup types give `html`. Crawlers' own resource
records are counted, not read: Browsertrix's page text (`urn:text:`, `urn:textFinal:`:
`skipped_page_text`) and page lists (`urn:pageinfo:`: `skipped_page_info`), wget's log and
manifest (`metadata://`: `skipped_crawler_metadata`). Common Crawl's language labels
(`WARC-Identified-Content-Language`: CLD2's ISO-639-3 codes, most likely first) are kept as the
list `metadata["cc_languages"]` where a record carries them (WET conversions; a WARC response
that has the header), and a WET record's `WARC-Refers-To` (the response it was converted from)
as `metadata["warc_refers_to"]`.

Directories: a directory named in `paths` means its WARC-family files (`data_suffixes`: .warc,
.arc, .wet, .wat and .wacz, any case, plain or compressed, and Heritrix's or warcprox's
`.open` files still being written); anything else a listing turns up (a CDX index, `warc.paths.gz`,
a README) is counted `skipped_not_<format>_file`, not read as a damaged WARC. A file named on
its own or matched by a glob is read whatever its name. Likewise `format: html` reads the pages
of a directory (.html, .htm, .xhtml, .xht, .shtml, plain or compressed) and counts the rest
(`skipped_not_html_file`: a saved page's `_files/` folder of .css, .js and images, Thumbs.db,
notes). A file whose first bytes say it is no page (an image, a PDF, a font under a page-like name:
`not_a_page`) is counted likewise, dot files as `skipped_marker_file`; a saved page's address is
found in it or its mirror folder (`_page_url`); MHTML files give their HTML part (`_mhtml_page`).

Pages are handed on as UTF-8 bytes (`Doc.html`, `Doc.text` for WET), validated or transcoded by
`decode.decode_html_utf8`: no Python str is made of a page that is already UTF-8.
"""
from __future__ import annotations

import functools
import re
from typing import Iterator

from pydantic import Field

from pipeline import storage
from pipeline.readers.base import Doc, DocBatch, Quarantined, ReadState, Reader, read_whole, with_compression
from pipeline.readers.charsets import charset_from_content_type
from pipeline.readers.decode import decode_html_utf8
from pipeline.readers.http import decode_body, looks_like_page, parse_http, undeclared_gzip
from pipeline.readers.magic import HTML_PAGE, binary_format
from pipeline.readers.warc import WarcDamage, iter_warc
from pipeline.readers.warc_batch import GENERIC_TYPES, KEPT_STATUSES, CaptureBatcher, TEXT_TYPES
from pipeline.readers.warc_scan import skip_counter

HTML_TYPES = ["text/html", "application/xhtml+xml"]
# Types a server labels a page with when it sends it as text (a misconfigured `text/plain`, XHTML
# as `text/xml`): Common Crawl's identified type, when it is a wanted one, says what it is.
_TEXTUAL = ("text/", "application/xml")
# Crawlers' own `resource` records beside the pages, by their URI: Browsertrix's text of a page
# as the browser extracted it (urn:text:, urn:textFinal:: a copy of a page we read), its page
# list (urn:pageinfo:), wget's log, manifest and arguments (metadata://gnu.org/software/wget/...).
_CRAWLER_RESOURCES = (("urn:text:", "skipped_page_text"), ("urn:textfinal:", "skipped_page_text"),
                      ("urn:pageinfo:", "skipped_page_info"), ("metadata:", "skipped_crawler_metadata"))

# What iter_warc reads (plain, gzip, zstd; bzip2 and xz are named as unsupported, so read to say
# so), of every WARC-family name, with the `.open` of a file a crawler is still writing.
_WARC_SUFFIXES = tuple(s + o for s in with_compression(".warc", ".arc", ".wet", ".wat", ".wacz")
                       for o in ("", ".open"))


class WarcReader(Reader):
    """WARC and ARC files (.warc, .warc.gz, .warc.zst, .arc.gz, and WACZ/zip files of them): HTTP responses and resources become HTML documents."""
    name = "warc"
    content_column = "html"
    # 3: pages as UTF-8 bytes (the runner's shard_bytes now counts bytes, not characters)
    # 4: generic HTTP types read by WARC-Identified-Payload-Type; text/plain as text; cc_languages
    # 5: the identified type wins over a textual or page type; binary payloads, crawlers' own
    #    resources skipped; HTML sent as text read as HTML; 203 kept; list headers combined
    # 6: plain records after junk that follows gzip members; lower-case version lines; Latin-1 header values
    # 7: NUL padding stripped, control bytes judged over the whole page; long head lines; transfer codings
    version = "7"
    # A directory's files of other names (CDX indexes, warc.paths.gz, READMEs) are skipped, counted.
    data_suffixes = _WARC_SUFFIXES
    content_types: list[str] = Field(
        default=HTML_TYPES,
        description="HTTP content types that count as pages (a media type starting with one of them, any case). "
                    "HTML and XML types are kept as `html` for `extract`; `text/plain` (and `text/markdown`) "
                    "responses become documents with their `text` set, which `extract` passes through as it "
                    "does a WET record's (a text that is a whole HTML page is read as HTML, counted "
                    "text_looks_like_html). A response whose HTTP type is missing or generic "
                    "(application/octet-stream, ...) is read by its WARC-Identified-Payload-Type when that is "
                    "one of these")

    def read(self, path, src, state):
        return _read_warc(self, src, path, state)

    def read_batches(self, path, src, state):
        return _read_warc(self, src, path, state, batched=True)


class WetReader(WarcReader):
    """WET files: Common Crawl's text conversions, one text document per conversion record."""
    name = "wet"
    content_column = "text"


class HtmlReader(Reader):
    """One HTML page per file (optionally compressed); the file path is its id. A saved page's own
    address becomes its `url` (`_page_url`); an MHTML file (`.mht`, `.mhtml`: a page saved with its
    resources as one MIME message) gives its HTML part (`_mhtml_page`)."""
    name = "html"
    content_column = "html"
    # 4: a directory's assets are skipped, counted
    # 5: binary files by their first bytes, marker files (`.htaccess`, `._x`) skipped, counted; the
    #    page's url from its saved-from mark, canonical link or mirror folder; MHTML read
    # 6: NUL padding stripped, control bytes judged over the whole page (decode.py)
    version = "6"
    # Dot files are no pages: `.htaccess`, `.DS_Store`, macOS's AppleDouble `._index.html` beside
    # each page copied from a Mac (binary: quarantined bad_encoding, and so counted as lost). Not
    # `_` as the row formats: `wget -r` saves a URL path `/_search` as a file named `_search`.
    marker_prefixes = (".",)
    # A directory means its pages, whatever their names: a mirror's `about` or `index.php?id=3`
    # (`wget -r` without --adjust-extension) is a page. A saved page's `_files/` assets (style
    # sheets, scripts, images, fonts, media), Thumbs.db, .DS_Store and notes beside them are
    # counted `skipped_not_html_file`; a file named or globbed is read whatever its name.
    skip_suffixes = with_compression(
        ".css", ".js", ".mjs", ".map", ".json", ".txt", ".md", ".csv", ".xml", ".rss", ".atom", ".pdf",
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif", ".tiff",
        ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".m4a", ".webm", ".ogg", ".wav",
        ".avi", ".mov", ".swf", ".zip", ".tar", ".7z", ".rar", ".exe", ".dmg", ".db", ".ds_store",
        ".ini", ".log", ".cdx", ".cdxj")
    url_from_path: bool = Field(
        default=True,
        description="a page without a saved-from mark or canonical link takes its url from a mirror's folders "
                    "when the first folder below the source's folder (or that folder itself) is named like a "
                    "host, as `wget -r` writes them (`www.example.com/about/index.html` -> "
                    "http://www.example.com/about/; the scheme is not recorded: http, or the `http`/`https` "
                    "folder of --protocol-directories); false: such pages keep url null")

    def read(self, path, src, state):
        return _read_html(self, src, path, state)


# -- WARC / WET -------------------------------------------------------------------------------
def _read_warc(opts, src, path: str, state: ReadState, batched: bool = False
               ) -> Iterator[Doc | DocBatch | Quarantined]:
    want = tuple(t.lower() for t in opts.content_types)
    wet = opts.name == "wet"
    warc_file = path.rsplit("/", 1)[-1]
    kinds = ("conversion",) if wet else ("response", "resource")
    # `batched`: plain per-record gzip members are read by the batch path (warc_batch), the rest here.
    batcher = CaptureBatcher(src, state, path, want, kinds, _page) if batched and not wet else None
    fast = None if batcher is None else batcher.member
    seen = False                                      # a record read (the file is a WARC)
    head_junk = None
    for rec in iter_warc(path, max_record_bytes=src.max_doc_bytes, types=kinds,
                         fast=fast):
        if batcher is not None:
            if isinstance(rec, (DocBatch, Quarantined)):
                if isinstance(rec, DocBatch) and not seen:
                    if head_junk is not None:
                        yield _damage(head_junk)
                    seen = True
                yield rec
                continue
            if batcher.ids:
                yield from batcher.flush()            # documents before this record come first
        if isinstance(rec, WarcDamage):
            if rec.offset == 0 and rec.reason == "garbage_between_records" and not seen:
                head_junk = rec                         # junk before the first record, or no WARC at all
                continue
            yield _damage(rec)
            continue
        if not seen and head_junk is not None:
            yield _damage(head_junk)
        seen = True
        h = rec.headers
        wtype = h.get("warc-type", "").lower()
        if wtype not in kinds:
            state.count(skip_counter(wtype))
            continue
        # Without a record id: where the record is (`warc_offset`, see below), and, for the
        # records after the first that begin in one gzip member, how many came before it there.
        rid = h.get("warc-record-id", "").strip("<>").removeprefix("urn:uuid:") or \
            (f"{path}@{rec.offset}+{rec.index}" if rec.index else f"{path}@{rec.offset}")
        url = h.get("warc-target-uri", "").strip("<>") or None
        if wtype == "resource" and (kind := _crawler_resource(url)):
            state.count(kind)
            continue
        flags = ["length_mismatch"] if rec.length_mismatch else []
        if h.get("warc-truncated"):               # the crawler cut the payload (Common Crawl: at 1 MiB)
            flags.append("warc_truncated")
        if h.get("warc-segment-number"):
            # The first of several segments: the rest of the payload is in `continuation` records,
            # which we do not join; the piece must not pass for a whole page.
            yield Quarantined("segmented_record", f"segment {h['warc-segment-number'].strip()} of a segmented "
                              f"record (continuations not joined)", rec.offset, rid, rec.length, rec.block[:4096])
            continue
        # warc_offset: where a reader can seek to read the record back (a CDX index's offset): the
        # record's own in an uncompressed file, else the gzip member's (or zstd frame's) in which
        # the record begins, which records sharing a member (a whole-file gzip) share.
        meta = {"warc_date": h.get("warc-date"), "warc_file": warc_file, "warc_offset": rec.offset}
        if languages := cc_languages(h.get("warc-identified-content-language")):
            meta["cc_languages"] = languages          # the batch path leaves such records to this one
        if wet:
            if refers := h.get("warc-refers-to", "").strip().strip("<>").removeprefix("urn:uuid:"):
                meta["warc_refers_to"] = refers       # the response record the text was converted from
            if rec.truncated:
                yield Quarantined("too_large", f"{rec.length} bytes", rec.offset, rid, rec.length, rec.block)
                continue
            yield from _page(src, state, rid, url, rec.block, None, meta, rec.offset, flags, as_text=True)
            continue
        warc_type = h.get("content-type", "").lower()
        # A response's block is an HTTP message when its type says so, or says nothing, or when it
        # begins with a status line whatever its type says (WARC/0.17 writers put the page's type there).
        http = wtype == "response" and (not warc_type or "application/http" in warc_type
                                        or rec.block[:5] == b"HTTP/")
        if not http:
            kind = "dns" if (url or "").startswith("dns:") or "text/dns" in warc_type else None
            if kind or (wtype == "response" and not warc_type.startswith(want)):
                state.count(f"skipped_{kind or 'non_http'}")
                continue
        if rec.truncated:
            # Only a page is too large: a crawl's videos, archives, PDFs and large error pages are
            # what they would be at any size (their head is in the record's first 64 KiB, kept).
            head = parse_http(rec.block) if http else None
            if head is not None and head.status is not None and head.status not in KEPT_STATUSES:
                state.count(f"skipped_http_{head.status // 100}xx")
                continue
            ctype = head.headers.get("content-type", "") if head is not None else h.get("content-type", "")
            if ctype and _read_as(ctype, h, want, state, None) is None:   # by its types: its bytes are cut
                continue
            yield Quarantined("too_large", f"record of {rec.length} bytes", rec.offset, rid,
                              rec.length, rec.block)
            continue
        if http:
            resp = rec.http if rec.http is not None else parse_http(rec.block)
            if resp is None:
                yield Quarantined("malformed_http", "neither an HTTP head nor a page", rec.offset, rid,
                                  rec.length, rec.block[:4096])
                continue
            if resp.status is None:
                flags.append("http_missing_status")
            elif resp.status not in KEPT_STATUSES:
                state.count(f"skipped_http_{resp.status // 100}xx")
                continue
            if not resp.body:
                # Nothing after the head: a HEAD request's capture, or a server that sent none. No
                # page was there to lose (a body of whitespace, or one that decodes to nothing, is
                # still an empty document).
                state.count("skipped_empty_body")
                continue
            ctype = resp.headers.get("content-type", "")
            # (payload, problems): chunks and gzip/br undone, once, and only for a wanted page
            # unless the types leave it to the bytes
            decoded = functools.cache(functools.partial(decode_body, resp, src.max_doc_bytes))
            mime = _read_as(ctype, h, want, state, lambda: decoded()[0])
            if mime is None:
                continue
            body, problems = decoded()
            flags += problems
            if "http_truncated" not in flags and _cut_short(resp):
                flags.append("http_truncated")
            if "warc_truncated" in flags and "http_truncated" in flags:
                flags.remove("http_truncated")              # the crawler's own cut, said so
        else:
            ctype, body = h.get("content-type", ""), rec.block
            mime = _read_as(ctype, h, want, state, lambda body=body: body)
            if mime is None:
                continue
        meta["content_type"] = mime
        # A plain-text type: the text itself (extract passes it through), as a WET record's.
        yield from _page(src, state, rid, url, body, charset_from_content_type(ctype), meta, rec.offset, flags,
                         as_text=mime in TEXT_TYPES, inflate=True)
    if batcher is not None:
        yield from batcher.flush()
    if head_junk is not None and not seen:
        yield _not_warc(path, head_junk)                # nothing of a WARC from its first byte on


def _cut_short(resp) -> bool:
    """Whether a body sent without chunks is shorter than its Content-Length: the connection
    closed mid-page (a crawler that records what came, wget's, says nothing else of it)."""
    length = resp.headers.get("content-length", "")
    return (length.isdigit() and int(length) > len(resp.body)
            and "transfer-encoding" not in resp.headers)


def _damage(damage: WarcDamage) -> Quarantined:
    return Quarantined(damage.reason, damage.detail, damage.offset, sample=damage.sample)


def _not_warc(path: str, damage) -> Quarantined:
    """A file that is no WARC from its first byte (an error page or another file saved under a
    WARC's name): one item that shows how it begins, where "N trailing bytes are not gzip" did not."""
    try:
        with storage.open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        head = b""
    shown = head[:60].decode("utf-8", "replace")
    return Quarantined("not_warc", f"{path}: not a WARC file: it begins {shown!r} (an error page or another "
                       f"file saved under this name?); {damage.detail}", 0, sample=head)


def _crawler_resource(url: str | None) -> str | None:
    """The skip counter of a crawler's own resource record (_CRAWLER_RESOURCES), else None."""
    low = (url or "")[:16].lower()
    return next((counter for prefix, counter in _CRAWLER_RESOURCES if low.startswith(prefix)), None)


def _read_as(ctype: str, h, want: tuple[str, ...], state: ReadState, payload) -> str | None:
    """The media type a record's payload is read as, or None when it is no wanted page (counted).
    The HTTP (or resource) type says it, but Common Crawl's WARC-Identified-Payload-Type (Apache
    Tika's reading of the bytes) wins where it differs and the server's type is missing, generic,
    textual or a page type: a PDF, an image or JSON sent as text/html is skipped
    (`skipped_identified_not_html`: unless the bytes open as a whole HTML page), a page sent as
    text/plain or text/xml is read as one (`content_type_identified`). Where nothing names a type
    (none, a generic one, parameters only) the bytes decide (`looks_like_page`).
    `payload()`: the decoded body, asked only when the types leave it to the bytes; None where
    the bytes are not at hand (a truncated record): then a generic type is no page."""
    declared = ctype.split(";")[0].strip().lower()
    identified = h.get("warc-identified-payload-type", "").split(";")[0].strip().lower()
    wanted = declared.startswith(want)
    if identified and identified != declared and \
            (wanted or declared in GENERIC_TYPES or declared.startswith(_TEXTUAL)):
        if identified.startswith(want):
            if wanted and (declared in TEXT_TYPES) == (identified in TEXT_TYPES):
                return declared                     # both pages (text/html, XHTML): the server's word
            state.count("content_type_identified")
            return identified
        if wanted and payload is not None and _whole_page(payload()):
            return declared                         # Tika was wrong: the bytes are a page
        state.count("skipped_identified_not_html" if wanted else "skipped_not_html")
        return None
    if wanted:
        return declared
    if declared in GENERIC_TYPES and payload is not None and looks_like_page(payload()):
        return "text/html"
    state.count("skipped_not_html")
    return None


def _whole_page(body: bytes) -> bool:
    """Whether a payload opens as a whole HTML page (a doctype or <html>), as rows.py tells a row's
    text that is a page: stricter than looks_like_page, as text may begin with `<` (an address)."""
    head = bytes(body[:512])
    text = head.decode("utf-16", "replace") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else \
        head.decode("utf-8", "replace")
    return HTML_PAGE.match(text) is not None


def cc_languages(value: str | None) -> list[str] | None:
    """Common Crawl's `WARC-Identified-Content-Language` ("deu,eng": CLD2's ISO-639-3 codes, most
    likely first) as a list, or None when absent or empty."""
    found = [c.strip().lower() for c in (value or "").split(",") if c.strip()]
    return found or None


def _page(src, state, rid, url, body: bytes, declared, meta, offset=-1, flags=(),
          as_text: bool = False, inflate: bool | None = None) -> Iterator[Doc | Quarantined]:
    """A page's body as a document (`html`, or `text` when `as_text`) or a quarantine item.
    `inflate`: undo a gzip body the server did not declare (default: for pages, not for WET text)."""
    if not body or body.isspace():
        yield _quarantined(state, flags, "empty_document", "no content", offset, rid)
        return
    crawled = not as_text if inflate is None else inflate     # a crawl's payload, not WET's text
    inflated = undeclared_gzip(body, src.max_doc_bytes + 1) if crawled else None
    if inflated:
        body, cut = inflated
        flags = [*flags, "undeclared_gzip"] + (["content_encoding_truncated"] if cut and
                                               "content_encoding_truncated" not in flags else [])
    if crawled:
        # A crawl's payload under a page's or text's type whose first bytes name a binary format
        # (a PDF, an image, an archive as text/html): no page, of any size, and no damage to
        # quarantine. Not gzip that would not inflate: a compressed page damaged (bad_encoding).
        if not body.startswith(b"\x1f\x8b") and binary_format(bytes(body[:512])) is not None:
            state.count("skipped_binary_payload")
            return
        if as_text and _whole_page(body):
            # An HTML page sent as text/plain: its markup would be the document's words.
            state.count("text_looks_like_html")
            as_text, meta["content_type"] = False, "text/html"
    if len(body) > src.max_doc_bytes:
        yield _quarantined(state, flags, "too_large", f"{len(body)} bytes > max_doc_bytes {src.max_doc_bytes}",
                           offset, rid, len(body), body[:65536])
        return
    text, how, lossy = decode_html_utf8(body, declared, url)     # UTF-8 bytes (see Doc)
    if text is None:
        yield _quarantined(state, flags, "bad_encoding", how, offset, rid, len(body), body[:65536])
        return
    flags = list(flags) + (["decoded_lossy"] if lossy else [])
    for flag in flags:
        state.count(flag)
    meta["charset"] = how
    if flags:
        meta["flags"] = flags
    yield Doc(rid, url, text=text, metadata=meta) if as_text else Doc(rid, url, html=text, metadata=meta)


# Flags counted whether the page is kept or quarantined: the damage they name is a fact about the
# record either way (a compressed body cut short is often cut to nothing: an empty document).
COUNTED_WHEN_QUARANTINED = ("content_encoding_truncated",)


def _quarantined(state, flags, reason, *args) -> Quarantined:
    for flag in flags:
        if flag in COUNTED_WHEN_QUARANTINED:
            state.count(flag)
    return Quarantined(reason, *args)


# -- HTML files -------------------------------------------------------------------------------
def _read_html(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    # as text and gutenberg files: bytes appended after a complete .gz are counted
    # (junk_after_compressed_data), the page kept; the compression is told from the first bytes
    # (a plain page named .html.gz, bzip2 named .gz: compression_by_content)
    body = read_whole(src, path, state, sniff=True)
    if isinstance(body, Quarantined):
        yield body
        return
    if not_a_page(body):
        # A mirror's images, PDFs and fonts saved under page-like names (`thumb.php?img=3`,
        # `logo?size=2`, `download?file=report`): no page, as a `.png` of the folder is not.
        state.count("skipped_not_html_file")
        return
    meta, declared = {"file": path}, None
    if _is_mhtml(path, body):
        part = _mhtml_page(body)
        if isinstance(part, str):
            yield Quarantined("mhtml_without_html", f"{path}: an MHTML file (a saved web page) {part}", 0, path,
                              len(body), body[:4096])
            return
        body, declared, url = part
        state.count("mhtml_page")
        meta["saved_as"] = "mhtml"
        if url:
            meta["url_from"] = "content_location"
    else:
        url = None
    if url is None:
        url, how = _page_url(opts, src, path, body)
        if url:
            meta["url_from"] = how
    yield from _page(src, state, path, url, body, declared, meta)


# -- what is no page --------------------------------------------------------------------------
# XML that is no page: a mirror's `logo?format=svg`, `feed`, `sitemap` without their endings.
# Extract read an SVG's <text>/<title> labels as if a page's words, a feed's items as one page.
_XML_ROOT = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(\w+)",
                       re.S | re.I)
_NOT_PAGE_ROOTS = frozenset({b"svg", b"rss", b"feed", b"urlset", b"sitemapindex", b"opml"})


def not_a_page(body: bytes) -> bool:
    """Whether a file's (decompressed) first bytes say it is no page: an image, a PDF, a font, an
    archive, media (magic.binary_format), or XML whose root is an SVG image, a feed or a sitemap."""
    if not body.startswith(b"\x1f\x8b") and binary_format(bytes(body[:512])) is not None:
        return True                 # (gzip: a page still content-encoded, which _page inflates)
    root = _XML_ROOT.match(bytes(body[:4096]))
    return root is not None and root.group(1).lower() in _NOT_PAGE_ROOTS


# -- MHTML ------------------------------------------------------------------------------------
_MHTML_SUFFIXES = with_compression(".mht", ".mhtml")
_MULTIPART = re.compile(rb"^content-type:\s*multipart/related", re.I | re.M)


def _is_mhtml(path: str, body: bytes) -> bool:
    """An MHTML file: named so, or a MIME message of related parts (a browser's "save as single
    file" under another name); a page never begins with mail headers."""
    if path.lower().endswith(_MHTML_SUFFIXES):
        return True
    head = bytes(body[:2048])
    return not head.lstrip().startswith(b"<") and _MULTIPART.search(head.split(b"\n\n", 1)[0].replace(b"\r", b"")) \
        is not None


def _mhtml_page(body: bytes) -> tuple[bytes, str | None, str | None] | str:
    """The page of an MHTML file (RFC 2557, as Chrome, Edge and IE save one): the part its
    `start` parameter names, else its first text/html part, with its transfer encoding
    (quoted-printable, base64) undone by the stdlib's `email`: (body, declared charset, its
    Content-Location or the file's Snapshot-Content-Location). Else why not (a str)."""
    import email
    import email.policy
    msg = email.message_from_bytes(bytes(body), policy=email.policy.compat32)
    if not msg.is_multipart():
        return "that is no multipart MIME message: its HTML could not be found"
    start = (msg.get_param("start") or "").strip("<>")
    pages = [p for p in msg.walk() if p.get_content_type() in ("text/html", "application/xhtml+xml")]
    if not pages:
        kinds = sorted({p.get_content_type() for p in msg.walk() if not p.is_multipart()})
        return f"without a text/html part (its parts: {', '.join(kinds[:8]) or 'none'})"
    page = next((p for p in pages if start and (p.get("Content-ID") or "").strip("<>") == start), pages[0])
    payload = page.get_payload(decode=True) or b""
    url = next((u.strip() for u in (page.get("Content-Location"), msg.get("Snapshot-Content-Location"))
                if u and u.strip().lower().startswith(("http://", "https://"))), None)
    return payload, page.get_content_charset(), url


# -- the page's own url -----------------------------------------------------------------------
URL_HEAD = 1 << 15      # bytes of a page searched for its saved-from mark and canonical link (its head)
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)\s*(\S+?)\s*-->", re.I)
_TAG = re.compile(rb"<(link|base)\b([^>]*)>", re.I)
_ATTR = re.compile(rb"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z][a-z0-9-]*[a-z0-9])(?:[:+]\d{1,5})?", re.I)
# Endings a folder may have that are no top-level domain (`dir.html/`, `page.php/`, `a.d/`)
_NOT_TLDS = frozenset({"html", "htm", "xhtml", "shtml", "php", "asp", "aspx", "jsp", "cgi", "pl", "txt", "json",
                       "xml", "bak", "old", "orig", "tmp", "files", "d", "git", "svn"})


def _page_url(opts, src, path: str, body: bytes) -> tuple[str | None, str | None]:
    """(url, where it came from) of a saved page: the browser's `<!-- saved from url=(N)... -->`
    mark (where it was saved from: `saved_from`), else its `<link rel=canonical>` (made absolute
    by its `<base href>` or the mirror's url: `canonical`), else the mirror folder it lies in
    (`path`, `url_from_path`), else (None, None). Only http(s) URLs: a page saved from a local
    file says `saved from url=(0014)about:internet`. `<base href>` alone is not the page's url
    (mostly the site's root)."""
    from urllib.parse import urljoin
    head = bytes(body[:URL_HEAD])
    if (m := _SAVED_FROM.search(head)) and (url := _web_url(m.group(1))):
        return url, "saved_from"
    canonical = base = None
    for m in _TAG.finditer(head):
        attrs = {a.group(1).lower(): next(v for v in a.groups()[1:] if v is not None) for a in _ATTR.finditer(m.group(2))}
        href = attrs.get(b"href")
        if href is None:
            continue
        if m.group(1).lower() == b"base":
            base = base or href
        elif canonical is None and b"canonical" in attrs.get(b"rel", b"").lower().split():
            canonical = href
    from_path = _mirror_url(src, path) if opts.url_from_path else None
    if canonical is not None:
        ref = _web_url(base) or from_path          # what a relative canonical link is relative to
        if url := _web_url(urljoin(ref, _text(canonical)).encode() if ref else canonical):
            return url, "canonical"
    return (from_path, "path") if from_path else (None, None)


def _text(raw: bytes) -> str:
    import html
    return html.unescape(raw.decode("utf-8", "replace")).strip()


def _web_url(raw: bytes | None) -> str | None:
    url = _text(raw) if raw is not None else ""
    return url if url.lower().startswith(("http://", "https://")) and len(url) > 8 and " " not in url else None


def _mirror_url(src, path: str) -> str | None:
    """The url a mirror's folders give a page: below the folder the source lists (its id_base, or
    the directory or glob of `paths` holding the file, or a named file's own folder), the first
    folder named like a host, or that folder itself (`paths: [mirror/www.example.com]`); with
    --protocol-directories an `http`/`https` folder before it. `index.html` (wget's name for a
    folder's page) is the folder; the scheme is http where no folder says it."""
    from urllib.parse import quote

    from pipeline.readers import _pattern_kinds, static_prefix
    if "://" in path and not path.startswith("file://"):
        return None
    path = path.removeprefix("file://")
    root = src.id_base
    if not root:
        dirs, named, globs = _pattern_kinds(tuple(getattr(src, "paths", None) or ()))
        root = next((d.rstrip("/") for d in dirs if path.startswith(d)), None) or \
            next((static_prefix(g) for g in globs if path.startswith(static_prefix(g) + "/")), None) or \
            (path.rpartition("/")[0] if path in named else None)
    if not root or not path.startswith(root.rstrip("/") + "/"):
        return None
    parts = path[len(root.rstrip("/")) + 1:].split("/")
    scheme = "http"
    if len(parts) > 2 and parts[0] in ("http", "https") and _is_host(parts[1]):
        scheme, host, rest = parts[0], parts[1], parts[2:]
    elif len(parts) > 1 and _is_host(parts[0]):
        host, rest = parts[0], parts[1:]
    elif _is_host(root.rstrip("/").rsplit("/", 1)[-1]):
        host, rest = root.rstrip("/").rsplit("/", 1)[-1], parts
    else:
        return None
    name = rest[-1]
    low = name.lower()
    if low.endswith(_CODEC_SUFFIXES):       # the page is what the file decompresses to
        cut = low.rindex(".")
        name, low = name[:cut], low[:cut]
    where = "/".join(rest[:-1] + ["" if low == "index.html" else name])      # about/index.html: about/
    return f"{scheme}://{host.lower().replace('+', ':')}/" + quote(where, safe="/?=&;:@%+,~!$'()*")


_CODEC_SUFFIXES = (".gz", ".bz2", ".xz", ".lzma", ".zst", ".zstd")


def _is_host(name: str) -> bool:
    m = _HOST.fullmatch(name)
    return m is not None and m.group(1).lower() not in _NOT_TLDS
