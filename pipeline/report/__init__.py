"""The run report: `report.html` (self-contained, charts embedded as SVG) and `report.md` beside
stats.json. The CLI writes it after every run; `python -m pipeline report RUN_DIR` rebuilds it."""
from __future__ import annotations

from pathlib import Path

from pipeline import storage


def _write_atomic(path, text: str) -> None:
    storage.write_text_atomic(path, text)     # local temp+rename, or one PUT on an object store


REPORT_FILES = ("report.html", "report.md")


class NotARun(FileNotFoundError):
    """The folder holds no run the report can be made of (one line, for the CLI)."""


def stopped_run_stats(run_dir) -> dict:
    """stats.json's figures for a run stopped without one (killed: no stats.json, no failed.json),
    made as a run stopped by an error makes them: from the completion records in the stage folders
    plan.json names, each stage's options (thresholds drawn, whether it resamples) from the recipe
    plan.json names. Marked `stopped`, so the report says the run did not finish. Refused when the
    recipe asks for other stages than the run did (its hash changed)."""
    run_dir = storage.path(run_dir)
    if not storage.exists(run_dir / "plan.json"):
        raise NotARun(f"{storage.url(run_dir)}: no stats.json and no plan.json (not a run directory)")
    import dataclasses
    import time

    from pipeline.lease import Lease, OutputBusy
    from pipeline.plan import compile_segments, plan
    from pipeline.recipe import load_recipe
    from pipeline.shards import StageDir
    from pipeline.stats import build_stats
    # A run still going: its own report comes at its end; one written now would be replaced by it, or
    # replace it.
    try:
        Lease(run_dir).check()
    except OutputBusy as e:
        raise NotARun(f"{e}; its report is written when it ends (inspect and explain work meanwhile)") from None
    planned = storage.read_json(run_dir / "plan.json")
    recipe = load_recipe(planned["recipe"], {"output": storage.url(run_dir)})
    if recipe.hash() != planned.get("recipe_hash"):
        raise NotARun(f"{storage.url(run_dir)}: the run did not finish (no stats.json), and its recipe "
                      f"{planned['recipe']} changed since it started: no report can be made of it from that recipe")
    # The folders the run wrote, not those planned now: a key also hashes the code and the inputs'
    # fingerprints, which may have changed since (the stages and their options have not: same hash).
    # No input is listed or fingerprinted (a crawl's 90,000 files; moved since): the keys are replaced.
    stages = [dataclasses.replace(ps, key=name.rsplit("-", 1)[-1], dir=StageDir(run_dir / "stages" / name))
              for ps, name in zip(plan(recipe, run_dir, {}, {s.name: [] for s in recipe.sources}),
                                  planned["stages"], strict=True)]
    compile_segments(stages, recipe.checkpoint, {s.id: s.checkpoint for s in recipe.stages})   # stores, views
    now = time.time()
    stats = build_stats(recipe, run_dir, stages, {}, {}, started=now, finished=now)
    # when it started and how long it ran are not recorded anywhere but in stats.json
    stats["started"], stats["wall_seconds"] = "unknown", None
    stats["stopped"] = {"finished_stages": sum(ps.dir.finished() for ps in stages), "stages": len(stages)}
    return stats


def write_report(run_dir: str | Path, stats: dict | None = None) -> list[Path]:
    """Write report.html and report.md into run_dir (stats.json is read when stats is None)."""
    from pipeline.report.collect import collect
    from pipeline.report.render import sections, to_html, to_markdown
    run_dir = storage.path(run_dir)
    if stats is None:
        path = run_dir / "stats.json"
        stats = storage.read_json(path) if storage.exists(path) else stopped_run_stats(run_dir)
    with storage.frozen(run_dir / "stages"):     # a finished run: each folder is listed once
        secs = sections(collect(stats))
    if "stopped" in stats and storage.exists(run_dir / "stats.json"):
        # the run was not dead after all (taken over after a stale heartbeat) and has finished since
        raise NotARun(f"{storage.url(run_dir)}: the run finished while its partial report was being made; "
                      f"its own report is in place")
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    _write_atomic(html_path, to_html(stats, secs))
    _write_atomic(md_path, to_markdown(stats, secs))
    return [html_path, md_path]
