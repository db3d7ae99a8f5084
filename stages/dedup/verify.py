"""Checking LSH candidate pairs on the texts themselves, one bounded group of pairs per task.

MinHash banding is tuned to miss few true pairs, so it lets through pairs that merely share a
band; each candidate is checked on its normalised texts before anything is removed. Nothing of
the size of the data passes through the driver; the texts are moved like a shuffle:

1. gather  one task per verification group (a run of pair slots, lsh.py, holding about
           `pairs_per_task` pairs) reads its slots of every bucket task's pair file, drops the
           repeats (a pair found in several bands), and writes the pairs (gather/pairs) and the
           document keys they need, sorted by shard (gather/needs).
2. export  one task per input shard reads its range of every group's needed keys and writes,
           for each group, the normalised text, id, length and score of those documents.
3. verify  one task per group reads only its own pairs and texts, shingles them in batches,
           and writes its audit rows (candidate_pairs.parquet/part-*.parquet), its accepted
           pairs as edges partitioned by node, and its documents' lengths and scores for
           clusters.py.
A task's memory is bounded by `pairs_per_task` (at most twice as many documents' texts).
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.documents import json_path_values
from pipeline.shards import read_shard
from stages.dedup.clusters import ATTR, node_partition, write_edges
from stages.dedup.common import split_keys
from stages.dedup.lsh import PAIR, Spill, write_partitioned, write_records
from stages.dedup.minhash import Shingling, item_lists, shingle_hash_arrays
from stages.dedup.normalize import flatten, normalize_texts

Method = Literal["levenshtein", "jaccard", "none"]
KEY = np.dtype([("key", np.int64)])
SHINGLE_BATCH = 1024       # documents shingled at once during verification


def slot_groups(pairs: int, slots: int, pairs_per_task: int) -> list[tuple[int, int]]:
    """Consecutive runs of slots [lo, hi), each holding about `pairs_per_task` of `pairs` (a
    pair's slot is a hash, so pairs spread evenly over the slots)."""
    if pairs == 0:
        return []
    n = min(slots, -(-pairs // pairs_per_task))
    bounds = np.linspace(0, slots, n + 1).round().astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def gather_task(pairs: Spill, g: int, gather_dir: str, n_shards: int) -> int:
    """Ray task: the distinct pairs of group g (`pairs`: its run of slots of every bucket task's
    pair file) and the keys they need."""
    rec = pairs.read(PAIR)
    order = np.lexsort((rec["b"], rec["a"]))
    rec = rec[order]
    if len(rec):
        rec = rec[np.r_[True, (rec["a"][1:] != rec["a"][:-1]) | (rec["b"][1:] != rec["b"][:-1])]]
    write_records(storage.join(gather_dir, "pairs", f"{g:06d}.pairs"), rec, np.array([0, len(rec)], np.int64))
    keys = np.zeros(0, KEY)
    keys = np.unique(np.r_[rec["a"], rec["b"]]).astype(np.int64).view(KEY) if len(rec) else keys
    shard_of, _ = split_keys(keys["key"])
    write_records(storage.join(gather_dir, "needs", f"{g:06d}.needs"), keys,
                  np.searchsorted(shard_of, np.arange(n_shards + 1)).astype(np.int64))
    return len(rec)


def text_shards(needs: Spill, g: int) -> list[int]:
    """The shards whose export task writes texts for group g: those that hold keys it needs."""
    row = needs.named(f"{g:06d}.needs").offsets[0]
    return np.flatnonzero(np.diff(row) > 0).tolist()


def export_task(path: str, shard_index: int, needs: Spill, texts_dir: str, shingling: Shingling,
                score_column: str | None, need_text: bool) -> tuple[int, int]:
    """Ray task: write this shard's candidate documents for every group that needs them (`needs`:
    this shard's part of every group's needed keys); (candidates, those without a score).

    Each group's file holds key, id, length and score (to choose the kept document and name
    pairs), and the normalised text (lines kept: Levenshtein can compare paragraphs regardless of
    their order) with language and script when the texts are checked."""
    groups = [int(name.split(".")[0]) for name in needs.file_names()]
    needs = [rec["key"] for rec in needs.each(KEY)]
    if not any(len(n) for n in needs):
        return 0, 0
    _, rows = split_keys(np.unique(np.concatenate(needs)))
    table = read_shard(path)     # whole shard: which optional columns it has is known only then
    cols = ["id", "text"] + [c for c in ("language", "script") if c in table.column_names]
    score_from = score_source(score_column, table.column_names) if score_column else None
    table = table.select(cols + ([score_from] if score_from else [])).take(pa.array(rows))
    keys = (np.int64(shard_index) << 32) | rows
    text = table.column("text")
    if score_from is None:
        score = np.full(len(rows), np.nan)
    elif score_from == score_column:
        score = table.column(score_column).cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
    else:
        score = json_key_numbers(table.column(score_from), score_column.split(".")[1:])
    out = pa.table({
        "key": keys, "id": table.column("id"),
        "length": pc.fill_null(pc.utf8_length(text), 0).cast(pa.int64()), "score": score})
    if need_text:
        out = out.append_column("text", normalize_texts(text, shingling.normalization, keep_lines=True))
        for c in ("language", "script"):
            if c in cols:
                out = out.append_column(c, table.column(c))
    for g, need in zip(groups, needs):
        if len(need):
            sel = np.searchsorted(keys, need)
            storage.write_parquet_atomic(out.take(pa.array(sel)),
                                         storage.join(texts_dir, f"{g:06d}", f"{shard_index:06d}.parquet"))
    return len(rows), int(np.isnan(score).sum())


def score_source(score_column: str, columns: list[str]) -> str | None:
    """The column keep=highest_score reads: `score_column` itself, else for a dotted name
    (`metadata.score`) the JSON column before the dot, as spam_filter's `title_field`: JSONL and
    Parquet readers keep a row's other fields (FineWeb-Edu's `score`) in the metadata JSON."""
    if score_column in columns:
        return score_column
    column, dot, _ = score_column.partition(".")
    return column if dot and column in columns else None


def json_key_numbers(column, keys: list[str]) -> np.ndarray:
    """Each row's number at `keys` in its JSON text (a number, or a string holding one); NaN (the
    lowest rank) where the JSON is bad or null, the key is missing or the value is no number (a
    boolean, an object, a string of no number, an integer too large for a float)."""
    out = np.full(len(column), np.nan)
    for i, value in enumerate(json_path_values(column, keys)):
        if value is None or isinstance(value, bool):
            continue
        try:
            out[i] = float(value)
        except (ValueError, TypeError, OverflowError):
            continue
    return out


def sorted_blocks(texts: list[str], blank_line_blocks: bool) -> list[str]:
    """Each text's paragraphs, whitespace flattened, in sorted order, joined by spaces. A paragraph
    is a line, or with `blank_line_blocks` a blank-line block of a text that has a blank line."""
    blocks, owner = [], []
    for i, t in enumerate(texts):
        sep = "\n\n" if blank_line_blocks and "\n\n" in t else "\n"
        parts = [b for b in t.split(sep) if b.strip()]
        blocks += parts
        owner += [i] * len(parts)
    flat = flatten(blocks).to_pylist()      # flattened before sorting: a wrap must not move a block
    per_text: list[list[str]] = [[] for _ in texts]
    for i, b in zip(owner, flat):
        per_text[i].append(b)
    return [" ".join(sorted(b)) for b in per_text]


def verify_task(g: int, pairs: Spill, texts_dir: str, text_shards: list[int], method: Method, threshold: float,
                shingling: Shingling, ignore_paragraph_order: bool, max_levenshtein_chars: int,
                audit_dir: str, edges_dir: str, attrs_dir: str, node_partitions: int) -> tuple[int, int]:
    """Ray task: check group g's pairs; write its audit rows, accepted edges and documents'
    attributes (`pairs`: its own pair file; `text_shards`: the shards that exported texts for
    it, known from the needs, so the texts folder is not listed). Returns (pairs, rejected)."""
    pairs = pairs.read(PAIR)
    d = storage.join(texts_dir, f"{g:06d}")
    if not len(pairs):
        return 0, 0
    table = pa.concat_tables([storage.read_parquet(d / f"{i:06d}.parquet") for i in text_shards],
                             promote_options="default")
    table = table.take(pc.sort_indices(table, [("key", "ascending")]))
    keys = table.column("key").to_numpy()
    ia, ib = np.searchsorted(keys, pairs["a"]), np.searchsorted(keys, pairs["b"])
    if method == "none":
        sims = np.ones(len(pairs), np.float64)
    else:
        sims = similarities(table, ia, ib, method, threshold, shingling, ignore_paragraph_order,
                            max_levenshtein_chars)
    accepted = sims >= threshold
    ids = table.column("id")
    # The audit's similarity of a rejected pair: its exact Jaccard, or null where Levenshtein
    # stopped once the pair could not reach the threshold (a 0 that is no measurement).
    unmeasured = ~accepted & (sims == 0) if method == "levenshtein" else np.zeros(len(sims), bool)
    audit_sims = pa.array(sims.astype(np.float32), mask=unmeasured)
    storage.write_parquet_atomic(pa.table({
        "id_a": ids.take(pa.array(ia)), "id_b": ids.take(pa.array(ib)),
        "key_a": pairs["a"], "key_b": pairs["b"], "similarity": audit_sims, "accepted": accepted}),
        storage.join(audit_dir, f"part-{g:06d}.parquet"))
    write_edges(storage.join(edges_dir, f"{g:06d}.edges"), pairs["a"][accepted], pairs["b"][accepted],
                node_partitions)
    members = np.unique(np.r_[ia[accepted], ib[accepted]])
    attrs = np.empty(len(members), ATTR)
    attrs["key"] = keys[members]
    attrs["length"] = table.column("length").to_numpy()[members]
    attrs["score"] = table.column("score").to_numpy(zero_copy_only=False)[members]
    write_partitioned(storage.join(attrs_dir, f"{g:06d}.attrs"), attrs,
                      node_partition(attrs["key"], node_partitions), node_partitions)
    return len(pairs), int((~accepted).sum())


def similarities(table: pa.Table, ia: np.ndarray, ib: np.ndarray, method: Method, threshold: float,
                 shingling: Shingling, ignore_paragraph_order: bool = True,
                 max_levenshtein_chars: int = 200_000) -> np.ndarray:
    """Similarity of each pair of rows (ia[j], ib[j]) of `table`; a pair is a duplicate when it is at
    least `threshold`. Below it: the exact shingle Jaccard, or 0 for Levenshtein, whose comparison
    stops as soon as a pair cannot reach the threshold (a full one is quadratic).

    Levenshtein compares the texts with all whitespace flattened (as exact dedup normalises
    them), so line wrapping does not count. It counts a moved paragraph as a deletion plus an
    insertion, so two pages with the same paragraphs in another order look unrelated; with
    `ignore_paragraph_order` a pair below the threshold is compared again with both texts'
    paragraphs sorted (shingle Jaccard is order-free as well), so ignoring order can only make a
    pair more similar, never less; its similarity is that of the first comparison that reaches
    the threshold. Paragraphs are first lines in both texts, then (if still below, and one text
    has blank lines) blank-line blocks in each text that has them, lines in the other: a
    hard-wrapped copy of a page with one paragraph per line, reordered. Levenshtein is quadratic
    in the worst case, so a pair with a text longer than `max_levenshtein_chars` is checked by
    exact shingle Jaccard instead."""
    sims = np.zeros(len(ia), dtype=np.float64)
    by_jaccard = np.ones(len(ia), dtype=bool)
    if method == "levenshtein":
        lengths = table.column("length").to_numpy()
        by_jaccard = np.maximum(lengths[ia], lengths[ib]) > max_levenshtein_chars
        lev = np.flatnonzero(~by_jaccard)
        if len(lev):
            sims[lev] = _levenshtein(table, ia[lev], ib[lev], threshold, ignore_paragraph_order)
    if by_jaccard.any():
        sims[by_jaccard] = _jaccard(table, ia[by_jaccard], ib[by_jaccard], threshold, shingling)
    return sims


def _levenshtein(table: pa.Table, ia: np.ndarray, ib: np.ndarray, threshold: float,
                 ignore_paragraph_order: bool) -> np.ndarray:
    """Normalised Levenshtein similarity of the pairs, 0 below `threshold` (see `similarities`);
    each text is prepared once however many pairs it is in, pairs are compared in C (cpdist)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    def compare(prepared: list[str], sel: np.ndarray) -> np.ndarray:
        return cpdist([prepared[i] for i in ra[sel]], [prepared[i] for i in rb[sel]],
                      scorer=Levenshtein.normalized_similarity, score_cutoff=threshold, dtype=np.float64)

    rows = np.unique(np.r_[ia, ib])
    ra, rb = np.searchsorted(rows, ia), np.searchsorted(rows, ib)
    texts = table.column("text").take(pa.array(rows)).to_pylist()
    sims = compare(flatten(texts).to_pylist(), np.arange(len(ia)))
    if not ignore_paragraph_order:
        return sims
    low = np.flatnonzero(sims == 0)
    if not len(low):
        return sims
    need = np.unique(np.r_[ra[low], rb[low]])
    prepared = [""] * len(rows)
    for i, t in zip(need.tolist(), sorted_blocks([texts[i] for i in need], blank_line_blocks=False)):
        prepared[i] = t
    sims[low] = compare(prepared, low)
    blank = np.array(["\n\n" in t for t in texts], dtype=bool)
    low = low[(sims[low] == 0) & (blank[ra[low]] | blank[rb[low]])]
    if not len(low):
        return sims
    need = np.unique(np.r_[ra[low], rb[low]])
    for i, t in zip(need.tolist(), sorted_blocks([texts[i] for i in need], blank_line_blocks=True)):
        prepared[i] = t
    sims[low] = compare(prepared, low)
    return sims


def _jaccard(table: pa.Table, ia: np.ndarray, ib: np.ndarray, threshold: float,
             shingling: Shingling) -> np.ndarray:
    """Exact Jaccard of the shingle sets, shingled exactly as the signatures were (in batches
    of documents, so no Python word lists of the whole group are alive at once). `threshold` is
    not used: the value is computed whole either way."""
    needed = np.unique(np.concatenate([ia, ib]))
    sets: dict[int, np.ndarray] = {}
    for start in range(0, len(needed), SHINGLE_BATCH):
        rows = needed[start: start + SHINGLE_BATCH]
        sub = table.take(pa.array(rows))
        langs = sub.column("language").to_pylist() if "language" in sub.column_names else None
        scripts = sub.column("script").to_pylist() if "script" in sub.column_names else None
        items, sizes = item_lists(sub.column("text"), shingling, langs, scripts)
        sets.update(zip(rows.tolist(), (np.unique(h) for h in shingle_hash_arrays(items, sizes))))
    out = np.zeros(len(ia), dtype=np.float64)
    for j, (a, b) in enumerate(zip(ia.tolist(), ib.tolist())):
        sa, sb = sets[a], sets[b]
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        union = len(sa) + len(sb) - inter
        out[j] = inter / union if union else 0.0
    return out
