"""The document model: one Arrow row per document.

Every reader produces these core columns; stages may add typed columns of their own
(`language`, `language_score`, quality signals, ...). `html` holds the decoded page before
extraction and is dropped by the extractor; `metadata` is a JSON object as a string so that
sources with different extra fields still share one schema.

`text` and `html` may be given as str or as UTF-8 bytes that the reader has validated (see
`pipeline.readers.base.Doc`): bytes become string values over their own memory, never decoded.
"""
from __future__ import annotations

import datetime
import decimal
import json
import math
import struct

import pyarrow as pa
import pyarrow.compute as pc

DOC_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("text", pa.string()),
    pa.field("html", pa.string()),
    pa.field("metadata", pa.string()),
])

# Quarantined input keeps what is needed to find and inspect it again.
QUARANTINE_SCHEMA = pa.schema([
    pa.field("source", pa.string()),
    pa.field("path", pa.string()),
    pa.field("offset", pa.int64()),
    pa.field("id", pa.string()),
    pa.field("reason", pa.string()),
    pa.field("detail", pa.string()),
    pa.field("size", pa.int64()),
    pa.field("sample", pa.binary()),
    pa.field("records", pa.int64()),     # input records the item stands for (a cut-off file: all it held); null: 1
])

QUARANTINE_SAMPLE_BYTES = 64 * 1024
# What a stage keeps of a document it removed (the sample) or quarantined: each content column up to
# this many characters, as ingest keeps 64 KiB of a bad record. Enough to read what a rule dropped or
# why a page was bad; a quarantined page can be as large as a stage accepts (extract: 5 MB) and
# quarantine grows with the bad input. Where a value was cut, `<column>_full_chars` has its length
# (the url and metadata, such as a WARC's file and offset, say where the whole is).
SIDE_CONTENT_CHARS = 64 * 1024
CONTENT_COLUMNS = ("text", "html")


def empty_documents() -> pa.Table:
    return DOC_SCHEMA.empty_table()


_OFFSETS = {False: struct.Struct("<ii"), True: struct.Struct("<qq")}
# json.dumps(md, ensure_ascii=False, sort_keys=True): the C encoder that JSONEncoder.encode builds
# anew for every call, built once (half the time a row; same text). Without the check for circular
# references: a metadata dict that contains itself fails with RecursionError instead of ValueError.
def _json_value(v):
    """Metadata values JSON has no type for, as Parquet and Arrow sources hold them: timestamps and
    dates as ISO 8601, decimals as their exact digits, bytes as text when UTF-8 (else hex), NumPy
    scalars as Python numbers. Anything else is a reader's bug: TypeError, as json raises."""
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return b.hex()
    if hasattr(v, "item") and callable(v.item):        # numpy scalars
        return v.item()
    raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")


# allow_nan off: NaN and ±Infinity (a float column of a Parquet source) are no JSON; json.dumps
# would write them as bare `NaN`, which no JSON reader takes. They raise, and become null.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_value, allow_nan=False)
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
if _C_ENCODER is not None:
    _C_ENCODER = _C_ENCODER(None, _ENCODER.default, json.encoder.encode_basestring, None, _ENCODER.key_separator,
                            _ENCODER.item_separator, True, False, False)


def _encode(md) -> str:
    return "".join(_C_ENCODER(md, 0)) if _C_ENCODER is not None else _ENCODER.encode(md)


def _finite(v):
    """`v` with every float that is NaN or infinite (NumPy's too) as None, containers rebuilt."""
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    if isinstance(v, float) or (hasattr(v, "item") and callable(v.item) and isinstance(v := _json_value(v), float)):
        return v if math.isfinite(v) else None
    return v


def _metadata_json(md) -> str:
    """The metadata dict as JSON text (sorted keys, UTF-8 as is); a NaN or infinite float is null."""
    try:
        return _encode(md)
    except ValueError as e:
        if "Out of range float" not in str(e):
            raise
        return _encode(_finite(md))


def json_path_values(column: pa.Array | pa.ChunkedArray, keys: list[str]) -> list:
    r"""Each row's value at the key path `keys` (["a", "b"]: `{"a": {"b": value}}`) of its JSON text, as
    `json.loads` reads it; None where the text is null or no JSON (bad, or nested too deep to parse),
    a key is missing or a step is no object. How a source's extra fields are read back out of the
    metadata JSON (`metadata.title`, `metadata.score`).

    Only rows that could name the last key are parsed: those holding its JSON spelling (`"title"`),
    or an escape that could spell it otherwise (`\u0074itle`; `\/` for a slash). A row naming it
    only in a value (`{"kind": "title"}`) is parsed and has no value there."""
    raw = column.cast(pa.string())
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    out: list = [None] * len(raw)
    maybe = pc.is_valid(raw)
    if keys:
        needles = [json.dumps(keys[-1], ensure_ascii=False), "\\u"] + (["\\/"] if "/" in keys[-1] else [])
        maybe = pc.fill_null(pc.match_substring(raw, needles[0]), False)
        for needle in needles[1:]:
            maybe = pc.or_(maybe, pc.fill_null(pc.match_substring(raw, needle), False))
    rows = pc.indices_nonzero(maybe)
    for i, text in zip(rows.to_pylist(), raw.take(rows).to_pylist()):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for k in keys:
            value = value.get(k) if isinstance(value, dict) else None
        out[i] = value
    return out


_BYTES = (bytes, bytearray)   # a page as UTF-8 bytes; bytearray: cut out of its gzip member in place


def documents_table(rows: list[dict]) -> pa.Table:
    """Build a table in the document schema from dicts (missing keys become null)."""
    return columns_table({f.name: [r.get(f.name) for r in rows] for f in DOC_SCHEMA})


class DocColumns:
    """One shard's documents gathered as columns, from Docs and DocBatches (see
    pipeline.readers.base) alike: the table is the one `documents_table` builds from their dicts,
    without a dict (or, from a batch, a Doc) per document. `size` counts what ingest's shard_bytes
    counts: each document's text, else its html (bytes or characters as given)."""

    def __init__(self, source: str):
        self.source = source
        self.cols: dict[str, list] = {f.name: [] for f in DOC_SCHEMA if f.name != "source"}
        self.size = 0

    def __len__(self) -> int:
        return len(self.cols["id"])

    def add(self, doc) -> None:
        c = self.cols
        c["id"].append(doc.id)
        c["url"].append(doc.url)
        c["text"].append(doc.text)
        c["html"].append(doc.html)
        c["metadata"].append(doc.metadata or None)
        self.size += len(doc.text or doc.html or "")

    def extend(self, batch, start: int = 0, max_docs: int | None = None, max_bytes: int | None = None) -> int:
        """Rows `start`.. of a DocBatch, up to and including the one that brings this shard to
        `max_docs` documents or `max_bytes` (where ingest cuts a shard); returns where it stopped."""
        n = len(batch.ids)
        sizes = batch.sizes
        end, size, count = n, self.size, len(self)
        for i in range(start, n):
            size += sizes[i]
            count += 1
            if (max_docs is not None and count >= max_docs) or (max_bytes is not None and size >= max_bytes):
                end = i + 1
                break
        self.size = size
        c = self.cols
        c["id"] += batch.ids[start:end]
        c["url"] += batch.urls[start:end]
        for name in ("text", "html"):
            values = getattr(batch, name)
            c[name] += values[start:end] if values is not None else [None] * (end - start)
        c["metadata"] += [md or None for md in batch.metadata[start:end]]
        return end

    def table(self) -> pa.Table:
        return columns_table({**self.cols, "source": [self.source] * len(self)})


def columns_table(cols: dict[str, list]) -> pa.Table:
    """A table in the document schema from one list per column (`documents_table`)."""
    cols = dict(cols)
    for name in ("text", "html"):
        if any(type(v) in _BYTES or type(v) is pa.StringArray for v in cols[name]):
            cols[name] = _utf8_column(cols[name])
    cols["metadata"] = [md if md is None or isinstance(md, str) else _metadata_json(md) for md in cols["metadata"]]
    return pa.table(cols, schema=DOC_SCHEMA)


def string_over(data: bytes, large: bool = False) -> pa.Array:
    """One string value over `data`'s own memory: no copy, and no UTF-8 check (the caller has
    validated `data`, or calls `.validate(full=True)` on the result). `large`: 64-bit offsets."""
    kind = pa.LargeStringArray if large else pa.StringArray
    return kind.from_buffers(1, pa.py_buffer(_OFFSETS[large].pack(0, len(data))), pa.py_buffer(data))


def _utf8_column(values: list) -> pa.ChunkedArray:
    """A string column from values that are None, str, validated UTF-8 bytes or one-value string
    arrays. Each bytes value becomes a one-value array over its own memory (no decode, no copy: ~4 us
    a page, where one contiguous buffer would copy every page once more and a str would decode it);
    the Parquet writer reads the chunks where they lie. Runs of str/None are converted as usual."""
    chunks, run = [], []
    for v in values:
        kind = type(v)
        if kind not in _BYTES and kind is not pa.StringArray:
            run.append(v)
            continue
        if run:
            chunks.append(pa.array(run, pa.string()))
            run = []
        if kind is pa.StringArray:          # a one-value array, validated (a reader's batch, see DocBatch)
            chunks.append(v)
            continue
        if len(v) >= 1 << 31:
            raise ValueError(f"a document of {len(v)} bytes does not fit a string value (< 2 GiB)")
        chunks.append(string_over(v))
    if run:
        chunks.append(pa.array(run, pa.string()))
    return pa.chunked_array(chunks, pa.string())


def quarantine_table(rows: list[dict]) -> pa.Table:
    cols = {f.name: [r.get(f.name) for r in rows] for f in QUARANTINE_SCHEMA}
    cols["sample"] = [None if s is None else bytes(s[:QUARANTINE_SAMPLE_BYTES]) for s in cols["sample"]]
    return pa.table(cols, schema=QUARANTINE_SCHEMA)


def bounded_content(table: pa.Table, chars: int = SIDE_CONTENT_CHARS) -> pa.Table:
    """The rows with each string content column cut to `chars` characters, and a column
    `<column>_full_chars` beside it: the whole value's length where it was cut, else null."""
    for name in CONTENT_COLUMNS:
        if name not in table.column_names or not pa.types.is_string(table.schema.field(name).type):
            continue
        col = table.column(name)
        length = pc.utf8_length(col)
        cut = pc.fill_null(pc.greater(length, chars), False)
        full = pc.if_else(cut, length, pa.scalar(None, length.type)).cast(pa.int64())
        i = table.column_names.index(name)
        table = table.set_column(i, name, pc.if_else(cut, pc.utf8_slice_codeunits(col, 0, chars), col))
        table = table.add_column(i + 1, f"{name}_full_chars", full)
    return table


def content_bytes(table: pa.Table) -> int:
    """Bytes of document content (text and html): what 'bytes in/out' of a stage counts."""
    total = 0
    for name in ("text", "html"):
        if name in table.column_names and table.num_rows:
            total += int(pc.sum(pc.binary_length(table.column(name))).as_py() or 0)
    return total
