"""Trial runs: a recipe on a small, deterministic part of its input, into its own output.

`python -m pipeline run RECIPE --limit N` takes the first N documents of each source (its files in
listed order); `--sample F` keeps each document with probability F, decided by a hash of the
recipe's seed and the document id (so the same documents whatever the number of workers). The run
goes to `<output>-trial-limit<N>` / `<output>-trial-sample<F>`, never to the real output (an output at a
bucket's root is refused: it has no beside).

Both are a reader wrapped around the source's own reader: quarantined items pass through (bad
input still shows), documents are cut or sampled. For `--limit`, the driver first reads each
source's files in order just far enough to know how many documents to take from each file (N
documents, so seconds), and the trial source lists only those files. Each stage is replaced by
its `for_trial` copy: one sized to the whole input (a mix's fixed token target) takes the part and
records that it did, instead of failing with advice for the full run.
"""
from __future__ import annotations

import hashlib
from typing import Iterator

from pydantic import Field, SerializeAsAny

from pipeline.checks import id_bases
from pipeline.readers import Doc, Quarantined, ReadState, Reader, file_label, read_source_file, relabel
from pipeline.recipe import Recipe, RecipeError


def _keep(seed: int, doc_id: str, fraction: float) -> bool:
    h = hashlib.blake2b(f"{seed}\0{doc_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") < fraction * 2.0 ** 64


class TrialReader(Reader):
    """The source's reader, with documents limited per file or sampled (trial runs)."""
    inner: SerializeAsAny[Reader] = Field(description="the source's own reader")
    per_file: dict[str, int] | None = Field(None, description="at most this many documents from each file")
    fraction: float | None = Field(None, gt=0, le=1, description="keep each document with this probability")
    seed: int = Field(0, description="seed of the sampling hash")
    limit: int | None = Field(None, description="the --limit this reader was cut to (what the report says)")

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        left = None if self.per_file is None else self.per_file.get(path, 0)
        label = file_label(path, src.id_base)      # sampled by the id the document will have
        for item in self.inner.read(path, src, state):
            if isinstance(item, Doc):
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                if self.fraction is not None and not _keep(self.seed, relabel(str(item.id), path, label),
                                                           self.fraction):
                    state.count("trial_sampled_out")
                    continue
            yield item


def _first_n(src, files: list[str], limit: int) -> dict[str, int]:
    """Documents to take from each file (in order) so that the source gives its first `limit`."""
    take: dict[str, int] = {}
    left = limit
    for path in files:
        if left <= 0:
            break
        n, items = 0, 0
        for item in read_source_file(src, path, ReadState()):
            items += 1
            if isinstance(item, Doc):
                n += 1
                if n >= left:
                    break
        # A file the listing passes over (a dataset snapshot's README.md, LICENSE) gives no item at
        # all: left out, since the trial names its files one by one and a named file is always read
        # (a README as Parquet: corrupt_parquet). A damaged file gives quarantine items: kept.
        if items:
            take[path] = n
            left -= n
    return take


def trial_of(recipe: Recipe) -> str | None:
    """What part of its input a trial recipe reads (for stats.json and the report), or None."""
    for src in recipe.sources:
        if isinstance(src.reader, TrialReader):
            r = src.reader
            return (f"--limit {r.limit}: the first {r.limit:,} documents of each source" if r.limit is not None
                    else f"--sample {r.fraction:g}: each document kept with probability {r.fraction:g}")
    return None


def trial_output(output: str, tag: str) -> str:
    """Beside the real output. An output that is a bucket's root has no beside (`s3://b` plus the
    suffix names another bucket, and a folder in it would sit in the real output): refused."""
    out = output.rstrip("/")
    scheme, sep, rest = out.partition("://")
    if sep and "/" not in rest:
        raise RecipeError(f"--limit/--sample write beside the output, and {output!r} is a bucket's root; "
                          f"give the output a folder (e.g. {out}/run)")
    return f"{out}-trial-{tag}"


def trial_recipe(recipe: Recipe, files: dict[str, list[str]], limit: int | None = None,
                 sample: float | None = None) -> Recipe:
    """The recipe as a trial: its sources cut to `limit` documents each or sampled at `sample`,
    its output beside the real one."""
    if (limit is None) == (sample is None):
        raise RecipeError("a trial takes one of --limit N or --sample FRACTION")
    if limit is not None and limit < 1:
        raise RecipeError(f"--limit: expected a positive number of documents, got {limit}")
    if sample is not None and not 0 < sample <= 1:
        raise RecipeError(f"--sample: expected a fraction in (0, 1], got {sample}")
    bases = id_bases(recipe, files)     # the full run's: a trial's documents keep their ids
    sources = []
    for src in recipe.sources:
        src = src.model_copy(update={"id_base": bases[src.name]})
        if limit is not None:
            take = _first_n(src, files[src.name], limit)
            wrapped = TrialReader(inner=src.reader, per_file=take, limit=limit)
            sources.append(src.model_copy(update={"reader": wrapped, "paths": list(take)}))
        else:
            wrapped = TrialReader(inner=src.reader, fraction=sample, seed=recipe.seed)
            sources.append(src.model_copy(update={"reader": wrapped}))
    tag = f"limit{limit}" if limit is not None else f"sample{sample:g}"
    # a trial never writes to the recipe's export place
    trial = recipe.model_copy(update={"sources": sources, "output": trial_output(recipe.output, tag),
                                      "export": None})
    # Stages sized to the whole input (a fixed token budget) take the part instead of failing for
    # the trial's sake, and say so (Stage.for_trial).
    what = trial_of(trial)
    return trial.model_copy(update={"stages": [spec.model_copy(update={"stage": spec.stage.for_trial(what)})
                                               for spec in recipe.stages]})
