"""Ray task bodies for the tokenize stage: encode a shard, shuffle a bucket, write a token shard.

Data flow (all files Arrow IPC, memory-mapped when read back):

  encode   one task per input shard: batch-encode the texts (tokenizers' Rust encoder on all
           cores), append the end-of-document id, give each document a seeded bucket, and spill
           the documents sorted by (phase, bucket) to scratch/enc-<shard>.arrow.
  shuffle  one task per (phase, bucket): gather that bucket's slices from every spill file (in
           shard order), permute them with a seed of (seed, phase, bucket), write one file.
           A bucket holds about `bucket_bytes` of tokens: this is the shuffle's memory bound.
           Unshuffled, the buckets are consecutive runs of the phase's documents in input order,
           at most `bucket_bytes` each (plan.ordered_buckets), written as they are.
  write    one task per output shard: concatenate a planned run of shuffled documents (or, when
           packing, a token range of the phase's stream) and write the final shard atomically.

Every choice depends on the seed, the shard names and the row numbers only, so the output is
byte-identical for any number of workers.

Special tokens in a document's text (e.g. a literal `<|endoftext|>`) are encoded as plain text:
only the end-of-document id this module appends is special, so every document ends in exactly
one separator and the manifest's document counts (separators per shard) equal the documents
encoded, less those whose end packing dropped with a phase's last partial row (counted apart:
`documents_cut`, see write_token_shard). See `bpe.text_only_specials`. With tokenize's `bos_token`, each document also starts
with that id (a special token too, so its text in a document stays text).
"""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.shards import read_shard, shard_schema
from stages.tokenize.bpe import text_only_specials
from stages.tokenize.sample import doc_keys

ENCODE_BATCH_DOCS = 1024  # documents per encode_batch call: enough to keep every core busy
INT32_MAX = np.iinfo(np.int32).max   # the most values a `list` (int32 offsets) holds

_TOKENIZERS: dict[str, object] = {}


def cached_tokenizer(tok_json: str, tok_hash: str):
    """One tokenizer per worker process (a Ray worker runs many tasks)."""
    tok = _TOKENIZERS.get(tok_hash)
    if tok is None:
        from tokenizers import Tokenizer
        # encode_special_tokens is not part of tokenizer.json: set it again on every rebuild.
        tok = _TOKENIZERS[tok_hash] = text_only_specials(Tokenizer.from_str(tok_json))
    return tok


def encode_texts(tok, texts: list[str], eos: int, dtype: np.dtype,
                 bos: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flat token ids (each document followed by `eos`, and preceded by `bos` unless None) and
    per-document lengths incl. eos (and bos).

    Special tokens in `texts` are encoded as plain text (sets it on `tok`, whatever built it):
    a literal separator in a document must not become a second, fake document boundary."""
    text_only_specials(tok)
    flat_parts, len_parts = [], []
    eos_tail = (eos,)
    head = () if bos is None else (bos,)
    for i in range(0, len(texts), ENCODE_BATCH_DOCS):
        encs = tok.encode_batch_fast(texts[i:i + ENCODE_BATCH_DOCS], add_special_tokens=False)
        ids = [e.ids for e in encs]
        lens = np.fromiter(map(len, ids), np.int64, len(ids)) + 1 + len(head)
        flat_parts.append(np.fromiter(
            itertools.chain.from_iterable(x for doc in ids for x in (head, doc, eos_tail)),
            dtype, int(lens.sum())))
        len_parts.append(lens)
    if not flat_parts:
        return np.empty(0, dtype), np.empty(0, np.int64)
    return np.concatenate(flat_parts), np.concatenate(len_parts)


def list_offsets(lens: np.ndarray) -> np.ndarray:
    """Arrow list offsets of lists `lens` long: int32 (a `list`, the shard format) while they fit,
    int64 (a `large_list`) past 2**31 - 1 values, where int32 offsets would wrap to negatives."""
    offsets = np.zeros(len(lens) + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    return offsets.astype(np.int32) if offsets[-1] <= INT32_MAX else offsets


def list_array(flat: np.ndarray, lens: np.ndarray) -> pa.Array:
    offsets = list_offsets(lens)
    kind = pa.ListArray if offsets.dtype == np.int32 else pa.LargeListArray
    return kind.from_arrays(pa.array(offsets), pa.array(flat))


def concat_tokens(parts: list[pa.Table]) -> pa.Table:
    """Slices of spill or bucket files as one table of one chunk. Their `tokens` are a `list`, or a
    `large_list` where a spill file held more than 2**31 - 1 tokens (list_array): the result is a
    `list` while its tokens fit one, else a `large_list` (Arrow's concatenation of `list`s fails
    past 2**31 - 1 values)."""
    n_tokens = sum(_value_count(t.column("tokens")) for t in parts)
    value_type = parts[0].schema.field("tokens").type.value_type
    kind = pa.list_(value_type) if n_tokens <= INT32_MAX else pa.large_list(value_type)
    parts = [t.set_column(t.schema.get_field_index("tokens"), "tokens", t.column("tokens").cast(kind))
             for t in parts]
    return pa.concat_tables(parts).combine_chunks()


def _value_count(column: pa.ChunkedArray) -> int:
    """Values inside a list column's (sliced) chunks: the span of their offsets, none read."""
    return sum(int(c.offsets[-1].as_py() - c.offsets[0].as_py()) for c in column.chunks if len(c))


def write_ipc_atomic(table: pa.Table, path, stream: bool) -> tuple[int, str]:
    """Write `table` as one Arrow IPC record batch, whole (pipeline.storage); return (bytes, sha256)."""
    data = storage.write_ipc_atomic(table, path, stream=stream)
    return data.size, hashlib.sha256(data).hexdigest()


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with storage.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def read_ipc(path) -> pa.Table:
    """An IPC file or stream: memory-mapped (zero-copy) locally, read whole from object storage."""
    return storage.read_ipc(path)


# -- encode ----------------------------------------------------------------------------------------
def encode_shard(path: str, shard: str, spill: str, tok_json: str, tok_hash: str, eos: int,
                 dtype: str, seed: int, n_buckets: int, bos: int | None = None, unk: int | None = None,
                 doc_lengths: bool = False) -> dict:
    """Encode one input shard into a spill file sorted by (phase, bucket). `unk`: the model's
    unknown-token id, counted per source (`unknown`: {source: [tokens, unknown ids]}): text a
    tokenizer accepted with allow_lossy cannot represent, which nothing else measures.
    `doc_lengths`: also return each spilled document's tokens (`lens`, in spill-file order), which
    cutting unshuffled buckets needs (plan.ordered_buckets)."""
    tok = cached_tokenizer(tok_json, tok_hash)
    names = shard_schema(path).names
    cols = ["text", "source"] + (["mix_phase"] if "mix_phase" in names else [])
    t = read_shard(path, columns=cols)
    n_in = t.num_rows
    text = t.column("text")
    # A null or empty text is nothing to train on; it is counted, not encoded as a lone separator.
    keep = pc.fill_null(pc.greater(pc.binary_length(text), 0), False)
    rows = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
    t = t.take(pa.array(rows))
    flat, lens = encode_texts(tok, t.column("text").to_pylist(), eos, np.dtype(dtype), bos)
    phase = (t.column("mix_phase").to_numpy(zero_copy_only=False).astype(np.int64)
             if "mix_phase" in cols else np.zeros(t.num_rows, np.int64))
    bucket = (doc_keys(seed, shard, n_in, salt=2)[rows] % np.uint64(n_buckets)).astype(np.int64)
    order = np.lexsort((bucket, phase))  # stable: input order inside a (phase, bucket)
    tokens = list_array(flat, lens).take(pa.array(order))
    spill_t = pa.table({"tokens": tokens, "source": t.column("source").take(pa.array(order))})
    write_ipc_atomic(spill_t, spill, stream=False)
    # Row ranges of each (phase, bucket) in the sorted spill file.
    key = phase[order] * n_buckets + bucket[order]
    uniq, starts = np.unique(key, return_index=True)
    ends = np.append(starts[1:], len(key))
    ranges = [(int(k // n_buckets), int(k % n_buckets), int(s), int(e))
              for k, s, e in zip(uniq, starts, ends)]
    return {"ranges": ranges, "docs_in": n_in, "docs": int(len(lens)), "empty": int(n_in - len(lens)),
            "tokens": int(lens.sum()), "unknown": unknown_by_source(flat, lens, t.column("source"), unk),
            **({"lens": lens[order]} if doc_lengths else {})}


def unknown_by_source(flat: np.ndarray, lens: np.ndarray, source: pa.ChunkedArray, unk: int | None) -> dict:
    """{source: [tokens, ids equal to `unk`]} of the encoded documents; {} when `unk` is None."""
    if unk is None or not len(lens):
        return {}
    names, of_doc = np.unique(np.asarray(source.to_pylist(), dtype=object).astype(str), return_inverse=True)
    doc_of_token = np.repeat(of_doc, lens)
    tokens = np.bincount(of_doc, weights=lens, minlength=len(names))
    unknown = np.bincount(doc_of_token[flat == unk], minlength=len(names))
    return {str(n): [int(t), int(u)] for n, t, u in zip(names, tokens, unknown)}


# -- shuffle ---------------------------------------------------------------------------------------
def shuffle_bucket(phase: int, bucket: int, segments: list[tuple[str, int, int]], out: str,
                   seed: int, shuffle: bool) -> np.ndarray:
    """Gather one bucket from the spill files, permute it, write it; return its doc lengths."""
    parts = [read_ipc(p).slice(s, e - s) for p, s, e in segments]
    t = concat_tokens(parts) if parts else None
    if t is None or not t.num_rows:
        return np.empty(0, np.int64)
    if shuffle:
        perm = np.random.default_rng([seed & 0xFFFFFFFF, phase, bucket, 3]).permutation(t.num_rows)
        t = t.take(pa.array(perm))
    write_ipc_atomic(t, out, stream=False)
    return pc.list_value_length(t.column("tokens")).to_numpy(zero_copy_only=False).astype(np.int64)


# -- write -----------------------------------------------------------------------------------------
def write_token_shard(out: str, pieces: list[tuple[str, int, int]], head_skip: int, n_tokens: int,
                      packed_len: int | None, eos: int, dtype: str, phase_end: bool = False) -> dict:
    """Write one output shard from document runs of shuffled bucket files.

    Unpacked: one row per document. Packed: the run's tokens [head_skip, head_skip + n_tokens)
    cut into rows of `packed_len` tokens (documents joined by their separators).

    `documents` counts the separators in the shard (documents that end here: what validate-shards
    re-counts from the tokens). In a phase's last packed shard (`phase_end`), a document that
    starts in it but runs past its end was cut by dropping the phase's partial last row: it is in
    the data without its end, counted as `documents_cut` (not as a lost document)."""
    tabs = [read_ipc(p).slice(s, e - s) for p, s, e in pieces]
    t = concat_tokens(tabs)
    tokens = t.column("tokens").chunk(0) if t.num_rows else pa.array([], pa.list_(pa.from_numpy_dtype(np.dtype(dtype))))
    flat = tokens.flatten().to_numpy(zero_copy_only=False)
    lens = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    sources = t.column("source").to_pylist()
    # Tokens each source contributes to this shard (a packed run may cut the first/last document).
    ends = np.cumsum(lens)
    starts = ends - lens
    lo, hi = head_skip, head_skip + n_tokens
    overlap = np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0, None)
    ends_here = (ends > lo) & (ends <= hi)  # a document counts where its separator lands
    cut_here = (starts < hi) & (ends > hi) & bool(phase_end and packed_len)
    by_source: dict[str, dict[str, int]] = {}
    for s, n, d, c in zip(sources, overlap.tolist(), ends_here.tolist(), cut_here.tolist()):
        if n:
            row = by_source.setdefault(s, {"tokens": 0, "documents": 0, **({"documents_cut": 0} if packed_len else {})})
            row["tokens"] += n
            row["documents"] += int(d)
            if c:
                row["documents_cut"] += 1
    if packed_len:
        body = flat[lo:hi]
        rows = len(body) // packed_len
        ids = pa.FixedSizeListArray.from_arrays(pa.array(body[: rows * packed_len]), packed_len)
        table = pa.table({"input_ids": ids})
        sequences = rows
    else:
        body = flat
        table = pa.table({"input_ids": tokens, "source": t.column("source")})
        sequences = t.num_rows
    nbytes, digest = write_ipc_atomic(table, out, stream=True)
    return {"file": storage.path(out).name, "tokens": int(len(body)), "documents": int((body == eos).sum()),
            "documents_cut": int(cut_here.sum()), "sequences": int(sequences), "bytes": nbytes, "sha256": digest,
            "sources": dict(sorted(by_source.items()))}
