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


def _stage(sid, task, wall, fused=None):
    return {"id": sid, "docs_in": 10, "docs_out": 9, "removed": {}, "quarantined": {}, "bytes_in": 0,
            "bytes_out": 0, "task_seconds": task, "wall_seconds": wall, "fused_with": fused}


def test_summary_shows_each_stage_time_and_a_fused_wall_once():
    chain = ["a", "b"]
    stats = {"stages": [_stage("a", 3.0, 7.5, chain), _stage("b", 1.25, 7.5, chain), _stage("dedup", 0, 2.0)],
             "output": {}, "removed": {}, "quarantined": {}}
    lines = summary_table(stats).splitlines()
    a, b, dedup = (next(line for line in lines if line.startswith(k + " ")) for k in ("a", "b", "dedup"))
    assert a.split()[-2:] == ["3.0", "7.5"] and b.split()[-1] == "1.2"
    assert dedup.split()[-2:] == ["2.0", "2.0"]
