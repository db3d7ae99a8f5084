"""Researcher-supplied tokenizer.json files: BPE dropout turned off, SentencePiece's space marker
in text, ids with gaps, unknown tokens counted, one-line errors for the wrong file, a template
warning said once. Each file is built here with the `tokenizers` library."""
from __future__ import annotations

import json
import logging

import pytest

from pipeline.executor import start_ray
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from stages.tokenize import Tokenize, bpe
from stages.tokenize.encode import read_ipc
from stages.tokenize.manifest import validate
from test_tokenize import byte_level_bpe, english, lossy_wordlevel, write_input
from test_tokenize_checks import byte_fallback_bpe, recipe_file, run_tokenize, template_tokenizer


@pytest.fixture(scope="module")
def ray_up():
    start_ray(num_cpus=2)


def with_conf(tok, path, change) -> None:
    """Save `tok` to `path` with its JSON changed by `change(conf)`."""
    conf = json.loads(tok.to_str())
    change(conf)
    path.write_text(json.dumps(conf, ensure_ascii=False))


def en_docs(shared_data, n: int, source: str = "en") -> list[dict]:
    return [dict(id=f"{source}{i}", source=source, text=t) for i, t in enumerate(english(shared_data, n))]


# -- 1. BPE dropout ---------------------------------------------------------------------------------
def test_bpe_dropout_is_turned_off_on_load(tmp_path, shared_data):
    from tokenizers import Tokenizer
    texts = english(shared_data, 20)
    tok = byte_level_bpe(texts)
    path = tmp_path / "dropout.json"
    with_conf(tok, path, lambda c: c["model"].update(dropout=0.3))
    assert Tokenizer.from_file(str(path)).model.dropout == pytest.approx(0.3)
    loaded, turned_off = bpe.load_tokenizer_noting(path)
    assert turned_off == ["dropout"]
    assert json.loads(bpe.tokenizer_json(loaded))["model"]["dropout"] is None   # what is saved and hashed
    want = tok.encode(texts[0], add_special_tokens=False).ids
    assert all(loaded.encode(texts[0], add_special_tokens=False).ids == want for _ in range(5))


def test_dropout_and_truncation_a_mix_turned_off_reach_the_manifest(tmp_path, shared_data, ray_up):
    """Same seed, same shards; the mix's counts are the tokens written; the manifest says what the
    mix turned off (tokenize reloads the mix's cleaned copy, which has nothing left to turn off)."""
    from stages.mix import Mix
    tok = byte_level_bpe(english(shared_data, 20))
    path = tmp_path / "dropout.json"
    with_conf(tok, path, lambda c: (c["model"].update(dropout=0.3),
                                    c.update(truncation={"direction": "Right", "max_length": 512, "strategy":
                                                         "LongestFirst", "stride": 0})))
    inp = write_input(tmp_path / "in", en_docs(shared_data, 30), 1)
    shas = []
    for run in ("a", "b"):
        mix_out = StageDir(tmp_path / f"mix{run}")
        mctx = GlobalContext("mix", inp, mix_out, seed=3, removed_samples=0)
        Mix.model_validate({"tokenizer": {"path": str(path)}, "sources": {"en": {"weight": 1}}}).run(mctx)
        rep = json.loads((mctx.output_dir / "mix.json").read_text())
        tctx = GlobalContext("tokenize", mix_out, StageDir(tmp_path / f"tok{run}"), seed=3, removed_samples=0)
        Tokenize(shuffle=False).run(tctx)
        m = json.loads((tctx.output_dir / "manifest.json").read_text())
        assert rep["tokenizer_turned_off_on_load"] == ["truncation", "dropout"]
        assert m["tokenizer"]["turned_off_on_load"] == ["truncation", "dropout"]
        assert m["totals"]["tokens"] == rep["tokens"]
        shas.append([s["sha256"] for s in m["shards"]])
    assert shas[0] == shas[1]


# -- 2. SentencePiece's space marker U+2581 in a text ------------------------------------------------
@pytest.mark.parametrize("style", ["llama2", "gemma"])
def test_a_sentencepiece_space_marker_in_text_is_a_loss(tmp_path, shared_data, style):
    """Llama-2 (Prepend + Replace normalizer, Strip decoder) and Gemma (Replace only) give every
    text back except one holding '▁': their decoder turns it into a space ("x▁y" -> "x y")."""
    tok = byte_fallback_bpe(english(shared_data, 30), "llama2")
    path = tmp_path / f"{style}.json"
    if style == "gemma":
        def gemma(c):
            c["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}
            c["decoder"]["decoders"] = [d for d in c["decoder"]["decoders"] if d["type"] != "Strip"]
        with_conf(tok, path, gemma)
    else:
        tok.save(str(path))
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(path))
    assert bpe.roundtrip(tok, "x\u2581y") == "x y"
    assert bpe.roundtrip(tok, " leading space") == " leading space"      # exact otherwise
    loss = bpe.roundtrip_loss(tok)
    assert loss is not None and "'\u2581' (tokenizer marker characters) decodes as ' '" in loss, loss
    assert "\u2581" in bpe.PROBE_TEXT
    assert "its decoder (Replace, ByteFallback, Fuse" in loss, loss
    with pytest.raises(ValueError, match="does not give text back exactly"):
        bpe.load_tokenizer_checked(path, "</s>", allow_lossy=False)


# -- 3. ids with gaps --------------------------------------------------------------------------------
def test_ids_beyond_the_vocab_size_choose_the_dtype(tmp_path, shared_data, ray_up):
    tok = byte_level_bpe(english(shared_data, 20))
    moved = tok.encode(" the", add_special_tokens=False).tokens[0]
    path = tmp_path / "gap.json"
    with_conf(tok, path, lambda c: c["model"]["vocab"].update({moved: 70_000}))
    inp = write_input(tmp_path / "in", en_docs(shared_data, 10), 1)
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=bpe.TokenizerSpec(path=str(path))), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["dtype"] == "uint32" and m["tokenizer"]["max_id"] == 70_000
    ids = [i for rec in m["shards"] for r in read_ipc(ctx.output_dir / rec["file"]).column("input_ids").to_pylist()
           for i in r]
    assert 70_000 in ids
    assert any("ids up to 70,000" in w and "70,001 rows" in w for w in ctx.info["tokenize"]["warnings"])
    assert validate(ctx.output_dir) == []
    loaded = bpe.load_tokenizer(path)
    assert loaded.get_vocab_size(with_added_tokens=True) < 1 << 16
    assert bpe.token_id_limit(loaded) == 70_001 and bpe.token_dtype(loaded) == "uint32"


# -- 4. unknown tokens, counted ----------------------------------------------------------------------
def test_unknown_token_ids_are_counted_per_source_and_warned(tmp_path, shared_data, ray_up):
    texts = english(shared_data, 20)
    path = tmp_path / "lossy.json"
    lossy_wordlevel(texts).save(str(path))
    docs = en_docs(shared_data, 20) + [dict(id=f"r{i}", source="rare", text="Emoji 😀 and שָׁלוֹם and 汉字 " * 5)
                                        for i in range(3)]
    inp = write_input(tmp_path / "in", docs, 2)
    spec = bpe.TokenizerSpec(path=str(path), eos_token="[EOS]", allow_lossy=True)
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    unk = m["unknown_tokens"]
    assert m["tokenizer"]["unknown_token"] == "[UNK]" and unk["token"] == "[UNK]" and unk["id"] == 0
    rare, en = unk["sources"]["rare"], unk["sources"]["en"]
    ids = [r for rec in m["shards"] for r in read_ipc(ctx.output_dir / rec["file"]).column("input_ids").to_pylist()]
    assert rare["unknown"] + en["unknown"] == unk["unknown"] == sum(r.count(0) for r in ids) > 0
    assert rare["share"] > 0.1 and en["share"] < 0.001
    assert unk["tokens"] == m["totals"]["tokens"]
    assert ctx.counters["unknown_tokens"] == unk["unknown"] and ctx.counters["unknown_tokens/rare"] == rare["unknown"]
    warned = [w for w in ctx.info["tokenize"]["warnings"] if "of the tokens are its unknown token '[UNK]'" in w]
    assert len(warned) == 1 and "rare" in warned[0] and " en " not in warned[0], warned


def test_a_tokenizer_without_an_unknown_token_records_none(tmp_path, shared_data, ray_up):
    path = tmp_path / "bl.json"
    byte_level_bpe(english(shared_data, 20)).save(str(path))
    inp = write_input(tmp_path / "in", en_docs(shared_data, 5), 1)
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=bpe.TokenizerSpec(path=str(path))), "t")
    m = json.loads((ctx.output_dir / "manifest.json").read_text())
    assert m["unknown_tokens"] is None and m["tokenizer"]["unknown_token"] is None
    assert "unknown_tokens" not in ctx.counters and ctx.info["tokenize"]["warnings"] == []


# -- 5. the wrong file, one line -----------------------------------------------------------------------
def load_error(tmp_path, path, eos: str = bpe.EOS_TOKEN) -> str:
    from pipeline.recipe import RecipeError, load_recipe
    with pytest.raises(RecipeError) as e:
        load_recipe(recipe_file(tmp_path, f"{{path: {path}, eos_token: '{eos}'}}"))
    msg = str(e.value)
    assert "\n" not in msg, msg
    return msg


def test_a_model_folder_is_said_to_be_a_directory(tmp_path, shared_data):
    folder = tmp_path / "Llama-3-8B"
    folder.mkdir()
    assert "is a directory, not a tokenizer.json file (and holds no tokenizer.json)" in load_error(tmp_path, folder)
    byte_level_bpe(english(shared_data, 5)).save(str(folder / "tokenizer.json"))
    msg = load_error(tmp_path, folder)
    assert "is a directory" in msg and f"give the file it holds, '{folder / 'tokenizer.json'}'" in msg, msg
    with pytest.raises(ValueError, match="is a directory"):
        bpe.load_tokenizer_checked(folder)


def test_a_git_lfs_pointer_is_said_to_be_one(tmp_path):
    path = tmp_path / "tokenizer.json"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 9085657\n")
    msg = load_error(tmp_path, path)
    assert "a Git LFS pointer, not the tokenizer.json of 9,085,657 bytes" in msg and "git lfs pull" in msg, msg


def test_a_tokenizer_config_is_said_to_be_one(tmp_path, shared_data):
    config = tmp_path / "tokenizer_config.json"
    config.write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>", "model_max_length": 4096,
                                  "tokenizer_class": "LlamaTokenizer"}))
    msg = load_error(tmp_path, config)
    assert "a tokenizer_config.json" in msg and "not a tokenizer.json" in msg, msg
    byte_level_bpe(english(shared_data, 5)).save(str(tmp_path / "tokenizer.json"))
    assert f"give '{tmp_path / 'tokenizer.json'}' beside it" in load_error(tmp_path, config)


def test_a_binary_file_is_not_read_as_text(tmp_path):
    path = tmp_path / "tokenizer.model"
    path.write_bytes(b"\n\x0e\n\x05<unk>\x15\x00\x00\x00\x00\x18\x02\xff\xfe\x80")
    assert "not a text file (a SentencePiece tokenizer.model" in load_error(tmp_path, path)


def test_a_missing_eos_names_the_special_tokens_or_says_there_are_none(tmp_path, shared_data):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    none = Tokenizer(models.BPE())
    none.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    none.decoder = decoders.ByteLevel()
    none.train_from_iterator(english(shared_data, 5), trainers.BpeTrainer(
        vocab_size=400, show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    path = tmp_path / "none.json"
    none.save(str(path))
    msg = load_error(tmp_path, path)
    assert "no end-of-document token '<|endoftext|>': it has no special tokens at all" in msg, msg
    some = tmp_path / "some.json"
    byte_level_bpe(english(shared_data, 5)).save(str(some))
    msg = load_error(tmp_path, some, "<|end_of_text|>")
    assert "no end-of-document token '<|end_of_text|>'" in msg, msg
    assert "its special tokens: '<s>', '<pad>', '</s>', '<|endoftext|>'" in msg, msg


# -- 6. a post-processor's template: warned once, not when bos_token adds it -------------------------
@pytest.mark.parametrize("bos_token, said", [(None, 1), ("<s>", 0)])
def test_the_template_warning_is_said_once(tmp_path, shared_data, ray_up, caplog, bos_token, said):
    path = tmp_path / "template.json"
    tok = template_tokenizer(english(shared_data, 10))
    # only the BOS side, as Llama-3's file: the stage's bos_token then adds all of it
    from tokenizers import processors
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    tok.save(str(path))
    inp = write_input(tmp_path / "in", en_docs(shared_data, 3), 1)
    caplog.set_level(logging.WARNING, logger="pipeline")
    spec = bpe.TokenizerSpec(path=str(path), eos_token="</s>")
    bpe.check_tokenizer_file(spec)      # the recipe load
    ctx = run_tokenize(tmp_path, inp, Tokenize(tokenizer=spec, bos_token=bos_token), "t")
    logged = [r for r in caplog.records if "post-processor" in r.getMessage()]
    assert len(logged) == said, [r.getMessage() for r in logged]
    assert len([w for w in ctx.info["tokenize"]["warnings"] if "post-processor" in w]) == said
