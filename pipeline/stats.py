"""stats.json: per stage, documents and bytes in/out, removals by reason, time; and the summary."""
from __future__ import annotations

import datetime as dt

from pipeline import storage
from pipeline.shards import GROUP_COLUMNS, ShardRecord, read_json


def _sum(records: list[ShardRecord], stage_id: str) -> dict:
    out = {"docs_in": 0, "docs_out": 0, "bytes_in": 0, "bytes_out": 0, "removed": {}, "quarantined": {},
           "counters": {}, "removed_by_language": {}, "task_seconds": 0.0, "cpu_seconds": 0.0, "shards": len(records)}
    for r in records:
        out["docs_in"] += r.docs_in
        out["docs_out"] += r.docs_out
        out["bytes_in"] += r.bytes_in
        out["bytes_out"] += r.bytes_out
        out["task_seconds"] += r.seconds
        out["cpu_seconds"] += r.cpu_seconds
        for field in ("removed", "quarantined", "counters", "removed_by_language"):
            for k, v in getattr(r, field).items():
                key = k if field == "counters" else (f"{k.split('/', 1)[0]}/{stage_id}/{k.split('/', 1)[1]}"
                                                     if field == "removed_by_language" else f"{stage_id}/{k}")
                out[field][key] = out[field].get(key, 0) + v
    out["task_seconds"] = round(out["task_seconds"], 3)
    out["cpu_seconds"] = round(out["cpu_seconds"], 3)
    for field in ("removed", "quarantined", "counters", "removed_by_language"):
        out[field] = dict(sorted(out[field].items()))
    if records and all(r.kept_by is not None for r in records):
        out["kept_by"] = _kept_by(records)
    return out


def _ingest_by_source(records: list[ShardRecord], n_files: list[int], source_names: list[str]) -> dict[str, dict]:
    """Ingest's files, documents, quarantined records and counters per source: a run-wide
    `skipped_not_html` does not say which of five sources held the images. A record (one file's, or
    a group of small files') is named `<source index>-<file index>`."""
    out: dict[str, dict] = {}
    for r, files in zip(records, n_files):
        name = source_names[int(r.shard.split("-")[0])]
        row = out.setdefault(name, {"files": 0, "docs_in": 0, "docs_out": 0, "quarantined": {}, "counters": {}})
        row["files"] += files
        row["docs_in"] += r.docs_in
        row["docs_out"] += r.docs_out
        for field in ("quarantined", "counters"):
            for k, v in getattr(r, field).items():
                row[field][k] = row[field].get(k, 0) + v
    return {k: {**v, "quarantined": dict(sorted(v["quarantined"].items())),
                "counters": dict(sorted(v["counters"].items()))} for k, v in sorted(out.items())}


def _kept_by(records: list[ShardRecord]) -> dict[str, dict[str, int]]:
    """Kept documents per value of each group column some shard had; a shard without the column
    (a stage scoped with `apply_to` never labelled it) counts as "(none)"."""
    out = {}
    for c in GROUP_COLUMNS:
        if not any(c in r.kept_by for r in records):
            continue
        counts: dict[str, int] = {}
        for r in records:
            for k, v in r.kept_by.get(c, {"(none)": r.docs_out}).items():
                if v:
                    counts[k] = counts.get(k, 0) + v
        out[c] = dict(sorted(counts.items()))
    return out


def stage_stats(ps, source_names: list[str] | None = None) -> dict:
    d = ps.dir
    if ps.stage is None:                       # ingest: one record per input file
        recs, n_files = [], []
        for name in storage.names(d.path / "files", ".done.json"):
            j = read_json(d.path / "files" / name)
            j.pop("path", None)
            j.pop("shards", None)
            n_files.append(len(j.pop("group", None) or [None]))     # a group of small files, or one file
            recs.append(ShardRecord(**j))
        s = _sum(recs, ps.id)
        s.pop("shards")
        s["files"] = sum(n_files)
        s["shards"] = len(d.done_shards())
        if source_names and len(source_names) > 1:
            s["by_source"] = _ingest_by_source(recs, n_files, source_names)
    else:
        s = _sum(d.records(), ps.id)
    if d.finished():
        done = read_json(d.success_path)
        s["wall_seconds"] = round(done.get("wall_seconds", 0.0), 3)
        if done.get("fused"):
            s["fused_with"] = done["fused"]
        for k, v in (done.get("counters") or {}).items():
            s["counters"][k] = s["counters"].get(k, 0) + v
        if done.get("info"):
            s["info"] = done["info"]
            if done["info"].get("phases"):   # a global stage's tasks in every phase (GlobalContext.map)
                s["task_seconds"] = round(sum(p["task_seconds"] for p in done["info"]["phases"]), 3)
                s["cpu_seconds"] = round(sum(p.get("cpu_seconds", 0.0) for p in done["info"]["phases"]), 3)
    if ps.stage is not None and (thresholds := ps.stage.declared_thresholds()):   # drawn on the report's histograms
        s["thresholds"] = thresholds
    if ps.stage is not None and (adds := ps.stage.output_columns(ps.id)) is not None:   # the report credits by them
        s["adds"] = sorted(adds)
    if ps.stage is not None and ps.stage.resamples:     # its documents out count repeats
        s["resamples"] = True
    idle = [f"{ps.id}: every one of the {s['docs_in']:,} documents it was given counted {k}: {why}"
            for k, why in (getattr(ps.stage, "idle_counters", None) or {}).items()
            if s["docs_in"] and s["counters"].get(k) == s["docs_in"]]
    if idle:
        s.setdefault("info", {})["idle"] = {"warnings": idle}
    if ps.stage is not None and (setup := ps.stage.run_warnings()):
        s.setdefault("info", {})["setup"] = {"warnings": [f"{ps.id}: {w}" for w in setup]}
    return {"id": ps.id, "stage": ps.ref, "key": ps.key[:12], "dir": storage.url(d.path), **s}


PROFILE_COLUMNS = ("source", "language", "script", "segmentation")


def document_profile(stages) -> dict:
    """Counts of kept documents by source, language, script and segmentation mode, from the last
    stage that writes documents (reads only those columns), before the first resampling stage
    (a mix): its output repeats and drops documents by plan, which says nothing about what the
    cleaning kept. `before` names that stage when there is one, so the summary can say the counts
    are not the mixed output's."""
    import pyarrow as pa
    import pyarrow.compute as pc
    first_resampling = next((i for i, ps in enumerate(stages) if ps.stage is not None and ps.stage.resamples),
                            len(stages))
    before = {"before": stages[first_resampling].id} if first_resampling < len(stages) else {}
    for ps in reversed(stages[:first_resampling]):
        # Recorded shards with readable documents only: on an object store an unrecorded file may be
        # left by a killed run, and an inner stage of a fused chain keeps no documents.
        shards = ps.dir.document_shards()
        if not shards:
            continue
        # Shards differ in columns (a stage scoped with `apply_to` never saw some sources' documents):
        # each shard is read for the profile columns it has; a missing value counts as "unknown".
        parts = []
        for s in shards:
            names = set(ps.dir.schema(s).names)
            parts.append(ps.dir.read(s, columns=[c for c in PROFILE_COLUMNS if c in names]))
        table = pa.concat_tables(parts, promote_options="permissive")
        out = {"stage": ps.id, **before}
        for c in (c for c in PROFILE_COLUMNS if c in table.column_names):
            vc = pc.value_counts(pc.fill_null(table.column(c).combine_chunks(), "unknown")).to_pylist()
            out[c] = dict(sorted(((str(v["values"]), int(v["counts"])) for v in vc), key=lambda kv: -kv[1]))
        return out
    return {}


def language_funnel(per: list[dict], profile: dict) -> dict:
    """Per detected language: documents kept, removed by stage/reason, keep rate and top reasons.
    Counts start at the language stage (before it, documents have no language) and end where the
    profile was measured: documents a mix did not select are still in its counts of kept, so
    counting them as removed too would lower every keep rate."""
    out: dict[str, dict] = {}
    ids = [s["id"] for s in per]
    end = ids.index(profile["before"]) if profile.get("before") in ids else len(per)
    # from the first stage whose documents have a language (a stage's removals before it have none:
    # they would all count as "unknown"); a run without a language stage has no such funnel
    if not profile.get("language"):
        return {}
    start = next((i for i, s in enumerate(per) if "language" in (s.get("kept_by") or {})
                  or any(not k.startswith("unknown/") for k in s.get("removed_by_language", {}))), 0)
    for s in per[start:end]:
        for key, n in s.get("removed_by_language", {}).items():
            lang, reason = key.split("/", 1)
            row = out.setdefault(lang, {"kept": 0, "removed": {}})
            row["removed"][reason] = row["removed"].get(reason, 0) + n
    for lang, n in (profile.get("language") or {}).items():
        out.setdefault(lang, {"kept": 0, "removed": {}})["kept"] = n
    for row in out.values():
        gone = sum(row["removed"].values())
        row["keep_rate"] = round(row["kept"] / (row["kept"] + gone), 4) if row["kept"] + gone else None
        row["removed"] = dict(sorted(row["removed"].items(), key=lambda kv: -kv[1]))
    return dict(sorted(out.items(), key=lambda kv: -(kv[1]["kept"] + sum(kv[1]["removed"].values()))))


def build_stats(recipe, run_dir, stages, walls: dict, ray_info: dict, started: float,
                finished: float) -> dict:
    per = [stage_stats(ps, [src.name for src in recipe.sources]) for ps in stages]
    for prev, ps, s in zip(per, stages[1:], per[1:]):
        if ps.is_global:            # a global stage consumes all of its input
            s["docs_in"], s["bytes_in"] = prev["docs_out"], prev["bytes_out"]
    profile = document_profile(stages)
    removed: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    for s in per:
        for k, v in s["removed"].items():
            removed[k] = removed.get(k, 0) + v
        for k, v in s["quarantined"].items():
            quarantined[k] = quarantined.get(k, 0) + v
    with_docs = [i for i, ps in enumerate(stages) if ps.dir.document_shards()]
    last_docs = with_docs[-1] if with_docs else 0
    final = stages[last_docs].dir
    # A removal-only stage (dedup) stores views (ids removed from an earlier stage's shards), no
    # Parquet file: its shards/ folder does not exist, and its documents are read through it.
    views = bool(final.view_shards())
    output = {"stage": storage.url(final.path), "documents": storage.url(final.path if views else final.shards),
              "documents_count": per[last_docs]["docs_out"], "documents_are_views": views}
    datasets = [ps for ps in stages if storage.is_file(ps.dir.path / "output" / "manifest.json")]
    if datasets:
        output["dataset"] = storage.url(datasets[-1].dir.path / "output")
    tokens = {k[len("tokens/"):]: v for k, v in per[-1]["counters"].items() if k.startswith("tokens/")}
    if "tokens" in per[-1]["counters"]:
        output["tokens"] = per[-1]["counters"]["tokens"]
        output["tokens_by_source"] = tokens
    from pipeline.trial import trial_of
    return {
        "recipe": recipe.name, "recipe_path": recipe.path, "recipe_hash": recipe.hash(), "seed": recipe.seed,
        **({"trial": trial} if (trial := trial_of(recipe)) else {}),
        "run_dir": storage.url(run_dir),
        "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(finished - started, 3),
        "ray": ray_info,
        "stages": per,
        "removed": dict(sorted(removed.items())),
        "quarantined": dict(sorted(quarantined.items())),
        "output": output,
        "kept_documents": profile,
        "languages": language_funnel(per, profile),
        "warnings": stage_warnings({"stages": per}),
    }


def stage_warnings(stats: dict) -> list[dict]:
    """{"stage", "message", "kind"} of what a stage recorded as a warning in its info
    (`info.<kind>.warnings`): a mix's shortfall or a realised mix off its plan (stages/mix.py
    `mix_warnings`), a tokenizer trained short of its vocab_size or taken lossy, a stage that judged
    nothing (`idle`: Stage.idle_counters), a stage's set-up (`setup`: Stage.run_warnings), and a
    run that delivers nothing (`empty`: `empty_output`). Read from the stages, so an older stats.json
    gets them too."""
    return [{"stage": s["id"], "message": w, "kind": kind} for s in stats.get("stages", [])
            for kind, part in (s.get("info") or {}).items() if isinstance(part, dict)
            for w in part.get("warnings") or []] + empty_output(stats.get("stages", []))


def empty_output(stages: list[dict]) -> list[dict]:
    """A run that ends with no documents, or with 0 tokens from a mix or tokenize, exits 0 like a
    run that delivered: warned, naming the stage that removed the last documents (the first of the
    stages at the end that all output none) with its top reasons."""
    if not stages or any("docs_out" not in s for s in stages):       # not a run's stats (a stage's own)
        return []
    if (stages[-1].get("counters") or {}).get("tokens", 0) > 0:
        return []                       # tokenize: its output is tokens, not documents
    if stages[-1]["docs_out"] > 0:
        zero = [s for s in stages if (s.get("counters") or {}).get("tokens", 1) == 0]
        return [{"stage": zero[0]["id"], "kind": "empty", "message": (
            f"{zero[0]['id']}: 0 tokens realised from its {zero[0]['docs_in']:,} documents in: the run delivers "
            f"no tokens")}] if zero else []
    k = len(stages)
    while k > 0 and stages[k - 1]["docs_out"] == 0:
        k -= 1
    if k == 0:
        s = stages[0]
        return [{"stage": s["id"], "kind": "empty",
                 "message": f"{s['id']}: no documents read: the run delivers nothing"}]
    s = stages[k]
    top = sorted({**s["removed"], **s["quarantined"]}.items(), key=lambda kv: -kv[1])[:3]
    why = f" (top reasons: {', '.join(f'{r} {n:,}' for r, n in top)})" if top else ""
    return [{"stage": s["id"], "kind": "empty", "message": (
        f"{s['id']}: removed the last {s['docs_in']:,} documents{why}: the run delivers no documents")}]


def summary_table(stats: dict) -> str:
    # cpu s: CPU seconds of this stage's own work summed over its tasks (with their forked
    # helpers); wall s: fused stages share one wall time, shown once on the chain's first stage.
    rows = [("stage", "docs in", "docs out", "removed", "quarant.", "MB in", "MB out", "cpu s", "wall s")]
    walls_shown: set[tuple] = set()
    for s in stats["stages"]:
        fused = tuple(s.get("fused_with") or ())
        wall = "" if fused and fused in walls_shown else f"{s.get('wall_seconds', 0):,.1f}"
        walls_shown.add(fused)
        cpu = s.get("cpu_seconds", 0.0)
        rows.append((s["id"], f"{s['docs_in']:,}", f"{s['docs_out']:,}", f"{sum(s['removed'].values()):,}",
                     f"{sum(s['quarantined'].values()):,}", f"{s['bytes_in'] / 1e6:,.1f}",
                     f"{s['bytes_out'] / 1e6:,.1f}", f"{cpu:,.1f}", wall))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    if "tokens" in stats["output"]:
        by = ", ".join(f"{k} {v:,}" for k, v in stats["output"]["tokens_by_source"].items())
        lines.append(f"tokens: {stats['output']['tokens']:,}" + (f" ({by})" if by else ""))
    top = sorted(stats["removed"].items(), key=lambda kv: -kv[1])[:8]
    if top:
        lines.append("top removal reasons: " + ", ".join(f"{k} {v:,}" for k, v in top))
    # Kept documents are counted before a resampling stage (document_profile): said in the line,
    # and the mix's own documents per source (copies included) follow, so neither is mistaken for
    # the other.
    profile = stats.get("kept_documents") or {}
    before = profile.get("before") or next((s["id"] for s in stats["stages"] if (s.get("info") or {}).get("mix")),
                                           None)
    when = f" (before {before})" if before else ""
    for col, counts in profile.items():
        if col not in ("stage", "before"):
            more = f", {len(counts) - 8} more in stats.json" if len(counts) > 8 else ""
            lines.append(f"kept by {col}{when}: " + ", ".join(f"{k} {v:,}" for k, v in list(counts.items())[:8]) + more)
    for s in stats["stages"]:
        mix = (s.get("info") or {}).get("mix") or {}
        if mix.get("sources"):
            docs = sorted(mix["sources"].items(), key=lambda kv: -kv[1].get("documents", 0))
            lines.append(f"{s['id']} output by {mix.get('source_column', 'source')} (documents, repeats "
                         f"included): " + ", ".join(f"{k} {r.get('documents', 0):,}" for k, r in docs[:8]))
    langs = [(k, v) for k, v in (stats.get("languages") or {}).items() if v["keep_rate"] is not None][:6]
    if langs:
        lines.append(f"keep rate by language{when} (top reason): " + "; ".join(
            f"{k} {v['keep_rate']:.2f}" + (f" ({next(iter(v['removed']))})" if v["removed"] else "")
            for k, v in langs))
    if stats["quarantined"]:
        lines.append("quarantined: " + ", ".join(f"{k} {v:,}" for k, v in stats["quarantined"].items()))
    for w in stage_warnings(stats):
        lines.append(f"warning: {w['message']}")
    shared = (stats["stages"][0].get("counters") or {}).get("duplicate_id_across_files", 0) if stats["stages"] else 0
    if shared:
        # Kept (dedup removes real copies), but an id no longer names one document: said where seen.
        lines.append(f"note: {shared:,} documents have an id an earlier input file's document has (a file read "
                     f"twice, editions of one book side by side (flagged other_edition), or files that each "
                     f"number their rows from 0 under id_field): ids in the output repeat (row sources: leave "
                     f"id_field out, ids then name file and row, or give distinct ids; books: read one edition)")
    return "\n".join(lines)
