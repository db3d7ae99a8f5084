"""minhash_dedup's audit file (candidate_pairs.parquet): a rejected pair shows how close it came."""
import pyarrow.parquet as pq
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.fuzzy import MinHashDedup
from stages.dedup.local import run_global, write_input


@pytest.fixture(scope="module", autouse=True)
def ray_started():
    start_ray(num_cpus=2)


def _docs(shared_data):
    words = (shared_data / "text" / "wikitext-2_valid.txt").read_text().split()[:3000]
    base = words[:400]
    near = base[:390] + ["changed"] * 10                 # ~0.9 of the shingles shared
    half = base[:280] + words[1000:1120]                 # ~0.55 shared: a candidate, no duplicate
    return [{"id": i, "source": "s", "text": " ".join(w)} for i, w in (("a", base), ("b", near), ("c", half))]


def _audit(tmp_path, stage, docs):
    inp = write_input([documents_table(docs)], tmp_path / "in")
    run = run_global(stage, inp, tmp_path / "x")
    return pq.read_table(run.ctx.output_dir / "candidate_pairs.parquet").to_pylist(), run


def test_a_rejected_pair_keeps_its_jaccard(tmp_path, shared_data):
    # Was: similarity 0.0 for every rejected pair, whatever it was.
    rows, run = _audit(tmp_path, MinHashDedup(threshold=0.3, verify_threshold=0.8), _docs(shared_data))
    by_pair = {frozenset((r["id_a"], r["id_b"])): r for r in rows}
    assert by_pair[frozenset("ab")]["accepted"] and by_pair[frozenset("ab")]["similarity"] >= 0.8
    rejected = [r for r in rows if not r["accepted"]]
    assert rejected and all(0.3 < r["similarity"] < 0.8 for r in rejected), rejected
    assert run.removed.column("id").to_pylist() == ["b"]


def test_levenshtein_says_it_did_not_measure_a_rejected_pair(tmp_path, shared_data):
    rows, _ = _audit(tmp_path, MinHashDedup(threshold=0.3, verify_threshold=0.8, verify="levenshtein"),
                     _docs(shared_data))
    assert any(r["accepted"] and r["similarity"] >= 0.8 for r in rows)
    rejected = [r for r in rows if not r["accepted"]]
    assert rejected and all(r["similarity"] is None for r in rejected), rejected
