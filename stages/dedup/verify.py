"""Checking LSH candidate pairs on the texts themselves.

MinHash banding is tuned to miss few true pairs, so it lets through pairs that merely share a
band; each candidate is checked on its normalised texts before anything is removed. The texts
are moved like a shuffle: the driver cuts the sorted pair list into chunks, each shard's task
writes the normalised text of its candidate documents into the chunk directories that need
them, and one task per chunk reads only its own directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa

from pipeline import storage
from pipeline.shards import read_shard, shard_schema
from stages.dedup.common import split_keys
from stages.dedup.minhash import Shingling, item_lists, shingle_hash_arrays
from stages.dedup.normalize import normalize_texts

Method = Literal["levenshtein", "jaccard", "none"]


def export_candidates(path: str, shard_index: int, rows: np.ndarray, chunk_of_row: list[np.ndarray],
                      verify_dir: str, shingling: Shingling, score_column: str | None,
                      need_text: bool) -> dict[str, np.ndarray | list]:
    """Ray task: write the candidate documents of one shard for the chunks that need them.

    `rows[i]` is needed by the chunks `chunk_of_row[i]`. Returns ids, lengths and scores of
    those rows (what the driver needs to pick the document each cluster keeps)."""
    schema_names = shard_schema(path).names
    cols = ["id", "text"] + [c for c in ("language", "script") if c in schema_names]
    if score_column and score_column in schema_names:
        cols.append(score_column)
    table = read_shard(path, columns=cols).take(pa.array(rows))
    keys = (np.int64(shard_index) << 32) | rows.astype(np.int64)
    text = table.column("text")
    lengths = pa.compute.fill_null(pa.compute.utf8_length(text), 0).to_numpy()
    scores = (table.column(score_column).cast(pa.float64()).fill_null(np.nan).to_numpy()
              if score_column and score_column in schema_names else np.full(len(rows), np.nan))
    if need_text:
        # Lines are kept so that Levenshtein can compare paragraphs independent of their order.
        norm = normalize_texts(text, shingling.normalization, keep_lines=True)
        out = pa.table({"key": keys, "text": norm})
        for c in ("language", "script"):
            if c in table.column_names:
                out = out.append_column(c, table.column(c))
        owners = np.concatenate(chunk_of_row) if len(chunk_of_row) else np.zeros(0, np.int64)
        row_idx = np.repeat(np.arange(len(rows)), [len(c) for c in chunk_of_row])
        order = np.argsort(owners, kind="stable")
        owners, row_idx = owners[order], row_idx[order]
        for chunk in np.unique(owners):
            sel = row_idx[owners == chunk]
            storage.write_parquet_atomic(out.take(pa.array(sel)),
                                         storage.join(verify_dir, f"{int(chunk):06d}", f"{shard_index:06d}.parquet"))
    return {"keys": keys, "ids": table.column("id").to_pylist(), "lengths": lengths, "scores": scores}


@dataclass
class CandidateDocs:
    """What the driver knows about candidate documents, sorted by key: their ids, text lengths
    and scores (to pick the document a cluster keeps and to name it)."""
    keys: np.ndarray
    id_list: list[str]
    length_array: np.ndarray
    score_array: np.ndarray

    @classmethod
    def from_exports(cls, exported: list[dict]) -> "CandidateDocs":
        if not exported:
            return cls(np.zeros(0, np.int64), [], np.zeros(0, np.int64), np.zeros(0))
        keys = np.concatenate([e["keys"] for e in exported])
        order = np.argsort(keys)
        ids = [i for e in exported for i in e["ids"]]
        return cls(keys[order], [ids[i] for i in order],
                   np.concatenate([e["lengths"] for e in exported])[order],
                   np.concatenate([e["scores"] for e in exported])[order])

    def _pos(self, keys: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.keys, keys)   # every key looked up is a candidate

    def ids(self, keys: np.ndarray) -> list[str]:
        return [self.id_list[i] for i in self._pos(keys)]

    def lengths(self, keys: np.ndarray) -> np.ndarray:
        return self.length_array[self._pos(keys)]

    def scores(self, keys: np.ndarray) -> np.ndarray:
        return self.score_array[self._pos(keys)]


def sorted_blocks(text: str) -> str:
    """The text's paragraphs in sorted order: blank-line blocks if it has any (hard-wrapped
    text), else lines (extracted web text puts one paragraph per line)."""
    sep = "\n\n" if "\n\n" in text else "\n"
    return " ".join(sorted(" ".join(b.split()) for b in text.split(sep) if b.strip()))


def verify_chunk(chunk_dir: str, pairs: np.ndarray, method: Method, threshold: float,
                 shingling: Shingling, ignore_paragraph_order: bool = True,
                 max_levenshtein_chars: int = 200_000) -> np.ndarray:
    """Ray task: similarity of each pair (0 where below `threshold`), from the chunk's texts.

    Levenshtein counts a moved paragraph as a deletion plus an insertion, so two pages with the
    same paragraphs in another order look unrelated; with `ignore_paragraph_order` both texts'
    paragraphs are sorted first (shingle Jaccard is order-free as well). Levenshtein is
    quadratic in the worst case, so a pair with a text longer than `max_levenshtein_chars` is
    checked by exact shingle Jaccard instead."""
    from rapidfuzz.distance import Levenshtein

    files = [storage.join(chunk_dir, n) for n in storage.names(chunk_dir, ".parquet")]
    table = pa.concat_tables([storage.read_parquet(f) for f in files], promote_options="default")
    index = {k: i for i, k in enumerate(table.column("key").to_numpy())}
    ia = np.array([index[k] for k in pairs[:, 0]], dtype=np.int64)
    ib = np.array([index[k] for k in pairs[:, 1]], dtype=np.int64)
    sims = np.zeros(len(pairs), dtype=np.float32)
    by_jaccard = np.ones(len(pairs), dtype=bool)
    if method == "levenshtein":
        texts = table.column("text").to_pylist()
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        by_jaccard = np.maximum(lengths[ia], lengths[ib]) > max_levenshtein_chars
        flat = sorted_blocks if ignore_paragraph_order else (lambda t: " ".join(t.split()))
        texts = [flat(t) if n <= max_levenshtein_chars else "" for t, n in zip(texts, lengths)]
        for j in np.flatnonzero(~by_jaccard):
            sims[j] = Levenshtein.normalized_similarity(texts[ia[j]], texts[ib[j]],
                                                        score_cutoff=threshold)
    if by_jaccard.any():
        sims[by_jaccard] = _jaccard(table, ia[by_jaccard], ib[by_jaccard], threshold, shingling)
    return sims


def _jaccard(table: pa.Table, ia: np.ndarray, ib: np.ndarray, threshold: float,
             shingling: Shingling) -> np.ndarray:
    """Exact Jaccard of the shingle sets, shingled exactly as the signatures were."""
    needed = np.unique(np.concatenate([ia, ib]))
    sub = table.take(pa.array(needed))
    langs = sub.column("language").to_pylist() if "language" in sub.column_names else None
    scripts = sub.column("script").to_pylist() if "script" in sub.column_names else None
    items, sizes = item_lists(sub.column("text"), shingling, langs, scripts)
    sets = dict(zip(needed.tolist(), (np.unique(h) for h in shingle_hash_arrays(items, sizes))))
    out = np.zeros(len(ia), dtype=np.float32)
    for j, (a, b) in enumerate(zip(ia.tolist(), ib.tolist())):
        sa, sb = sets[a], sets[b]
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        union = len(sa) + len(sb) - inter
        sim = inter / union if union else 0.0
        out[j] = sim if sim >= threshold else 0.0
    return out


def chunk_pairs(pairs: np.ndarray, pairs_per_chunk: int) -> np.ndarray:
    """Chunk number of each pair: consecutive runs of the (sorted) pair list."""
    return np.arange(len(pairs), dtype=np.int64) // max(1, pairs_per_chunk)


def export_jobs(pairs: np.ndarray, chunks: np.ndarray) -> dict[int, tuple[np.ndarray, list[np.ndarray]]]:
    """Per shard index: candidate rows and, for each, the chunks that need its text."""
    keys = np.concatenate([pairs[:, 0], pairs[:, 1]])
    owner = np.concatenate([chunks, chunks])
    uniq = np.unique(np.stack([keys, owner], axis=1), axis=0)
    shard, row = split_keys(uniq[:, 0])
    jobs: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
    for s in np.unique(shard):
        sel = shard == s
        r, o = row[sel], uniq[sel, 1]
        rows, starts = np.unique(r, return_index=True)
        jobs[int(s)] = (rows, np.split(o, starts[1:]))
    return jobs
