"""The document model: one Arrow row per document.

Every reader produces these core columns; stages may add typed columns of their own
(`language`, `language_score`, quality signals, ...). `html` holds the decoded page before
extraction and is dropped by the extractor; `metadata` is a JSON object as a string so that
sources with different extra fields still share one schema.
"""
from __future__ import annotations

import json

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
])

QUARANTINE_SAMPLE_BYTES = 64 * 1024


def empty_documents() -> pa.Table:
    return DOC_SCHEMA.empty_table()


def documents_table(rows: list[dict]) -> pa.Table:
    """Build a table in the document schema from dicts (missing keys become null)."""
    cols = {f.name: [r.get(f.name) for r in rows] for f in DOC_SCHEMA}
    cols["metadata"] = [md if md is None or isinstance(md, str) else json.dumps(md, ensure_ascii=False, sort_keys=True)
                        for md in cols["metadata"]]
    return pa.table(cols, schema=DOC_SCHEMA)


def quarantine_table(rows: list[dict]) -> pa.Table:
    cols = {f.name: [r.get(f.name) for r in rows] for f in QUARANTINE_SCHEMA}
    cols["sample"] = [None if s is None else bytes(s[:QUARANTINE_SAMPLE_BYTES]) for s in cols["sample"]]
    return pa.table(cols, schema=QUARANTINE_SCHEMA)


def content_bytes(table: pa.Table) -> int:
    """Bytes of document content (text and html): what 'bytes in/out' of a stage counts."""
    total = 0
    for name in ("text", "html"):
        if name in table.column_names and table.num_rows:
            total += int(pc.sum(pc.binary_length(table.column(name))).as_py() or 0)
    return total
