"""Is a file a whole fastText model? Its size, computed from its own header, dictionary and matrix
shapes, against the size it has.

Hand-written because fastText itself does not check: a model cut short (an interrupted download
of a 1.6 GB GlotLID model) made `fasttext.load_model` hang when the cut fell in the dictionary,
raise a C++ `vector::_M_default_append` error further on, and, cut in its last matrix, load and
predict (lid.176.ftz cut at 99% gave English at 0.25 for "hello world"). The layout is fastText's
`FastText::saveModel` (the format lid.176 and GlotLID are in): magic and version, the training
arguments, the dictionary (entries of word, count, type; a pruning index), then the input and
output matrices, each dense (rows x columns float32) or product-quantized (codes, and 256
centroids per sub-quantizer). Only headers are read: the dictionary's words are skipped over in
the memory map, the matrices by their sizes. What the format constrains is checked on the way (an
entry is a word or a label, the counts add up, sizes are not negative, a matrix is as wide as the
model's dim), so a damaged file is said to be one instead of failing with an unpacking error.
"""
from __future__ import annotations

import mmap
import struct
from pathlib import Path

MAGIC = 793712314                    # FASTTEXT_FILEFORMAT_MAGIC_INT32
_KSUB = 256                          # centroids per sub-quantizer (ProductQuantizer::ksub_)


class _Cut(Exception):
    pass


class _Malformed(Exception):
    """What in the file's layout cannot be (the message), found before its end."""


def file_problem(path: str | Path) -> str | None:
    """Why `path` is not a whole fastText model ("not a fastText model", "cut short ...", "is
    damaged: ..."), or None."""
    with open(path, "rb") as f:
        if f.read(4) != MAGIC.to_bytes(4, "little"):
            return "is not a fastText model"
        try:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                need = _model_size(data)
        except _Cut:
            return f"is cut short ({_size(path):,} bytes end inside its dictionary or a matrix header)"
        except _Malformed as e:
            return f"is damaged: {e}"
    have = _size(path)
    if have < need:
        return f"is cut short: {have:,} bytes, and its header and dictionary make it {need:,}"
    return None


def labels_of(path: str | Path) -> list[str]:
    """The model's labels (`__label__hq`, ...), read from its dictionary (they are its last
    entries), without loading the model; [] for a file that is not a whole model."""
    labels: list[str] = []
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            _model_size(data, labels)
        except (_Cut, _Malformed):
            return []
    return labels


def _size(path: str | Path) -> int:
    return Path(path).stat().st_size


def _model_size(data, labels: list[str] | None = None) -> int:
    """The file's size from its layout; with `labels`, the dictionary's labels are added to it."""
    pos = 0

    def take(fmt: str) -> tuple:
        nonlocal pos
        n = struct.calcsize(fmt)
        if pos + n > len(data):
            raise _Cut
        value = struct.unpack_from(fmt, data, pos)
        pos += n
        return value

    def flag(what: str) -> bool:
        (value,) = take("<B")
        if value > 1:
            raise _Malformed(f"its {what} flag at byte {pos - 1:,} is {value}, not 0 or 1")
        return bool(value)

    take("<ii")                                   # magic, version
    (dim,) = take("<i")                           # dim, then ws, epoch, ..., lrUpdateRate; t
    take("<11id")
    if dim < 1:
        raise _Malformed(f"its header gives dim {dim}")
    size, nwords, nlabels = take("<iii")          # entries, words, labels
    if min(size, nwords, nlabels) < 0 or nwords + nlabels != size:
        raise _Malformed(f"its dictionary header gives {size:,} entries of {nwords:,} words and {nlabels:,} labels")
    _, pruneidx_size = take("<qq")                # tokens, pruning index entries (-1: not pruned)
    if pruneidx_size < -1:
        raise _Malformed(f"its dictionary header gives a pruning index of {pruneidx_size:,} entries")
    for i in range(size):                         # word '\0', count int64, type int8
        end = data.find(b"\0", pos)
        if end < 0:
            raise _Cut
        if end + 10 > len(data):
            raise _Cut
        # entry_type: word 0, label 1; Dictionary::threshold puts the words first, then the labels.
        # (Read as one byte, not unpacked: GlotLID's dictionary has millions of entries.)
        kind = data[end + 9]
        if kind != (i >= nwords):
            what = ("a word", "a label")[kind] if kind < 2 else f"of type {kind}, neither a word (0) nor a label (1)"
            raise _Malformed(f"its dictionary's entry {i:,} (byte {pos:,}) is {what}; its header gives "
                             f"{nwords:,} words, then {nlabels:,} labels")
        if labels is not None and kind == 1:
            labels.append(bytes(data[pos:end]).decode("utf-8", "replace"))
        pos = end + 1 + 9
    pos += 8 * max(pruneidx_size, 0)

    def quantizer(which: str) -> None:
        nonlocal pos
        qdim, _, _, _ = take("<iiii")
        if qdim < 0:
            raise _Malformed(f"its {which} matrix's quantizer has dim {qdim}")
        pos += 4 * qdim * _KSUB

    def matrix(which: str) -> None:
        nonlocal pos
        quantized = flag(f"{which} matrix's quantized")
        qnorm = quantized and flag(f"{which} matrix's qnorm")
        m, n = take("<qq")
        if m < 0 or n != dim:
            raise _Malformed(f"its {which} matrix is {m:,} x {n:,}; the header's dim is {dim}")
        if not quantized:
            pos += 4 * m * n
            return
        (codesize,) = take("<i")
        if codesize < 0:
            raise _Malformed(f"its {which} matrix has {codesize:,} bytes of codes")
        pos += codesize
        quantizer(which)
        if qnorm:
            pos += m
            quantizer(which)

    matrix("input")                               # input (quant_), then output (qout)
    matrix("output")
    return pos
