import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.exact import ExactDedup
from stages.dedup.local import run_global, write_input
from stages.dedup.normalize import Normalization


@pytest.fixture(scope="module", autouse=True)
def ray_started():
    start_ray(num_cpus=2)


def _docs(texts, source="web", prefix="d"):
    return documents_table([{"id": f"{prefix}{i}", "source": source, "text": t}
                            for i, t in enumerate(texts)])


def test_keeps_first_copy_across_shards_and_names_it(tmp_path, shared_data):
    lines = (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
    paras = [l.strip() for l in lines if len(l.strip()) > 200][:40]
    a = _docs(paras[:20], prefix="a")
    # shard b: 5 exact copies of shard a's docs with case/whitespace changes, 5 new docs
    b = _docs([paras[i].upper().replace(" ", "  \n ") for i in range(5)] + paras[20:25], prefix="b")
    inp = write_input([a, b], tmp_path / "in")
    run = run_global(ExactDedup(), inp, tmp_path)
    assert run.kept.num_rows == 25
    pairs = sorted(zip(run.removed.column("id").to_pylist(), run.removed.column("duplicate_of").to_pylist()))
    assert pairs == [(f"b{i}", f"a{i}") for i in range(5)]
    assert set(run.removed.column("reason").to_pylist()) == {"exact_duplicate"}
    assert run.counters["exact_duplicates"] == 5


def test_case_sensitive_and_per_source(tmp_path):
    a = _docs(["Same text here.", "same text here.", "Other"], source="s1", prefix="a")
    b = _docs(["Same text here.", "Other"], source="s2", prefix="b")
    inp = write_input([a, b], tmp_path / "in")
    strict = run_global(ExactDedup(normalization=Normalization(casefold=False)), inp, tmp_path / "x")
    assert sorted(strict.removed.column("id").to_pylist()) == ["b0", "b1"]
    per_source = run_global(ExactDedup(scope="per_source"), inp, tmp_path / "y")
    assert per_source.removed.column("id").to_pylist() == ["a1"]
    assert per_source.removed.column("duplicate_of").to_pylist() == ["a0"]


def test_punctuation_folding_and_null_text(tmp_path):
    a = _docs(["Hello, world!", "hello world", None, None])
    inp = write_input([a], tmp_path / "in")
    keep_punct = run_global(ExactDedup(), inp, tmp_path / "x")
    assert sorted(keep_punct.removed.column("id").to_pylist()) == ["d3"]
    fold = run_global(ExactDedup(normalization=Normalization(fold_punctuation=True)), inp, tmp_path / "y")
    assert sorted(fold.removed.column("id").to_pylist()) == ["d1", "d3"]


def test_copies_within_and_across_shards(tmp_path):
    # the first copy of X in shard b is itself a copy of a0: b's later copies name a0 as well
    a = _docs(["text X", "text W"], prefix="a")
    b = _docs(["text Y", "text X", "text X", "text Z", "text Y", "text W"], prefix="b")
    c = _docs(["text Y", "text X"], prefix="c")
    inp = write_input([a, b, c], tmp_path / "in")
    run = run_global(ExactDedup(partitions=3), inp, tmp_path)
    assert _removed_map(run) == {"b1": "a0", "b2": "a0", "b4": "b0", "b5": "a1", "c0": "b0", "c1": "a0"}
    assert sorted(run.kept.column("id").to_pylist()) == ["a0", "a1", "b0", "b3"]
    assert run.counters["exact_duplicates"] == 6
    assert run.counters["exact_duplicate_groups"] == 3


def _removed_map(run):
    return dict(zip(run.removed.column("id").to_pylist(), run.removed.column("duplicate_of").to_pylist()))
