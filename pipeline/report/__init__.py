"""The run report: `report.html` (self-contained, charts embedded as SVG) and `report.md` beside
stats.json. The CLI writes it after every run; `python -m pipeline report RUN_DIR` rebuilds it."""
from __future__ import annotations

from pathlib import Path

from pipeline import storage


def _write_atomic(path, text: str) -> None:
    storage.write_text_atomic(path, text)     # local temp+rename, or one PUT on an object store


REPORT_FILES = ("report.html", "report.md")


def write_report(run_dir: str | Path, stats: dict | None = None) -> list[Path]:
    """Write report.html and report.md into run_dir (stats.json is read when stats is None)."""
    from pipeline.report.collect import collect
    from pipeline.report.render import sections, to_html, to_markdown
    run_dir = storage.path(run_dir)
    if stats is None:
        path = run_dir / "stats.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no stats.json (the run has not finished?)")
        stats = storage.read_json(path)
    with storage.frozen(run_dir / "stages"):     # a finished run: each folder is listed once
        secs = sections(collect(stats))
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    _write_atomic(html_path, to_html(stats, secs))
    _write_atomic(md_path, to_markdown(stats, secs))
    return [html_path, md_path]
