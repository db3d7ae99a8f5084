"""Shingles and MinHash signatures, compatible with datasketch 2.0's MinHash ("affine32").

Items. A shingle is a window of n consecutive items of a document. With `cjk_shingles="chars"`
(the default) the items are, in text order:
  - each letter or digit of the scripts written without spaces that are read per character:
    Han and kana (as stages.scripts classes them, so ー counts as kana), and the scripts
    stages.segmentation cuts into single characters (Lao, Khmer, Myanmar, Tibetan);
  - the words of the text between them, cut by the whitespace segmenter's word pattern
    (stages.segmentation), so "用Python读取2.0版" is 用 python 读 取 2.0 版.
A Thai document (by its script or label) stays with Thai's dictionary segmenter even when it holds
a Han or kana character (a brand name): cut at spaces, its copy without that character would share
no shingle with it. A document without such a character is cut into words exactly as before, by the segmenter its
language and script choose (only a Chinese/Japanese label on it, which gave it character shingles
before, is not used). So wherever Chinese or Japanese is, the items follow from the text alone,
not from the document's language label or majority script: before, an English page with one
Chinese sentence was shingled by words and its copy with two by characters (whichever way lid.176
or the letter count tipped), and the two shared no shingle at all; now they share every English
and every Chinese shingle. n is `ngram`, or `cjk_ngram` in a document with more character items
than words (the same by default). With `cjk_shingles="words"` the items are every document's
words from its segmenter (jieba and Sudachi for Chinese and Japanese), as before.

Hashes. A word is hashed once (xxh3_64 of its UTF-8), a character item from its code point
(mixed in numpy), and a shingle's 32-bit hash is combined from its items' hashes with numpy, so
no string is built per shingle. A batch's documents with character items are done together:
their text is decoded to code points once, each run of character items is replaced by one marker
character, the word pattern runs once per document over that text (markers are tokens of their
own), and the character items' hashes are put in the markers' places with numpy. `mixed_items`
is the same split written plainly, one character at a time (tests compare the two). The words of
the other documents are hashed in one pass too, and every document's windows are combined at once.

The signature is exactly what `datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash)` would
hold after `update_batch(shingles)` (`word_shingle_hash` for cjk_shingles="words"): datasketch
2.0 pre-mixes each 32-bit input hash with the MurmurHash3 finalizer, then permutation k is
`a_k * h + b_k mod 2^32` with (a, b) drawn from `np.random.RandomState(seed)`. We draw the same
(a, b) and apply all permutations to a document's shingle hashes in one numpy expression.
"""
from __future__ import annotations

from collections.abc import Sequence as SequenceABC
from functools import cache
from itertools import chain
from typing import Literal, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
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
        "Items per shingle (a document with fewer items is one shingle); see cjk_ngram for "
        "documents that are mostly Chinese/Japanese characters."))
    cjk_shingles: Literal["words", "chars"] = Field(default="chars", description=(
        "chars: each Han/kana letter or digit (and each Lao, Khmer, Myanmar, Tibetan one) is an item "
        "and the text around them is cut into words, in every document whatever its language, so a "
        "page and its copy with one more Chinese (or English) sentence share their shingles; "
        "words: items are the segmenter's words (jieba/Sudachi for Chinese/Japanese documents)."))
    cjk_ngram: int = Field(default=5, ge=1, le=MAX_NGRAM, description=(
        "Items per shingle, with cjk_shingles=chars, of a document with more character items than "
        "words. If it differs from ngram, a document about half Chinese, half English can change "
        "window size (and share fewer shingles with its copy) when an edit tips that balance."))
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


# -- which characters are items of their own ------------------------------------------------------
@cache
def _char_item_table() -> np.ndarray:
    """Per code point: True for the letters and digits that are items of their own (see the module
    docstring). Built once per process (~100k code points to test, ~20 ms)."""
    from stages import scripts
    from stages.segmentation import _SCRIPT_MODES, CHARS
    # scripts' private lookup is the one table that says which code points are Han and kana
    # (ー included, ・ not): character items are then exactly what makes a text Hani/Jpan there.
    cats = [scripts.HAN, scripts.HAN_SIMPLIFIED, scripts.HAN_TRADITIONAL, scripts.KANA] + \
        [scripts._CAT[s] for s, mode in _SCRIPT_MODES.items() if mode == CHARS]
    candidates = np.flatnonzero(np.isin(scripts._LOOKUP, cats))
    # letters and digits only, as the character shingles before: no radicals, combining marks
    alnum = np.fromiter((chr(c).isalnum() for c in candidates.tolist()), bool, len(candidates))
    table = np.zeros(0x110000, dtype=bool)
    table[candidates[alnum]] = True
    return table


@cache
def _char_item_pattern() -> str:
    """An RE2 class matching exactly the character items (to find the documents that have any)."""
    table = _char_item_table()
    edges = np.flatnonzero(np.diff(np.r_[False, table, False].astype(np.int8)))
    return "[" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi - 1:X}}}" for lo, hi in zip(edges[::2], edges[1::2])) + "]"


def _has_char_items(texts: pa.Array) -> np.ndarray:
    """Per text: whether it has a character item. ASCII texts (byte length = length) are skipped
    before the regex, which is then a DFA scan of the others."""
    out = np.zeros(len(texts), dtype=bool)
    non_ascii = pc.less(pc.utf8_length(texts), pc.binary_length(texts)).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(non_ascii)
    if len(rows):
        found = pc.match_substring_regex(texts.take(pa.array(rows)), pattern=_char_item_pattern())
        out[rows] = found.to_numpy(zero_copy_only=False)
    return out


def is_char_item(c: str) -> bool:
    """Whether `c` is one character that is an item of its own with cjk_shingles=chars."""
    return len(c) == 1 and bool(_char_item_table()[ord(c)])


# -- pure-Python hashes, for datasketch and tests ----------------------------------------------------
def _item_hash_py(item: str) -> int:
    if is_char_item(item):
        return _fmix64_py((ord(item) * int(_CHAR_MULT)) & M64)
    return xxhash.xxh3_64_intdigest(item.encode("utf-8"))


def shingle_hash(shingle: Sequence[str]) -> int:
    """Pure-Python hash of one shingle (a tuple of items) as cjk_shingles=chars computes it: a
    character item is hashed from its code point, any other item (a word) by xxh3_64. Pass it as
    datasketch's `hashfunc` to reproduce our signatures. For a shingle of words, the same as
    `word_shingle_hash`."""
    return _combine_py([_item_hash_py(w) for w in shingle])


def word_shingle_hash(shingle: Sequence[str]) -> int:
    """Pure-Python hash of one shingle as cjk_shingles=words computes it: every item, a one-letter
    Chinese word included, by xxh3_64."""
    return _combine_py([xxhash.xxh3_64_intdigest(w.encode("utf-8")) for w in shingle])


def char_shingle_hash(shingle: Sequence[str]) -> int:
    """Pure-Python hash of one shingle of single characters, each hashed from its code point (what
    `shingle_hash_arrays` does with a str of items)."""
    return _combine_py([_fmix64_py((ord(c) * int(_CHAR_MULT)) & M64) for c in shingle])


def _word_item_hashes(words: list[str]) -> np.ndarray:
    return np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, words)), U64, len(words))


def _char_item_hashes(chars: str) -> np.ndarray:
    codepoints = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(U64)
    return _fmix64(codepoints * _CHAR_MULT)


def _item_hashes(items: list[str] | str) -> np.ndarray:
    """Item hashes of any item sequence, by the rule of `shingle_hash` (a str: its characters)."""
    if isinstance(items, str):
        return _char_item_hashes(items)
    hashes = _word_item_hashes(items)
    singles = [i for i, w in enumerate(items) if len(w) == 1]
    if singles:
        cps = np.array([ord(items[i]) for i in singles], dtype=np.uint32)
        char = _char_item_table()[cps]
        hashes[np.array(singles)[char]] = _fmix64(cps[char].astype(U64) * _CHAR_MULT)
    return hashes


def shingles_of(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The shingles themselves (for datasketch comparisons and debugging)."""
    n = min(n, len(words))
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)] if words else []


# -- items of documents with character items ------------------------------------------------------
def _word_re() -> regex.Pattern:
    from stages.segmentation import _WORD_RE
    return _WORD_RE


# A run of character items becomes this one character before the word pattern runs; it is no word
# character, so it ends a word and is a token of its own. One in the text itself becomes a space
# (no word pattern can use either).
_MARK = "\x01"
_MARK_HASH = xxhash.xxh3_64_intdigest(_MARK.encode())


@cache
def _marked_word_re() -> regex.Pattern:
    return regex.compile(regex.escape(_MARK) + "|" + _word_re().pattern, _word_re().flags)


def mixed_items(text: str) -> list[str]:
    """The items of a normalised text with cjk_shingles=chars, plainly: each character item, and
    between them the words of the whitespace segmenter's pattern. (`item_lists` computes the same in
    bulk.)"""
    words, out, start = _word_re(), [], 0
    for i, c in enumerate(text):
        if is_char_item(c):
            out += words.findall(text, start, i)
            out.append(c)
            start = i + 1
    return out + words.findall(text, start)


def _mixed_item_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item hashes of `texts`, one document's after another's, each document's number of items and
    number of character items."""
    n = len(texts)
    lengths = np.fromiter(map(len, texts), np.int64, n)
    ends = np.cumsum(lengths)
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    char = _char_item_table()[cps]
    first = np.zeros(len(cps), dtype=bool)
    first[ends - lengths] = True            # a document's first character (none is empty: each has an item)
    run_start = char & (first | ~np.r_[False, char[:-1]])       # runs stop at document ends
    keep = ~char | run_start
    marked = np.where(char, U32(ord(_MARK)), np.where(cps == ord(_MARK), U32(0x20), cps))[keep]
    kept_ends = np.cumsum(keep)[ends - 1].tolist()
    text = marked.tobytes().decode("utf-32-le")
    tokens, per_doc, start = [], np.empty(n, np.int64), 0
    find = _marked_word_re().findall
    for d, end in enumerate(kept_ends):
        found = find(text, start, end)
        per_doc[d] = len(found)
        tokens += found
        start = end
    hashes = _word_item_hashes(tokens)
    runs = np.diff(np.r_[np.flatnonzero(run_start[char]), char.sum()])   # run lengths, in order
    is_mark = hashes == U64(_MARK_HASH)
    if is_mark.sum() != len(runs):   # a word hashed like the marker (2^-64 a word): look at the strings
        is_mark = np.fromiter((t == _MARK for t in tokens), bool, len(tokens))
    size = np.ones(len(tokens), np.int64)
    size[is_mark] = runs
    at = np.cumsum(size) - size                                  # each token's first item
    items = np.empty(int(size.sum()), dtype=U64)
    items[at[~is_mark]] = hashes[~is_mark]
    items[np.repeat(at[is_mark] - (np.cumsum(runs) - runs), runs) + np.arange(len(cps[char]))] = \
        _fmix64(cps[char].astype(U64) * _CHAR_MULT)
    bounds = np.r_[0, np.cumsum(size)][np.r_[0, np.cumsum(per_doc)]]
    chars_before = np.r_[0, np.cumsum(char)][np.r_[0, ends]]
    return items, np.diff(bounds), np.diff(chars_before)


class ItemLists(SequenceABC):
    """What `item_lists` returns: per document its items, a list of str (words and character
    items in text order). The item hashes of documents with character items were computed in bulk
    with them, and `shingle_hash_arrays` uses those; their lists of str are built only when asked
    for (`mixed_items`), as only tests and debugging do."""

    def __init__(self, docs: list, mixed_texts: list[str], hashes: np.ndarray, counts: np.ndarray,
                 charful: Sequence[int] = ()):
        self._docs = docs                # a list of words, or the index into mixed_texts
        self._mixed_texts = mixed_texts
        self._hashes, self._counts = hashes, counts
        self._charful = charful          # word lists that may hold character items (Thai pages)

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        doc = self._docs[i]
        return doc if isinstance(doc, list) else mixed_items(self._mixed_texts[doc])


def _scripts_of(norm: pa.Array, rows: np.ndarray, scripts, script_detect) -> list[str | None]:
    """The scripts of `rows`: given, or detected on those texts."""
    if scripts is not None:
        return [scripts[i] for i in rows.tolist()]
    return script_detect.scripts_batch(norm.take(pa.array(rows)))


def item_lists(texts: pa.Array | pa.ChunkedArray, cfg: Shingling,
               languages: Sequence[str | None] | None = None,
               scripts: Sequence[str | None] | None = None) -> tuple[ItemLists, list[int]]:
    """Per document: its items and the n-gram size to shingle them with (see the module
    docstring). `languages` (fastText labels) and `scripts` choose the segmenter of the documents
    without character items, and of all with cjk_shingles=words; scripts are computed from the
    normalised text when None."""
    from stages import scripts as script_detect
    from stages.segmentation import JIEBA, SUDACHI, THAI, segmentation_mode, words_batch

    norm = normalize_texts(texts, cfg.normalization)
    values = norm.to_pylist()
    n = len(values)
    langs = list(languages) if languages is not None else [None] * n
    charful: list[int] = []
    if cfg.cjk_shingles == "chars":
        has_chars = _has_char_items(norm)
        # Thai is cut by its dictionary segmenter, which the mixed split (words at spaces) is not:
        # a Thai page with a brand name in Han stays on the word path, as without it (else it and
        # its copy without the Han character shared no shingle).
        thai = np.flatnonzero(has_chars & pc.match_substring_regex(norm, "[\u0e00-\u0e7f]")
                              .fill_null(False).to_numpy(zero_copy_only=False))
        if len(thai):
            thai_scripts = _scripts_of(norm, thai, scripts, script_detect)
            charful = [i for i, sc in zip(thai.tolist(), thai_scripts) if segmentation_mode(langs[i], sc) == THAI]
            has_chars[charful] = False
        mixed, word_rows = np.flatnonzero(has_chars).tolist(), np.flatnonzero(~has_chars).tolist()
    else:
        mixed, word_rows = [], list(range(n))
    docs: list = [None] * n
    sizes = [cfg.ngram] * n
    if word_rows:
        if scripts is None:
            sub = norm if len(word_rows) == n else norm.take(pa.array(word_rows))
            word_scripts = script_detect.scripts_batch(sub)
        else:
            word_scripts = [scripts[i] for i in word_rows]
        word_langs = [langs[i] for i in word_rows]
        if cfg.cjk_shingles == "chars":
            # A Chinese/Japanese label on a text without Han or kana (code, numbers): it was cut into
            # characters before; now into words, as next to Chinese text in a mixed document.
            for j, (lang, script) in enumerate(zip(word_langs, word_scripts)):
                if segmentation_mode(lang, script) in (JIEBA, SUDACHI):
                    word_langs[j], word_scripts[j] = None, "Zyyy"
        words, _ = words_batch([values[i] for i in word_rows], word_langs, word_scripts)
        for i, w in zip(word_rows, words):
            docs[i] = w
    mixed_texts = [values[i] for i in mixed]
    hashes, counts = np.zeros(0, U64), np.zeros(0, np.int64)
    if mixed:
        hashes, counts, chars = _mixed_item_hashes(mixed_texts)
        big = cfg.cjk_ngram if cfg.cjk_ngram != cfg.ngram else None
        for j, i in enumerate(mixed):
            docs[i] = j
            if big is not None and 2 * chars[j] > counts[j]:
                sizes[i] = big
    return ItemLists(docs, mixed_texts, hashes, counts, charful), sizes


def _combine_batch(items: np.ndarray, counts: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """`combine_items` of each document's part of `items` (the documents' items one after
    another): every window of the whole array at once, then the windows inside one document."""
    out: list[np.ndarray] = [np.zeros(0, dtype=U32)] * len(counts)
    starts = np.cumsum(counts) - counts
    for d in np.flatnonzero((counts > 0) & (counts < sizes)).tolist():   # fewer items than n
        out[d] = combine_items(items[starts[d]: starts[d] + counts[d]], int(sizes[d]))
    for n in np.unique(sizes).tolist():
        docs = np.flatnonzero((sizes == n) & (counts >= n))
        if len(docs) == 0:
            continue
        windows = counts[docs] - n + 1
        first = np.repeat(starts[docs] - (np.cumsum(windows) - windows), windows) + np.arange(windows.sum())
        hashes = combine_items(items, n)[first]
        for d, part in zip(docs.tolist(), np.split(hashes, np.cumsum(windows)[:-1])):
            out[d] = part
    return out


def shingle_hash_arrays(items: Sequence[list[str] | str], sizes: list[int]) -> list[np.ndarray]:
    """Per document, the 32-bit hashes of its shingles (repeats included). `items` is what
    `item_lists` returned, or any item sequences: a list of str hashed by the rule of
    `shingle_hash`, a str as its characters (`char_shingle_hash`)."""
    if not isinstance(items, ItemLists):
        return [combine_items(_item_hashes(it), n) for it, n in zip(items, sizes)]
    out: list[np.ndarray] = [None] * len(items)  # type: ignore[list-item]
    words = [i for i, doc in enumerate(items._docs) if isinstance(doc, list)]
    if words:   # all word lists hashed in one pass, every document's windows at once
        lists = [items._docs[i] for i in words]
        counts = np.fromiter(map(len, lists), np.int64, len(lists))
        hashes = np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, chain.from_iterable(lists))),
                             U64, int(counts.sum()))
        for i, a in zip(words, _combine_batch(hashes, counts, np.array([sizes[i] for i in words], np.int64))):
            out[i] = a
        for i in items._charful:     # their character items hashed as characters, as shingle_hash does
            out[i] = combine_items(_item_hashes(items._docs[i]), sizes[i])
    if len(words) < len(items):   # items._hashes holds the other documents' items, in row order
        mixed = [i for i, doc in enumerate(items._docs) if not isinstance(doc, list)]
        arrays = _combine_batch(items._hashes, items._counts, np.array([sizes[i] for i in mixed], np.int64))
        for i, a in zip(mixed, arrays):
            out[i] = a
    return out


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


SIGNATURE_CHUNK = 1 << 15         # shingles a slice: 16 MB of products at 128 permutations


def signature(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash of one document's 32-bit shingle hashes (max value everywhere if none).

    Repeated shingles need no np.unique: min() does not care, and sorting costs more."""
    if len(hashes) == 0:
        return np.full(len(a), np.iinfo(U32).max, dtype=U32)
    if len(hashes) <= SIGNATURE_CHUNK:
        hv = _fmix32(hashes)[:, None]
        return (hv * a + b).min(axis=0)
    # A long document (a Chinese page's every character is a shingle) in slices: the whole matrix is
    # shingles x num_perm (512 bytes a shingle), and a 9 MB page took a 2.9 GB worker. The minimum
    # over slices is the minimum over all: the same signature.
    out = np.full(len(a), np.iinfo(U32).max, dtype=U32)
    for start in range(0, len(hashes), SIGNATURE_CHUNK):
        hv = _fmix32(hashes[start:start + SIGNATURE_CHUNK])[:, None]
        np.minimum(out, (hv * a + b).min(axis=0), out=out)
    return out


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
