"""Shingles and MinHash signatures, compatible with datasketch 2.0's MinHash ("affine32").

A shingle is n consecutive words (from stages.segmentation) or, for Chinese/Japanese if chosen,
n consecutive letters/digits. Each word is hashed once (xxh3_64; a character's hash is mixed
from its code point in numpy), and a shingle's 32-bit hash is combined from its items' hashes
with numpy, so no string is built per shingle.

The signature is exactly what `datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash)` would
hold after `update_batch(shingles)`: datasketch 2.0 pre-mixes each 32-bit input hash with the
MurmurHash3 finalizer, then permutation k is `a_k * h + b_k mod 2^32` with (a, b) drawn from
`np.random.RandomState(seed)`. We draw the same (a, b) and apply all permutations to a
document's unique shingle hashes in one numpy expression.
"""
from __future__ import annotations

import re
from typing import Literal, Sequence

import numpy as np
import pyarrow as pa
import xxhash
from pydantic import BaseModel, ConfigDict, Field

from stages.dedup.normalize import Normalization, normalize_texts

U32 = np.uint32
U64 = np.uint64
M64 = (1 << 64) - 1
# Position multipliers for combining item hashes into a shingle hash (odd, well mixed).
_POS_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5, 0x94D049BB133111EB,
                      0xBF58476D1CE4E5B9, 0x2545F4914F6CDD1D, 0x9FB21C651E98DF25,
                      0x4F1BBCDCBFA53E0B, 0x61C8864680B583EB, 0xA0761D6478BD642F,
                      0xE7037ED1A0B428DB], dtype=U64)
MAX_NGRAM = len(_POS_MULT)


class Shingling(BaseModel):
    """How a document becomes a set of shingles."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    ngram: int = Field(default=5, ge=1, le=MAX_NGRAM, description=(
        "Words per shingle (a document with fewer words is one shingle)."))
    cjk_shingles: Literal["words", "chars"] = Field(default="chars", description=(
        "Chinese/Japanese documents: shingles of the segmenter's words (words, `ngram` each) or of "
        "their letters and digits (chars, `cjk_ngram` each)."))
    cjk_ngram: int = Field(default=5, ge=1, le=MAX_NGRAM, description=(
        "Characters per shingle of Chinese/Japanese documents when cjk_shingles=chars."))
    normalization: Normalization = Field(default=Normalization(), description=(
        "Applied to the text before it is segmented into shingles, and to the texts verification compares."))


# -- 64-bit mixing (MurmurHash3 fmix64), numpy and pure-Python versions ---------------------------
def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> U64(33))
    h = h * U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> U64(33))
    h = h * U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> U64(33))


def _fmix64_py(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    return h ^ (h >> 33)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> U32(16))
    h = h * U32(0x85EBCA6B)
    h = h ^ (h >> U32(13))
    h = h * U32(0xC2B2AE35)
    return h ^ (h >> U32(16))


def combine_items(items: np.ndarray, n: int) -> np.ndarray:
    """32-bit hashes of every window of n consecutive item hashes (one window if fewer items)."""
    m = len(items)
    if m == 0:
        return np.zeros(0, dtype=U32)
    n = min(n, m)
    acc = items[: m - n + 1] * _POS_MULT[0]
    for k in range(1, n):
        acc = acc + items[k: m - n + 1 + k] * _POS_MULT[k]
    return (_fmix64(acc) >> U64(32)).astype(U32)


_CHAR_MULT = U64(0x9FB21C651E98DF25)


def _combine_py(item_hashes: Sequence[int]) -> int:
    acc = 0
    for k, h in enumerate(item_hashes):
        acc = (acc + h * int(_POS_MULT[k])) & M64
    return _fmix64_py(acc) >> 32


def shingle_hash(shingle: Sequence[str]) -> int:
    """Pure-Python hash of one word shingle (a tuple of words): what `combine_items` computes in
    bulk. Pass it as datasketch's `hashfunc` to reproduce our signatures."""
    return _combine_py([xxhash.xxh3_64_intdigest(w.encode("utf-8")) for w in shingle])


def char_shingle_hash(shingle: Sequence[str]) -> int:
    """Pure-Python hash of one character shingle (a tuple of single characters)."""
    return _combine_py([_fmix64_py((ord(c) * int(_CHAR_MULT)) & M64) for c in shingle])


def _word_item_hashes(words: list[str]) -> np.ndarray:
    return np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, words)), U64, len(words))


def _char_item_hashes(chars: str) -> np.ndarray:
    codepoints = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(U64)
    return _fmix64(codepoints * _CHAR_MULT)


def shingles_of(words: list[str], n: int) -> list[tuple[str, ...]]:
    """The shingles themselves (for datasketch comparisons and debugging)."""
    n = min(n, len(words))
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)] if words else []


_NOT_ALNUM = re.compile(r"[\W_]+")


def cjk_char_items(text: str) -> str:
    """The letters and digits of a text (a str is the sequence of its characters)."""
    return _NOT_ALNUM.sub("", text)


def item_lists(texts: pa.Array | pa.ChunkedArray, cfg: Shingling,
               languages: Sequence[str | None] | None = None,
               scripts: Sequence[str | None] | None = None) -> tuple[list[list[str] | str], list[int]]:
    """Per document: its items and the n-gram size to shingle them with. Items are a list of
    words, or (character shingles) one string of the characters to shingle."""
    from stages import scripts as script_detect
    from stages.segmentation import JIEBA, SUDACHI, segmentation_mode, words_batch

    norm = normalize_texts(texts, cfg.normalization)
    if scripts is None:
        scripts = script_detect.scripts_batch(norm)
    values = norm.to_pylist()
    langs = languages if languages is not None else [None] * len(values)
    items: list[list[str] | str] = [[] for _ in values]
    sizes = [cfg.ngram] * len(values)
    word_rows = []
    for i, (lang, script) in enumerate(zip(langs, scripts)):
        if cfg.cjk_shingles == "chars" and segmentation_mode(lang, script) in (JIEBA, SUDACHI):
            items[i] = cjk_char_items(values[i])
            sizes[i] = cfg.cjk_ngram
        else:
            word_rows.append(i)
    if word_rows:
        words, _ = words_batch([values[i] for i in word_rows], [langs[i] for i in word_rows],
                               [scripts[i] for i in word_rows])
        for i, w in zip(word_rows, words):
            items[i] = w
    return items, sizes


def shingle_hash_arrays(items: list[list[str] | str], sizes: list[int]) -> list[np.ndarray]:
    return [combine_items(_char_item_hashes(it) if isinstance(it, str) else _word_item_hashes(it), n)
            for it, n in zip(items, sizes)]


# -- signatures -----------------------------------------------------------------------------------
def optimal_bands_rows(threshold: float, num_perm: int, false_positive_weight: float,
                       false_negative_weight: float) -> tuple[int, int]:
    """The (bands, rows) datasketch's MinHashLSH chooses (`_optimal_param`): the pair with the
    least weighted area of false positives below `threshold` and false negatives above it, the
    first one in datasketch's order on a tie. datasketch integrates with scipy's `quad`, which
    costs importing scipy (~0.9 s, serial, before the stage's tasks start); the integrands are
    polynomials of degree bands*rows <= num_perm, which Gauss-Legendre with num_perm/2 + 1 nodes
    integrates exactly. The same choice as datasketch's on a grid of 945 settings (tested)."""
    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below, below_w = threshold / 2 * (x + 1), w * threshold / 2
    above, above_w = threshold + (1 - threshold) / 2 * (x + 1), w * (1 - threshold) / 2
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        error = ((1 - (1 - below ** r) ** b) @ below_w) * false_positive_weight + \
            (((1 - above ** r) ** b) @ above_w) * false_negative_weight
        i = int(np.argmin(error))
        if error[i] < best:
            best, opt = float(error[i]), (b, i + 1)
    return opt


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2.0's affine32 permutation parameters (a odd, b) for this seed."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=U32) * U32(2) + U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=U32)
    return a, b


def signature(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash of one document's 32-bit shingle hashes (max value everywhere if none).

    Repeated shingles need no np.unique: min() does not care, and sorting costs more."""
    if len(hashes) == 0:
        return np.full(len(a), np.iinfo(U32).max, dtype=U32)
    hv = _fmix32(hashes)[:, None]
    return (hv * a + b).min(axis=0)


def signatures(hash_arrays: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((len(hash_arrays), len(a)), dtype=U32)
    for i, h in enumerate(hash_arrays):
        out[i] = signature(h, a, b)
    return out


def band_hashes(sigs: np.ndarray, bands: int, rows: int, salt: np.ndarray | None = None) -> np.ndarray:
    """64-bit hash of each band of each signature: (docs, bands). `salt` (per doc) scopes
    buckets, e.g. to one source; band index is mixed in so bands never share buckets."""
    n = sigs.shape[0]
    cube = sigs[:, : bands * rows].reshape(n, bands, rows).astype(U64)
    acc = np.zeros((n, bands), dtype=U64)
    for j in range(rows):
        acc = acc + cube[:, :, j] * _POS_MULT[j % MAX_NGRAM] + U64(j)
        acc = _fmix64(acc) if j % 4 == 3 else acc
    acc = acc ^ (np.arange(1, bands + 1, dtype=U64) * U64(0xA0761D6478BD642F))[None, :]
    if salt is not None:
        acc = acc ^ (salt.astype(U64) * U64(0xE7037ED1A0B428DB))[:, None]
    return _fmix64(acc)
