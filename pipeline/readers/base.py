"""What every source reader shares: the items it yields, its per-file counters, its base class.

A reader is a pydantic model like a stage: its fields are the format's own options, validated from
the source's entry in the recipe (`text_field` for JSONL, `content_types` for WARC, ...), and
`read` turns one input file into `Doc` and `Quarantined` items. What a reader skips on purpose
(request records, redirects, images) it counts in `state.counters`, so nothing leaves unaccounted.
"""
from __future__ import annotations

import codecs
import io
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from pipeline.readers.guarded import open_input
from pipeline.readers.decompress import (CODECS, SNIFF, DecompressedStream, JunkAfterStream, codec_by_name,
                                         looks_like_tar, looks_like_text, sniff_codec)

if TYPE_CHECKING:
    from pipeline.recipe import SourceConfig


@dataclass
class Doc:
    """One document. `text` and `html` are str, or bytes that are valid UTF-8: the web readers hand
    pages on as the validated bytes they read (see decode.decode_html_utf8), so that no str is made
    of a page only to be encoded again into the Arrow column (`documents_table` takes either). A
    page cut out of its inflated gzip member in place (warc_members) is a bytearray, not copied.
    `text_str`/`html_str` give the str."""
    id: str
    url: str | None = None
    text: str | bytes | bytearray | None = None
    html: str | bytes | bytearray | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def text_str(self) -> str | None:
        return self.text.decode("utf-8") if isinstance(self.text, (bytes, bytearray)) else self.text

    @property
    def html_str(self) -> str | None:
        return self.html.decode("utf-8") if isinstance(self.html, (bytes, bytearray)) else self.html


@dataclass
class DocBatch:
    """Consecutive documents of one file as columns (a reader's batch path, `Reader.read_batches`):
    row i is Doc(ids[i], urls[i], text=text[i], html=html[i], metadata=metadata[i]). A column of
    `None` is null throughout. A `text`/`html` value is str, validated UTF-8 bytes (as in Doc), or
    a one-value string array (validated UTF-8 in Arrow memory: a chunk the document table takes
    as it is); a metadata value is a dict or its JSON text as the document table writes it.
    `sizes[i]`: what ingest's shard_bytes counts of the row (its text's, else its html's length in
    bytes, or characters for a str). `docs` gives the rows as Docs (bytes, dicts)."""
    ids: list[str]
    urls: list[str | None]
    text: list | None
    html: list | None
    metadata: list[dict | str]
    sizes: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def docs(self) -> Iterator[Doc]:
        none = [None] * len(self.ids)
        for rid, url, text, html, meta in zip(self.ids, self.urls, self.text or none, self.html or none,
                                              self.metadata):
            yield Doc(rid, url, text=_bytes(text), html=_bytes(html),
                      metadata=json.loads(meta) if isinstance(meta, str) else meta)


def _bytes(value):
    return value.cast(pa.binary())[0].as_py() if isinstance(value, pa.Array) else value


@dataclass
class Quarantined:
    """Input that could not become documents. `records`: how many input records the item stands
    for: 1, or a whole file's or row group's rows when one item says why all of them are lost (a
    Parquet file without the text column: its row count from the footer, not one item a row), so
    that the quarantine share counts what was lost."""
    reason: str
    detail: str
    offset: int = -1
    id: str | None = None
    size: int = 0
    sample: bytes = b""
    records: int = 1


@dataclass
class ReadState:
    counters: dict[str, int] = field(default_factory=dict)
    # What a reader may keep between the files of one reading (a task's group of files), by its
    # own key: a pure speed-up (the LaTeX reader's per-folder choice of a paper's main file), never
    # something that changes the documents a file gives when read alone or by another worker.
    memo: dict[str, object] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n


def memoized(cache: dict, key, make, limit: int):
    """cache[key], made once; when the cache holds `limit` entries the oldest goes first (a listing
    is sorted: a folder's files come together, so a small cache of a reading's folders serves)."""
    if key not in cache:
        if len(cache) >= limit:
            del cache[next(iter(cache))]
        cache[key] = make()
    return cache[key]


class Reader(BaseModel):
    """Base of every source format. Subclasses declare the format's options as pydantic fields."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str] = ""
    # Bump when a reader's output changes for the same input and options (part of ingest's cache key).
    version: ClassVar[str] = "1"
    # An empty file is bad input for a format whose every file should hold records (a WARC, a
    # dump); in a tree of files (source code, a paper's folder) it is ordinary (an empty
    # __init__.py, .gitkeep, an unused .bib): counted as `skipped_empty_file`, not quarantined.
    empty_files_are_ordinary: ClassVar[bool] = False
    # A Git LFS pointer (a dataset repository cloned without git-lfs: each data file is a
    # ~130-byte "version https://git-lfs.github.com/spec/v1" stub) is quarantined `lfs_pointer`,
    # saying to run `git lfs pull`: read as data it became a document (text, html) or a
    # misleading corrupt_parquet / bad_json item. A code tree keeps them (code_filter judges them).
    lfs_pointers_are_documents: ClassVar[bool] = False
    # Files whose name starts with one of these are a writer's markers, not data: Spark's and
    # Hadoop's `_SUCCESS`, `_committed_*`, `.part-0.parquet.crc`, Parquet's `_metadata` (what
    # pyarrow.dataset ignores in a directory). Row formats skip them, counted as
    # `skipped_marker_file`; a tree of files (source code: `__init__.py`, `.github/`) keeps them.
    marker_prefixes: ClassVar[tuple[str, ...]] = ()
    # Name endings (lower case) of the format's data files. A directory named in `paths` means
    # its files of the format: a Hugging Face snapshot's README.md, dataset_info.json,
    # .gitattributes and LICENSE beside data/*.jsonl.gz are not rows (read as JSON Lines, each
    # README line was a `bad_json` item and the quarantine guard could stop the run). Files a
    # directory turns up with another ending are counted `skipped_not_<format>_file`, not read;
    # a file named on its own or matched by a glob is always read. Empty: every file is data.
    data_suffixes: ClassVar[tuple[str, ...]] = ()
    # For a format whose files may have any name (saved web pages: `about`, `index.php?id=3`, as
    # `wget -r` writes them), the endings of what is surely not one (a saved page's .css, .js and
    # images): a directory's listing counts those `skipped_not_<format>_file` and reads the rest.
    skip_suffixes: ClassVar[tuple[str, ...]] = ()
    # Hive-style partition folders (`lang=en/part-0.parquet`, as Spark, Hive and pyarrow.dataset
    # write them) hold a value of every row below them in the folder's name, not in the rows: row
    # formats put `{lang: "en"}` into each document's metadata (a row's own field of that name
    # wins), or the partition would be lost on the way in.
    hive_partitions: ClassVar[bool] = False
    # The content column its documents carry: `text`, or `html` for web pages (a stage that reads
    # `text` comes after `extract` there; the recipe loader checks the order).
    content_column: ClassVar[str] = "text"

    def read(self, path: str, src: "SourceConfig", state: ReadState) -> Iterator[Doc | Quarantined]:
        raise NotImplementedError

    def read_batches(self, path: str, src: "SourceConfig", state: ReadState
                     ) -> Iterator[Doc | DocBatch | Quarantined]:
        """`read`, with runs of documents as DocBatch where the reader has a batch path: the same
        documents, counters and quarantine items in the same order (a reader's choice of batches
        never changes its output). Here: `read` as it is."""
        return self.read(path, src, state)

    def options(self) -> dict:
        return self.model_dump(mode="json")


def with_compression(*exts: str) -> tuple[str, ...]:
    """`exts` and each with a compression suffix (`.jsonl`, `.jsonl.gz`, ...): a Reader.data_suffixes."""
    return tuple(e + c for e in exts for c in ("", *CODECS))


class _Prefixed(io.RawIOBase):
    """`head` (bytes already read from `stream`), then the rest of `stream`: a file that cannot
    seek back after its first bytes were sniffed."""

    def __init__(self, head: bytes, stream):
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._stream.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def open_decompressed(path: str, state: ReadState | None = None, sniff: bool = False):
    """A buffered binary stream of the file's content, decompressed by extension (.gz, .bz2, .xz,
    .zst). A damaged compressed stream raises `CorruptStream` (an OSError) once every byte it could
    decode has been read (before the damage, and from the members after a damaged one: see
    decompress.py); read with `read1` (or line by line) to get them all: BufferedReader.read(n)
    drops what it gathered in the call that meets the error. A file compressed twice is
    decompressed again (`compressed_twice`, see _decompressed_again).

    `sniff` (row files): the codec is the one the file's first bytes say (decompress.sniff_codec)
    where it differs from the name's (plain JSON Lines named .jsonl.gz, gzip named .json, zstd
    named .zstd), counted in `state` as `compression_by_content`; a file named compressed whose
    start is plain text (or a tar header) is read as plain, counted alike. A compressed file whose magic bytes are
    damaged (its start is not text) is read by its name and reported as the damage it is."""
    named = codec_by_name(path)
    if sniff:
        raw = open_input(path)
        head = b""
        while len(head) < SNIFF and (more := raw.read(SNIFF - len(head))):
            head += more
        found = sniff_codec(head)
        plain = wide_encoding(head) or looks_like_text(head) or looks_like_tar(head)
        codec = found or (named if named and not plain else None)
        if codec != named and state is not None:
            state.count("compression_by_content")
        if raw.seekable():
            raw.seek(0)
        else:
            raw = io.BufferedReader(_Prefixed(head, raw), 1 << 16)
        if codec is not None:
            return _decompressed_again(io.BufferedReader(DecompressedStream(raw, codec, path, state), 1 << 16), path,
                                      state)
        if named is not None or not _infers_compression(path):
            return raw if hasattr(raw, "read1") else io.BufferedReader(raw)
        raw.close()                    # a name fsspec decompresses (.zip, .lz4, ...): as before
    codec = named
    if codec is None:
        from fsspec.compression import compr
        from fsspec.utils import infer_compression
        inferred = infer_compression(path)
        if inferred is None:
            return open_input(path)
        f = compr[inferred](open_input(path), mode="rb")
        return f if hasattr(f, "read1") else io.BufferedReader(f)
    return _decompressed_again(io.BufferedReader(DecompressedStream(open_input(path), codec, path, state), 1 << 16),
                               path, state)


class _Read1:
    """A BufferedReader whose `read` is its `read1`: what a DecompressedStream reads a decompressed
    stream through (BufferedReader.read(n) drops what it gathered in a call that meets an error)."""

    def __init__(self, f):
        self.read, self.close = f.read1, f.close


def _decompressed_again(f, path: str, state: ReadState | None):
    """`f`, or its content decompressed once more when its first decompressed bytes are themselves a
    compressed stream (a .gz of a .gz: every reader read compressed bytes as text, JSON Lines gave a
    bad_encoding item a line), counted as `compressed_twice`. A damaged outer stream still raises
    once the inner one has given what it could. At most MAX_LAYERS more layers, so it is bounded."""
    for layer in range(MAX_LAYERS):
        try:
            codec = sniff_codec(f.peek(16)[:16])
        except OSError:              # damage at the start: reported by the first read, as before
            return f
        if codec is None:
            return f
        if state is not None:
            state.count("compressed_twice")
        f = io.BufferedReader(DecompressedStream(_Read1(f), codec, f"{path} (compressed {layer + 2} times, "
                                                 f"{codec} inside)", state), 1 << 16)
    return f


MAX_LAYERS = 2                       # compression layers under the outer one that are taken off


def _infers_compression(path: str) -> bool:
    from fsspec.utils import infer_compression
    return infer_compression(path) is not None


# UTF-32's before UTF-16's: FF FE 00 00 begins with FF FE. (decode.py's BOM list adds UTF-8's.)
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 by a stream's first 4 bytes: a BOM, or (as XML's autodetection reads
    `<?xml`) ASCII interleaved with NULs. Plain text never starts with NUL bytes, so this is safe
    on any text format; None for everything else. (decode_files.wide_unicode judges a whole body.)"""
    for bom, enc in WIDE_BOMS:
        if head.startswith(bom):
            return enc
    if len(head) < 4:
        return None
    a, b, c, d = head[:4]
    if 0 < a < 128 and b == c == d == 0:
        return "utf-32-le"
    if a == b == c == 0 and 0 < d < 128:
        return "utf-32-be"
    if 0 < a < 128 and 0 < c < 128 and b == d == 0:
        return "utf-16-le"
    if 0 < b < 128 and 0 < d < 128 and a == c == 0:
        return "utf-16-be"
    return None


class _Utf8Transcoder(io.RawIOBase):
    """A UTF-16/32 stream read as UTF-8 bytes (a lone surrogate becomes U+FFFD)."""

    def __init__(self, stream, encoding: str):
        self._stream, self._pending = stream, b""
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._pending:
            raw = self._stream.read1(1 << 16)
            self._pending = self._decoder.decode(raw, final=not raw).encode("utf-8")
            if not raw:
                break
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._stream.close()
        super().close()


def open_utf8(path: str, state: ReadState | None = None, sniff: bool = False):
    """`open_decompressed`, with a UTF-16/32 file (Windows tools save dumps and JSON Lines so:
    gensim's test bgwiki dump is one) transcoded to UTF-8 on the fly, so that readers which frame
    UTF-8 bytes read it like any other file. Offsets the reader reports are then in the UTF-8 stream."""
    stream = open_decompressed(path, state, sniff)
    if not hasattr(stream, "peek"):        # object-store and memory files: a buffer to look ahead in
        stream = io.BufferedReader(stream, 1 << 16)
    encoding = wide_encoding(stream.peek(4)[:4])
    return stream if encoding is None else io.BufferedReader(_Utf8Transcoder(stream, encoding), 1 << 16)


def read_document(src, path: str, state: ReadState) -> bytes | Quarantined:
    """A file that is one document: its bytes (decompressed as its first bytes say), or the item
    saying why not: damaged (read_whole's), or over max_doc_bytes (`too_large`)."""
    body = read_whole(src, path, state, sniff=True)
    if not isinstance(body, Quarantined) and len(body) > src.max_doc_bytes:
        return Quarantined("too_large", f"{path}: more than {src.max_doc_bytes} bytes", 0, path, len(body),
                           body[:65536])
    return body


def read_whole(src: "SourceConfig", path: str, state: ReadState | None = None,
               unbounded: bool = False, sniff: bool = False) -> bytes | Quarantined:
    """A one-document file, read up to one byte past the size cap (enough to know it is over), or
    whole (`unbounded`). Junk after the last complete compressed member (bytes appended to a
    valid file, too few or not a member, with no member after them) loses nothing: with a `state`
    it is counted (`junk_after_compressed_data`) and the content kept; any other damage quarantines
    the file as `corrupt_compression`, the detail saying where, including a damaged member between
    good ones (the stream reads past it, but a document with a hole is not a document). `sniff`:
    see open_decompressed."""
    chunks, n, cap = [], 0, None if unbounded else src.max_doc_bytes + 1
    try:
        with open_decompressed(path, state, sniff) as f:
            while (cap is None or n < cap) and (b := f.read1(1 << 20 if cap is None else cap - n)):
                chunks.append(b)
                n += len(b)
    except JunkAfterStream as e:
        if state is None:
            return Quarantined("corrupt_compression", f"{type(e).__name__}: {e}", 0, path)
        state.count("junk_after_compressed_data")
    except OSError as e:        # CorruptStream included
        return Quarantined("corrupt_compression", f"{type(e).__name__}: {e}", 0, path)
    return b"".join(chunks)


_strays = threading.local()     # where decode_mixed_utf8 collects the stray bytes' spans


def _cp1252_bytes(e: UnicodeDecodeError) -> tuple[str, int]:
    spans = getattr(_strays, "spans", None)
    if spans is not None:
        spans.append((e.start, e.end))
    return e.object[e.start:e.end].decode("cp1252", "replace"), e.end


codecs.register_error("tokenmill.cp1252", _cp1252_bytes)


def decode_mixed_utf8(body: bytes) -> tuple[str, int] | None:
    """A text that is UTF-8 but for some stray bytes (latin-1/cp1252 pasted into a UTF-8 file, junk,
    a damaged byte) as (text, lines with stray bytes): valid sequences as UTF-8, each stray byte as
    cp1252. None when the file has no more valid multi-byte characters than lines with stray bytes:
    a file in a legacy charset has stray bytes on every line with an accent and next to no valid
    UTF-8 sequences (its accented letters almost never form one). Decoding the whole of a mostly
    UTF-8 file in a single-byte charset instead turned every correct accented letter into mojibake.
    One decoding pass: the error handler notes where the stray bytes are."""
    _strays.spans = spans = []
    try:
        text = body.decode("utf-8", "tokenmill.cp1252")
    finally:
        _strays.spans = None
    # every stray byte became one non-ASCII character; the others are valid multi-byte sequences
    good = len(text) - len(text.encode("ascii", "ignore")) - sum(b - a for a, b in spans)
    lines, last = 0, -1
    for at, _ in spans:                       # each line holding stray bytes counts once
        if last < 0 or body.find(b"\n", last, at) >= 0:
            lines += 1
        last = at
    return None if lines >= good else (text, lines)
