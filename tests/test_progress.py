"""Progress labels for fused chains and the end-of-run table's per-stage times."""
from pipeline.progress import Progress, short_name
from pipeline.stats import summary_table


def test_fused_chain_gets_a_short_label_and_is_spelled_out_once(capsys):
    name = "extract+language+url_filter+gopher_quality+pii"
    assert short_name(name) == "extract..pii (5 stages)"
    assert short_name("ingest") == "ingest" and short_name("a+b") == "a+b"
    bar = Progress(quiet=False).bar(name, 4)
    bar.update(4, docs=10)
    err = capsys.readouterr().err
    assert "[extract..pii (5 stages)] = extract + language + url_filter + gopher_quality + pii" in err
    assert "[extract..pii (5 stages)] 4/4 shards" in err


def _stage(sid, cpu, wall, fused=None):
    return {"id": sid, "docs_in": 10, "docs_out": 9, "removed": {}, "quarantined": {}, "bytes_in": 0,
            "bytes_out": 0, "task_seconds": wall, "cpu_seconds": cpu, "wall_seconds": wall, "fused_with": fused}


def test_summary_shows_each_stage_time_and_a_fused_wall_once():
    chain = ["a", "b"]
    stats = {"stages": [_stage("a", 3.0, 7.5, chain), _stage("b", 1.25, 7.5, chain), _stage("dedup", 0, 2.0)],
             "output": {}, "removed": {}, "quarantined": {}}
    lines = summary_table(stats).splitlines()
    a, b, dedup = (next(line for line in lines if line.startswith(k + " ")) for k in ("a", "b", "dedup"))
    assert a.split()[-2:] == ["3.0", "7.5"] and b.split()[-1] == "1.2"
    assert dedup.split()[-2:] == ["0.0", "2.0"] and "cpu s" in lines[0]
    assert "note:" not in summary_table(stats)
    # ids shared across input files (each file numbering its rows from 0): said after the run
    stats["stages"][0]["counters"] = {"duplicate_id_across_files": 99}
    assert "note: 99 documents have an id an earlier input file's document has" in summary_table(stats)
    assert "editions of one book side by side (flagged other_edition)" in summary_table(stats)


class _Clock:
    """A clock the test moves by hand, so ETAs are checked without timing anything."""
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eta_is_the_rate_since_the_bar_started_not_counting_resumed_items(monkeypatch, capsys):
    import pipeline.progress as progress
    clock = _Clock()
    monkeypatch.setattr(progress.time, "perf_counter", clock)
    bar = Progress().bar("tokenize: encode", 10, unit="tasks", done=2)
    assert "resuming: 2/10 tasks already done" in capsys.readouterr().err
    assert bar.eta() != bar.eta()               # nan: nothing done since the start yet
    clock.now += 4.0
    bar.update(2)                               # 2 items in 4 s: 0.5/s, 6 left -> 12 s
    assert bar.eta() == 12.0
    clock.now += 11.0                           # a log line after LOG_EVERY seconds
    bar.update(1)
    line = capsys.readouterr().err.strip()
    assert line.startswith("[tokenize: encode] 5/10 tasks") and line.endswith("15s elapsed, ETA 25s")  # 3 in 15 s, 5 left


def test_chain_total_is_projected_from_the_files_read_so_far(capsys):
    bar = Progress().bar("extract+language+gopher", 0)
    bar.project(seen=6, parts_done=2, parts_total=5)     # 3 shards a file so far: ~15 in all
    assert (bar.total, bar.estimated) == (15, True)
    bar.skip(3)                                          # a resumed run: done before, not in the rate
    assert (bar.n, bar.start_n) == (3, 3)
    bar.update(3)
    assert "6/~15 shards" in bar.line()
    bar.project(seen=14, parts_done=5, parts_total=5)    # every file read: the total is exact
    assert (bar.total, bar.estimated) == (14, False)
    bar.update(8)
    err = capsys.readouterr().err
    assert "[extract..gopher (3 stages)] 14/14 shards" in err and "~" not in err.splitlines()[-1]


def test_quiet_mode_prints_nothing(capsys):
    p = Progress(quiet=True)
    bar = p.bar("a+b+c", 3, done=1)
    bar.project(2, 1, 2)
    bar.update(2, docs=5)
    p.note("hello")
    assert capsys.readouterr().err == ""


def _square(x: int) -> int:
    return x * x


def _cube_task(x: int) -> int:
    return x ** 3


def test_global_stage_phases_get_bars_and_timings(tmp_path, ray_local, capsys):
    from pipeline.global_context import GlobalContext
    from pipeline.shards import StageDir
    ctx = GlobalContext("dedup", StageDir(tmp_path / "in"), StageDir(tmp_path / "out"), seed=0,
                        removed_samples=0, progress=Progress())
    assert ctx.map(_square, [(i,) for i in range(5)], phase="signatures") == [0, 1, 4, 9, 16]
    assert ctx.map(_cube_task, [(2,), (3,)]) == [8, 27]          # unnamed: named after the function
    err = capsys.readouterr().err
    assert "[dedup: signatures] 5/5 tasks" in err and "[dedup: cube] 2/2 tasks" in err
    phases = ctx.info["phases"]
    assert [(p["phase"], p["tasks"]) for p in phases] == [("signatures", 5), ("cube", 2)]
    assert all(0 <= p["task_seconds"] and 0 < p["wall_seconds"] for p in phases)
    quiet = GlobalContext("dedup", StageDir(tmp_path / "in"), StageDir(tmp_path / "out2"), seed=0,
                          removed_samples=0)
    assert quiet.map(_square, [(3,)]) == [9] and capsys.readouterr().err == ""


def _mix_stats(**extra):
    mix = {"source_column": "source", "sources": {"en": {"documents": 3, "tokens": 900},
                                                   "zh": {"documents": 40, "tokens": 100}},
           "warnings": ["mix: shortfall (allow_shortfall): 1,000 of the 5,000 tokens asked (20.0%); ..."]}
    return {"stages": [_stage("ingest", 0, 1), _stage("dedup", 0, 1), {**_stage("mix", 0, 1), "info": {"mix": mix}}],
            "output": {}, "removed": {}, "quarantined": {}, **extra}


def test_summary_says_kept_counts_are_before_the_mix_and_shows_the_mix_documents_and_warnings():
    # "kept by source" counts stop before the first resampling stage: they were shown unlabelled,
    # read as the mixed output's (zh 2,500 kept where the mix wrote 9 zh documents).
    stats = _mix_stats(kept_documents={"stage": "dedup", "before": "mix", "source": {"zh": 2500, "en": 60}},
                       languages={"zh": {"kept": 2500, "removed": {"dedup/exact_duplicate": 5}, "keep_rate": 0.998}})
    lines = summary_table(stats).splitlines()
    assert "kept by source (before mix): zh 2,500, en 60" in lines
    assert "mix output by source (documents, repeats included): zh 40, en 3" in lines
    assert "keep rate by language (before mix) (top reason): zh 1.00 (dedup/exact_duplicate)" in lines
    assert "warning: mix: shortfall (allow_shortfall): 1,000 of the 5,000 tokens asked (20.0%); ..." in lines
    assert not any(line.startswith("kept by before") for line in lines)
    # an older stats.json (no "before" in its profile) is labelled from its mix stage
    old = _mix_stats(kept_documents={"stage": "dedup", "source": {"zh": 2500}})
    assert "kept by source (before mix): zh 2,500" in summary_table(old).splitlines()
    # no mix: the line is as it was
    plain = {"stages": [_stage("dedup", 0, 1)], "output": {}, "removed": {}, "quarantined": {},
             "kept_documents": {"stage": "dedup", "source": {"zh": 7}}}
    assert "kept by source: zh 7" in summary_table(plain).splitlines()
    assert "warning:" not in summary_table(plain)


def test_profile_names_the_resampling_stage_and_the_language_funnel_stops_there(tmp_path):
    from types import SimpleNamespace

    import pyarrow as pa

    from pipeline.shards import StageDir
    from pipeline.stage import Result
    from pipeline.stats import document_profile, language_funnel, stage_warnings
    sd = StageDir(tmp_path / "dedup")
    sd.write_shard("s0", None, Result(pa.table({"id": ["1", "2", "3"], "source": ["zh", "zh", "en"],
                                                "language": ["zh", "zh", "en"]})), 0.0, 0, docs_in=3)
    stages = [SimpleNamespace(id="dedup", stage=SimpleNamespace(resamples=False), dir=sd),
              SimpleNamespace(id="mix", stage=SimpleNamespace(resamples=True), dir=StageDir(tmp_path / "mix"))]
    profile = document_profile(stages)
    assert profile["stage"] == "dedup" and profile["before"] == "mix" and profile["source"] == {"zh": 2, "en": 1}
    assert "before" not in document_profile(stages[:1])
    # documents the mix did not select are still in the kept counts: not also removed
    per = [{"id": "dedup", "removed_by_language": {"zh/dedup/exact_duplicate": 2}},
           {"id": "mix", "removed_by_language": {"zh/mix/not_selected": 1, "en/mix/not_selected": 1}}]
    langs = language_funnel(per, profile)
    assert langs["zh"] == {"kept": 2, "removed": {"dedup/exact_duplicate": 2}, "keep_rate": 0.5}
    assert langs["en"] == {"kept": 1, "removed": {}, "keep_rate": 1.0}
    assert stage_warnings(_mix_stats()) == [{"stage": "mix", "message": _mix_stats()["stages"][2]["info"]["mix"]["warnings"][0],
                                             "kind": "mix"}]


def test_any_stages_recorded_warnings_reach_the_summary():
    """Not only the mix's: a tokenizer trained short of vocab_size, or packing's dropped tail."""
    stats = {"stages": [_stage("tokenize", 1.0, 1.0)], "output": {}, "removed": {}, "quarantined": {}}
    stats["stages"][0]["info"] = {"tokenize": {"warnings": ["tokenizer: vocab_size 70,000 requested, 323 trained"]},
                                  "other": "not a dict"}
    assert "warning: tokenizer: vocab_size 70,000 requested, 323 trained" in summary_table(stats).splitlines()


def test_eta_is_never_negative_while_the_total_is_still_unknown(monkeypatch):
    """A resumed chain skips its done shards before its total is projected: the log said
    '3/0 shards, ETA -33s'."""
    import pipeline.progress as progress
    clock = _Clock()
    monkeypatch.setattr(progress.time, "perf_counter", clock)
    bar = Progress(quiet=True).bar("extract+language", 0)
    bar.skip(3)
    clock.now += 5.0
    bar.update(1)
    assert bar.eta() == 0.0
