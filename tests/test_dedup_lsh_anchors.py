"""LSH buckets pair their members with two anchors (the bucket's two smallest keys), so a
near-duplicate pair next to a first member that verification rejects is still compared."""
import random
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup import lsh
from stages.dedup.fuzzy import MinHashDedup
from stages.dedup.local import run_global, write_input
from stages.dedup.minhash import band_hashes, item_lists, permutations, shingle_hash_arrays, signatures


@pytest.fixture(scope="module")
def ray_started():
    start_ray(num_cpus=2)


def anchor_pairs(buckets: dict[int, set[int]]) -> set[tuple[int, int]]:
    """Brute force: each member with the bucket's two smallest keys, the two with each other."""
    out = set()
    for members in buckets.values():
        m = sorted(members)
        out |= {(m[0], k) for k in m[1:]} | {(m[1], k) for k in m[2:]}
    return out


def random_bands(rng, docs: int, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Band hashes of `docs` documents (keys spread over int64, not in file order): buckets of
    every size from a few shared values, one giant bucket, the rest singletons."""
    keys = rng.choice(1 << 40, docs, replace=False).astype(np.int64)
    h = rng.integers(1 << 40, 1 << 62, (docs, bands), dtype=np.uint64)
    h[:, 0] = rng.integers(0, 40, docs)                     # 40 buckets of ~15 documents
    h[rng.random(docs) < 0.3, 1] = 41                        # one giant bucket
    h[::7, 2] = rng.integers(400, 403, len(h[::7]))          # three buckets of every 7th document
    h[:3, 3] = 999                                           # a bucket of exactly three
    return keys, h


def buckets_of(keys: np.ndarray, h: np.ndarray, partitions: int) -> list[dict[int, set[int]]]:
    out = [defaultdict(set) for _ in range(partitions)]
    for k, row in zip(keys.tolist(), h.tolist()):
        for v in row:
            out[v % partitions][v].add(k)
    return out


def write_files(root, keys, h, files: int, partitions: int, rng) -> lsh.Spill:
    """The documents split at random into `files` spill files (a document's records in one file)."""
    owner = rng.integers(0, files, len(keys))
    for f in range(files):
        lsh.write_spill(root / f"{f:06d}.bands", h[owner == f], keys[owner == f], partitions)
    return lsh.Spill.of(root, ".bands")


def test_bucket_anchors_and_pairs_are_the_two_smallest_keys_whatever_the_files(tmp_path):
    rng = np.random.default_rng(11)
    keys, h = random_bands(rng, 600, 5)
    partitions = 3
    expected = buckets_of(keys, h, partitions)
    for files in (1, 2, 5, 9):
        spill = write_files(tmp_path / f"spill-{files}", keys, h, files, partitions, rng)
        for p in range(partitions):
            part = spill.part(p)
            anchor_hash, anchors = lsh.bucket_anchors(part)
            want = {v: sorted(m)[:2] + [lsh.NO_KEY] * (2 - len(m)) for v, m in expected[p].items()}
            assert anchor_hash.tolist() == sorted(want)
            assert anchors.tolist() == [want[v] for v in sorted(want)]
            got = [tuple(x) for rec in part.each(lsh.RECORD) for x in
                   lsh.bucket_pairs(rec, anchor_hash, anchors).tolist()]
            assert len(got) == len(set(got))        # no repeats, within a file or across files
            assert set(got) == anchor_pairs(expected[p]) and all(a < b for a, b in got)


def test_partition_pairs_are_the_anchor_pairs_and_stay_linear(tmp_path):
    """Through the partition task: the distinct pairs of all bands are the anchor pairs,
    whatever the files; the giant bucket (~180 documents) gives 2k-3 pairs, not k^2/2."""
    rng = np.random.default_rng(12)
    keys, h = random_bands(rng, 600, 5)
    expected = buckets_of(keys, h, 1)[0]
    giant = max(expected.values(), key=len)
    assert len(giant) > 150
    assert len(anchor_pairs({0: giant})) == 2 * len(giant) - 3
    results = []
    for files in (1, 4):
        spill = write_files(tmp_path / f"spill-{files}", keys, h, files, 1, rng)
        out = tmp_path / f"pairs-{files}"
        total = lsh.partition_pairs(spill.part(0), 0, str(out), 8)
        rec = lsh.Spill.of(out, ".pairs").part(0, 8).read(lsh.PAIR)
        pairs = sorted(map(tuple, rec.tolist()))
        assert total == len(pairs)
        results.append(sorted(set(pairs)))
    assert results[0] == results[1] == sorted(anchor_pairs(expected))


def _groups(shared_data, wanted: int):
    """Groups X, Y, Z of a wikitext paragraph X, Y = X with 3% of its words replaced, Z = Y with
    2% more, chosen so that J(X, Y), J(X, Z) < 0.8 <= J(Y, Z) and every band in which Y and Z share
    a bucket holds X as well: a star to the first member (X) never compares Y with Z."""
    text = (shared_data / "text" / "wikitext-2_valid.txt").read_text()
    paras = [p.strip() for p in text.split("\n") if len(p.split()) >= 150 and not p.strip().startswith("=")]
    stage = MinHashDedup()
    bands, rows = stage.band_rows
    a, b = permutations(stage.shingling.num_perm, stage.shingling.permutation_seed)
    rng = random.Random(5)

    def edit(words, share, tag):
        words = list(words)
        for i in rng.sample(range(len(words)), max(1, int(len(words) * share))):
            words[i] = f"{tag}{rng.randrange(10 ** 6)}"
        return words

    groups = []
    for p in paras:
        x = p.split()
        y = edit(x, 0.03, "q")
        z = edit(y, 0.02, "z")
        texts = [" ".join(t) for t in (x, y, z)]
        items, sizes = item_lists(pa.array(texts), stage.shingling)
        hashes = shingle_hash_arrays(items, sizes)
        sets = [set(h.tolist()) for h in hashes]

        def jaccard(i, j):
            return len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        bh = band_hashes(signatures(hashes, a, b), bands, rows)
        yz = bh[1] == bh[2]
        if (jaccard(0, 1) < 0.8 and jaccard(0, 2) < 0.8 <= jaccard(1, 2) and yz.any()
                and (bh[0][yz] == bh[1][yz]).all()):
            groups.append(texts)
            if len(groups) == wanted:
                return groups
    pytest.fail(f"only {len(groups)} such groups in wikitext")


def test_near_duplicates_beside_a_rejected_first_member_are_found(tmp_path, shared_data, ray_started):
    groups = _groups(shared_data, 3)
    xs = [{"id": f"x{i}", "source": "X", "text": g[0]} for i, g in enumerate(groups)]
    yz = [{"id": f"{n}{i}", "source": "Y", "text": t} for i, g in enumerate(groups)
          for n, t in (("y", g[1]), ("z", g[2]))]
    inp = write_input([documents_table(xs), documents_table(yz)], tmp_path / "in")   # X first in key order
    run = run_global(MinHashDedup(), inp, tmp_path / "run")
    removed = dict(zip(run.removed.column("id").to_pylist(), run.removed.column("duplicate_of").to_pylist())) \
        if run.removed is not None else {}
    assert removed == {f"z{i}": f"y{i}" for i in range(len(groups))}
    audit = pq.read_table(run.ctx.output_dir / "candidate_pairs.parquet")
    rejected = {(a, b) for a, b, ok in zip(*(audit.column(c).to_pylist() for c in ("id_a", "id_b", "accepted")))
                if not ok}
    assert {(f"x{i}", f"{n}{i}") for i in range(len(groups)) for n in "yz"} <= rejected
