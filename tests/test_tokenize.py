"""tokenize stage: exact round trips on real multilingual text, shards, manifest, validation."""
from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from pipeline.stage import Result
from stages.tokenize import Tokenize, bpe
from stages.tokenize.encode import encode_texts, read_ipc
from stages.tokenize.manifest import cli_main, validate


def multilingual(shared_data) -> list[str]:
    with open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


def chinese(shared_data, n: int = 400) -> list[str]:
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f][:n]


def english(shared_data, n: int = 150) -> list[str]:
    t = (shared_data / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    return [t[i:i + 2500] for i in range(0, 2500 * n, 2500)]


def write_input(root, docs: list[dict], n_shards: int) -> StageDir:
    d = StageDir(root)
    for k in range(n_shards):
        part = docs[k::n_shards]
        d.write_shard(f"s{k:03d}", None, Result(documents_table(part)), 0, 0, docs_in=len(part))
    return d


@pytest.fixture(scope="module")
def small_tok(shared_data):
    texts = chinese(shared_data, 600) + english(shared_data, 120) + multilingual(shared_data)[::5]
    return bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=3000, pretokenizer="cjk"), texts)


@pytest.mark.parametrize("pretok", ["cjk", "bytelevel"])
def test_roundtrip_is_exact_on_real_multilingual_text(shared_data, pretok):
    texts = chinese(shared_data, 300) + english(shared_data, 40)
    tok = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=1500, pretokenizer=pretok), texts)
    probe = multilingual(shared_data) + chinese(shared_data, 700)[400:] + ["  two  spaces\n\ttab", "🙂 emoji é"]
    encs = tok.encode_batch(probe, add_special_tokens=False)
    decoded = tok.decode_batch([e.ids for e in encs], skip_special_tokens=False)
    bad = [(a, b) for a, b in zip(probe, decoded) if a != b]
    assert not bad, bad[:3]


def test_cjk_pretokenizer_bounds_cjk_pieces():
    text = "中华人民共和国成立了 hello"
    cjk = bpe.build_pretokenizer(bpe.TokenizerSpec(pretokenizer="cjk", cjk_max_chars=2)).pre_tokenize_str(text)
    default = bpe.build_pretokenizer(bpe.TokenizerSpec(pretokenizer="bytelevel")).pre_tokenize_str(text)
    assert len(default) == 2  # the whole ten-character run is one pre-token
    assert len(cjk) == 6  # five pieces of two characters, then " hello"
    assert [end - start for _, (start, end) in cjk[:5]] == [2] * 5


def test_training_is_deterministic(shared_data):
    texts = chinese(shared_data, 200) + english(shared_data, 30)
    spec = bpe.TokenizerSpec(vocab_size=1200)
    assert bpe.tokenizer_hash(bpe.train_tokenizer(spec, texts)) == bpe.tokenizer_hash(bpe.train_tokenizer(spec, texts))


def test_encode_texts_matches_encode_batch_and_appends_eos(shared_data, small_tok):
    texts = multilingual(shared_data)[:2000]
    flat, lens = encode_texts(small_tok, texts, eos=0, dtype=np.dtype("uint16"))
    ref = [e.ids for e in small_tok.encode_batch(texts, add_special_tokens=False)]
    assert lens.tolist() == [len(r) + 1 for r in ref]
    expect = np.concatenate([np.array(r + [0], np.uint16) for r in ref])
    assert np.array_equal(flat, expect)


@pytest.fixture(scope="module")
def ray_up():
    start_ray(num_cpus=2)


def run_tokenize(tmp, input_dir: StageDir, stage: Tokenize, name: str, tasks_per_cpu: int = 2):
    ctx = GlobalContext("tokenize", input_dir, StageDir(tmp / name), seed=7, removed_samples=0,
                        tasks_per_cpu=tasks_per_cpu)
    stage.run(ctx)
    return ctx


def test_tokenize_stage_end_to_end(tmp_path, shared_data, ray_up, small_tok):
    import datasets
    docs = ([dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 500))]
            + [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 100))]
            + [dict(id="empty", source="en", text=""), dict(id="null", source="en", text=None)])
    inp = write_input(tmp_path / "in", docs, 3)
    tok_path = tmp_path / "tok.json"
    small_tok.save(str(tok_path))
    stage = Tokenize(tokenizer=bpe.TokenizerSpec(path=str(tok_path)), shard_bytes=60_000, bucket_bytes=80_000)
    ctx = run_tokenize(tmp_path, inp, stage, "a", tasks_per_cpu=1)
    out = ctx.output_dir
    m = json.loads((out / "manifest.json").read_text())
    assert m["dtype"] == "uint16" and m["tokenizer"]["origin"] == "loaded"
    assert m["totals"]["documents"] == 600 and m["totals"]["empty_documents"] == 2
    assert len(m["shards"]) > 3 and all(r["bytes"] < 60_000 * 1.2 for r in m["shards"])
    assert set(m["sources"]) == {"zh", "en"} and m["sources"]["en"]["documents"] == 100
    assert validate(out) == [] and cli_main([str(out)]) == 0

    # Every input document comes back exactly, once, across shards (shuffled).
    tok = bpe.load_tokenizer(out / "tokenizer.json")
    got = []
    for rec in m["shards"]:
        ds = datasets.Dataset.from_file(str(out / rec["file"]))  # the streaming IPC format
        assert len(ds) == rec["sequences"]
        got += [tok.decode(ids[:-1]) for ids in ds["input_ids"]]
    want = sorted(d["text"] for d in docs if d["text"])
    assert sorted(got) == want
    assert got[:50] != [d["text"] for d in docs[:50]]  # shuffled

    # Same seed, different scheduling -> byte-identical shards and manifest shard list.
    ctx2 = run_tokenize(tmp_path, inp, stage, "b", tasks_per_cpu=4)
    m2 = json.loads((ctx2.output_dir / "manifest.json").read_text())
    assert [r["sha256"] for r in m2["shards"]] == [r["sha256"] for r in m["shards"]]

    # Validation notices a changed shard.
    victim = out / m["shards"][1]["file"]
    raw = bytearray(victim.read_bytes())
    raw[-100] ^= 0xFF
    victim.write_bytes(bytes(raw))
    assert any("sha256" in p for p in validate(out))
    assert cli_main([str(out), "--quick"]) == 1


def test_packed_shards_and_trained_tokenizer(tmp_path, shared_data, ray_up):
    import datasets
    docs = [dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 300))]
    inp = write_input(tmp_path / "in", docs, 2)
    stage = Tokenize(tokenizer=bpe.TokenizerSpec(vocab_size=1000, sample_bytes=200_000), seq_len=63,
                     shard_bytes=20_000, bucket_bytes=50_000)
    ctx = run_tokenize(tmp_path, inp, stage, "p")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["packed"] and m["tokenizer"]["origin"] == "trained"
    assert validate(ctx.output_dir) == []
    t = read_ipc(ctx.output_dir / m["shards"][0]["file"])
    assert t.column("input_ids").type == pa.list_(pa.uint16(), 64)
    ds = datasets.Dataset.from_file(str(ctx.output_dir / m["shards"][0]["file"]))
    assert len(ds[0]["input_ids"]) == 64
    total_encoded = m["totals"]["tokens"] + m["totals"]["tokens_dropped_packing"]
    assert 0 <= m["totals"]["tokens_dropped_packing"] < 64
    assert m["totals"]["tokens"] == m["totals"]["sequences"] * 64 and total_encoded > 0


# -- a loaded tokenizer's own length settings; special tokens inside document text ----------------
DOC_WITH_EOS = "This document quotes <|endoftext|> in its text, twice: <|endoftext|>. "


def save_length_limited(tok, path) -> None:
    """A copy of `tok` with truncation and padding on, as saved tokenizer.json files often are
    (a GPT-2 tokenizer.json ships truncation.max_length)."""
    from tokenizers import Tokenizer
    limited = Tokenizer.from_str(tok.to_str())
    limited.enable_truncation(8)
    limited.enable_padding(pad_id=0, pad_token=bpe.EOS_TOKEN)
    limited.save(str(path))


def test_loaded_tokenizer_has_its_truncation_and_padding_turned_off(tmp_path, shared_data, small_tok):
    from stages.tokenize.encode import cached_tokenizer
    path = tmp_path / "limited.json"
    save_length_limited(small_tok, path)
    saved = json.loads(path.read_text())
    assert saved["truncation"]["max_length"] == 8 and saved["padding"]["pad_token"] == bpe.EOS_TOKEN
    tok, turned_off = bpe.load_tokenizer_noting(path)
    assert turned_off == ["truncation", "padding"]
    assert bpe.tokenizer_hash(tok) == bpe.tokenizer_hash(small_tok)  # what gets saved is the clean one
    texts = ["hi", english(shared_data, 1)[0]]
    want = [len(small_tok.encode(t, add_special_tokens=False).ids) + 1 for t in texts]
    assert want[1] > 100
    for t in (tok, bpe.load_tokenizer(path), cached_tokenizer(bpe.tokenizer_json(tok), bpe.tokenizer_hash(tok))):
        _, lens = encode_texts(t, texts, 0, np.dtype("uint16"))
        assert lens.tolist() == want  # neither cut to 8 nor padded to the batch's longest


def test_special_token_in_document_text_is_plain_text(tmp_path, small_tok):
    from tokenizers import Tokenizer
    from stages.tokenize.encode import cached_tokenizer
    path = tmp_path / "tok.json"
    small_tok.save(str(path))
    eos = bpe.eos_id(small_tok)
    texts = [DOC_WITH_EOS, "plain", DOC_WITH_EOS * 3]
    candidates = {"trained": small_tok, "loaded": bpe.load_tokenizer(path),
                  "from json (workers)": cached_tokenizer(bpe.tokenizer_json(small_tok), "special-text-test"),
                  "any Tokenizer": Tokenizer.from_file(str(path))}
    for name, tok in candidates.items():
        flat, lens = encode_texts(tok, texts, eos, np.dtype("uint16"))
        assert int((flat == eos).sum()) == len(texts), name  # the appended separators only
        ends = np.cumsum(lens) - 1
        assert (flat[ends] == eos).all(), name
        assert tok.decode(flat[:ends[0]].tolist(), skip_special_tokens=False) == DOC_WITH_EOS, name


@pytest.mark.parametrize("how", ["loaded", "trained"])
def test_documents_quoting_the_separator_stay_one_document(tmp_path, shared_data, ray_up, small_tok, how):
    docs = ([dict(id=f"zh{i}", source="zh", text=t) for i, t in enumerate(chinese(shared_data, 60))]
            + [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 20))]
            + [dict(id="quotes", source="en", text=DOC_WITH_EOS * 4)])
    inp = write_input(tmp_path / "in", docs, 2)
    if how == "loaded":  # a tokenizer.json with truncation and padding switched on
        save_length_limited(small_tok, tmp_path / "limited.json")
        spec = bpe.TokenizerSpec(path=str(tmp_path / "limited.json"))
    else:
        spec = bpe.TokenizerSpec(vocab_size=600, sample_bytes=100_000)
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec, shard_bytes=30_000), how)
    out = ctx.output_dir
    m = json.loads((out / "manifest.json").read_text())
    assert m["tokenizer"]["turned_off_on_load"] == (["truncation", "padding"] if how == "loaded" else [])
    assert m["totals"]["documents"] == m["totals"]["documents_in"] == len(docs)
    tok, eos = bpe.load_tokenizer(out / "tokenizer.json"), m["tokenizer"]["eos_id"]
    texts = []
    for rec in m["shards"]:
        for ids in read_ipc(out / rec["file"]).column("input_ids").to_pylist():
            assert ids.count(eos) == 1 and ids[-1] == eos
            texts.append(tok.decode(ids[:-1], skip_special_tokens=False))
    assert sorted(texts) == sorted(d["text"] for d in docs)  # whole documents, none cut or padded
    assert validate(out) == []
