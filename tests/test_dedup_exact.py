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


def _hash_groups(texts, norm=Normalization()):
    """Which texts hash equal: the index of each text's first equal text."""
    import pyarrow as pa

    from stages.dedup.exact import text_hashes
    hashes = [tuple(h) for h in text_hashes(pa.table({"text": texts}), norm, False).tolist()]
    return [hashes.index(h) for h in hashes]


def _cjk(c):
    import unicodedata
    return c in "。、「」『』ー・" or unicodedata.name(c, "").startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA"))


def _wrap_cjk(text, width):
    """Hard-wrap as CJK line breaking does: about every `width` characters, next to a Chinese or
    Japanese character (never inside a Latin word or a number)."""
    out, start = [], 0
    for i in range(1, len(text)):
        if i - start >= width and (_cjk(text[i]) or _cjk(text[i - 1])) and not text[i].isspace():
            out.append(text[start:i])
            start = i
    return "\n".join(out + [text[start:]])


def test_cjk_line_wraps_are_not_word_boundaries(tmp_path, shared_data):
    import gzip
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [l.strip() for l in f if len(l.strip()) > 300][:20]
    ja = (shared_data / "zh" / "html" / "newspaper4k" / "txt" / "japanese_article.txt").read_text().strip()
    # wraps land after digits and Latin letters too ("35\n路", "b\n区"), and around 。「」
    wrapped = [_wrap_cjk(t, 40) for t in zh + [ja]]
    assert all(w.count("\n") >= 5 for w in wrapped)
    a = _docs(zh + [ja], prefix="a")
    b = _docs(wrapped, prefix="b")
    run = run_global(ExactDedup(), write_input([a, b], tmp_path / "in"), tmp_path / "out")
    assert sorted(_removed_map(run).items()) == sorted((f"b{i}", f"a{i}") for i in range(21))
    # pangu spacing (a space between Chinese and Latin words) is layout as well
    assert _hash_groups(["使用Python编程，效率提高了3倍。", "使用 Python 编程， 效率提高了 3 倍。"]) == [0, 0]


def _sentences(shared_data, lang):
    rows = (l.split("\t") for l in (shared_data / "text" / "multilingual_sentences.tsv").read_text().splitlines())
    return [r[1] for r in rows if len(r) == 2 and r[0] == lang]


def test_korean_and_latin_spaces_still_separate_words(shared_data):
    ko = next(t for t in _sentences(shared_data, "ko") if t.count(" ") > 5)
    i = ko.index(" ", len(ko) // 2)
    joined = ko[:i] + ko[i + 1:]          # two Hangul words run together: a different text
    # Hanja next to Hangul keeps its space too
    assert _hash_groups([ko, joined, ko.replace(" ", "\n"), "大韓民國 국민", "大韓民國국민"]) == [0, 1, 0, 3, 4]
    assert _hash_groups(["the fish", "thefish", "8 1", "81"]) == [0, 1, 2, 3]


def test_invisible_characters_do_not_make_texts_differ(shared_data):
    lines = (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
    t = next(l.strip() for l in lines if len(l.strip()) > 300)
    words = t.split(" ")
    variants = ["\ufeff" + t,                                       # byte-order mark kept by a reader
                t.replace(" ", "\u200b ", 3),                       # zero-width spaces from a CMS
                " ".join(w[:3] + "\u00ad" + w[3:] if len(w) > 6 else w for w in words),   # soft hyphens
                t.replace(" ", " \u2060", 2),                       # word joiners
                t[:100] + "\ufeff" + t[100:]]                       # an embedded U+FEFF
    assert all(v != t for v in variants)
    assert _hash_groups([t] + variants) == [0] * 6
    assert _hash_groups([t] + variants, Normalization(drop_invisible=False)) == list(range(6))
    # ZWNJ spells Persian words (نمی‌خواهم), ZWJ builds emoji: a text without them is another text
    fa = next(t for t in _sentences(shared_data, "fa") if "\u200c" in t)
    assert _hash_groups([fa, fa.replace("\u200c", ""), "👨\u200d👩\u200d👧", "👨👩👧"]) == [0, 1, 2, 3]


def test_typographic_quotes_fold_to_ascii(tmp_path, shared_data):
    import json
    gt = json.load(open(shared_data / "html" / "scrapinghub" / "ground-truth.json"))
    arts = [v["articleBody"] for v in gt.values() if "’" in v["articleBody"] and "“" in v["articleBody"]][:10]
    plain = [t.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})) for t in arts]
    run = run_global(ExactDedup(), write_input([_docs(arts, prefix="a"), _docs(plain, prefix="b")],
                                               tmp_path / "in"), tmp_path / "out")
    assert sorted(_removed_map(run).items()) == sorted((f"b{i}", f"a{i}") for i in range(len(arts)))
    assert len(arts) == 10
    # low-9 quotes and primes too, before NFKC (which would make ″ two primes); guillemets stay
    assert _hash_groups(["„Ja“, sagte er.", '"Ja", sagte er.', "5′ 3″", "5' 3\"", "«Oui»", '"Oui"']) == [0, 0, 2, 2, 4, 5]
    assert _hash_groups(arts[:1] + plain[:1], Normalization(fold_quotes=False)) == [0, 1]


def test_cluster_sizes_count_every_group_not_the_removed_sample(tmp_path):
    """The report's duplicate clusters came from the removed sample (20 per reason): 30 groups
    with 35 copies were reported as 20 clusters, 20 removed, largest 2. The stage now counts
    every group's size, in-shard copies and copies across partitions alike."""
    from pipeline.report.collect import clusters
    texts = [f"text number {i}" for i in range(30)]
    rows = [t for i, t in enumerate(texts) for _ in range(3 if i < 5 else 2)]        # 5 x3, 25 x2
    half = len(rows) // 2
    inp = write_input([_docs(rows[:half], prefix="a"), _docs(rows[half:], prefix="b")], tmp_path / "in")
    run = run_global(ExactDedup(partitions=3), inp, tmp_path, removed_samples=20)
    assert run.ctx.info["cluster_sizes"] == {"2": 25, "3": 5}
    stats = {"stages": [{"id": "exact_dedup", "dir": str(run.out.path), "info": run.ctx.info,
                         "removed": {"exact_duplicate": 35}}]}
    assert clusters(stats) == {"exact_dedup": {"sizes": {2: 25, 3: 5}, "source": "the stage's count", "exact": True}}
