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
the memory map, the matrices by their sizes.
"""
from __future__ import annotations

import mmap
import struct
from pathlib import Path

MAGIC = 793712314                    # FASTTEXT_FILEFORMAT_MAGIC_INT32
_KSUB = 256                          # centroids per sub-quantizer (ProductQuantizer::ksub_)


class _Cut(Exception):
    pass


def file_problem(path: str | Path) -> str | None:
    """Why `path` is not a whole fastText model ("not a fastText model", "cut short ..."), or None."""
    with open(path, "rb") as f:
        if f.read(4) != MAGIC.to_bytes(4, "little"):
            return "is not a fastText model"
        try:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                need = _model_size(data)
        except _Cut:
            return f"is cut short ({_size(path):,} bytes end inside its dictionary or a matrix header)"
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
        except (_Cut, struct.error, ValueError):
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

    take("<ii")                                   # magic, version
    take("<12id")                                 # dim, ws, epoch, ..., lrUpdateRate; t
    size, _, nlabels = take("<iii")               # entries, words, labels
    _, pruneidx_size = take("<qq")                # tokens, pruning index entries
    for i in range(size):                         # word '\0', count int64, type int8
        end = data.find(b"\0", pos)
        if end < 0:
            raise _Cut
        if labels is not None and i >= size - nlabels:    # words first, then labels (Dictionary::threshold)
            labels.append(bytes(data[pos:end]).decode("utf-8", "replace"))
        pos = end + 1 + 9
    pos += 8 * max(pruneidx_size, 0)

    def quantizer() -> None:
        nonlocal pos
        dim, _, _, _ = take("<iiii")
        pos += 4 * dim * _KSUB

    def matrix() -> None:
        nonlocal pos
        (quantized,) = take("<?")
        if not quantized:
            m, n = take("<qq")
            pos += 4 * m * n
            return
        (qnorm,) = take("<?")
        m, _ = take("<qq")
        (codesize,) = take("<i")
        pos += codesize
        quantizer()
        if qnorm:
            pos += m
            quantizer()

    matrix()                                      # input (quant_), then output (qout)
    matrix()
    return pos
