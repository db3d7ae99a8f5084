"""Loaded tokenizer files: whitespace where a document begins or ends, a non-special
end-of-document token, a BOS template (and tokenize's bos_token), Unigram's unknown token; a
vocab_size shortfall of the tokenizer a mix trained."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from stages.tokenize import Tokenize, bpe
from stages.tokenize.encode import read_ipc
from stages.tokenize.manifest import validate
from test_tokenize import english, write_input


@pytest.fixture(scope="module")
def ray_up():
    start_ray(num_cpus=2)


def run_tokenize(tmp, input_dir: StageDir, stage: Tokenize, name: str) -> GlobalContext:
    ctx = GlobalContext("tokenize", input_dir, StageDir(tmp / name), seed=7, removed_samples=0)
    stage.run(ctx)
    return ctx


def recipe_file(tmp_path, tokenizer: str, extra: str = "") -> "Path":  # noqa: F821
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "hello"}) + "\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: s, format: jsonl, paths: [{src}]}}\n"
                      f"stages:\n  - stage: tokenize\n    tokenizer: {tokenizer}\n{extra}")
    return recipe


def byte_fallback_bpe(texts: list[str], style: str):
    """A SentencePiece-converted BPE with byte fallback (<0x00>..<0xFF> in the vocabulary), either
    Llama-2 style (the normalizer puts '▁' in front of every text and turns spaces into '▁'; the
    decoder strips the first space again: exact) or Mistral-v0.3 style (a Metaspace pre-tokenizer,
    prepend_scheme "first", split false, and the same decoder: a text's own leading space is lost)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, trainers
    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>"],
                                                       show_progress=False))
    conf = json.loads(tok.to_str())
    vocab = conf["model"]["vocab"]
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    if style == "mistral":
        conf["normalizer"] = None
        conf["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    return Tokenizer.from_str(json.dumps(conf))


# -- 1. whitespace where a document begins or ends ---------------------------------------------
def test_probe_edges_begin_and_end_with_whitespace():
    docs = [d for _, d in bpe.PROBE_EDGES]
    assert any(d.startswith(" ") and not d.startswith("  ") for d in docs)
    assert any(d.startswith("    ") for d in docs)
    assert any(d.startswith("\t") for d in docs) and any(d.startswith("\n\n") for d in docs)
    assert any(d.endswith(" ") and not d.isspace() for d in docs) and any(d.endswith("\n") for d in docs)
    assert any(d.isspace() for d in docs)


def test_a_tokenizer_that_drops_a_leading_space_is_refused(tmp_path, shared_data):
    from pipeline.recipe import RecipeError, load_recipe
    texts = english(shared_data, 30)
    good, bad = byte_fallback_bpe(texts, "llama2"), byte_fallback_bpe(texts, "mistral")
    # Mid-text whitespace comes back: the old check (PROBE_TEXT and its pieces, before the marker
    # characters were among them) passed this file.
    old_probe = "\n".join(text for label, text in bpe.PROBE_PIECES if label != "tokenizer marker characters")
    assert bpe.roundtrip(bad, old_probe) == old_probe
    assert bpe.roundtrip(bad, " leading space") == "leading space"
    assert bpe.roundtrip(bad, "    code") == "   code"
    good_path, bad_path = tmp_path / "llama2.json", tmp_path / "mistral.json"
    good.save(str(good_path))
    bad.save(str(bad_path))
    # The other one (same decoder, the space put in front by its normalizer) gives whitespace back,
    # but not SentencePiece's own space character in text ("x▁y" decodes as "x y"): lossy as well.
    good_loss = bpe.roundtrip_loss(good)
    assert good_loss is not None and "leading space" not in good_loss and "\u2581" in good_loss, good_loss
    bpe.load_tokenizer_checked(good_path, "</s>", allow_lossy=True)
    loss = bpe.roundtrip_loss(bad)
    assert loss is not None and "' leading space' (leading space) decodes as 'leading space'" in loss, loss
    assert "its decoder (Replace, ByteFallback, Fuse, Strip) strips a leading space" in loss, loss
    assert "pre-tokenizer (Metaspace)" in loss and "leading spaces" in loss, loss
    with pytest.raises(ValueError, match="does not give text back exactly.*leading space"):
        bpe.load_tokenizer_checked(bad_path, "</s>", allow_lossy=False)
    with pytest.raises(RecipeError) as e:
        load_recipe(recipe_file(tmp_path, f"{{path: {bad_path}, eos_token: '</s>'}}"))
    assert "\n" not in str(e.value) and "leading space" in str(e.value) and "allow_lossy: true" in str(e.value)


def test_a_leading_space_loss_accepted_with_allow_lossy_is_in_the_manifest(tmp_path, shared_data, ray_up):
    texts = english(shared_data, 10)
    path = tmp_path / "mistral.json"
    byte_fallback_bpe(texts, "mistral").save(str(path))
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(texts)]
            + [dict(id="code", source="code", text="    def f(x):\n        return x\n")])
    inp = write_input(tmp_path / "in", docs, 1)
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=bpe.TokenizerSpec(
        path=str(path), eos_token="</s>", allow_lossy=True)), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["tokenizer"]["lossy"] and "leading space" in m["tokenizer"]["lossy"]
    assert any("lossy tokenizer" in w for w in ctx.info["tokenize"]["warnings"])
    assert validate(ctx.output_dir) == []


# -- 3. the end-of-document token must be special ----------------------------------------------
def test_a_non_special_end_of_document_token_is_refused_at_load(tmp_path, shared_data, ray_up):
    from pipeline.recipe import RecipeError, load_recipe
    texts = english(shared_data, 20)
    plain = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=400, special_tokens=["</s>"], eos_token="</s>"), texts)
    plain.add_tokens([bpe.EOS_TOKEN])           # special: false
    path = tmp_path / "nonspecial.json"
    plain.save(str(path))
    assert not [t for t in json.loads(path.read_text())["added_tokens"] if t["content"] == bpe.EOS_TOKEN][0]["special"]
    with pytest.raises(ValueError) as e:
        bpe.load_tokenizer_checked(path, bpe.EOS_TOKEN, allow_lossy=True)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg and "non-special token" in msg, msg
    assert "mark it special" in msg and '"special": true' in msg, msg
    with pytest.raises(RecipeError, match="mark it special"):
        load_recipe(recipe_file(tmp_path, f"{{path: {path}}}"))
    # The fix the message gives: the same file with the token marked special.
    fixed = json.loads(path.read_text())
    for t in fixed["added_tokens"]:
        if t["content"] == bpe.EOS_TOKEN:
            t["special"] = True
    path.write_text(json.dumps(fixed))
    load_recipe(recipe_file(tmp_path, f"{{path: {path}}}"))
    docs = ([dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(texts[:6])]
            + [dict(id="quotes", source="en", text=f"a literal {bpe.EOS_TOKEN} and {bpe.EOS_TOKEN}.")])
    ctx = run_tokenize(tmp_path, write_input(tmp_path / "in", docs, 1),
                       Tokenize(tokenizer=bpe.TokenizerSpec(path=str(path))), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["totals"]["documents"] == m["totals"]["documents_in"] == len(docs)


def test_an_end_of_document_token_the_model_matches_in_text_is_refused(shared_data, tmp_path):
    """Unigram keeps trained special tokens as scored vocabulary entries: marked special, the text
    '</s>' in a document still becomes the '</s>' id."""
    path = tmp_path / "unigram.json"
    unigram(english(shared_data, 20)).save(str(path))
    with pytest.raises(ValueError, match=r"'</s>' is special, but its model \(Unigram\) also matches that text"):
        bpe.load_tokenizer_checked(path, "</s>", allow_lossy=True)


# -- 6. Unigram's unknown token ----------------------------------------------------------------
def unigram(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.UnigramTrainer(
        vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>", show_progress=False))
    return tok


def test_unigram_unknown_token_is_named_as_the_cause(shared_data, tmp_path):
    tok = unigram(english(shared_data, 20))     # ASCII text: no emoji, CJK, ... in its vocabulary
    assert "unk_token" not in json.loads(tok.to_str())["model"]       # Unigram stores unk_id
    tok.add_special_tokens([bpe.EOS_TOKEN])
    path = tmp_path / "unigram.json"
    tok.save(str(path))
    loss = bpe.roundtrip_loss(tok)
    assert "decodes as '<unk>': not in its vocabulary (unknown token '<unk>', no byte fallback)" in loss, loss
    assert "decodes as '<unk>': its decoder" not in loss, loss
    with pytest.raises(ValueError, match=r"not in its vocabulary \(unknown token '<unk>'"):
        bpe.load_tokenizer_checked(path, bpe.EOS_TOKEN, allow_lossy=False)


# -- 5. a BOS template is not applied: recorded, warned; tokenize's bos_token ----------------------
def template_tokenizer(texts: list[str]):
    from tokenizers import processors
    from test_tokenize import byte_level_bpe
    tok = byte_level_bpe(texts)     # special tokens <s> 0, <pad> 1, </s> 2, <|endoftext|> 3
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>",
                                                       special_tokens=[("<s>", 0), ("</s>", 2)])
    return tok


def test_a_bos_template_is_recorded_and_warned_and_bos_token_adds_it(tmp_path, shared_data, ray_up, caplog):
    texts = english(shared_data, 12)
    path = tmp_path / "template.json"
    template_tokenizer(texts).save(str(path))
    docs = [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(texts)] + [
        dict(id="quotes", source="en", text="the text <s> in a document stays text")]
    inp = write_input(tmp_path / "in", docs, 1)
    caplog.set_level("WARNING", logger="pipeline")
    spec = bpe.TokenizerSpec(path=str(path), eos_token="</s>")
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec), "plain")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    want = {"post_processor": "TemplateProcessing", "before": ["<s>"], "after": ["</s>"]}
    assert m["tokenizer"]["template_not_applied"] == want
    assert m["tokenizer"]["bos_token"] is None and m["tokenizer"]["bos_id"] is None
    assert any("post-processor (TemplateProcessing) adds <s> before each text" in r.getMessage()
               for r in caplog.records)
    warned = [w for w in ctx.info["tokenize"]["warnings"] if "post-processor" in w]
    assert len(warned) == 1 and "bos_token: '<s>'" in warned[0], warned
    first = [ids[0] for rec in m["shards"] for ids in read_ipc(ctx.output_dir / rec["file"]).column("input_ids").to_pylist()]
    assert 0 not in first

    # bos_token: every document starts with the id (its text in a document stays text), once.
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec, bos_token="<s>"), "bos")
    out = ctx.output_dir
    m = json.loads((out / "manifest.json").read_text())
    assert m["tokenizer"]["bos_token"] == "<s>" and m["tokenizer"]["bos_id"] == 0
    assert m["tokenizer"]["template_not_applied"] == want
    assert not [w for w in ctx.info["tokenize"]["warnings"] if "post-processor" in w]
    assert m["totals"]["documents"] == m["totals"]["documents_in"] == len(docs)
    tok = bpe.load_tokenizer(out / "tokenizer.json", "</s>")
    got = []
    for rec in m["shards"]:
        for ids in read_ipc(out / rec["file"]).column("input_ids").to_pylist():
            assert ids[0] == 0 and ids.count(0) == 1 and ids[-1] == 2 and ids.count(2) == 1
            got.append(tok.decode(ids[1:-1], skip_special_tokens=False))
    assert sorted(got) == sorted(d["text"] for d in docs)
    assert validate(out) == []


def test_bos_token_is_checked_at_recipe_load(tmp_path, shared_data):
    from pipeline.recipe import RecipeError, load_recipe
    path = tmp_path / "template.json"
    template_tokenizer(english(shared_data, 5)).save(str(path))
    tk = f"{{path: {path}, eos_token: '</s>'}}"
    assert load_recipe(recipe_file(tmp_path, tk, "    bos_token: '<s>'\n")).stages[0].stage.bos_token == "<s>"
    for bos, says in [("<bos>", "is not a token of the tokenizer"), ("</s>", "is the end-of-document token"),
                      ("e", "is not one of its special tokens")]:
        with pytest.raises(RecipeError, match=says):
            load_recipe(recipe_file(tmp_path, tk, f"    bos_token: '{bos}'\n"))
    with pytest.raises(RecipeError, match="must be one of the trained tokenizer's special_tokens"):
        load_recipe(recipe_file(tmp_path, "{vocab_size: 300}", "    bos_token: '<s>'\n"))
    load_recipe(recipe_file(tmp_path, "{vocab_size: 300, special_tokens: ['<|endoftext|>', '<s>']}",
                            "    bos_token: '<s>'\n"))


# -- 2. a mix that trains the tokenizer short of vocab_size ------------------------------------
def test_vocab_shortfall_of_the_mix_tokenizer_is_warned_and_recorded(tmp_path, ray_up, caplog):
    from stages.mix import Mix
    from pipeline.stats import stage_warnings
    docs = [dict(id=f"d{i}", source="rare", text=f"short text number {i}, the same few words again")
            for i in range(9)]
    inp = write_input(tmp_path / "in", docs, 1)
    mctx = GlobalContext("mix", inp, StageDir(tmp_path / "m"), seed=3, removed_samples=0)
    Mix.model_validate({"sources": {"rare": {"weight": 1}}, "tokenizer": {"vocab_size": 70_000}}).run(mctx)
    rep = json.loads((mctx.output_dir / "mix.json").read_text())
    assert rep["tokenizer_vocab_size_requested"] == 70_000
    caplog.set_level("WARNING", logger="pipeline")
    ctx = GlobalContext("tokenize", mctx.out, StageDir(tmp_path / "t"), seed=3, removed_samples=0)
    Tokenize().run(ctx)
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    got = m["tokenizer"]["vocab_size"]
    assert m["tokenizer"]["origin"] == "from_mix" and got < 1000
    assert m["tokenizer"]["vocab_size_requested"] == 70_000
    assert ctx.counters["vocab_size"] == got and ctx.counters["vocab_size_requested"] == 70_000
    assert ctx.info["tokenize"]["vocab_size_requested"] == 70_000
    line = f"vocab_size 70,000 requested, {got:,} trained"
    assert [w for w in ctx.info["tokenize"]["warnings"] if line in w]
    stats = {"stages": [{"id": "tokenize", "info": ctx.info}]}
    assert [w for w in stage_warnings(stats) if w["message"].startswith(line)]


def test_a_loaded_mix_tokenizer_has_no_requested_size(tmp_path, shared_data, ray_up):
    from stages.mix import Mix
    texts = english(shared_data, 10)
    path = tmp_path / "tok.json"
    bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=400), texts).save(str(path))
    inp = write_input(tmp_path / "in", [dict(id=f"e{i}", source="en", text=t) for i, t in enumerate(texts)], 1)
    mctx = GlobalContext("mix", inp, StageDir(tmp_path / "m"), seed=3, removed_samples=0)
    Mix.model_validate({"sources": {"en": {"weight": 1}}, "tokenizer": {"path": str(path)}}).run(mctx)
    assert json.loads((mctx.output_dir / "mix.json").read_text())["tokenizer_vocab_size_requested"] is None
    ctx = GlobalContext("tokenize", mctx.out, StageDir(tmp_path / "t"), seed=3, removed_samples=0)
    Tokenize().run(ctx)
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["tokenizer"]["vocab_size_requested"] is None and "vocab_size_requested" not in ctx.counters
    assert ctx.info["tokenize"]["warnings"] == []
    assert np.dtype(m["dtype"]) == np.uint16


def test_bos_token_with_a_trained_tokenizer(tmp_path, shared_data, ray_up):
    texts = english(shared_data, 8)
    docs = [dict(id=f"en{i}", source="en", text=t) for i, t in enumerate(texts)]
    spec = bpe.TokenizerSpec(vocab_size=400, special_tokens=[bpe.EOS_TOKEN, "<s>"], sample_bytes=100_000)
    ctx = run_tokenize(tmp_path, write_input(tmp_path / "in", docs, 1), Tokenize(tokenizer=spec, bos_token="<s>"), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    bos, eos = m["tokenizer"]["bos_id"], m["tokenizer"]["eos_id"]
    assert (bos, eos) == (1, 0) and m["tokenizer"]["template_not_applied"] is None
    rows = [ids for rec in m["shards"] for ids in read_ipc(ctx.output_dir / rec["file"]).column("input_ids").to_pylist()]
    assert len(rows) == len(docs) and all(r[0] == bos and r[-1] == eos and r.count(bos) == 1 for r in rows)
    assert m["totals"]["tokens"] == sum(len(r) for r in rows) and ctx.info["tokenize"]["warnings"] == []
