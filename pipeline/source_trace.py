"""Where a source's documents went before a given stage: read from the run folder's shard
records (documents kept per source, per stage) and the removed ids of the stage that removed the
most. For error messages that must say why a source arrived empty (mix: "every one was removed
before it") instead of blaming the stage that found nothing."""
from __future__ import annotations

from pipeline import storage
from pipeline.shards import StageDir


def removed_before(run_dir, stage_name: str, sources: list[str]) -> dict[str, str]:
    """{source: where its documents went}, e.g. "cc: 20 read, language removed 1, gopher_quality
    removed the last 19 (too_few_words 19)", from the shard records of the run's earlier stages
    (their kept documents per source), in the order of the run's plan.json, and the removed ids of
    the stage that removed most (ids are `<source>/...`). `stage_name`: the folder name of the
    stage asking (stages/NN-id-key). Best effort: an error message's detail, so {} when the run
    folder does not say (a context built in code, records without kept_by)."""
    try:
        order = storage.read_json(storage.join(run_dir, "plan.json"))["stages"]
        before = order[:order.index(stage_name)]
        kept: list[tuple[str, StageDir, dict[str, int]]] = []
        for name in before:
            d = StageDir(storage.join(run_dir, "stages", name))
            records = d.records()
            if any(r.kept_by is None for r in records):
                return {}
            per: dict[str, int] = {}
            for r in records:
                for s, n in r.kept_by.get("source", {}).items():
                    per[s] = per.get(s, 0) + n
            kept.append((name.split("-", 1)[1].rsplit("-", 1)[0], d, per))
        if not kept:
            return {}
        out = {}
        for s in sources:
            read = kept[0][2].get(s, 0)
            if not read:
                out[s] = f"{s}: {kept[0][0]} read none of it"
                continue
            steps, prev = [], read
            for sid, d, per in kept[1:]:
                if per.get(s, 0) < prev:
                    steps.append((sid, d, prev - per.get(s, 0), per.get(s, 0) == 0))
                prev = per.get(s, 0)
            if prev:
                out[s] = f"{s}: its {prev:,} document(s) that reached the mix all have empty text"
                continue
            most = max(range(len(steps)), key=lambda i: steps[i][2])
            parts = []
            for i, (sid, d, n, last) in enumerate(steps):
                part = f"{sid} removed {'the last ' if last and len(steps) > 1 else ''}{n:,}"
                reasons = _reasons_for(d, s) if i == most else []
                if reasons:
                    part += " (" + ", ".join(f"{r} {k:,}" for r, k in reasons[:3]) + ")"
                parts.append(part)
            out[s] = f"{s}: {read:,} read, " + ", ".join(parts)
        return out
    except (LookupError, ValueError, TypeError, *storage.storage_errors()):
        return {}


def _reasons_for(d: StageDir, source: str) -> list[tuple[str, int]]:
    """The reasons stage folder `d` removed documents of `source` for, most frequent first."""
    counts: dict[str, int] = {}
    prefix = f"{source}/"
    for name in storage.names(d.path / "removed_ids", ".parquet"):
        t = storage.read_parquet_file(d.path / "removed_ids" / name, columns=["id", "reason"])
        for i, r in zip(t.column("id").to_pylist(), t.column("reason").to_pylist()):
            if i.startswith(prefix):
                counts[r or "?"] = counts.get(r or "?", 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
