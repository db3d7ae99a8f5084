"""Megatron-LM / NeMo indexed dataset (`.bin` + `.idx`, the "MMIDIDX" format) from token shards.

Written beside each Arrow token shard when `tokenize` has `megatron: true`, so a Megatron-LM or
NeMo training job reads our dataset through its own `IndexedDataset` with the path prefix
(`.../tokens-p000-00000`). Hand-written because the format's only writer lives inside
megatron-core, which needs torch and pulls a training stack into a data pipeline; the format
is small and fixed. Layout (megatron/core/datasets/indexed_dataset.py, all little-endian):

    .bin  every sequence's token ids back to back, in the index's dtype
    .idx  b"MMIDIDX\\x00\\x00"           9-byte magic
          uint64 version = 1
          uint8  dtype code            1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16
          uint64 sequence count        S
          uint64 document count        D = len(document indices)
          int32[S] sequence lengths    tokens per sequence
          int64[S] sequence pointers   byte offset of each sequence in .bin
          int64[D] document indices    0, then the sequence index where each document ends

One row of a shard is one sequence (a document with its EOS, or a packed row of seq_len+1
tokens), and one document; Megatron has no uint32 code, so vocabularies above 65,536 are
written as int32.
"""
from __future__ import annotations

import hashlib
import os
import struct
import uuid
from pathlib import Path

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES = {np.dtype(np.uint8): 1, np.dtype(np.int8): 2, np.dtype(np.int16): 3, np.dtype(np.int32): 4,
               np.dtype(np.int64): 5, np.dtype(np.float64): 6, np.dtype(np.float32): 7, np.dtype(np.uint16): 8}
CODE_DTYPES = {v: k for k, v in DTYPE_CODES.items()}


def megatron_dtype(dtype: str | np.dtype) -> np.dtype:
    """The on-disk dtype for our token dtype (uint32 has no Megatron code: int32)."""
    dt = np.dtype(dtype)
    return np.dtype(np.int32) if dt == np.uint32 else dt


def _atomic(path: Path, data_chunks) -> str:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    h = hashlib.sha256()
    with open(tmp, "wb") as f:
        for chunk in data_chunks:
            b = memoryview(chunk).cast("B")
            f.write(b)
            h.update(b)
    os.replace(tmp, path)
    return h.hexdigest()


def write_indexed(prefix: str | Path, flat: np.ndarray, lengths: np.ndarray, dtype: str | np.dtype) -> dict:
    """Write `prefix`.bin/.idx: sequences of `lengths` tokens cut from `flat`, one document each."""
    prefix = Path(prefix)
    dt = megatron_dtype(dtype)
    lengths = np.asarray(lengths, dtype=np.int64)
    if int(lengths.sum()) != len(flat):
        raise ValueError(f"{prefix}: sequence lengths sum to {int(lengths.sum())}, have {len(flat)} tokens")
    if len(lengths) and int(lengths.max()) > np.iinfo(np.int32).max:
        raise ValueError(f"{prefix}: a sequence of {int(lengths.max())} tokens exceeds int32 lengths")
    tokens = np.ascontiguousarray(flat, dtype=dt)
    if len(flat) and not np.array_equal(tokens, flat):
        raise ValueError(f"{prefix}: token ids do not fit {dt}")
    pointers = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths):
        pointers[1:] = np.cumsum(lengths[:-1]) * dt.itemsize
    doc_index = np.arange(len(lengths) + 1, dtype=np.int64)
    head = MAGIC + struct.pack("<Q", VERSION) + struct.pack("<B", DTYPE_CODES[dt]) \
        + struct.pack("<Q", len(lengths)) + struct.pack("<Q", len(doc_index))
    bin_sha = _atomic(prefix.with_suffix(".bin"), [tokens])
    idx_sha = _atomic(prefix.with_suffix(".idx"),
                      [head, lengths.astype(np.int32), pointers, doc_index])
    return {"prefix": prefix.name, "sequences": int(len(lengths)), "tokens": int(len(flat)),
            "dtype": str(dt), "bin_sha256": bin_sha, "idx_sha256": idx_sha}


class IndexedDataset:
    """Reader written from the format description above (no megatron-core needed): memory-maps
    `prefix`.bin and parses `prefix`.idx, checking every field it relies on."""

    def __init__(self, prefix: str | Path):
        self.prefix = Path(prefix)
        idx = self.prefix.with_suffix(".idx").read_bytes()
        if idx[:9] != MAGIC:
            raise ValueError(f"{self.prefix}.idx: bad magic {idx[:9]!r}, expected {MAGIC!r}")
        (version,) = struct.unpack_from("<Q", idx, 9)
        if version != VERSION:
            raise ValueError(f"{self.prefix}.idx: version {version}, expected {VERSION}")
        (code,) = struct.unpack_from("<B", idx, 17)
        if code not in CODE_DTYPES:
            raise ValueError(f"{self.prefix}.idx: unknown dtype code {code}")
        self.dtype = CODE_DTYPES[code]
        n_seq, n_doc = struct.unpack_from("<QQ", idx, 18)
        off = 34
        self.lengths = np.frombuffer(idx, np.int32, n_seq, off)
        off += 4 * n_seq
        self.pointers = np.frombuffer(idx, np.int64, n_seq, off)
        off += 8 * n_seq
        self.document_indices = np.frombuffer(idx, np.int64, n_doc, off)
        off += 8 * n_doc
        if off != len(idx):
            raise ValueError(f"{self.prefix}.idx: {len(idx) - off} bytes after the document indices")
        bin_path = self.prefix.with_suffix(".bin")
        size = bin_path.stat().st_size
        expected = int(self.lengths.astype(np.int64).sum()) * self.dtype.itemsize
        if size != expected:
            raise ValueError(f"{bin_path}: {size} bytes, the index describes {expected}")
        self.tokens = np.memmap(bin_path, dtype=self.dtype, mode="r") if size else np.zeros(0, self.dtype)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.pointers[i]) // self.dtype.itemsize
        return np.asarray(self.tokens[start: start + int(self.lengths[i])])


def shard_to_megatron(arrow_path: str, dtype: str) -> dict:
    """Ray task: the .bin/.idx pair for one Arrow token shard (same rows, same order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from stages.tokenize.encode import read_ipc
    col = read_ipc(arrow_path).column("input_ids").combine_chunks()
    flat = col.flatten().to_numpy(zero_copy_only=False)
    if pa.types.is_fixed_size_list(col.type):         # packed rows of seq_len + 1
        lengths = np.full(len(col), col.type.list_size, dtype=np.int64)
    else:
        lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(np.int64)
    return write_indexed(Path(arrow_path).with_suffix(""), flat, lengths, dtype)
