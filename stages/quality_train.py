"""Training a `quality_classifier` model: reading positive/negative (or labelled) texts, our numpy
fastText trainer, holdout metrics, and `python -m pipeline train-classifier`.

The model is fastText's supervised one (mean of word and hashed word-n-gram embeddings, softmax,
linear learning-rate decay), written in fastText's own file format (stages/quality_fasttext.py).
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa

from stages.quality_fasttext import LABEL_PREFIX, NEGATIVE, POSITIVE, Normalisation, _Vocab, _write_fasttext_bin


class TrainingError(ValueError):
    """Training input or options that cannot work: one line (naming the file and line), which
    `python -m pipeline train-classifier` prints as `error: ...` with exit code 2."""


@dataclass
class TrainingStats:
    train_positive: int
    train_negative: int
    holdout_positive: int
    holdout_negative: int
    precision: float | None     # None: no holdout (holdout=0) or one without a class, nothing measured
    recall: float | None
    f1: float | None
    accuracy: float | None
    auc: float | None
    baseline_accuracy: float | None  # always answering the holdout's majority class
    vocabulary: int
    options: dict
    warnings: list[str]


# Automatic epochs: fastText's default of 5 passes assumes a large training set; the learning rate
# decays to 0 over epochs x documents updates, and on a few hundred documents 5 passes stop with
# every score near 0.5 (DCLM's labelled sample, 349 training documents: holdout AUC 0.83 and scores
# within 0.499-0.510 at 5 epochs; 0.89 and 0.00-0.99 at 25). So: enough passes for about this many
# document updates, at least 5 and at most 25.
AUTO_EPOCH_UPDATES, AUTO_EPOCHS_MIN, AUTO_EPOCHS_MAX = 10_000, 5, 25

# Fewest distinct texts of each class training accepts. DCLM and FineWeb-Edu train on hundreds of
# thousands; below a few dozen, a model learns the handful of words its texts happen to hold, and a
# 10% holdout measures it on one or two texts (1 positive and 1 negative trained "successfully",
# every score 0.500, and a recipe then removed a fifth of its documents by those scores). A floor,
# not a target: thousands per class are what the papers use.
MIN_TEXTS_PER_CLASS = 20
# More of one class than this many times the other: the model mostly learns the prior (312
# positives against 3 negatives gave a holdout without negatives, and metrics of 1.0).
MAX_CLASS_RATIO = 10


def auto_epochs(n_train: int) -> int:
    return int(min(AUTO_EPOCHS_MAX, max(AUTO_EPOCHS_MIN, -(-AUTO_EPOCH_UPDATES // max(n_train, 1)))))


def _json_rows(path: Path, f) -> Iterable[tuple[str, object]]:
    """(where, value) per row of a JSONL file, or per item of a .json file holding one array."""
    first = f.readline()
    if first.lstrip().startswith("[") and path.name.removesuffix(".gz").endswith(".json"):
        try:
            items = json.loads(first + f.read())
        except json.JSONDecodeError as e:
            raise TrainingError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
        for i, item in enumerate(items):
            yield f"{path}: item {i}", item
        return
    for n, line in enumerate(itertools.chain([first], f), 1):
        if line.strip():
            try:
                yield f"{path}:{n}", json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainingError(f"{path}:{n}: not a JSON line ({e.msg}); expected one JSON object "
                                    f"per line") from None


def _text_of(where: str, row: object, text_field: str) -> str | None:
    if not isinstance(row, dict):
        raise TrainingError(f"{where}: expected a JSON object with a {text_field!r} field, got "
                            f"{json.dumps(row)[:60]}")
    if text_field not in row:
        raise TrainingError(f"{where}: no field {text_field!r} (fields: {', '.join(map(str, row)) or 'none'}); "
                            f"name the text field with --text-field")
    text = row[text_field]
    if text is not None and not isinstance(text, str):
        raise TrainingError(f"{where}: field {text_field!r} is not a string: {json.dumps(text)[:60]}")
    return text if text and text.strip() else None


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _is_json(path: Path) -> bool:
    return path.name.removesuffix(".gz").endswith((".jsonl", ".json"))


def _read_file(path: Path, read) -> object:
    """Run `read(open file)`; unreadable or undecodable files become a one-line TrainingError."""
    try:
        with _open_text(path) as f:
            return read(f)
    except UnicodeDecodeError as e:
        raise TrainingError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except (OSError, EOFError) as e:  # missing, unreadable, a bad or truncated gzip file
        raise TrainingError(f"{path}: cannot read: {e}") from None


def _read_texts(source: str | Path | Sequence[str], text_field: str = "text") -> list[str]:
    """Texts from a list of strings, or a path: .jsonl[.gz] / .json (field `text_field`) or .txt
    (one per line). A malformed row is a TrainingError naming the file and line; so is a file
    without a single text."""
    if not isinstance(source, (str, Path)):
        return [t for t in source if t and t.strip()]
    path = Path(source)
    if _is_json(path):
        texts = _read_file(path, lambda f: [t for where, row in _json_rows(path, f)
                                            if (t := _text_of(where, row, text_field))])
    else:
        texts = _read_file(path, lambda f: [line.rstrip("\n") for line in f if line.strip()])
    if not texts:
        raise TrainingError(f"{path}: no texts (an empty file, or every {text_field!r} empty)")
    return texts


def _label_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def read_labelled(paths: str | Path | Sequence[str | Path], label_field: str, positive_value: str,
                  negative_value: str | None = None, text_field: str = "text") -> tuple[list[str], list[str], int]:
    """(positive texts, negative texts, rows skipped) from labelled JSONL files (DCLM style:
    `{"text": ..., "label": 1}`). A row is positive when its `label_field`, as a string (JSON
    numbers and booleans as written in JSON: 1, true), equals `positive_value`; otherwise negative,
    or, when `negative_value` is given, negative only when it equals that and skipped otherwise."""
    pos: list[str] = []
    neg: list[str] = []
    skipped = 0
    seen: dict[str, int] = {}       # label -> rows, to say which labels there are when one is missing
    for p in [paths] if isinstance(paths, (str, Path)) else paths:
        path = Path(p)
        if not _is_json(path):
            raise TrainingError(f"{path}: labelled input must be JSONL (.jsonl[.gz] or a .json array)")

        def read(f):
            nonlocal skipped
            n = 0
            for where, row in _json_rows(path, f):
                text = _text_of(where, row, text_field)
                if label_field not in row:
                    raise TrainingError(f"{where}: no field {label_field!r} (fields: {', '.join(map(str, row))}); "
                                        f"name the label field with --label-field")
                n += 1
                if text is None:
                    continue
                label = _label_text(row[label_field])
                seen[label] = seen.get(label, 0) + 1
                if label == positive_value:
                    pos.append(text)
                elif negative_value is None or label == negative_value:
                    neg.append(text)
                else:
                    skipped += 1
            return n
        if not _read_file(path, read):
            raise TrainingError(f"{path}: no rows (an empty file)")
    labels = ", ".join(f"{k!r} ({n:,} rows)" for k, n in sorted(seen.items(), key=lambda kv: -kv[1])[:10])
    if not pos and seen:
        raise TrainingError(f"no row has {label_field} = {positive_value!r}: the labels are {labels}; give one of "
                            f"them as the positive value")
    if negative_value is not None and not neg and seen:
        raise TrainingError(f"no row has {label_field} = {negative_value!r}: the labels are {labels}")
    return pos, neg, skipped


def _is_file(s: str | Path) -> bool:
    if isinstance(s, str) and ("\n" in s or len(s) > 1024):
        return False
    try:
        return Path(s).is_file()
    except OSError:  # e.g. a long text mistaken for a name
        return False


def _files(sources) -> list[Path]:
    sources = [sources] if isinstance(sources, (str, Path)) else sources
    return [Path(s).resolve() for s in sources if isinstance(s, Path) or _is_file(s)]


# A string that can only be a file's name: one word ending in a data file's extension, or a path
# with a folder. Taken for a text when the file is missing, it trained on its own name.
_LOOKS_LIKE_A_FILE = re.compile(r"\S*(/\S+|\.(jsonl|json|txt|parquet|csv|tsv|arrow)(\.(gz|zst|bz2|xz))?)")


def _collect(sources: Iterable, text_field: str) -> list[str]:
    """Paths (Path objects or strings naming existing files) are read; other strings are texts. A
    string that can only name a file (`data/good.jsonl`) and names none is an error."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    texts: list[str] = []
    for s in sources:
        if isinstance(s, Path) or _is_file(s):
            texts.extend(_read_texts(s, text_field))
        elif isinstance(s, str) and _LOOKS_LIKE_A_FILE.fullmatch(s):
            raise TrainingError(f"{s}: no such file (a text would not look like a file name)")
        elif isinstance(s, str) and s.strip():
            texts.append(s)
    return texts


def _check_options(epochs, lr, ngrams, dim, holdout, bucket, min_count, batch_size) -> None:
    checks = [
        (epochs is None or epochs >= 1, f"epochs must be >= 1, got {epochs}"),
        (lr > 0, f"lr must be > 0, got {lr}"),
        (ngrams >= 1, f"ngrams must be >= 1 (1 = words only), got {ngrams}"),
        (dim >= 1, f"dim must be >= 1, got {dim}"),
        (0 <= holdout < 1, f"holdout must be in [0, 1) (a share of each class kept out of training), got {holdout}"),
        (bucket >= 0, f"bucket must be >= 0, got {bucket}"),
        # fastText hashes each word n-gram into `bucket` rows (h % bucket): 0 crashes it (SIGFPE)
        (bucket >= 1 or ngrams == 1, f"bucket 0 with ngrams {ngrams}: word n-grams need hash buckets; "
                                     f"set bucket >= 1 (default 200000) or ngrams 1"),
        (min_count >= 1, f"min_count must be >= 1, got {min_count}"),
        (batch_size >= 1, f"batch_size must be >= 1, got {batch_size}"),
    ]
    for ok, message in checks:
        if not ok:
            raise TrainingError(message)


def train_classifier(positive, negative, out_path: str | Path, epochs: int | None = None, lr: float = 0.5,
                     ngrams: int = 2, dim: int = 64, seed: int = 0, holdout: float = 0.1,
                     bucket: int = 200_000, min_count: int = 1, lowercase: bool = True,
                     split_cjk: bool = True, text_field: str = "text", batch_size: int = 16) -> dict:
    """Train a positive-vs-negative fastText model; write it and `<out_path>.json` (the text
    preparation the stage must repeat, and the holdout metrics).

    `positive`/`negative` are lists of texts or of paths (.txt one text per line, .jsonl[.gz]).
    Precision/recall/F1 of the positive label are measured on a seeded `holdout` share of each class.
    `epochs=None` picks `auto_epochs(training documents)`. Fewer than MIN_TEXTS_PER_CLASS distinct
    texts of a class is a TrainingError. Returned `warnings` (saved in the .json too, and repeated by
    the stage when it loads the model) say when the model looks undertrained (no better than the
    majority class on the holdout, or scores all alike), when one class outnumbers the other more than
    MAX_CLASS_RATIO to 1, and when the holdout lacks a class (its metrics are then None).
    """
    _check_options(epochs, lr, ngrams, dim, holdout, bucket, min_count, batch_size)
    same = sorted(set(_files(positive)) & set(_files(negative)))
    if same:
        raise TrainingError(f"{same[0]} is both a positive and a negative input")
    rng = np.random.default_rng(seed)
    norm = Normalisation(lowercase=lowercase, split_cjk=split_cjk)
    pos, neg = _collect(positive, text_field), _collect(negative, text_field)
    if not pos or not neg:
        raise TrainingError(f"need texts of both classes, got {len(pos)} positive and {len(neg)} negative")
    warnings = _check_classes(pos, neg)
    texts = norm.batch(pa.array(pos + neg, pa.string()))
    labels = np.array([1] * len(pos) + [0] * len(neg), dtype=np.int64)  # 1 = positive
    test = np.zeros(len(texts), dtype=bool)
    for cls in (0, 1):  # stratified hold-out so both classes are measured; each keeps 1+ to train on
        idx = np.flatnonzero(labels == cls)
        n_test = min(int(round(len(idx) * holdout)), len(idx) - 1)
        test[rng.permutation(idx)[:n_test]] = True
    # A holdout of one class scores precision 1.0 or recall 0.0 whatever the model: measure nothing.
    empty = [f"no {name} texts (round({n} x {holdout}) = 0)" for cls, name, n in ((1, "positive", len(pos)),
             (0, "negative", len(neg))) if holdout and not (test & (labels == cls)).any()]
    if empty:
        warnings.append(f"the holdout has {' and '.join(empty)}: precision, recall, F1, accuracy and AUC are not "
                        f"measured; give more texts of that class or a larger --holdout")
    tokens = [norm.tokens(t) for t in texts]
    train_idx = np.flatnonzero(~test)
    epochs = auto_epochs(len(train_idx)) if epochs is None else epochs

    vocab = _build_vocab([tokens[i] for i in train_idx], min_count, bucket, ngrams)
    ids = [np.array(vocab.ids(t), dtype=np.int64) for t in tokens]
    nrows = len(vocab.words) + (bucket if ngrams > 1 else 0)
    # fastText's init: input uniform in +-1/dim, output zero. Output row 0 = positive label.
    emb = rng.uniform(-1.0 / dim, 1.0 / dim, size=(nrows, dim)).astype(np.float32)
    out_w = np.zeros((2, dim), dtype=np.float32)
    _sgd(emb, out_w, [ids[i] for i in train_idx], labels[train_idx], epochs, lr, batch_size, rng)

    _write_fasttext_bin(Path(out_path), vocab, emb, out_w, dim, epochs, ngrams, bucket, min_count)
    measurable = bool(test.any()) and not empty
    measured = np.flatnonzero(test) if measurable else train_idx
    scores = np.array([_forward(emb, out_w, ids[i]) for i in measured])
    stats = _holdout_stats(scores, labels[measured]) if measurable else dict(
        precision=None, recall=None, f1=None, accuracy=None, auc=None, baseline_accuracy=None)
    warnings += _undertrained(stats, scores, "holdout" if measurable else
                              "training (no holdout)" if not test.any() else "training (the holdout lacks a class)")
    result = TrainingStats(
        train_positive=int(((labels == 1) & ~test).sum()), train_negative=int(((labels == 0) & ~test).sum()),
        holdout_positive=int(((labels == 1) & test).sum()), holdout_negative=int(((labels == 0) & test).sum()),
        vocabulary=len(vocab.words), **stats, warnings=warnings,
        options=dict(epochs=epochs, lr=lr, ngrams=ngrams, dim=dim, seed=seed, holdout=holdout,
                     bucket=bucket, min_count=min_count, batch_size=batch_size,
                     normalisation=asdict(norm), positive_label=LABEL_PREFIX + POSITIVE,
                     labels=[LABEL_PREFIX + POSITIVE, LABEL_PREFIX + NEGATIVE]))
    Path(f"{out_path}.json").write_text(json.dumps(asdict(result), indent=1, allow_nan=False))
    return asdict(result)


def _check_classes(pos: list[str], neg: list[str]) -> list[str]:
    """TrainingError below MIN_TEXTS_PER_CLASS distinct texts of a class; warnings for classes
    more than MAX_CLASS_RATIO to 1, or sharing texts."""
    both = set(pos) & set(neg)
    if both == set(pos) or both == set(neg):
        raise TrainingError(f"the {'positive' if both == set(pos) else 'negative'} texts all appear in the other "
                            f"class too: nothing to learn (are positive and negative the same data?)")
    n_pos, n_neg = len(set(pos)), len(set(neg))
    if min(n_pos, n_neg) < MIN_TEXTS_PER_CLASS:
        raise TrainingError(f"too few texts to learn from: {n_pos} distinct positive and {n_neg} distinct "
                            f"negative; each class needs at least {MIN_TEXTS_PER_CLASS} (quality classifiers "
                            f"are trained on thousands)")
    warnings = [f"{len(both)} texts are in both classes"] if both else []
    big, small = max(len(pos), len(neg)), min(len(pos), len(neg))
    if big > MAX_CLASS_RATIO * small:
        many, few = ("positive", "negative") if len(pos) > len(neg) else ("negative", "positive")
        warnings.append(f"the classes are {big / small:.0f} to 1 ({len(pos)} positive, {len(neg)} negative): the "
                        f"model mostly learns that most texts are {many}, and its scores lean that way; give "
                        f"more {few} texts or fewer {many} ones (DCLM trains on equal shares)")
    return warnings


def _undertrained(stats: dict, scores: np.ndarray, where: str) -> list[str]:
    """Warnings when the model has learnt (next to) nothing: every score (of the texts `where`
    says) alike, or no better on the holdout than always answering the majority class."""
    advice = "the model looks undertrained: train more epochs (--epochs) or on more data"
    spread = float(scores.max() - scores.min()) if len(scores) else 0.0
    if spread < 0.1:
        return [f"every {where} score is within {scores.min():.3f}-{scores.max():.3f}; {advice}"]
    if stats["accuracy"] is not None and stats["accuracy"] <= stats["baseline_accuracy"]:
        return [f"holdout accuracy {stats['accuracy']:.3f} is no better than always answering the majority "
                f"class ({stats['baseline_accuracy']:.3f}); {advice}"]
    return []


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


def _auc(scores: np.ndarray, y: np.ndarray) -> float | None:
    """Probability that a positive outscores a negative (ties count half); None with one class."""
    p, n = scores[y == 1], scores[y == 0]
    if not len(p) or not len(n):
        return None
    uniq, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2)[inv]  # 1-based ranks, ties get their average
    return float((ranks[y == 1].sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(n)))


def _holdout_stats(scores: np.ndarray, y: np.ndarray) -> dict:
    pred = scores >= 0.5
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return dict(precision=p, recall=r, f1=2 * p * r / (p + r) if p + r else 0.0,
                accuracy=float((pred == (y == 1)).mean()), auc=_auc(scores, y),
                baseline_accuracy=float(max(y.mean(), 1 - y.mean())))


# -- CLI ----------------------------------------------------------------------------------------
def cli_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipeline train-classifier",
        description="Train a fastText quality classifier (positive vs negative). Writes OUT, a fastText "
                    "model, and OUT.json: how the training text was prepared (lower-casing, CJK splitting), "
                    "which the quality_classifier stage repeats when scoring, plus the holdout metrics. "
                    "Keep OUT.json beside OUT: the stage refuses a model without it. Each class needs at "
                    f"least {MIN_TEXTS_PER_CLASS} distinct texts (thousands make a useful model); classes more "
                    f"than {MAX_CLASS_RATIO} to 1 are warned about.")
    data = p.add_argument_group("training data: --positive and --negative, or --labelled")
    data.add_argument("--positive", nargs="+", metavar="FILE",
                      help=".txt (one text a line), .jsonl[.gz] or .json (an array of objects) files")
    data.add_argument("--negative", nargs="+", metavar="FILE", help="same, for the negative class")
    data.add_argument("--labelled", nargs="+", metavar="FILE",
                      help='JSONL files of both classes, a label in each row (DCLM style: {"text": ..., '
                           '"label": 1}); with --positive-value')
    data.add_argument("--label-field", default="label", help="with --labelled: the field holding the label "
                      "(default: label)")
    data.add_argument("--positive-value", metavar="V", help="with --labelled: the label of the positive class, "
                      "as written in the JSON (1, true, hq); rows with other labels are negative")
    data.add_argument("--negative-value", metavar="V", help="with --labelled: only rows with this label are "
                      "negative; rows with other labels are skipped")
    p.add_argument("--out", required=True, help="model path (.bin); also writes OUT.json (see above)")
    p.add_argument("--text-field", default="text", help="JSON field holding the text (default: text)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"passes over the training data (>= 1). Default: auto, enough passes for about "
                        f"{AUTO_EPOCH_UPDATES:,} document updates: {AUTO_EPOCHS_MIN} (fastText's default) from "
                        f"{AUTO_EPOCH_UPDATES // AUTO_EPOCHS_MIN:,} training documents up, to {AUTO_EPOCHS_MAX} "
                        f"for {AUTO_EPOCH_UPDATES // AUTO_EPOCHS_MAX} or fewer (at 5, a few hundred documents "
                        f"give scores all near 0.5)")
    p.add_argument("--lr", type=float, default=0.5, help="learning rate (> 0; default 0.5)")
    p.add_argument("--ngrams", type=int, default=2, help="word n-grams (1 = words only; default 2)")
    p.add_argument("--dim", type=int, default=64, help="embedding size (>= 1; default 64)")
    p.add_argument("--bucket", type=int, default=200_000,
                   help="hash buckets of word n-grams (>= 1 when --ngrams > 1; default 200000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--holdout", type=float, default=0.1,
                   help="share of each class kept out of training to measure the model, in [0, 1) (default 0.1)")
    a = p.parse_args(argv)
    if a.labelled and (a.positive or a.negative):
        p.error("give --labelled, or --positive and --negative, not both")
    if not a.labelled and not (a.positive and a.negative):
        p.error("give --positive and --negative files, or --labelled with --positive-value")
    if a.labelled and a.positive_value is None:
        p.error("--labelled needs --positive-value (the label of the positive class)")
    for f in (a.labelled or a.positive + a.negative):
        if not Path(f).is_file():
            p.error(f"no such file: {f}")
    try:
        if a.labelled:
            positive, negative, skipped = read_labelled(a.labelled, a.label_field, a.positive_value,
                                                        a.negative_value, a.text_field)
            print(f"labelled: {len(positive)} positive ({a.label_field} = {a.positive_value}), {len(negative)} "
                  f"negative" + (f", {skipped} rows with other labels skipped" if skipped else ""), file=sys.stderr)
        else:
            positive, negative = a.positive, a.negative
        stats = train_classifier(positive, negative, a.out, epochs=a.epochs, lr=a.lr, ngrams=a.ngrams,
                                 dim=a.dim, seed=a.seed, holdout=a.holdout, bucket=a.bucket,
                                 text_field=a.text_field)
    except TrainingError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    json.dump(stats, sys.stdout, indent=1)
    print()
    for w in stats["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    return 0
