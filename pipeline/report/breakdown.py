"""Report sections that break the run down: by source and by language (funnels, tokens, signal
medians), quarantined input by file, and example duplicate pairs (exact and near).

Counts per source and language come from the stages' completion records (counted as each shard
was written; runs from before that read the columns from the shards); signal medians per
language from the `language` column where a language stage has added one. Token groups: the
tokenize manifest counts by `source`, a `mix` stage counts by its `source_column` (often
`language`); each group is its own chart and its shares sum to 1.
Documents are read through `StageDir`, side files through `pipeline.storage` (local or s3://).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import storage
from pipeline.report.collect import Distribution, Part, _shards, side_files

EXAMPLE_PAIRS = 5
PAIR_CHARS = 300


def _counts(parts: list[Part], column: str) -> dict[str, int] | None:
    """Documents per value of `column` (None: no part has the column)."""
    out: dict[str, int] = {}
    have = [column in p.names() for p in parts]
    if not any(have):
        return None
    for p, ok in zip(parts, have):
        if not ok:   # a stage scoped with `apply_to` never labelled this shard's documents
            out["(none)"] = out.get("(none)", 0) + p.rows()
            continue
        col = p.read([column]).column(column)
        for v in pc.value_counts(pc.fill_null(pc.cast(col, pa.string()), "(none)").combine_chunks()).to_pylist():
            out[v["values"]] = out.get(v["values"], 0) + v["counts"]
    return out


def _tokens_by(parts: list[Part], column: str) -> dict[str, int]:
    """Tokens of the mixed documents (their `n_tokens`) per value of `column`, over every shard."""
    out: dict[str, int] = {}
    for p in parts:
        names = p.names()
        if "n_tokens" not in names:
            return {}
        t = p.read(["n_tokens"] + ([column] if column in names else []))
        keys = (pc.fill_null(t.column(column), "(none)").to_pylist() if column in names
                else ["(none)"] * t.num_rows)
        for k, n in zip(keys, t.column("n_tokens").to_pylist()):
            out[k] = out.get(k, 0) + int(n or 0)
    return out if set(out) != {"(none)"} else {}


def funnel_by(stats: dict, column: str) -> tuple[list[str], list[dict]]:
    """Documents out of every stage that writes documents, per value of `column` (stages before
    the column exists are left out; a stage that kept none is a row of zeros: the stage that
    emptied a run was missing from it)."""
    rows, keys = [], set()
    for s in stats["stages"]:
        if "kept_by" in s:           # counted as the shards were written (pipeline/shards.py)
            c = s["kept_by"].get(column)
        else:                        # an older run, or ingest: read the column from the shards
            shards = _shards(s)
            if not shards:
                continue
            c = _counts(shards, column)
        if c is None:
            continue
        keys |= set(c)
        rows.append({"stage": s["id"], "counts": c})
    # ties by name: the set's order changes with the process's hash seed (report.md differed run to run)
    order = sorted(keys, key=lambda k: (-(rows[0]["counts"].get(k, 0) if rows else 0), k))
    return order, rows


def quarantine_by_file(stats: dict) -> list[dict]:
    """Quarantined input records per file and reason (ingest writes the file path with each): an
    item counts the records it stands for (`records`: a cut-off file all it held, a note about a
    dump none; null: one)."""
    out: dict[tuple[str, str], int] = {}
    for s in stats["stages"]:
        for p in side_files(s, "quarantine"):
            names = p.names()
            if "reason" not in names:
                continue
            cols = [c for c in ("path", "source", "reason", "records") if c in names]
            for r in p.read(cols).to_pylist():
                key = (r.get("path") or f"({s['id']}, {r.get('source') or 'no path'})", r["reason"])
                n = r.get("records")
                out[key] = out.get(key, 0) + (1 if n is None else n)
    return [{"file": f, "reason": why, "records": n}
            for (f, why), n in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))]


def input_counts(stats: dict) -> list[dict]:
    """Ingest's counters: the records an input held that are no documents, by kind (`skipped_*`),
    then what it noticed on the documents it kept or on the files (flags and notes), most first."""
    ingest = stats["stages"][0] if stats["stages"] else {}
    # per source when the run had several (stats.json's `by_source`), else the run's
    by_source = {name: row["counters"] for name, row in (ingest.get("by_source") or {}).items()} or \
        {None: ingest.get("counters") or {}}
    # `skipped_*`, and a reader's own `*_skipped` (latex_included_files_skipped, code_git_internal_skipped,
    # stackexchange_other_files_skipped): input that is no document, as the accounting counts it
    rows = [{"counter": k, "records": v, "skipped": k.startswith("skipped_") or k.endswith("_skipped"),
             "source": source} for source, counters in by_source.items() for k, v in counters.items() if v]
    return sorted(rows, key=lambda r: (not r["skipped"], r["source"] or "", -r["records"], r["counter"]))


def token_groups(stats: dict) -> dict[str, list[dict]]:
    """Group column -> rows of {name, tokens, share, requested_share}; shares sum to 1 per group."""
    groups: dict[str, list[dict]] = {}
    for s in stats["stages"]:
        info = s.get("info") or {}
        if info.get("mix"):
            mix = info["mix"]
            col = mix.get("source_column", "source")
            total = sum(r["tokens"] for r in mix["sources"].values()) or 1
            groups[f"{col} (mix)"] = [{"name": k, "tokens": r["tokens"], "share": r["tokens"] / total,
                                       "requested_share": r.get("requested_share")}
                                      for k, r in sorted(mix["sources"].items())]
            by_lang = _tokens_by(_shards(s), "language") if s.get("dir") else {}
            if by_lang:
                total = sum(by_lang.values()) or 1
                groups["language (mix)"] = [{"name": k, "tokens": n, "share": n / total, "requested_share": None}
                                            for k, n in sorted(by_lang.items(), key=lambda kv: -kv[1])]
        path = (info.get("tokenize") or {}).get("manifest")
        if path and storage.exists(path):
            m = storage.read_json(path)
            total = sum(r["tokens"] for r in m["sources"].values()) or 1
            groups["source (tokenize)"] = [{"name": k, "tokens": r["tokens"], "share": r["tokens"] / total,
                                            "requested_share": None} for k, r in sorted(m["sources"].items())]
    return groups


def threshold_text(rules: list[tuple[str, float]]) -> str:
    """What a document must meet to stay: `>= 50, <= 100000` (a "min" rule keeps at or above, a
    "below" rule strictly below)."""
    signs = {"min": ">=", "max": "<=", "below": "<"}
    return ", ".join(f"{signs[d]} {v:g}" for d, v in rules) or "-"


def signals_by_language(dists: list[Distribution]) -> list[dict]:
    """Median and spread of each quality signal per language (kept documents at the stage that
    added the signal), with the threshold documents of that language were judged by."""
    out = []
    for d in dists:
        for lang, v in d.by_language.items():
            v = v[~np.isnan(v)]
            if len(v):
                out.append({"stage": d.stage, "kept_at": d.kept_at or d.stage, "signal": d.column, "language": lang,
                            "documents": int(len(v)),
                            "median": float(np.median(v)), "p10": float(np.percentile(v, 10)),
                            "p90": float(np.percentile(v, 90)),
                            "threshold": threshold_text(d.threshold_values(lang))})
    return out


def near_duplicate_pairs(stats: dict, n: int = EXAMPLE_PAIRS) -> list[dict]:
    """A few removed duplicates (exact or near) beside the document they duplicate (from the dedup
    stage's removed sample and its kept shards)."""
    out = []
    for s in stats["stages"]:
        removed = side_files(s, "removed")
        if not removed or "duplicate_of" not in removed[0].names():
            continue
        rem = pa.concat_tables(p.read(["id", "text", "duplicate_of"]) for p in removed)
        rem = rem.filter(pc.is_valid(rem.column("duplicate_of"))).slice(0, n)
        if not rem.num_rows:
            continue
        want = set(rem.column("duplicate_of").to_pylist())
        kept: dict[str, str] = {}
        for p in _shards(s):
            t = p.read(["id", "text"])
            t = t.filter(pc.is_in(t.column("id"), pa.array(list(want), t.column("id").type)))
            kept.update(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))
            if len(kept) == len(want):
                break
        for r in rem.to_pylist():
            out.append({"stage": s["id"], "removed_id": r["id"], "kept_id": r["duplicate_of"],
                        "removed_text": (r["text"] or "")[:PAIR_CHARS],
                        "kept_text": (kept.get(r["duplicate_of"]) or "(not in the kept shards)")[:PAIR_CHARS]})
    return out
