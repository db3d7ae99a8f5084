"""Recipe mistakes around `mix` and `tokenize` that used to pass silently or fail late: each is
one line at recipe load (or, for what only the run can know, one line naming the sources and
the stages that emptied them)."""
from __future__ import annotations

import gzip
import json
import re
import textwrap
from pathlib import Path

import pytest

from pipeline.recipe import RecipeError, load_recipe
from pipeline.stage import StageError
from stages.mix import MixShortfall


@pytest.fixture
def data(tmp_path, shared_data):
    """Two small real sources: English (ccnet head: 10 documents) and Chinese (CLUECorpus sample, 30 lines)."""
    with gzip.open(shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz", "rt", encoding="utf-8") as f:
        en = [json.loads(line)["text"] for _, line in zip(range(30), f)]
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        zh = [line.strip() for _, line in zip(range(30), f) if line.strip()]
    out = []
    for name, texts in (("en", en), ("zh", zh)):
        p = tmp_path / "in" / f"{name}.jsonl"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        out.append(p)
    return out


def recipe(tmp_path: Path, data, stages: str, name: str = "r.yaml") -> Path:
    en, zh = data
    p = tmp_path / name
    p.write_text(f"name: t\nseed: 1\noutput: {tmp_path / 'run'}\nsources:\n"
                 f"  - {{name: en, format: jsonl, paths: [{en}]}}\n"
                 f"  - {{name: zh, format: jsonl, paths: [{zh}]}}\n"
                 f"stages:\n" + textwrap.indent(textwrap.dedent(stages).strip("\n"), "  ") + "\n", encoding="utf-8")
    return p


def load_error(p: Path) -> str:
    with pytest.raises(RecipeError) as e:
        load_recipe(p)
    msg = str(e.value)
    assert "\n" not in msg and str(p) in msg, msg
    return msg


PHASES = ("  phases:\n"
          "    - {share: 0.5, weights: {en: 1, zh: 1}}\n"
          "    - {share: 0.5, weights: %s}\n")


# -- 1: source weights and phases ------------------------------------------------------------------
def test_source_weights_with_phases_are_refused_at_load_not_silently_ignored(tmp_path, data):
    # Was: exit 0 and 50/50 tokens for weights 0.9/0.1: with phases the phases' weights set the
    # shares and the sources' weights were dropped without a word.
    msg = load_error(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {weight: 0.9}, zh: {weight: 0.1}}\n"
                            + PHASES % "{en: 1, zh: 1}"))
    assert "stages[0] (mix): sources.en.weight: not used with `phases`" in msg
    assert "en 0.9 asked, 0.5 from phases; zh 0.1 asked, 0.5 from phases" in msg
    assert "remove the sources' weights and give the phases the weights you want, or remove `phases`" in msg
    # The same phases without source weights: the shares are the phases'.
    ok = load_recipe(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {}, zh: {}}\n" + PHASES % "{en: 1, zh: 1}",
                            name="ok.yaml"))
    assert ok.stages[0].stage.source_shares() == {"en": 0.5, "zh": 0.5}
    # weight 0 drops a source; a phase that weighs it contradicts that.
    msg = load_error(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {}, zh: {weight: 0}}\n" + PHASES % "{en: 1}",
                            name="drop.yaml"))
    assert "sources.zh.weight: 0 drops it, but phases[0].weights gives it 1" in msg


# -- 2: a source no phase names --------------------------------------------------------------------
def test_a_source_no_phase_names_is_refused_at_load(tmp_path, data):
    # Was: exit 0, the source got 0 tokens, no warning.
    one_phase = "  phases:\n    - {share: 1, weights: {zh: 1}}\n"
    msg = load_error(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {weight: 0.5}, zh: {}}\n" + one_phase))
    assert ("stages[0] (mix): sources.en: weight 0.5, but no phase names it (phases[0] name only zh), so it "
            "would get no tokens") in msg
    assert "add it to a phase's weights, or give it weight 0 to drop it" in msg
    msg = load_error(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {}, zh: {}}\n"
                            "  phases:\n    - {share: 0.3, weights: {zh: 1}}\n    - {share: 0.7, weights: {zh: 2}}\n",
                            name="noweight.yaml"))
    assert "sources.en: no phase names it (phases[0..1] name only zh)" in msg
    # weight 0 says "drop it": fine.
    r = load_recipe(recipe(tmp_path, data, "- stage: mix\n  sources: {en: {weight: 0}, zh: {}}\n" + one_phase,
                           name="ok.yaml"))
    assert r.stages[0].stage.source_shares() == {"zh": 1.0}


# -- 3: two mixes ----------------------------------------------------------------------------------
def test_a_second_mix_is_refused_at_load(tmp_path, data):
    # Was: validate OK, then tokenize failed mid-run with a 73-line traceback
    # (KeyError: 'Field "mix_phase" exists 2 times in schema').
    msg = load_error(recipe(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
        - stage: mix
          id: mix2
          sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
        - stage: tokenize
        """))
    assert ("stages[1] (mix2): a recipe has at most one mix stage, and 'mix' (stages[0]) comes before this one"
            in msg)
    assert "keep one mix" in msg


# -- 3b: removals after the mix --------------------------------------------------------------------
@pytest.mark.parametrize("after", [
    "- stage: gopher_quality",
    "- stage: exact_dedup",
    "- stage: line_dedup",
])
def test_a_stage_removing_documents_after_the_mix_is_refused_at_load(tmp_path, data, after):
    # Was: exit 0; the filter removed documents the mix had counted, so the token target and the
    # shares were missed without a word.
    msg = load_error(recipe(tmp_path, data, f"""
        - stage: mix
          sources: {{en: {{weight: 0.5}}, zh: {{weight: 0.5}}}}
        {after}
        """))
    name = after.split(": ")[1]
    assert (f"stages[0] (mix): '{name}' (stages[1]) comes after mix and removes documents or lines" in msg)
    assert f"put '{name}' before mix" in msg


def test_annotating_after_the_mix_is_accepted(tmp_path, data):
    r = load_recipe(recipe(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
        - stage: gopher_quality
          annotate_only: true
        """))
    assert [s.id for s in r.stages] == ["mix", "gopher_quality"]


# -- 4: tokenize with another tokenizer than the mix's ---------------------------------------------
def test_tokenize_with_its_own_tokenizer_after_a_mix_is_refused_at_load(tmp_path, data):
    # Was: exit 0, the mix planned 50/50 with its tokenizer, tokenize trained another and wrote
    # 46/54, no warning.
    msg = load_error(recipe(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
          tokenizer: {vocab_size: 1000}
        - stage: tokenize
          tokenizer: {vocab_size: 2000}
        """))
    assert ("stages[1] (tokenize): tokenizer: set here, but 'mix' planned its token shares with its own "
            "tokenizer") in msg
    assert "put these options under the `tokenizer:` of 'mix' and leave tokenize's unset" in msg
    # The very file the mix counts with is the same tokenizer: fine; so is tokenize alone.
    from stages.tokenize import bpe
    tok = tmp_path / "tok.json"
    bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=300), ["hello world " * 50, "你好世界" * 50]).save(str(tok))
    same = load_recipe(recipe(tmp_path, data, f"""
        - stage: mix
          sources: {{en: {{weight: 0.5}}, zh: {{weight: 0.5}}}}
          tokenizer: {{path: {tok}}}
        - stage: tokenize
          tokenizer: {{path: {tok}}}
        """, name="same.yaml"))
    assert [s.id for s in same.stages] == ["mix", "tokenize"]
    load_recipe(recipe(tmp_path, data, "- stage: tokenize\n  tokenizer: {vocab_size: 2000}\n", name="alone.yaml"))
    # Not right after the mix: the way out is no longer "set `tokenizer:`".
    msg = load_error(recipe(tmp_path, data, """
        - stage: mix
          sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
        - stage: stages_for_tests:CharCount
        - stage: tokenize
          tokenizer: {vocab_size: 2000}
        """, name="between.yaml"))
    assert "stages[2] (tokenize): tokenizer: set here, but 'mix' planned its token shares" in msg


# -- 5: every document of a weighted source removed before the mix ---------------------------------
MIX = """
- stage: mix
  sources: {en: {weight: 0.5}, zh: {weight: 0.5}}
  tokenizer: {vocab_size: 300}
"""


def test_a_source_emptied_upstream_is_named_with_the_stage_that_emptied_it(tmp_path, data, ray_local):
    # Was (after training the tokenizer and counting every token): "weighted source(s) ['en'] have
    # no tokens left to mix (en: no documents reached the mix (removed upstream, or none read))".
    from pipeline.runner import Runner
    n_en = len(data[0].read_text(encoding="utf-8").splitlines())
    p = recipe(tmp_path, data, "- stage: gopher_quality\n  min_words: 100000\n  apply_to: [en]\n" + MIX)
    with pytest.raises(MixShortfall) as e:
        Runner(load_recipe(p), quiet=True).run()
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("mix: weighted source(s) ['en'] have no tokens left to mix: no "
                                              "documents reached the mix from them, every one was removed before it")
    assert f"(en: {n_en} read, gopher_quality removed {n_en} (too_few_words {n_en}))" in msg, msg
    assert "look at the options of the stages that removed them" in msg and "zh" not in msg


def test_every_source_emptied_upstream_names_them_not_the_tokenizer(tmp_path, data, ray_local):
    # Was: "mix: no text in the input to train the counting tokenizer on" (r08, r10: a quality
    # filter misconfigured so that it removed everything).
    from pipeline.runner import Runner
    n_en, n_zh = (len(p.read_text(encoding="utf-8").splitlines()) for p in data)
    p = recipe(tmp_path, data, "- stage: language\n  languages: [en, zh]\n"
                               "- stage: gopher_quality\n  min_words: 100000\n" + MIX)
    with pytest.raises(StageError) as e:
        Runner(load_recipe(p), quiet=True).run()
    msg = str(e.value)
    assert "\n" not in msg and type(e.value) is StageError       # as before: a StageError, not a shortfall
    assert msg.startswith("mix: no text in the input to mix: no documents reached the mix from the weighted "
                          "source(s) ['en', 'zh'], every one was removed before it"), msg
    assert f"(en: {n_en} read, gopher_quality removed {n_en} (too_few_words {n_en}); zh: {n_zh} read, " in msg, msg
    # zh: the language stage may take a line or two first; gopher_quality then removes the last
    assert re.search(rf"zh: {n_zh} read, (language removed \d+, gopher_quality removed the last \d+|"
                     rf"gopher_quality removed {n_zh}) \(too_few_words \d+\)\); look at the options", msg), msg


def test_mixing_by_language_a_language_the_language_stage_removes_is_refused_at_load(tmp_path, data):
    """Was: found at the mix, after the whole chain and dedup ran."""
    stages = """
        - {stage: language, languages: [en]}
        - stage: mix
          source_column: language
          sources: {en: {weight: 0.7}, zh: {weight: 0.3}, ja: {weight: 0}}
        """
    msg = load_error(recipe(tmp_path, data, stages))
    assert "sources: ['zh'] are weighted, but 'language' (stages[0]) keeps only languages ['en']" in msg
    # a language stage on some sources only (apply_to) is not that error; it leaves the other sources
    # without the `language` column the mix reads, which is (was: found by the mix's task on such a shard)
    some = stages.replace("{stage: language, languages: [en]}", "{stage: language, languages: [en], apply_to: [en]}")
    msg = load_error(recipe(tmp_path, data, some, "some.yaml"))
    assert "stages[1] (mix) reads column `language`, which source 'zh' does not have there" in msg
    assert "keeps only languages" not in msg


@pytest.mark.parametrize("language, expected", [
    ("{stage: language}", "keeps every language (it lists no `languages`)"),
    ("{stage: language, languages: [en, zh], annotate_only: true}", "keeps every language (it lists no "
                                                                     "`languages` or only annotates)"),
    ("{stage: language, languages: [en, zh, ja]}", "keeps languages ['ja'] that mix does not list"),
])
def test_mixing_by_language_needs_the_language_stage_to_keep_the_listed_ones_only(tmp_path, data, language,
                                                                                   expected):
    """An annotating language stage (or one keeping a language the mix does not list) passed
    validate; the run stopped at the mix, after the chain and dedup, on the first unlisted label
    ('input has sources the recipe does not list: ['de', 'fr', 'it', 'ja']')."""
    stages = f"""
        - {language}
        - stage: mix
          source_column: language
          sources: {{en: {{weight: 0.7}}, zh: {{weight: 0.3}}}}
        """
    assert expected in load_error(recipe(tmp_path, data, stages))
    load_recipe(recipe(tmp_path, data, stages.replace(language, "{stage: language, languages: [zh, en]}"), "ok.yaml"))
