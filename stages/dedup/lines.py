"""line_dedup: remove lines (or paragraphs) repeated across many documents (CCNet/C4 style).

Navigation menus, cookie notices and share buttons repeat verbatim across the pages of a site;
a line that appears in more than `min_docs` documents is boilerplate, wherever it appears.
Ray tasks hash every shard's candidate lines (counted once per document) into partition-sorted
spill files; one task per partition counts them; the set of frequent line hashes then goes to
every shard task, which drops those lines. A document left without lines is removed.

With `keep: first` the spill records carry each line's document key (common.doc_keys: shard,
then row order, the order exact_dedup keeps its first copy by), and each partition task writes
the first document of every frequent line to a file sorted by that document's shard, as
exact.py writes its decisions: a shard task reads only its own keepers, and nothing of the size
of the data beyond today's frequent set reaches the driver.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import xxhash
from pydantic import Field

from pipeline import storage
from pipeline.stage import GlobalStage, Result
from pipeline.shards import read_shard, shard_rows
from stages.dedup.common import apply_decisions, doc_keys, source_hashes, split_keys
from stages.dedup.lsh import Spill, partition_of, write_records

REASON = "empty_after_line_dedup"
SHORT_REASON = "too_short_after_line_dedup"
HASHES_PER_PARTITION = 8_000_000
LINE_RECORD = np.dtype([("hash", np.uint64), ("key", np.int64)])   # keep: first


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_PARAGRAPH_BREAK_KEPT = re.compile(r"(\n\s*\n)")


@dataclass(frozen=True)
class Candidates:
    """Which units are counted, and how their hashes are scoped (the stage's options the tasks need)."""
    unit: str
    casefold: bool
    min_chars: int
    require_alphanumeric: bool
    per_source: bool
    skip_sources: frozenset[str]

    @property
    def columns(self) -> list[str]:
        return ["text", "source"] if self.per_source or self.skip_sources else ["text"]

    def units(self, text: str | None) -> list[str]:
        if not text:
            return []
        if self.unit == "lines":
            return text.split("\n")
        return _PARAGRAPH_BREAK.split(text)

    def hashes(self, units: list[str]) -> np.ndarray:
        """Hash of each unit's whitespace-normalised form; 0 for a unit that is no candidate
        (blank, shorter than min_chars, or without a letter or digit), which is never counted."""
        out = np.zeros(len(units), dtype=np.uint64)
        for i, u in enumerate(units):
            words = u.split()
            if sum(map(len, words)) < max(self.min_chars, 1):
                continue
            key = " ".join(words)
            if self.require_alphanumeric and not any(c.isalnum() for c in key):
                continue
            out[i] = xxhash.xxh3_64_intdigest((key.casefold() if self.casefold else key).encode("utf-8"))
        return out

    def table_hashes(self, table: pa.Table) -> tuple[list[list[str]], list[np.ndarray]]:
        """Each document's units and their hashes, scoped per source and skipped sources zeroed."""
        units = [self.units(t) for t in table.column("text").to_pylist()]
        hashes = [self.hashes(u) for u in units]
        if self.skip_sources and "source" in table.column_names:
            for i, s in enumerate(table.column("source").to_pylist()):
                if s in self.skip_sources:
                    hashes[i][:] = 0
        if self.per_source:
            # Mixing the source into the hash scopes "the same line" to documents of one source.
            for h, salt in zip(hashes, source_hashes(table) * np.uint64(0x9E3779B97F4A7C15)):
                h[h != 0] ^= salt
        return units, hashes


def _without(text: str, units: list[str], drop: np.ndarray, unit: str) -> str:
    """`text` without its dropped units. Each kept paragraph keeps the break that came before it in
    the page (three newlines, a line of spaces), not a rewritten one: a document that loses its
    footer is otherwise the same text."""
    if unit == "lines":
        return "\n".join(u for u, x in zip(units, drop) if not x)
    breaks = _PARAGRAPH_BREAK_KEPT.split(text)[1::2]
    out: list[str] = []
    for i, (u, x) in enumerate(zip(units, drop)):
        if not x:
            if out:
                out.append(breaks[i - 1])
            out.append(u)
    return "".join(out)


def count_task(path: str, shard_index: int, cand: Candidates, keep_first: bool, spill_dir: str,
               partitions: int) -> int:
    """Ray task: each document's distinct candidate unit hashes (with its key for keep: first),
    spilled partition-sorted; returns how many (document, distinct unit) records it wrote."""
    table = read_shard(path, columns=cand.columns)
    per_doc = [np.unique(h[h != 0]) for h in cand.table_hashes(table)[1]]
    hashes = np.concatenate(per_doc) if per_doc else np.zeros(0, np.uint64)
    if keep_first:
        rec = np.empty(len(hashes), LINE_RECORD)
        rec["hash"] = hashes
        rec["key"] = np.repeat(doc_keys(shard_index, table.num_rows), [len(h) for h in per_doc])
    else:
        rec = hashes
    part = partition_of(hashes, partitions)
    order = np.argsort(part, kind="stable")
    offsets = np.searchsorted(part[order], np.arange(partitions + 1))
    write_records(storage.join(spill_dir, f"{shard_index:06d}.lines"), rec[order], offsets)
    return len(hashes)


def frequent_task(lines: Spill, min_docs: int) -> tuple[np.ndarray, int]:
    """Ray task: (hashes of a partition (`lines`: its part of every shard's spill file) seen in
    more than `min_docs` documents, distinct hashes of the partition)."""
    values, counts = np.unique(lines.read(np.uint64), return_counts=True)
    return values[counts > min_docs], len(values)


def first_keepers_task(lines: Spill, min_docs: int, p: int, out_dir: str, n_shards: int) -> tuple[np.ndarray, int]:
    """Ray task, keep: first: as frequent_task, and writes each frequent hash's first document
    (smallest key) as (hash, key) records sorted by that document's shard."""
    rec = lines.read(LINE_RECORD)
    rec = rec[np.lexsort((rec["key"], rec["hash"]))]
    h = rec["hash"]
    head = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if len(h) else np.zeros(0, np.int64)
    counts = np.diff(np.r_[head, len(h)])
    keepers = rec[head[counts > min_docs]]
    keepers = keepers[np.argsort(keepers["key"], kind="stable")]
    shard_of, _ = split_keys(keepers["key"])
    write_records(storage.join(out_dir, f"{p:06d}.keep"), keepers,
                  np.searchsorted(shard_of, np.arange(n_shards + 1)))
    return np.sort(keepers["hash"]), len(head)


def drop_frequent(table: pa.Table, frequent: np.ndarray, cand: Candidates, min_chars_after: int,
                  keepers: Spill | None = None) -> Result:
    """Remove frequent units from every text (except, with `keepers`, from the one document each
    is kept in); documents left empty, or shorter than `min_chars_after`, are removed."""
    texts = table.column("text").to_pylist()
    units, per_doc = cand.table_hashes(table)
    # One lookup for the whole shard (`frequent` is sorted), then each document's slice of it.
    flat = np.concatenate(per_doc) if per_doc else np.zeros(0, np.uint64)
    pos = np.minimum(np.searchsorted(frequent, flat), max(len(frequent) - 1, 0))
    drop = (frequent[pos] == flat) & (flat != 0) if len(frequent) else np.zeros(len(flat), bool)
    lengths = [len(h) for h in per_doc]
    if keepers is not None:
        # A frequent hash has one first document, so at most one keeper record in this shard.
        rec = keepers.read(LINE_RECORD)
        rec = rec[np.argsort(rec["hash"], kind="stable")]
        at = np.minimum(np.searchsorted(rec["hash"], flat), max(len(rec) - 1, 0))
        if len(rec):
            rows = np.repeat(np.arange(len(per_doc)), lengths)
            drop &= ~((rec["hash"][at] == flat) & (split_keys(rec["key"])[1][at] == rows))
    ends = np.cumsum(lengths)
    new_texts, reasons, units_cut, chars_cut = [], [], 0, 0
    for row, (t, us, h) in enumerate(zip(texts, units, per_doc)):
        d = drop[ends[row] - len(h): ends[row]]
        if not d.any():
            new_texts.append(t)
            reasons.append(None)
            continue
        text = _without(t, us, d, cand.unit)
        left = len("".join(text.split()))
        reason = REASON if not left else SHORT_REASON if left < min_chars_after else None
        # A removed document keeps its original text, so the removal can be inspected.
        new_texts.append(t if reason else text)
        reasons.append(reason)
        if not reason:
            units_cut += int(d.sum())
            chars_cut += len(t) - len(text)
    table = table.set_column(table.column_names.index("text"), "text", pa.array(new_texts, pa.string()))
    return Result.split(table, pa.array(reasons, pa.string()), counters={
        "line_dedup_units_removed": units_cut, "line_dedup_chars_removed": chars_cut})


class LineDedup(GlobalStage):
    """Remove lines (or paragraphs) that occur in more than `min_docs` documents."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    adds: ClassVar[frozenset[str]] = frozenset()
    unit: Literal["lines", "paragraphs"] = Field(default="lines", description=(
        "What is counted and removed: single lines, or paragraphs (blocks separated by a blank "
        "line). CCNet's and Dolma's \"paragraphs\" are lines (`lines` here): extracted web text "
        "(trafilatura) has one paragraph per line and few blank lines, so `paragraphs` finds "
        "little there; use it for text whose paragraphs are blank-line blocks."))
    min_docs: int = Field(default=1, ge=1, description=(
        "A unit found in more than this many documents is frequent; 1 = any unit two documents share."))
    keep: Literal["none", "first"] = Field(default="none", description=(
        "none: a frequent unit is removed from every document, the first included (CCNet's paper "
        "mode); first: it stays in the first document that has it (shard, then row order, the "
        "order exact_dedup keeps by; the same output whatever the number of workers) and goes from "
        "the others (datatrove's SentenceDedup, C4 and Dolma keep one copy). With none, a page "
        "copied whole loses all its lines, so exact_dedup/minhash_dedup must come before this stage."))
    min_chars: int = Field(default=10, ge=0, description=(
        "A unit is a candidate only with at least this many non-space characters. 10 spares short "
        "lines that repeat because they are short, not because they are boilerplate (\"Yes.\", "
        "\"Chapter 1\", \"return 0;\"): on a sample of extracted web pages, shared lines under 10 "
        "characters held ~5% of the shared lines' characters; 0 counts every line (CCNet)."))
    require_alphanumeric: bool = Field(default=True, description=(
        "A unit is a candidate only if it holds a letter or a digit: markdown table rules "
        "(`|---|---|`), bullets (`- `), `* * *` and lone braces stay; false counts them too."))
    min_chars_after: int = Field(default=0, ge=0, description=(
        "A document that lost units and has fewer non-space characters than this left is removed "
        "(too_short_after_line_dedup); 0 = off (only a document left empty is removed). "
        "datatrove's SentenceDedup drops documents under 50 words (min_doc_words)."))
    scope: Literal["global", "per_source"] = Field(default="global", description=(
        "global: a unit is counted across every source; per_source: only within its own source "
        "(as exact_dedup's scope)."))
    skip_sources: list[str] = Field(default=[], description=(
        "Sources whose documents are neither counted nor changed (code, where `}` and `return x;` "
        "repeat by nature): a global stage takes no `apply_to`."))
    casefold: bool = Field(default=False, description=(
        "Count units that differ only in case (\"Home\", \"HOME\") as the same; differences in "
        "whitespace are always ignored."))
    partitions: int = Field(default=0, ge=0, description=(
        "Counting tasks; 0 = automatic: twice the CPUs, or one per ~200,000 documents if that is more."))

    def check_recipe(self, recipe, stage_id: str) -> None:
        """At load: skip_sources must name sources of the recipe, and with keep: none no document
        dedup may follow (it would find the copies' shared lines gone, and both copies removed
        as empty or cut to their differences, silently)."""
        names = [s.name for s in recipe.sources]
        unknown = sorted(set(self.skip_sources) - set(names))
        if unknown:
            raise ValueError(f"skip_sources: {unknown} are not sources of this recipe (its sources: {names})")
        if self.keep == "first":
            return
        from stages.dedup.exact import ExactDedup
        from stages.dedup.fuzzy import MinHashDedup
        me = [s.id for s in recipe.stages].index(stage_id)
        after = [(i, s) for i, s in enumerate(recipe.stages)
                 if i > me and isinstance(s.stage, (ExactDedup, MinHashDedup))]
        if after:
            i, spec = after[0]
            raise ValueError(f"{spec.id!r} (stages[{i}]) comes after line_dedup, which with keep: none removes "
                             f"every copy of a shared line, so duplicated documents are emptied before "
                             f"{spec.id!r} sees them; put document dedup first, or set keep: first")

    def run(self, ctx) -> None:
        shards = ctx.input_shards
        total = sum(shard_rows(ctx.input_path(s)) for s in shards)
        # ~40 lines per web page on average: size partitions from the document count.
        keep_first = self.keep == "first"
        # keep: first spills (hash, key) records, twice a hash's bytes: half as many per task.
        per_task = HASHES_PER_PARTITION // (2 if keep_first else 1)
        partitions = self.partitions or max(2 * ctx.num_cpus, math.ceil(total * 40 / per_task))
        cand = Candidates(self.unit, self.casefold, self.min_chars, self.require_alphanumeric,
                          self.scope == "per_source", frozenset(self.skip_sources))
        spill, keep_dir = ctx.scratch_dir / "lines", ctx.scratch_dir / "keep"
        counted = ctx.map(count_task, [(ctx.input_path(s), i, cand, keep_first, storage.url(spill), partitions)
                                       for i, s in enumerate(shards)], phase="count lines")
        ctx.count("line_dedup_document_units", sum(counted))
        lines = Spill.of(spill, ".lines")
        if keep_first:
            found = ctx.map(first_keepers_task, [(lines.part(p), self.min_docs, p, storage.url(keep_dir),
                                                  len(shards)) for p in range(partitions)], phase="frequent lines")
        else:
            found = ctx.map(frequent_task, [(lines.part(p), self.min_docs) for p in range(partitions)],
                            phase="frequent lines")
        # Partitions split the hashes, so their distinct counts add up to the corpus's.
        ctx.count("line_dedup_distinct_units", sum(n for _, n in found))
        frequent = np.sort(np.concatenate([f for f, _ in found])) if found else np.zeros(0, np.uint64)
        ctx.count("line_dedup_frequent_units", len(frequent))
        if not keep_first:
            apply_decisions(ctx, drop_frequent, {}, default=(frequent, cand, self.min_chars_after))
            return
        keepers = Spill.of(keep_dir, ".keep")
        apply_decisions(ctx, drop_frequent, {s: (frequent, cand, self.min_chars_after, keepers.part(i))
                                             for i, s in enumerate(shards)})
