"""line_dedup: remove lines (or paragraphs) repeated across many documents (CCNet/C4 style).

Navigation menus, cookie notices and share buttons repeat verbatim across the pages of a site;
a line that appears in more than `min_docs` documents is boilerplate, wherever it appears.
Ray tasks hash every shard's lines (counted once per document) into partition-sorted spill
files; one task per partition counts them; the set of frequent line hashes then goes to every
shard task, which drops those lines. A document left without lines is removed.
"""
from __future__ import annotations

import math
import re
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import Field

from pipeline import storage
from pipeline.stage import GlobalStage, Result
from pipeline.shards import read_shard, shard_rows
from stages.dedup.common import apply_decisions
from stages.dedup.lsh import Spill, partition_of, write_records

REASON = "empty_after_line_dedup"
HASHES_PER_PARTITION = 8_000_000


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_PARAGRAPH_BREAK_KEPT = re.compile(r"(\n\s*\n)")


def _units(text: str | None, unit: str) -> list[str]:
    if not text:
        return []
    if unit == "lines":
        return text.split("\n")
    return _PARAGRAPH_BREAK.split(text)


def _unit_hashes(units: list[str], casefold: bool) -> np.ndarray:
    """Hash of each unit's whitespace-normalised form; 0 for blank units (never counted)."""
    out = np.zeros(len(units), dtype=np.uint64)
    for i, u in enumerate(units):
        key = " ".join(u.split())
        if key:
            out[i] = xxhash.xxh3_64_intdigest((key.casefold() if casefold else key).encode("utf-8"))
    return out


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


def count_task(path: str, shard_index: int, unit: str, casefold: bool, spill_dir: str,
               partitions: int) -> int:
    """Ray task: each document's distinct unit hashes, spilled partition-sorted."""
    texts = read_shard(path, columns=["text"]).column("text").to_pylist()
    per_doc = [np.unique(_unit_hashes(_units(t, unit), casefold)) for t in texts]
    hashes = np.concatenate(per_doc) if per_doc else np.zeros(0, np.uint64)
    hashes = hashes[hashes != 0]
    part = partition_of(hashes, partitions)
    order = np.argsort(part, kind="stable")
    offsets = np.searchsorted(part[order], np.arange(partitions + 1))
    write_records(storage.join(spill_dir, f"{shard_index:06d}.lines"), hashes[order], offsets)
    return len(hashes)


def frequent_task(lines: Spill, min_docs: int) -> np.ndarray:
    """Ray task: hashes of a partition (`lines`: its part of every shard's spill file) seen in
    more than `min_docs` documents."""
    values, counts = np.unique(lines.read(np.uint64), return_counts=True)
    return values[counts > min_docs]


def drop_frequent(table: pa.Table, frequent: np.ndarray, unit: str, casefold: bool) -> Result:
    """Remove frequent units from every text; documents left empty are removed."""
    texts = table.column("text").to_pylist()
    units = [_units(t, unit) for t in texts]
    lengths = np.array([len(u) for u in units], dtype=np.int64)
    flat = [u for us in units for u in us]
    hashes = _unit_hashes(flat, casefold)
    drop = np.isin(hashes, frequent) & (hashes != 0)
    new_texts, reasons, dropped = [], [], 0
    start = 0
    for t, us, n in zip(texts, units, lengths):
        d = drop[start: start + n]
        start += n
        if not d.any():
            new_texts.append(t)
            reasons.append(None)
            continue
        dropped += int(d.sum())
        text = _without(t, us, d, unit)
        new_texts.append(text)
        reasons.append(REASON if not text.strip() else None)
    col = table.column_names.index("text")
    # Removed documents keep their original text, so the removal can be inspected.
    reason_arr = pa.array(reasons, pa.string())
    is_empty = pc.is_valid(reason_arr).to_numpy(zero_copy_only=False)
    out_texts = [o if e else n for o, n, e in zip(texts, new_texts, is_empty)]
    table = table.set_column(col, "text", pa.array(out_texts, pa.string()))
    return Result.split(table, reason_arr, counters={"line_dedup_units_removed": dropped})


class LineDedup(GlobalStage):
    """Remove lines (or paragraphs) that occur in more than `min_docs` documents."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    unit: Literal["lines", "paragraphs"] = Field(default="lines", description=(
        "What is counted and removed: single lines, or paragraphs (blocks separated by a blank line)."))
    min_docs: int = Field(default=1, ge=1, description=(
        "A unit found in more than this many documents is removed from all of them, the first "
        "included; 1 = any unit two documents share."))
    casefold: bool = Field(default=False, description=(
        "Count units that differ only in case (\"Home\", \"HOME\") as the same; differences in "
        "whitespace are always ignored."))
    partitions: int = Field(default=0, ge=0, description=(
        "Counting tasks; 0 = automatic: twice the CPUs, or one per ~200,000 documents if that is more."))

    def run(self, ctx) -> None:
        shards = ctx.input_shards
        total = sum(shard_rows(ctx.input_path(s)) for s in shards)
        # ~40 lines per web page on average: size partitions from the document count.
        partitions = self.partitions or max(2 * ctx.num_cpus, math.ceil(total * 40 / HASHES_PER_PARTITION))
        spill = ctx.scratch_dir / "lines"
        counted = ctx.map(count_task, [(ctx.input_path(s), i, self.unit, self.casefold, storage.url(spill),
                                        partitions) for i, s in enumerate(shards)], phase="count lines")
        ctx.count("line_dedup_distinct_units", sum(counted))
        lines = Spill.of(spill, ".lines")
        found = ctx.map(frequent_task, [(lines.part(p), self.min_docs) for p in range(partitions)],
                        phase="frequent lines")
        frequent = np.sort(np.concatenate(found)) if found else np.zeros(0, np.uint64)
        ctx.count("line_dedup_frequent_units", len(frequent))
        apply_decisions(ctx, drop_frequent, {}, default=(frequent, self.unit, self.casefold))
