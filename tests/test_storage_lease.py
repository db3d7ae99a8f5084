"""One run per output (a lease with heartbeat), and outputs that would destroy or re-read data are
refused before any work."""
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.lease import LEASE, Lease, OutputBusy
from pipeline.recipe import RecipeError, load_recipe
from pipeline.runner import Runner

REPO = Path(__file__).resolve().parents[1]


def recipe(tmp_path: Path, shared_data: Path, output: Path, paths: str | None = None) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(f"name: lease\noutput: {output}\nsources:\n  - name: web\n    format: warc\n"
                 f"    paths: ['{paths or str(shared_data / 'warc' / 'sample_pages.warc.gz')}']\n")
    return p


def test_second_run_into_a_leased_output_is_refused_with_one_line(tmp_path, shared_data):
    out = tmp_path / "run"
    r = recipe(tmp_path, shared_data, out)
    with Lease(out):
        with pytest.raises(OutputBusy) as e:
            Runner(load_recipe(r), quiet=True).run()
        assert "another run is writing this output" in str(e.value) and "\n" not in str(e.value)
        assert f"pid {os.getpid()}" in str(e.value)
        proc = subprocess.run([sys.executable, "-m", "pipeline", "run", str(r), "--quiet"], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1].startswith("error: ") and "another run" in proc.stderr
    assert not (out / LEASE).exists()          # released


def test_stale_leases_are_taken_over_with_a_message(tmp_path, caplog):
    out = tmp_path / "run"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LEASE).write_text(json.dumps({"host": os.uname().nodename, "pid": dead.pid, "token": "x",
                                         "heartbeat": time.time(), "started": "then"}))
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        with Lease(out) as lease:
            assert json.loads((out / LEASE).read_text())["token"] == lease.token
    assert f"process {dead.pid}" in caplog.text and "stale lease" in caplog.text
    # another host's lease whose heartbeat stopped long ago
    (out / LEASE).write_text(json.dumps({"host": "elsewhere", "pid": 1, "token": "y",
                                         "heartbeat": time.time() - 3600, "started": "then"}))
    with Lease(out):
        pass
    assert "no heartbeat for" in caplog.text
    # ... but a fresh one from another host holds
    (out / LEASE).write_text(json.dumps({"host": "elsewhere", "pid": 1, "token": "z",
                                         "heartbeat": time.time(), "started": "now"}))
    with pytest.raises(OutputBusy, match="host elsewhere"):
        Lease(out).acquire()


def test_a_run_whose_lease_another_run_took_stops(tmp_path, monkeypatch):
    """Its lease file removed mid-run, a second run took the output: the first saw it at its next
    heartbeat, went on writing and exited 0, two runs in one folder. It now stops with one line."""
    import pipeline.lease as lease_mod
    monkeypatch.setattr(lease_mod, "HEARTBEAT_SECONDS", 0.05)
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(OutputBusy) as e:
        with Lease(out) as lease:
            # A second run took the output (its record replaced ours between two heartbeats).
            (out / LEASE).write_text(json.dumps({**lease.record, "token": "another run", "pid": 4242}))
            deadline = time.time() + 10
            while lease.lost is None and time.time() < deadline:
                time.sleep(0.05)
            with pytest.raises(OutputBusy):
                lease.held()                                # what the runner asks between segments
    assert "lost the output's lease" in str(e.value) and "pid 4242" in str(e.value)


def test_a_lease_record_removed_by_hand_is_written_again(tmp_path, monkeypatch, caplog):
    """Removed while the run holds it and taken by no run: the heartbeat only warned that the key
    was missing, every beat, and a second run could start into the output. It writes it again."""
    import pipeline.lease as lease_mod
    monkeypatch.setattr(lease_mod, "HEARTBEAT_SECONDS", 0.05)
    out = tmp_path / "run"
    out.mkdir()
    with caplog.at_level(logging.WARNING, logger="pipeline.lease"):
        with Lease(out) as lease:
            (out / LEASE).unlink()                          # as a person cleaning up might
            deadline = time.time() + 10
            while not (out / LEASE).exists() and time.time() < deadline:
                time.sleep(0.05)
            assert json.loads((out / LEASE).read_text())["token"] == lease.token
            with pytest.raises(OutputBusy, match="another run is writing this output"):
                Lease(out).acquire()                        # a second run is refused again
            lease.held()                                    # and this one goes on
    assert "lease record was removed while this run held it" in caplog.text
    assert not (out / LEASE).exists()                       # released at the end as usual


def test_output_onto_a_folder_that_is_not_a_run_is_refused(tmp_path, shared_data):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    with pytest.raises(RecipeError, match="not empty and is not a tokenmill run"):
        Runner(load_recipe(recipe(tmp_path, shared_data, out)), quiet=True)
    assert (out / "chapter1.tex").read_text() == "precious"


def test_output_inside_an_input_folder_is_refused(tmp_path, shared_data):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.warc.gz").write_bytes((shared_data / "warc" / "sample_pages.warc.gz").read_bytes())
    (inputs / "old").mkdir()
    (inputs / "old" / "b.warc.gz").write_bytes((inputs / "a.warc.gz").read_bytes())
    for reaching in (str(inputs), f"{inputs}/**/*.warc.gz", f"{inputs}/*/*.warc.gz"):
        with pytest.raises(RecipeError, match="inside the input of source 'web'"):
            Runner(load_recipe(recipe(tmp_path, shared_data, inputs / "run", paths=reaching)), quiet=True)
    assert not (inputs / "run").exists()


def test_output_beside_the_files_a_glob_names_is_accepted(tmp_path, shared_data):
    """`data/*.warc.gz` cannot name anything inside `data/run` (`*` stops at '/'): a common layout."""
    from pipeline.lease import check_output
    from pipeline.checks import list_inputs
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.warc.gz").write_bytes((shared_data / "warc" / "sample_pages.warc.gz").read_bytes())
    for beside in (f"{inputs}/*.warc.gz", f"{inputs}/a.warc.gz", f"{inputs}/*.gz"):
        r = load_recipe(recipe(tmp_path, shared_data, inputs / "run", paths=beside))
        check_output(r.output, r, list_inputs(r))


def test_memory_urls_are_refused_before_any_work(tmp_path, shared_data):
    """fsspec's memory:// is one process's memory: each Ray worker wrote into its own, and the run
    failed blaming its inputs ("no records at all")."""
    with pytest.raises(RecipeError, match="output 'memory://runs/x' is in memory://"):
        Runner(load_recipe(recipe(tmp_path, shared_data, "memory://runs/x")), quiet=True)
    r = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(recipe(tmp_path, shared_data, tmp_path / "o")),
                        "--output", "memory://runs/y"], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert r.returncode == 2 and "Ray's worker processes cannot see" in r.stderr, r.stderr


def test_a_run_that_lost_its_output_writes_nothing_more_into_it(tmp_path, shared_data, monkeypatch):
    """The folder is the other run's once the lease is lost: no failed.json, no report, and the
    other run's stats.json stays (it was removed as this run's failure report began)."""
    out = tmp_path / "run"
    r = load_recipe(recipe(tmp_path, shared_data, out))

    def lose(self):
        self._begin()
        (out / "stats.json").write_text("{}")        # the run that took the output finished meanwhile
        self._lease.lost = f"{out}: this run lost the output's lease to another run"
        self._lease.held()

    monkeypatch.setattr(Runner, "_run", lose)
    with pytest.raises(OutputBusy, match="lost the output's lease"):
        Runner(r, quiet=True).run()
    assert (out / "stats.json").read_text() == "{}"
    assert not (out / "failed.json").exists() and not (out / "report.md").exists()
