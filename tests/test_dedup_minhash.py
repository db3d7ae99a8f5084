import gzip
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasketch import MinHash

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.fuzzy import MinHashDedup
from stages.dedup.local import run_global, write_input
from stages.dedup.minhash import (Shingling, char_shingle_hash, item_lists, permutations,
                                  shingle_hash, shingle_hash_arrays, shingles_of, signatures,
                                  word_shingle_hash)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the bench package (corpus)
from bench.corpus import Pools, generate, pair_accuracy, true_jaccard_pairs  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_started():
    start_ray(num_cpus=2)


def assert_signatures_equal_datasketch(texts: list[str], cfg: Shingling, hashfunc) -> None:
    """Our signatures of `texts` are datasketch's MinHash of the same shingles, for two permutation sets."""
    items, sizes = item_lists(pa.array(texts), cfg)
    for num_perm, seed in ((128, 1), (64, 7)):
        a, b = permutations(num_perm, seed)
        ours = signatures(shingle_hash_arrays(items, sizes), a, b)
        for i in range(len(items)):
            m = MinHash(num_perm=num_perm, seed=seed, hashfunc=hashfunc)
            m.update_batch(shingles_of(items[i], sizes[i]))
            assert np.array_equal(m.hashvalues, ours[i])


def test_signatures_equal_datasketch(shared_data):
    en = [l for l in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n") if len(l) > 300][:5]
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [l for l in f.read().split("\n") if len(l) > 100][:5]
    assert any(c.isdigit() for t in zh for c in t)      # Chinese with numbers: items of both kinds
    # chars: shingle_hash (a Han character hashed from its code point, a word by xxh3); words: every
    # item, a one-character jieba word too, by xxh3 (word_shingle_hash)
    for cfg, hashfunc in ((Shingling(), shingle_hash), (Shingling(ngram=3, cjk_ngram=4), shingle_hash),
                          (Shingling(cjk_shingles="words", ngram=3), word_shingle_hash)):
        assert_signatures_equal_datasketch(en + zh, cfg, hashfunc)
    # Chinese is shingled as characters (and the words between them) by default, as words with
    # cjk_shingles=words
    chars, _ = item_lists(pa.array(zh[:1]), Shingling())
    words, _ = item_lists(pa.array(zh[:1]), Shingling(cjk_shingles="words"))
    assert all(len(c) == 1 for c in chars[0] if not c.isascii()) and max(len(w) for w in words[0]) > 1
    # a str of items is its characters, each hashed from its code point (char_shingle_hash)
    assert shingle_hash_arrays(["今天上午"], [3])[0].tolist() == [char_shingle_hash("今天上"),
                                                               char_shingle_hash("天上午")]


def test_license_files(tmp_path, shared_data):
    d = shared_data / "dedup" / "documents_with_fuzzy_duplicates"
    rows = [{"id": p.stem, "source": "licenses", "text": p.read_text()} for p in sorted(d.iterdir())]
    inp = write_input([documents_table(rows[:1]), documents_table(rows[1:])], tmp_path / "in")
    for verify in ("jaccard", "levenshtein"):
        run = run_global(MinHashDedup(verify=verify, threshold=0.7), inp, tmp_path / verify)
        assert sorted(run.kept.column("id").to_pylist()) == ["pytorch_license", "rails_mit_license"]
        assert run.removed.column("duplicate_of").to_pylist() == ["rails_mit_license"]
        assert run.removed.column("reason").to_pylist() == ["near_duplicate"]


def test_precision_recall_on_labelled_set(tmp_path):
    docs = generate(400, dup_rate=0.35, zh_share=0.4, seed=3, pools=Pools.load())
    ids = [d["id"] for d in docs]
    truth = true_jaccard_pairs([d["text"] for d in docs], 0.8)
    assert len(truth) > 60
    shards = [documents_table(docs[i:i + 100]) for i in range(0, 400, 100)]
    inp = write_input(shards, tmp_path / "in")
    run = run_global(MinHashDedup(), inp, tmp_path)
    acc = pair_accuracy(ids, truth, run.removed.column("id").to_pylist(),
                        run.removed.column("duplicate_of").to_pylist())
    assert acc["precision"] >= 0.98 and acc["recall"] >= 0.95, acc
    assert run.counters["minhash_pairs_rejected"] > 0   # the LSH let through pairs that verification caught
    pairs = pq.read_table(run.out.path / "output" / "candidate_pairs.parquet")
    assert pairs.num_rows == run.counters["minhash_candidate_pairs"]
    # same output with a different number of shards (the decision does not depend on layout)
    inp2 = write_input([documents_table(docs)], tmp_path / "in2")
    run2 = run_global(MinHashDedup(), inp2, tmp_path / "two")
    assert sorted(run2.removed.column("id").to_pylist()) == sorted(run.removed.column("id").to_pylist())


def test_keep_longest_and_per_source(tmp_path, shared_data):
    base = " ".join(l for l in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
                    if len(l) > 300)[:3000]
    longer = base + " An extra closing sentence appended to the copy of the article."
    rows = [{"id": "short", "source": "a", "text": base}, {"id": "long", "source": "b", "text": longer}]
    inp = write_input([documents_table(rows)], tmp_path / "in")
    run = run_global(MinHashDedup(keep="longest"), inp, tmp_path / "x")
    assert run.kept.column("id").to_pylist() == ["long"]
    assert run.removed.column("duplicate_of").to_pylist() == ["long"]
    scoped = run_global(MinHashDedup(scope="per_source"), inp, tmp_path / "y")
    assert scoped.kept.num_rows == 2 and scoped.removed is None


def test_a_score_read_from_a_json_column_is_a_number_or_nan():
    """keep=highest_score's `metadata.score`: a number or a string holding one; NaN (the lowest rank)
    for a boolean, an object, a string of no number, an integer too large for a float, bad or too
    deeply nested JSON, a missing key, or the key named only in a string value."""
    from stages.dedup.verify import json_key_numbers
    cases = [('{"m": {"score": 0.5}}', 0.5), ('{"m": {"score": "0.7"}}', 0.7), ('{"m": {"score": -3}}', -3.0),
             ('{"m": {"score": true}}', None), ('{"m": {"score": "abc"}}', None), ('{"m": {"score": [1]}}', None),
             ('{"m": {"score": 1' + "0" * 400 + "}}", None), ('{"m": {"score": ', None), ('{"score": 1}', None),
             ('{"m": "score"}', None), (None, None), ("", None),
             ('{"m": {"score": ' + "[" * 100_000 + "]" * 100_000 + "}}", None), ('{"m": {"sc\\u006fre": 9}}', 9.0)]
    got = json_key_numbers(pa.chunked_array([pa.array([t for t, _ in cases], pa.string())]), ["m", "score"])
    assert [None if np.isnan(v) else v for v in got] == [v for _, v in cases]


def test_keep_highest_score_and_cluster_ids(tmp_path, shared_data):
    paras = [l for l in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n") if len(l) > 1500]
    a, b = paras[0], paras[1]
    rows = [{"id": "a1", "text": a}, {"id": "b1", "text": b}, {"id": "a2", "text": a + " Extra tail."},
            {"id": "b2", "text": "Intro line. " + b}, {"id": "empty", "text": None}]
    table = documents_table([{**r, "source": "s"} for r in rows])
    table = table.append_column("quality_score", pa.array([0.1, 0.9, 0.7, None], pa.float64()).take(
        pa.array([0, 1, 2, 3, 3])))
    inp = write_input([table], tmp_path / "in")
    run = run_global(MinHashDedup(keep="highest_score"), inp, tmp_path / "x")
    removed = {r["id"]: r for r in run.removed.to_pylist()}
    assert set(removed) == {"a1", "b2"}          # a2 outscores a1; b2 has no score, b1 stays
    assert removed["a1"]["duplicate_of"] == "a2" and removed["b2"]["duplicate_of"] == "b1"
    assert removed["a1"]["cluster_id"] != removed["b2"]["cluster_id"]
    assert "empty" in run.kept.column("id").to_pylist()
    assert run.counters["minhash_unsigned_docs"] == 1


def test_levenshtein_ignores_paragraph_order_and_falls_back_for_long_texts(tmp_path, shared_data):
    paras = [l.strip() for l in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
             if len(l) > 400][:8]
    text = "\n\n".join(paras)
    shuffled = "\n\n".join(paras[4:] + paras[:4])
    rows = [{"id": "a", "source": "s", "text": text}, {"id": "b", "source": "s", "text": shuffled}]
    inp = write_input([documents_table(rows)], tmp_path / "in")
    ordered = run_global(MinHashDedup(verify="levenshtein", ignore_paragraph_order=False), inp, tmp_path / "x")
    assert ordered.removed is None and ordered.counters["minhash_pairs_rejected"] == 1
    free = run_global(MinHashDedup(verify="levenshtein"), inp, tmp_path / "y")
    assert free.removed.column("id").to_pylist() == ["b"]
    capped = run_global(MinHashDedup(verify="levenshtein", ignore_paragraph_order=False,
                                     max_levenshtein_chars=1000), inp, tmp_path / "z")
    assert capped.removed.column("id").to_pylist() == ["b"]   # checked by shingle Jaccard instead


def test_star_rounds_find_the_components_of_long_chains(tmp_path):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from pipeline.global_context import GlobalContext
    from pipeline.shards import StageDir
    from stages.dedup.clusters import EDGE, components, write_edges
    from stages.dedup.lsh import Spill
    rng = np.random.default_rng(5)
    keys = rng.choice(1 << 40, 600, replace=False).astype(np.int64)
    chain = rng.permutation(keys[:300])                        # a path of 300 nodes in random key order
    a = np.r_[chain[:-1], rng.choice(keys[300:], 200)]
    b = np.r_[chain[1:], rng.choice(keys[300:], 200)]
    a, b = np.minimum(a, b)[a != b], np.maximum(a, b)[a != b]
    parts, edges = 3, tmp_path / "edges-0"
    write_edges(edges / "000000.edges", a[::2], b[::2], parts)   # two verification groups' files
    write_edges(edges / "000001.edges", a[1::2], b[1::2], parts)
    ctx = GlobalContext("t", StageDir(tmp_path / "in"), StageDir(tmp_path / "out"), 0, 0)
    stars, steps = components(ctx, edges, parts)
    assert steps > 2                                            # a long chain needs several rounds
    rec = Spill.of(stars, ".edges").read(EDGE)
    leaf = rec["src"] > rec["dst"]
    center = dict(zip(rec["src"][leaf].tolist(), rec["dst"][leaf].tolist()))
    nodes, inv = np.unique(np.r_[a, b], return_inverse=True)
    m = coo_matrix((np.ones(len(a)), (inv[:len(a)], inv[len(a):])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(m, directed=False)
    smallest = {lab: nodes[labels == lab].min() for lab in np.unique(labels)}
    for node, lab in zip(nodes.tolist(), labels.tolist()):
        assert center.get(node, node) == smallest[lab]          # each leaf points at its component's min


def test_decisions_do_not_depend_on_partitioning(tmp_path):
    docs = generate(300, dup_rate=0.4, zh_share=0.3, seed=11, pools=Pools.load())
    inp = write_input([documents_table(docs[i:i + 75]) for i in range(0, 300, 75)], tmp_path / "in")

    def decisions(run):
        rows = run.removed.select(["id", "duplicate_of", "cluster_id"]).to_pylist()
        return sorted((r["id"], r["duplicate_of"], r["cluster_id"]) for r in rows)

    wide = run_global(MinHashDedup(keep="longest"), inp, tmp_path / "wide")
    narrow = run_global(MinHashDedup(keep="longest", bucket_partitions=5, pairs_per_verify_task=9),
                        inp, tmp_path / "narrow")
    assert narrow.ctx.info["verify_groups"] > 5 and wide.ctx.info["verify_groups"] == 1
    assert len(decisions(wide)) > 50 and decisions(narrow) == decisions(wide)
    assert narrow.counters["minhash_candidate_pairs"] == wide.counters["minhash_candidate_pairs"]
    audit = pq.read_table(narrow.out.path / "output" / "candidate_pairs.parquet")
    assert audit.num_rows == narrow.counters["minhash_candidate_pairs"]
    assert len(set(zip(audit.column("key_a").to_pylist(), audit.column("key_b").to_pylist()))) == audit.num_rows


@pytest.mark.parametrize("num_perm", [32, 64, 128])
def test_bands_and_rows_are_the_ones_datasketch_chooses(num_perm):
    """Our exact integration picks the (bands, rows) datasketch's MinHashLSH picks with scipy."""
    from datasketch.lsh import _optimal_param
    from stages.dedup.minhash import optimal_bands_rows
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        for fp_weight in (0.5, 0.3, 0.8):
            assert optimal_bands_rows(threshold, num_perm, fp_weight, 1 - fp_weight) == \
                _optimal_param(threshold, num_perm, fp_weight, 1 - fp_weight), (threshold, fp_weight)


def _articles(shared_data, n):
    """Real articles with one paragraph per line, as extracted web text comes (the gold texts
    separate paragraphs by blank lines; those with other line breaks are left out)."""
    import json
    import re
    gt = json.load(open(shared_data / "html" / "scrapinghub" / "ground-truth.json"))
    return [b.replace("\n\n", "\n") for b in (v["articleBody"] for v in gt.values())
            if b.count("\n\n") >= 4 and not re.search(r"[^\n]\n[^\n]|\n\n\n", b) and len(b) > 1500][:n]


def _levenshtein_table(a, b):
    from stages.dedup.normalize import Normalization, normalize_texts
    texts = normalize_texts(pa.array(a + b), Normalization(), keep_lines=True)
    table = pa.table({"text": texts, "length": pa.array([len(t) for t in a + b], pa.int64())})
    return table, np.arange(len(a)), np.arange(len(a), len(a) + len(b))


def test_levenshtein_line_breaks_never_lower_similarity(tmp_path, shared_data):
    import random
    import re
    import textwrap

    from stages.dedup.verify import similarities
    arts = _articles(shared_data, 12)
    assert len(arts) == 12
    paras = [[p for p in t.split("\n") if p.strip()] for t in arts]
    def wrap(t):       # wraps at spaces only: a break inside a word is a change of the text
        return "\n".join(textwrap.wrap(t, 70, break_on_hyphens=False, break_long_words=False))
    rewrapped = [wrap(" ".join(p)) for p in paras]
    titled = [p[0] + "\n\n" + "\n".join(p[1:]) for p in paras]       # one blank line, after the title
    shuffled = [random.Random(i).sample(p, len(p)) for i, p in enumerate(paras)]
    # hard-wrapped with blank lines between paragraphs, paragraphs reordered
    wrapped_moved = ["\n\n".join(wrap(q) for q in p) for p in shuffled]
    for copies in (rewrapped, titled, wrapped_moved):
        table, ia, ib = _levenshtein_table(arts, copies)
        free = similarities(table, ia, ib, "levenshtein", 0.8, Shingling())
        assert (free == 1.0).all()
        ordered = similarities(table, ia, ib, "levenshtein", 0.8, Shingling(), ignore_paragraph_order=False)
        assert (free >= ordered).all()
    # the whole stage: a rewrapped copy is a near-duplicate, as by shingle Jaccard
    rows = [{"id": "a", "source": "s", "text": arts[0]}, {"id": "b", "source": "s", "text": rewrapped[0]}]
    inp = write_input([documents_table(rows)], tmp_path / "in")
    run = run_global(MinHashDedup(verify="levenshtein"), inp, tmp_path / "x")
    assert run.removed.column("id").to_pylist() == ["b"]
    # a hard-wrapped Chinese copy: the wraps are not spaces either
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [l.strip() for l in f if len(l.strip()) > 300][:5]
    # a line break every ~20 characters, before a Chinese character (as line breaking rules do:
    # never inside a number or Latin word, never before a comma or full stop)
    wrapped = [re.sub(r"(.{20,}?)(?=[\u4e00-\u9fff])", "\\1\n", t) for t in zh]
    assert all(w.count("\n") > 10 and w.replace("\n", "") == t for w, t in zip(wrapped, zh))
    table, ia, ib = _levenshtein_table(zh, wrapped)
    assert (similarities(table, ia, ib, "levenshtein", 0.8, Shingling(), ignore_paragraph_order=False) == 1.0).all()


def test_typographic_quotes_do_not_change_shingles(shared_data):
    arts = [t for t in _articles(shared_data, 40) if "’" in t][:20]
    plain = [t.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})) for t in arts]
    items, sizes = item_lists(pa.array(arts + plain), Shingling())
    hashes = [np.unique(h) for h in shingle_hash_arrays(items, sizes)]
    n = len(arts)
    assert n == 20
    assert all(np.array_equal(hashes[i], hashes[n + i]) for i in range(n))
    # invisible characters neither
    items2, _ = item_lists(pa.array(["\ufeff" + arts[0].replace(" ", "\u200b ", 20)]), Shingling())
    assert items2[0] == items[0]


def test_keep_highest_score_needs_its_score_column(tmp_path, ray_local):
    """Without the column every score was equal and the first document stayed, silently."""
    import json

    from pipeline.recipe import RecipeError, parse_recipe
    from pipeline.runner import Runner
    from pipeline.stage import StageError
    (tmp_path / "d.jsonl").write_text("".join(json.dumps({"text": f"document number {i} " * 30}) + "\n"
                                              for i in range(3)))
    data = {"name": "t", "output": str(tmp_path / "run"),
            "sources": [{"name": "s", "format": "jsonl", "paths": [str(tmp_path / "d.jsonl")]}],
            "stages": [{"stage": "minhash_dedup", "keep": "highest_score"}]}
    # no stage adds it: refused at load, before any work
    with pytest.raises(RecipeError, match="stages.0. .minhash_dedup. reads column `quality_score`, which none of "
                                          "its sources .s. has there"):
        parse_recipe(data)
    # after a custom stage that does not say what it adds, the loader cannot tell: the run finds it
    data["stages"].insert(0, {"stage": "stages_for_tests:CharCount"})
    with pytest.raises(StageError, match="its input has no column 'quality_score'"):
        Runner(parse_recipe(data), quiet=True).run()
    assert not MinHashDedup().optional_columns()      # keep=first needs no score
    with pytest.raises(ValueError, match="verify_threshold"):
        MinHashDedup(verify_threshold=1.5)


def test_a_long_documents_signature_is_computed_in_slices_with_the_same_result():
    """A 9 MB Chinese page (a shingle per character) made a shingles x permutations matrix of
    2.9 GB in one worker; the signature is now the minimum over slices, which is the same."""
    import numpy as np

    from stages.dedup.minhash import SIGNATURE_CHUNK, _fmix32, signature
    rng = np.random.default_rng(0)
    a = rng.integers(1, 2**32, 128, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    hashes = rng.integers(0, 2**32, 3 * SIGNATURE_CHUNK + 17, dtype=np.uint64).astype(np.uint32)
    whole = (_fmix32(hashes)[:, None] * a + b).min(axis=0)
    assert np.array_equal(signature(hashes, a, b), whole)
    assert np.array_equal(signature(hashes[:100], a, b), (_fmix32(hashes[:100])[:, None] * a + b).min(axis=0))
