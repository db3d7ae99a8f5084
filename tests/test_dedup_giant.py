"""One page copied thousands of times among normal documents (a cookie wall, a parked domain):
the right copy is kept, and no step pairs all copies with each other."""
import sys
from pathlib import Path

import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.exact import ExactDedup
from stages.dedup.fuzzy import MinHashDedup
from stages.dedup.local import run_global, write_input

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the bench package
from bench.bench_cluster import _corpus_docs  # noqa: E402
from bench.corpus import Pools  # noqa: E402

COPIES, NORMAL, SHARD_DOCS = 3_000, 400, 500


@pytest.fixture(scope="module", autouse=True)
def ray_started():
    start_ray(num_cpus=2)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    pools = Pools.load()
    work = tmp_path_factory.mktemp("giant")
    out = {}
    for name, copies in (("normal", 0), ("giant", COPIES)):
        docs = [{k: v for k, v in d.items() if k != "lang"} for d in _corpus_docs(NORMAL, copies, pools)]
        tables = [documents_table(docs[i:i + SHARD_DOCS]) for i in range(0, len(docs), SHARD_DOCS)]
        out[name] = (write_input(tables, work / name), [d["id"] for d in docs])
    return work, out


def _removed(run) -> dict[str, str]:
    if run.removed is None:
        return {}
    return dict(zip(run.removed.column("id").to_pylist(), run.removed.column("duplicate_of").to_pylist()))


@pytest.mark.parametrize("stage", [MinHashDedup(), ExactDedup()], ids=["minhash", "exact"])
def test_giant_cluster_keeps_first_copy_and_stays_linear(corpora, stage):
    work, inputs = corpora
    name = type(stage).__name__
    base = run_global(stage, inputs["normal"][0], work / f"{name}-normal")
    run = run_global(stage, inputs["giant"][0], work / f"{name}-giant")
    ids = inputs["giant"][1]
    copies = [i for i in ids if i.startswith("giant-")]
    assert len(copies) == COPIES and len(set(ids)) == len(ids)
    shards = [ids[i:i + SHARD_DOCS] for i in range(0, len(ids), SHARD_DOCS)]
    assert all(any(i.startswith("giant-") for i in s) for s in shards)   # spread over every shard
    # every copy but the first (in shard-then-row order) goes, naming the first; the normal
    # documents' decisions are the same as without the giant page
    expected = {**_removed(base), **{c: copies[0] for c in copies[1:]}}
    assert _removed(run) == expected
    assert run.kept.num_rows == len(ids) - len(expected)
    if isinstance(stage, MinHashDedup):
        # a star per bucket: COPIES - 1 distinct candidate pairs for the page, not COPIES^2 / 2
        extra = run.counters["minhash_candidate_pairs"] - base.counters["minhash_candidate_pairs"]
        assert extra == COPIES - 1
        assert run.counters["near_duplicate_clusters"] == base.counters["near_duplicate_clusters"] + 1
    else:
        assert run.counters["exact_duplicates"] == base.counters.get("exact_duplicates", 0) + COPIES - 1
        assert run.counters["exact_duplicate_groups"] == base.counters.get("exact_duplicate_groups", 0) + 1
