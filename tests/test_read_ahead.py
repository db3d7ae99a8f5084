"""The driver reads input files while Ray starts (Runner._read_ahead): what it writes is what the
ingest tasks would write, a file it leaves unfinished is read whole by a task, and nothing of it
happens when a cluster is being joined."""
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest

import pipeline.executor as executor
import pipeline.runner as runner_mod
from pipeline.recipe import load_recipe
from pipeline.runner import Runner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_runner import STAGES, digest_tree, make_recipe  # noqa: E402


def _starting_for(calls: int):
    """A stand-in for `local_ray_starting`: Ray 'comes up' after this many questions."""
    asked = []

    def starting() -> bool:
        asked.append(1)
        return len(asked) <= calls
    return starting


def _strip(stats):
    return [(s["id"], s["docs_in"], s["docs_out"], s["removed"], s["quarantined"]) for s in stats["stages"]]


@pytest.mark.parametrize("calls", [3, 10_000])
def test_read_ahead_writes_what_tasks_write(tmp_path, shared_data, ray_local, monkeypatch, calls):
    stages = STAGES.format(min_chars=3000)
    reference = Runner(load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "ref", stages, "ref.yaml",
                                               shard_docs=10)), quiet=True).run()
    runner = Runner(load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "ahead", stages, "ahead.yaml",
                                            shard_docs=10)), quiet=True)
    monkeypatch.setattr(runner_mod, "local_ray_starting", _starting_for(calls))
    switch = sys.getswitchinterval()
    chain = runner.segments[0].stages
    assert runner._read_ahead(chain) > 0 and sys.getswitchinterval() == switch
    ingest = runner.stages[0].dir.path
    records = sorted(p.name for p in (ingest / "files").glob("*.done.json"))
    shards = sorted(p.name for p in (ingest / "shards").glob("*.parquet"))
    if calls == 3:
        # Ray came up during the first file (asked once before it, then after each shard): the
        # file is left unrecorded, three shards of it written, and no other file was begun.
        assert records == [] and shards == [f"00-00000-000{i}.parquet" for i in range(3)]
        assert runner._read_ahead_files == set()
    else:
        # each source's two small files are one group (SourceConfig.group_bytes), one record each
        assert records == ["00-00000.done.json", "01-00000.done.json"]
        assert runner._read_ahead_files == {"00-00000", "01-00000"}
    stats = runner.run()
    assert _strip(stats) == _strip(reference)
    a, b = digest_tree(tmp_path / "ahead"), digest_tree(tmp_path / "ref")
    assert a and a == b


def test_read_ahead_only_while_ray_starts_here(monkeypatch):
    pending = Future()
    monkeypatch.setattr(executor, "_starting", pending)
    monkeypatch.setattr(executor, "_starting_address", None)
    assert executor.local_ray_starting()
    monkeypatch.setattr(executor, "_starting_address", "10.0.0.1:6379")    # joining a cluster
    assert not executor.local_ray_starting()
    monkeypatch.setattr(executor, "_starting_address", None)
    pending.set_result({})
    assert not executor.local_ray_starting()
    monkeypatch.setattr(executor, "_starting", None)
    assert not executor.local_ray_starting()


def test_the_ingest_line_tells_files_read_ahead_from_a_resumed_run(capsys):
    from pipeline.progress import Progress
    Progress(quiet=False).bar("ingest", 5, unit="files", done=5, ahead=3).close()
    Progress(quiet=False).bar("ingest", 5, unit="files", done=4, ahead=4).close()
    err = capsys.readouterr().err
    assert "[ingest] resuming: 2/5 files already done; 3/5 files read while Ray started" in err
    assert "[ingest] 4/5 files read while Ray started" in err and "resuming: 0" not in err
