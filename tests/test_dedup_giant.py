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
        # two anchors per bucket: 2 * COPIES - 3 distinct candidate pairs for the page, not COPIES^2 / 2
        extra = run.counters["minhash_candidate_pairs"] - base.counters["minhash_candidate_pairs"]
        assert extra == 2 * COPIES - 3
        assert run.counters["near_duplicate_clusters"] == base.counters["near_duplicate_clusters"] + 1
    else:
        assert run.counters["exact_duplicates"] == base.counters.get("exact_duplicates", 0) + COPIES - 1
        assert run.counters["exact_duplicate_groups"] == base.counters.get("exact_duplicate_groups", 0) + 1


def _star_rounds(edges_dir, work, parts):
    """components() run in this process (the tasks are plain functions), so RECORDS_PER_FILE
    can be lowered; returns the final edge set and the number of files written."""
    from stages.dedup.clusters import star_step
    from stages.dedup.lsh import Spill
    current, step, files = edges_dir, 0, 0
    while True:
        large = work / f"large-{step}"
        edges = Spill.of(current, ".edges")
        unsettled = sum(star_step("large", edges.part(p), p, large, parts)[1] for p in range(parts))
        files += len(list(large.glob("*.edges")))
        if not unsettled:
            return current, files
        current = work / f"small-{step}"
        edges = Spill.of(large, ".edges")
        for p in range(parts):
            star_step("small", edges.part(p), p, current, parts)
        step += 1


def test_streaming_steps_agree_whatever_the_file_size(tmp_path, monkeypatch):
    import numpy as np

    from stages.dedup import lsh
    from stages.dedup.clusters import DECISION, EDGE, MEMBER, choose_task, write_edges
    rng = np.random.default_rng(3)
    keys = rng.choice(1 << 40, 3_000, replace=False).astype(np.int64)
    hub = keys[:2_000]                       # a giant cluster: a star around a random member...
    chain = keys[2_000:2_400]                # ...joined to a long chain, plus small random pairs
    a = np.r_[np.full(1_999, hub[7]), chain[:-1], chain[0], keys[2_400:2_700]]
    b = np.r_[np.delete(hub, 7), chain[1:], hub[3], keys[2_700:3_000]]
    a, b = np.minimum(a, b), np.maximum(a, b)
    parts, results = 3, []
    for limit in (None, 64):
        if limit:
            monkeypatch.setattr(lsh, "RECORDS_PER_FILE", limit)
        work = tmp_path / f"limit-{limit}"
        write_edges(work / "edges-0" / "000000.edges", a[::2], b[::2], parts)
        write_edges(work / "edges-0" / "000001.edges", a[1::2], b[1::2], parts)
        stars, files = _star_rounds(work / "edges-0", work, parts)
        rec = np.concatenate([lsh.Spill.of(stars, ".edges").part(p).read(EDGE) for p in range(parts)])
        leaf = rec["src"] > rec["dst"]
        center = dict(zip(rec["src"][leaf].tolist(), rec["dst"][leaf].tolist()))
        # keep=longest over the giant cluster's members, written by two member tasks
        members = np.zeros(len(hub), MEMBER)
        members["center"], members["key"] = hub.min(), hub
        members["length"] = rng.permutation(len(hub)) if limit is None else results[0][2]
        for i in range(2):
            lsh.write_partitioned(work / "members" / f"{i:06d}.members", members[i::2],
                                  np.zeros(len(hub[i::2]), np.int64), 1)
        clusters, removed = choose_task(lsh.Spill.of(work / "members", ".members").part(0), 0, "longest",
                                        str(work / "decisions"), 1)
        dec = lsh.Spill.of(work / "decisions", ".decisions").part(0).read(DECISION)
        results.append((center, files, members["length"], len(list((work / "decisions").iterdir())),
                        sorted(map(tuple, dec.tolist())), (clusters, removed)))
    (big_c, big_files, lengths, big_dec_files, big_dec, big_counts), (c, files, _, dec_files, dec, counts) = results
    assert c == big_c and set(c.values()) >= {hub.min()}
    assert all(big_c[k] == hub.min() for k in np.delete(hub, np.argmin(hub)).tolist())
    assert files > big_files and dec_files > big_dec_files       # the small limit did split the output
    assert dec == big_dec and counts == big_counts == (1, len(hub) - 1)
    longest = hub[np.argmax(lengths)]
    assert {k for _, _, k in dec} == {int(longest)} and {cl for _, cl, _ in dec} == {int(hub.min())}


def test_bucket_pairs_go_to_two_anchors_in_bounded_files(tmp_path, monkeypatch):
    import numpy as np

    from stages.dedup import lsh
    from stages.dedup.common import doc_keys
    rng = np.random.default_rng(4)
    bands = 4
    for shard in range(3):   # band 0 of every document is one giant bucket; the rest mostly singletons
        keys = doc_keys(shard, 500)
        h = rng.integers(0, 1 << 62, (500, bands), dtype=np.uint64)
        h[:, 0] = 12345
        h[::50, 1] = 777     # a smaller bucket across shards
        lsh.write_spill(tmp_path / "spill" / f"{shard:06d}.bands", h, keys, 1)
        if shard == 0:
            anchors = {int(keys[0]), int(keys[1]), int(keys[50])}   # the giant bucket's two, the small one's second
    got = {}
    for limit in (None, 100):
        if limit:
            monkeypatch.setattr(lsh, "RECORDS_PER_FILE", limit)
        out = tmp_path / f"pairs-{limit}"
        total = lsh.partition_pairs(lsh.Spill.of(tmp_path / "spill", ".bands").part(0), 0, str(out), 8)
        rec = lsh.Spill.of(out, ".pairs").part(0, 8).read(lsh.PAIR)
        got[limit] = (total, sorted(map(tuple, rec.tolist())), len(list(out.glob("*.pairs"))))
    (total, pairs, files), (total_small, pairs_small, files_small) = got[None], got[100]
    assert files == 1 and files_small == 3 and pairs_small == pairs and total == total_small == len(pairs)
    # 2 * 1,500 - 3 = 2,997 pairs for the giant bucket (not 1,500 * 1,499 / 2), each with one of its
    # two anchors; of the small bucket's 57, those to its first anchor (the giant's too) are repeats,
    # and its second anchor adds 28
    assert len(set(pairs)) == 2_997 + 28 and {a for a, _ in pairs} == anchors
