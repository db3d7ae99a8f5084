"""The fastText supervised model format for `quality_classifier`: text normalisation, fastText's
token hashing and n-gram buckets, and reading/writing `.bin` files (format version 12).

Hand-written because no installable package can both train and coexist with fasttext-predict
(see stages/quality_classifier.py); these follow fastText's Dictionary and FastText::saveModel so
our files load in fastText proper (a test checks its predictions equal our forward pass).
"""
from __future__ import annotations

import json
import re
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stages.fasttext_file import MAGIC, file_problem

LABEL_PREFIX = "__label__"
POSITIVE, NEGATIVE = "hq", "lq"
EOS = "</s>"
_MAGIC, _VERSION = MAGIC, 12
_LOSS_SOFTMAX, _MODEL_SUPERVISED = 3, 3
_NGRAM_MULT = 116049371
# CJK ideographs, kana and Hangul syllables, in RE2 syntax (Arrow's regex engine).
_CJK_CHAR_RE2 = r"([\x{3040}-\x{30ff}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}\x{ac00}-\x{d7af}])"
# fastText splits tokens on exactly these bytes; a newline ends the line.
_FT_SPACE = re.compile(r"[ \t\v\f\r\n\x00]+")


# -- text normalisation (shared by training and the stage) ----------------------------------------
@dataclass(frozen=True)
class Normalisation:
    lowercase: bool = True
    split_cjk: bool = True
    max_chars: int = 20000  # quality shows early; long pages cost time, not accuracy

    def batch(self, texts: pa.Array | pa.ChunkedArray) -> list[str]:
        """One line per text, vectorised in Arrow."""
        t = pc.fill_null(texts, "")
        if self.max_chars:
            t = pc.utf8_slice_codeunits(t, 0, self.max_chars)
        if self.lowercase:
            t = pc.utf8_lower(t)
        if self.split_cjk:
            t = pc.replace_substring_regex(t, _CJK_CHAR_RE2, r" \1 ")
        t = pc.replace_substring_regex(t, r"[\s\x00]+", " ")
        return t.to_pylist()

    def tokens(self, line: str) -> list[str]:
        # fastText would read a `__label__x` token in a document as a label, not a word: drop it
        return [w for w in _FT_SPACE.split(line) if w and not w.startswith(LABEL_PREFIX)] + [EOS]


def fasttext_hash(token: str) -> int:
    """fastText's Dictionary::hash: FNV-1a over UTF-8 bytes, each byte sign-extended first."""
    h = 2166136261
    for b in token.encode("utf-8"):
        h ^= (b | 0xFFFFFF00) if b >= 128 else b
        h = (h * 16777619) & 0xFFFFFFFF
    return h


@dataclass
class _Vocab:
    words: list[str]
    counts: list[int]
    index: dict[str, int]
    bucket: int
    word_ngrams: int
    _hash_cache: dict[str, int]

    def ids(self, tokens: list[str]) -> list[int]:
        """Input rows for one line, as fastText's Dictionary::getLine computes them."""
        out, hashes = [], []
        cache = self._hash_cache
        for tok in tokens:
            h = cache.get(tok)
            if h is None:
                h = cache[tok] = fasttext_hash(tok)
            wid = self.index.get(tok)
            if wid is not None:
                out.append(wid)
            # fastText keeps these hashes as int32 and widens them to uint64 (sign-extending)
            hashes.append(h if h < 0x80000000 else h | 0xFFFFFFFF00000000)
        if self.word_ngrams > 1 and self.bucket > 0:
            nw = len(self.words)
            for i in range(len(hashes)):
                h = hashes[i]
                for j in range(i + 1, min(len(hashes), i + self.word_ngrams)):
                    h = (h * _NGRAM_MULT + hashes[j]) & 0xFFFFFFFFFFFFFFFF
                    out.append(nw + h % self.bucket)
        return out


# -- training -----------------------------------------------------------------------------------
def _write_fasttext_bin(path: Path, vocab: _Vocab, emb, out_w, dim, epochs, ngrams, bucket, min_count):
    """fastText FastText::saveModel layout, version 12, non-quantised, softmax supervised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = [LABEL_PREFIX + POSITIVE, LABEL_PREFIX + NEGATIVE]
    with open(path, "wb") as f:
        f.write(struct.pack("<ii", _MAGIC, _VERSION))
        # Args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
        f.write(struct.pack("<12id", dim, 5, epochs, min_count, 5, ngrams, _LOSS_SOFTMAX,
                            _MODEL_SUPERVISED, vocab.bucket, 0, 0, 100, 1e-4))
        nwords = len(vocab.words)
        ntokens = sum(vocab.counts)
        # Dictionary: size nwords nlabels ntokens pruneidx_size(-1 = not pruned), then entries.
        f.write(struct.pack("<iiiqq", nwords + 2, nwords, 2, ntokens, -1))
        for w, c in zip(vocab.words, vocab.counts):
            f.write(w.encode("utf-8") + b"\0" + struct.pack("<qb", c, 0))
        for lab in labels:
            f.write(lab.encode("utf-8") + b"\0" + struct.pack("<qb", 1, 1))
        for matrix in (emb, out_w):
            f.write(struct.pack("<?qq", False, matrix.shape[0], matrix.shape[1]))
            f.write(np.ascontiguousarray(matrix, dtype="<f4").tobytes())


def _read_fasttext_bin(path: str | Path) -> tuple[np.ndarray, np.ndarray, _Vocab]:
    """Read back a model written by `_write_fasttext_bin` (input, output matrices, vocabulary)."""
    raw = Path(path).read_bytes()
    magic, version = struct.unpack_from("<ii", raw, 0)
    if (magic, version) != (_MAGIC, _VERSION):
        raise ValueError(f"{path} is not a fastText v{_VERSION} model")
    args = struct.unpack_from("<12id", raw, 8)
    size, nwords, _, _, _ = struct.unpack_from("<iiiqq", raw, 64)
    pos, words, counts = 92, [], []
    for _ in range(size):
        end = raw.index(b"\0", pos)
        words.append(raw[pos:end].decode("utf-8"))
        counts.append(struct.unpack_from("<q", raw, end + 1)[0])
        pos = end + 10
    matrices = []
    for _ in range(2):
        _, m, n = struct.unpack_from("<?qq", raw, pos)
        pos += 17
        matrices.append(np.frombuffer(raw, "<f4", m * n, pos).reshape(m, n))
        pos += 4 * m * n
    vocab = _Vocab(words[:nwords], counts[:nwords], {w: i for i, w in enumerate(words[:nwords])},
                   args[8], args[5], {})
    return matrices[0], matrices[1], vocab


# -- the stage ----------------------------------------------------------------------------------
_models: dict[str, object] = {}
_models_lock = threading.Lock()


def _load_model(path: str):
    with _models_lock:
        if path not in _models:
            import fasttext  # fasttext-predict (or fastText proper): both load this format
            _models[path] = fasttext.load_model(path)
        return _models[path]


def _model_header(path: str | Path) -> dict:
    """The Args of a fastText model file (format 11 or 12, .bin or .ftz), read without loading it;
    ValueError for a file that is not one."""
    with open(path, "rb") as f:
        head = f.read(64)
    if len(head) < 64 or struct.unpack_from("<i", head)[0] != _MAGIC:
        raise ValueError("not a fastText model (no fastText header)")
    version = struct.unpack_from("<i", head, 4)[0]
    if version not in (11, 12):
        raise ValueError(f"fastText model format {version}, expected 11 or 12")
    args = struct.unpack_from("<12id", head, 8)
    if problem := file_problem(path):         # cut short: fastText would hang, raise, or load it
        raise ValueError(problem)
    return dict(dim=args[0], word_ngrams=args[5], bucket=args[8], maxn=args[10])


def _our_options(meta: Path) -> dict | None:
    """The training options train-classifier recorded in `<model>.json`, or None for another file."""
    try:
        options = json.loads(meta.read_text(encoding="utf-8")).get("options")
    except (OSError, ValueError, AttributeError):
        return None
    return options if isinstance(options, dict) and isinstance(options.get("normalisation"), dict) else None
