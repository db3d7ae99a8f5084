"""The run report on a real run: sections with data, sections without, and a headless-Chromium render."""
import gzip
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pipeline.recipe import load_recipe
from pipeline.runner import Runner

REPO = Path(__file__).resolve().parents[1]


def ccnet_and_copy(tmp: Path, shared_data: Path) -> tuple[Path, Path]:
    """Real CCNet documents, and a copy of them under new ids (duplicates for exact dedup)."""
    src = shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    copy = tmp / "copy.jsonl.gz"
    with gzip.open(src, "rt") as f, gzip.open(copy, "wt") as g:
        for line in f:
            d = json.loads(line)
            d["id"] = "copy-" + d["id"]
            g.write(json.dumps(d) + "\n")
    return src, copy


def small_run(tmp: Path, shared_data: Path) -> tuple[Path, dict]:
    """Real CCNet documents twice (the copy under new ids, so exact dedup has clusters to find)
    through a char counter, a length filter, Gopher quality and exact dedup."""
    src, copy = ccnet_and_copy(tmp, shared_data)
    recipe = tmp / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: report-test
        seed: 3
        output: {tmp / 'run'}
        sources:
          - {{name: cc, format: jsonl, paths: [{src}], id_field: id}}
          - {{name: cc_copy, format: jsonl, paths: [{copy}], id_field: id}}
        stages:
          - stage: stages_for_tests:CharCount
          - {{stage: test_drop_short, min_chars: 1500}}
          - stage: stages.gopher:GopherQuality
          - stage: exact_dedup
        """))
    stats = Runner(load_recipe(recipe), quiet=True).run()
    return tmp / "run", stats


_RUNS: dict = {}


def shared_small_run(tmp_path_factory, shared_data) -> tuple[Path, dict]:
    """One run for the report and inspect tests (they only read it)."""
    if "run" not in _RUNS:
        _RUNS["run"] = small_run(tmp_path_factory.mktemp("report"), shared_data)
    return _RUNS["run"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data, ray_local):
    return shared_small_run(tmp_path_factory, shared_data)


def test_report_has_every_section_and_says_which_have_no_data(run):
    from pipeline.report import write_report
    run_dir, stats = run
    paths = write_report(run_dir, stats)
    assert [p.name for p in paths] == ["report.html", "report.md"]
    md = (run_dir / "report.md").read_text()
    drop = next(s for s in stats["stages"] if s["id"] == "test_drop_short")
    n_short = drop["removed"]["test_drop_short/too_short"]
    assert f"| test_drop_short/too_short | {n_short:,} |" in md
    # the funnel row of every stage, with its counts from stats.json
    for s in stats["stages"]:
        assert f"| {s['id']} | {s['docs_in']:,} | {s['docs_out']:,} |" in md
    # exact dedup removed each copy: clusters of two, as many as duplicates removed
    dedup = next(s for s in stats["stages"] if s["id"] == "exact_dedup")
    n_dup = sum(dedup["removed"].values())
    assert n_dup > 0
    assert f"| exact_dedup | {n_dup:,} | {n_dup:,} | 2 |" in md
    # the global stage's phases, each with its tasks (one hashing task per input shard)
    assert f"| exact_dedup | hashes | {dedup['shards']} |" in md and "| exact_dedup | apply |" in md
    # no language, tokenizer or mix stage: those sections say so instead of failing
    assert "## Languages\n\n_No data: no language stage" in md
    assert "## Tokens per source: requested vs realised\n\n_No data: no tokenizer or mix stage" in md
    assert "| GopherQuality | gopher_word_count |" in md
    html = (run_dir / "report.html").read_text()
    assert html.count("<img class='plot'") >= 6 and "data:image/svg+xml;charset=utf-8,%3Csvg" in html
    assert "data:image/png" not in html                                # every chart is SVG, none rasterised
    assert "src='http" not in html and "<link" not in html            # self-contained


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    return exe


def test_report_renders_with_its_plots_in_headless_chromium(run, tmp_path):
    from PIL import Image
    from pipeline.report import write_report
    run_dir, stats = run
    html = write_report(run_dir, stats)[0]
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    n_img = dom.stdout.count('class="plot"')
    assert n_img >= 6
    # the page's own script counts images the browser decoded (naturalWidth > 0)
    assert f'data-plots-rendered="{n_img}"' in dom.stdout and f'data-plots-total="{n_img}"' in dom.stdout
    shot = tmp_path / "shot.png"
    r = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1100,2400", html.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    px = np.asarray(Image.open(shot).convert("RGB"), np.float64) / 255
    non_white = (px.min(axis=2) < 0.9).mean()
    assert non_white > 0.05                                  # not a blank page
    blue = (np.abs(px - np.array([0x3b, 0x7d, 0xd8]) / 255).max(axis=2) < 0.08).mean()
    assert blue > 0.005                                      # the charts' bars are drawn


def test_cli_report_rebuilds_from_stats_json(run):
    run_dir, _ = run
    for name in ("report.html", "report.md"):
        (run_dir / name).unlink(missing_ok=True)
    r = subprocess.run([sys.executable, "-m", "pipeline", "report", str(run_dir)], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (run_dir / "report.html").stat().st_size > 10_000 and (run_dir / "report.md").exists()
    assert "report.html" in r.stdout


def test_report_of_an_unfinished_run_is_an_error(tmp_path):
    from pipeline.report import write_report
    with pytest.raises(FileNotFoundError, match="no stats.json"):
        write_report(tmp_path)


def unfinished_copy(run_dir, to):
    """A copy of a finished run as the run left it before its end: no stats.json, no report."""
    shutil.copytree(run_dir, to)
    (to / "stats.json").unlink()
    for name in ("report.html", "report.md"):
        (to / name).unlink(missing_ok=True)
    return to


def test_report_of_a_killed_run_is_the_work_done_until_then_marked_unfinished(run, tmp_path):
    """kill -9: no stats.json, no failed.json, the last stage without its _SUCCESS record."""
    from pipeline.report import write_report
    run_dir, stats = run
    killed = unfinished_copy(run_dir, tmp_path / "killed")
    last = sorted((killed / "stages").iterdir())[-1]
    (last / "_SUCCESS.json").unlink()
    write_report(killed)
    md = (killed / "report.md").read_text()
    assert f"This run did not finish: {len(stats['stages']) - 1} of its {len(stats['stages'])} stages finished" in md
    assert "no output yet: the run did not finish" in md and f"output {stats['stages'][-1]['docs_out']:,}" not in md
    assert f"| exact_dedup | {stats['stages'][-1]['docs_in']:,} | {stats['stages'][-1]['docs_out']:,} |" in md


def test_no_partial_report_is_written_into_a_run_that_is_still_going(run, tmp_path):
    """A live lease (a fresh heartbeat): the run's own report comes at its end; one made now would
    replace it, or be replaced."""
    import json
    import time

    from pipeline.lease import LEASE
    from pipeline.report import NotARun, write_report
    live = unfinished_copy(run[0], tmp_path / "live")
    (live / LEASE).write_text(json.dumps({"host": "node-7", "pid": 4242, "token": "t", "started": "now",
                                          "heartbeat": time.time()}))
    with pytest.raises(NotARun, match="another run is writing this output .*node-7.*inspect and explain work"):
        write_report(live)
    assert not (live / "report.md").exists()


def test_a_resumed_run_marks_the_stages_an_earlier_run_finished(tmp_path, shared_data, ray_local):
    # The rerun's wall time is its own; a finished stage's time is the earlier run's, said so.
    from pipeline.report import write_report
    run_dir, first = small_run(tmp_path, shared_data)
    assert not any(s.get("cached") for s in first["stages"])
    again = Runner(load_recipe(tmp_path / "r.yaml"), quiet=True).run()
    assert all(s.get("cached") for s in again["stages"])
    write_report(run_dir, again)
    md = (run_dir / "report.md").read_text()
    assert "| exact_dedup (cached) |" in md and "were finished by an earlier run into this folder" in md


def test_report_shows_what_ingest_skipped_and_flagged(run, tmp_path):
    """A crawl's requests, metadata records, redirects and images are skipped and flags counted at
    ingest: the counts were only in stats.json, so a reader of the report could not see that 4xx
    pages and images were dropped or that pages came cut by the network."""
    import copy
    from pipeline.report import write_report
    run_dir, stats = run
    stats = copy.deepcopy(stats)
    stats["stages"][0]["counters"] = {"skipped_request": 608, "skipped_http_4xx": 474, "http_truncated": 6,
                                      "duplicate_id_across_files": 0, "decoded_lossy": 1,
                                      "latex_included_files_skipped": 30}
    stats["stages"][0].pop("by_source", None)     # the run-wide counts (a one-source run, an older stats.json)
    out = tmp_path / "copy"
    shutil.copytree(run_dir, out)
    write_report(out, stats)
    md = (out / "report.md").read_text()
    section = md.split("## Input skipped and flagged at ingest", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "counter" not in line]
    assert rows == ["| skipped_request | 608 | skipped, not a document |",
                    "| skipped_http_4xx | 474 | skipped, not a document |",
                    "| latex_included_files_skipped | 30 | skipped, not a document |",
                    "| http_truncated | 6 | a flag or a note |", "| decoded_lossy | 1 | a flag or a note |"]
    assert "Input skipped and flagged at ingest" in (out / "report.html").read_text()


def test_the_output_documents_path_exists_when_the_last_stage_stores_views(run):
    """The run ends in exact_dedup, which stores views: stats named its shards/ folder, which
    does not exist (the README says never to glob it); it names the stage folder and says views."""
    from pipeline import read_documents
    run_dir, stats = run
    out = stats["output"]
    assert out["documents_are_views"] is True and "exact_dedup" in out["documents"]
    assert Path(out["documents"]).is_dir() and Path(out["stage"]) == Path(out["documents"])
    assert read_documents(stats).num_rows == out["documents_count"] > 0


def test_sampled_shards_include_every_source_while_there_are_fewer_than_the_sample():
    """Nine mix shards, one holding a whole source (zh_web): an even spread of 8 left exactly that
    one out, and the report's languages, lengths and signals described the run without it."""
    from pipeline.report.collect import _spread
    names = ([f"p000-00-00000-{i:04d}" for i in range(4)] + ["p000-01-00000-0000"]
             + [f"p000-02-00000-{i:04d}" for i in range(3)] + ["p000-03-00000-0000"])
    picked = _spread(names, 8)
    assert len(picked) <= 8 and picked == sorted(picked, key=names.index)
    assert {n.rsplit("-", 2)[0] for n in picked} == {"p000-00", "p000-01", "p000-02", "p000-03"}
    # one source, or more sources than the sample: spread evenly as before
    one = [f"00-00000-{i:04d}" for i in range(20)]
    assert _spread(one, 8) == [one[i] for i in (0, 3, 5, 8, 11, 14, 16, 19)]
    assert len(_spread([f"{s:02d}-00000-0000" for s in range(12)], 8)) == 8


def test_ingest_counts_are_told_per_source_when_a_run_has_several(tmp_path, shared_data, ray_local):
    """Two sources, a crawl (requests, revisits and images skipped) and a JSONL dump: stats.json
    and the report gave the skip counters for the run as a whole, so a researcher could not tell
    which source held the skipped records."""
    from pipeline.report import write_report
    warc = shared_data / "warc" / "pywb_iana.warc.gz"
    jsonl = shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: per-source
        output: {tmp_path / 'run'}
        sources:
          - {{name: crawl, format: warc, paths: [{warc}]}}
          - {{name: dump, format: jsonl, paths: [{jsonl}], id_field: id}}
        stages:
          - stage: stages_for_tests:CharCount
        """))
    stats = Runner(load_recipe(recipe), quiet=True).run()
    ingest = stats["stages"][0]
    by_source = ingest["by_source"]
    assert set(by_source) == {"crawl", "dump"}
    assert by_source["dump"]["counters"] == {} or not any(k.startswith("skipped_") for k in by_source["dump"]["counters"])
    skipped = {k: v for k, v in by_source["crawl"]["counters"].items() if k.startswith("skipped_")}
    assert skipped.get("skipped_request", 0) > 0
    for field in ("docs_in", "docs_out", "files"):
        assert sum(row[field] for row in by_source.values()) == ingest[field]
    for k, v in ingest["counters"].items():
        assert sum(row["counters"].get(k, 0) for row in by_source.values()) == v
    write_report(tmp_path / "run", stats)
    md = (tmp_path / "run" / "report.md").read_text()
    section = md.split("## Input skipped and flagged at ingest", 1)[1].split("\n## ", 1)[0]
    assert "| source | counter | records | kind |" in section
    assert f"| crawl | skipped_request | {skipped['skipped_request']:,} | skipped, not a document |" in section
    assert "| dump |" not in section


def test_a_funnel_of_many_sources_sums_the_ones_past_its_columns_and_the_summary_says_how_many_more(run):
    """15 sources: the report's funnel showed the 12 largest and dropped three without a word, and
    the run's summary line named 8 sources of 15 as if they were all."""
    import copy
    from pipeline.report.render import FUNNEL_COLUMNS, _funnel_table
    from pipeline.stats import summary_table
    keys = [f"s{i:02d}" for i in range(15)]
    rows = [{"stage": "ingest", "counts": {k: 10 + i for i, k in enumerate(keys)}}]
    table = _funnel_table(keys, rows, "by_source")
    assert len(table.header) == FUNNEL_COLUMNS + 1 and table.header[-1] == "4 others"
    assert table.rows[0][-1] == f"{sum(10 + i for i in range(11, 15)):,}"
    _, stats = run
    stats = copy.deepcopy(stats)
    stats["kept_documents"] = {"stage": stats["stages"][-1]["id"], "source": {k: 5 for k in keys}}
    line = next(x for x in summary_table(stats).splitlines() if x.startswith("kept by source"))
    assert line.endswith(", 7 more in stats.json")
