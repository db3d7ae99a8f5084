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
    # the dropped tail is said, where the run's warnings are read (summary, report)
    dropped, t = m["totals"]["tokens_dropped_packing"], m["totals"]
    cut, lost = t["documents_cut_packing"], t["documents_dropped_packing"]
    # every document is in the shards whole, cut at the end of a phase, or wholly dropped there
    assert t["documents_in"] == t["empty_documents"] + t["documents"] + cut + lost
    want = f"tokenize: packing dropped the last partial row of each phase: {dropped:,} tokens; {cut:,} " \
        f"document(s) cut there (kept without their end)" + (f", {lost:,} document(s) wholly in it dropped"
                                                               if lost else "")
    assert [w.split(" (manifest totals")[0] for w in ctx.info["tokenize"]["warnings"] if "packing dropped" in w] == \
        ([want] if dropped else [])


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


# -- a loaded tokenizer must give text back (bpe.roundtrip_loss); vocab_size shortfall ------------
def lossy_wordlevel(texts: list[str]):
    """What a tester gave the stage: BPE with an [UNK] token, a Whitespace pre-tokenizer and
    NFKC + lowercase normalisers (loads and encodes without error, loses text)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=1000, special_tokens=["[UNK]", "[EOS]"],
                                                       show_progress=False))
    return tok


def byte_level_bpe(texts: list[str], add_prefix_space: bool = False, initial_alphabet: bool = True,
                   normalizer=None):
    """A GPT-2-style byte-level BPE (optionally with a flaw)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=800, special_tokens=["<s>", "<pad>", "</s>", bpe.EOS_TOKEN], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if initial_alphabet else []))
    return tok


def test_probe_text_covers_what_the_check_promises():
    import unicodedata
    p = bpe.PROBE_TEXT
    assert p[0].isupper() and "  " in p and "\t" in p and "\n\n" in p and "\r\n" in p
    assert any(unicodedata.combining(c) for c in p) and "é" in p                  # decomposed and composed
    assert any(0x20000 <= ord(c) <= 0x2A6DF for c in p)                         # CJK Extension B
    for lo, hi in [(0x3040, 0x30FF), (0xAC00, 0xD7A3), (0x0600, 0x06FF), (0x0590, 0x05FF), (0x0900, 0x097F),
                   (0x1F300, 0x1FAFF)]:                                          # kana Hangul Arabic Hebrew Devanagari emoji
        assert any(lo <= ord(c) <= hi for c in p), hex(lo)
    assert "\u200d" in p and "\x00" in p and "\x1b" in p and "\ufeff" in p
    assert all(s not in p for s in (bpe.EOS_TOKEN, "<s>", "[UNK]"))              # special-token text: a separate promise


@pytest.mark.parametrize("kind", ["ours bytelevel", "ours cjk", "gpt2 with truncation and padding",
                                  "gpt2 with a BOS/EOS template post-processor"])
def test_byte_level_tokenizer_files_pass_the_roundtrip_check(tmp_path, shared_data, kind):
    from tokenizers import processors
    texts = english(shared_data, 30) + chinese(shared_data, 100)
    if kind.startswith("ours"):
        tok = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=300, pretokenizer=kind.split()[1]), texts)
    else:
        tok = byte_level_bpe(texts)
        if "truncation" in kind:
            tok.enable_truncation(16)
            tok.enable_padding(pad_id=1, pad_token="<pad>", length=64)
        else:   # encode(x) would be <s> x </s>: the stage encodes without it, so must the check
            tok.post_processor = processors.TemplateProcessing(
                single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    path = tmp_path / "tok.json"
    tok.save(str(path))
    assert bpe.roundtrip_loss(tok) is None
    bpe.check_tokenizer_file(bpe.TokenizerSpec(path=str(path)))                 # accepted at recipe load
    loaded, _, lossy = bpe.load_tokenizer_checked(path, bpe.EOS_TOKEN, allow_lossy=False)
    assert lossy is None
    assert loaded.decode(loaded.encode(bpe.PROBE_TEXT, add_special_tokens=False).ids) == bpe.PROBE_TEXT


@pytest.mark.parametrize("kind, says", [
    ("wordlevel", ["'T' (ASCII) decodes as 't': its normalizer (NFKC, Lowercase)",
                   "' ' (runs of spaces) decodes as '': its pre-tokenizer drops it (Whitespace)",
                   "decodes as '[UNK]': not in its vocabulary", "emoji", "Hebrew", "CJK Extension B"]),
    ("add_prefix_space", ["'T' (ASCII) decodes as ' T': a space is put in front"]),
    ("no byte alphabet", ["decodes as '': no token for it in the vocabulary (dropped)", "emoji"]),
    ("NFC normalizer", ["'e\\u0300' (decomposed Latin (NFD)) decodes as 'è': its normalizer (NFC)"]),
])
def test_lossy_tokenizer_file_is_refused_at_recipe_load(tmp_path, shared_data, kind, says):
    from tokenizers import normalizers
    from pipeline.recipe import RecipeError, load_recipe
    texts = english(shared_data, 30)            # ASCII only: no emoji, no other scripts
    eos = "[EOS]" if kind == "wordlevel" else bpe.EOS_TOKEN
    tok = (lossy_wordlevel(texts) if kind == "wordlevel" else
           byte_level_bpe(texts, add_prefix_space=True) if kind == "add_prefix_space" else
           byte_level_bpe(texts, initial_alphabet=False) if kind == "no byte alphabet" else
           byte_level_bpe(texts, normalizer=normalizers.NFC()))
    path = tmp_path / "lossy.json"
    tok.save(str(path))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "hello"}) + "\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: s, format: jsonl, paths: [{src}]}}\n"
                      f"stages:\n  - stage: tokenize\n    tokenizer: {{path: {path}, eos_token: '{eos}'}}\n")
    with pytest.raises(RecipeError) as e:
        load_recipe(recipe)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg and "does not give text back exactly" in msg, msg
    assert "allow_lossy: true" in msg, msg
    for s in says:
        assert s in msg, (s, msg)
    # Opting in: accepted at load, with the loss still named.
    recipe.write_text(recipe.read_text().replace(f"eos_token: '{eos}'", f"eos_token: '{eos}', allow_lossy: true"))
    assert load_recipe(recipe).stages[0].stage.tokenizer.allow_lossy
    assert says[0] in bpe.roundtrip_loss(tok)


def test_lossy_tokenizer_with_allow_lossy_is_recorded_in_the_manifest(tmp_path, shared_data, ray_up, caplog):
    from pipeline.stage import StageError
    texts = english(shared_data, 20)
    path = tmp_path / "lossy.json"
    lossy_wordlevel(texts).save(str(path))
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(texts)]
            + [dict(id="rare", source="rare", text="Emoji 😀 and שָׁלוֹם")])
    inp = write_input(tmp_path / "in", docs, 2)
    # Without allow_lossy the stage refuses too (a remote file is first read when the stage runs).
    with pytest.raises(StageError, match="does not give text back exactly"):
        run_tokenize(tmp_path, inp, Tokenize(tokenizer=bpe.TokenizerSpec(path=str(path), eos_token="[EOS]")), "no")
    caplog.set_level("WARNING", logger="pipeline")
    stage = Tokenize(tokenizer=bpe.TokenizerSpec(path=str(path), eos_token="[EOS]", allow_lossy=True))
    ctx = run_tokenize(tmp_path, inp, stage, "yes")
    assert any("is lossy, used anyway" in r.getMessage() for r in caplog.records)
    out = ctx.output_dir
    m = json.loads((out / "manifest.json").read_text())
    lossy = m["tokenizer"]["lossy"]
    assert "its normalizer (NFKC, Lowercase)" in lossy and "'[UNK]'" in lossy
    assert ctx.info["tokenize"]["lossy"] == lossy and any("lossy" in w for w in ctx.info["tokenize"]["warnings"])
    assert m["totals"]["documents"] == len(docs) and validate(out) == []
    # validate-shards notices a lossy tokenizer.json that the manifest does not own up to.
    m["tokenizer"]["lossy"] = None
    (out / "manifest.json").write_text(json.dumps(m))
    assert any("does not give text back exactly" in p for p in validate(out))


def test_exact_tokenizers_are_recorded_as_not_lossy(tmp_path, shared_data, ray_up, small_tok):
    docs = [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(english(shared_data, 10))]
    inp = write_input(tmp_path / "in", docs, 1)
    small_tok.save(str(tmp_path / "tok.json"))
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=bpe.TokenizerSpec(path=str(tmp_path / "tok.json"))), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["tokenizer"]["lossy"] is None and m["tokenizer"]["vocab_size_requested"] is None
    assert ctx.info["tokenize"]["warnings"] == []


def test_vocab_size_shortfall_is_warned_and_recorded(tmp_path, ray_up, caplog):
    caplog.set_level("WARNING", logger="pipeline")
    docs = [dict(id=f"d{i}", source="rare", text=f"short text number {i}, the same few words again")
            for i in range(9)]
    inp = write_input(tmp_path / "in", docs, 1)
    spec = bpe.TokenizerSpec(vocab_size=70_000, special_tokens=[bpe.EOS_TOKEN, "<pad>"])
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec, seq_len=16), "v")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    got = m["tokenizer"]["vocab_size"]
    assert got < 1000 and m["tokenizer"]["vocab_size_requested"] == 70_000
    assert ctx.counters["vocab_size"] == got and ctx.counters["vocab_size_requested"] == 70_000
    line = f"vocab_size 70,000 requested, {got:,} trained"
    assert any(line in r.getMessage() for r in caplog.records)
    assert any(line in w for w in ctx.info["tokenize"]["warnings"])
    assert ctx.info["tokenize"]["vocab_size"] == got and ctx.info["tokenize"]["vocab_size_requested"] == 70_000


def test_vocab_size_reached_is_not_a_shortfall(shared_data, caplog):
    caplog.set_level("WARNING", logger="pipeline")
    spec = bpe.TokenizerSpec(vocab_size=600)
    tok = bpe.train_tokenizer(spec, english(shared_data, 40))
    assert tok.get_vocab_size(with_added_tokens=True) == 600 and bpe.vocab_shortfall(spec, tok) is None
    assert not [r for r in caplog.records if "requested" in r.getMessage()]
